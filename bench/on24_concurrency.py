"""ON24: wall time of a 200-event sync at max_concurrency 8 against the same sync at 1.

    .venv/bin/python bench/on24_concurrency.py [--latency-ms 100] [--concurrency 8]

Both runs go over real HTTP to one sandbox process (200 events, 100 ms added to every
request), in the same invocation, each a first run (no state), so they do identical work.
The wall time is the whole tap process, start-up included, as a user would time it; the
latency bound (requests x latency / max_concurrency) is what no client under that cap can beat.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tap_webinars.sandbox.on24 import (
    ACCESS_TOKEN_KEY,
    ACCESS_TOKEN_SECRET,
    CLIENT_ID,
)
from tests.harness import SandboxProcess, run_tap

STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)


def timed_sync(sandbox: SandboxProcess, concurrency: int) -> tuple[float, int, Counter[str]]:
    """One full sync; returns its wall time, its request count and its record counts."""
    sandbox.clear_requests()
    config = {
        "platform": "on24",
        "on24_client_id": str(CLIENT_ID),
        "on24_access_token_key": ACCESS_TOKEN_KEY,
        "on24_access_token_secret": ACCESS_TOKEN_SECRET,
        "api_url": sandbox.api_url("on24"),
        "start_date": "2015-01-01T00:00:00Z",
        "max_concurrency": concurrency,
    }
    started = time.monotonic()
    run = run_tap(config, timeout=1800)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"tap failed at concurrency {concurrency}:\n{run.stderr[-2000:]}")
    records = Counter({s: len(run.records(s)) for s in STREAMS})
    return elapsed, len(sandbox.requests("on24")), records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    options, _ = parser.parse_known_args()  # `python -m bench NAME` passes its own argv
    sandbox = SandboxProcess("--size", "large")
    try:
        sandbox.configure(latency_ms=options.latency_ms)
        events = len(sandbox.dataset("on24")["events"])
        print(f"ON24 sandbox: {events} events, {options.latency_ms:g} ms latency per request")
        results = {}
        for concurrency in (1, options.concurrency):
            elapsed, requests, records = timed_sync(sandbox, concurrency)
            results[concurrency] = (elapsed, records)
            print(
                f"max_concurrency={concurrency}: {elapsed:6.1f} s wall, {requests} requests, "
                + ", ".join(f"{records[s]} {s}" for s in STREAMS)
            )
        serial, parallel = results[1][0], results[options.concurrency][0]
        bound = requests * options.latency_ms / 1000 / options.concurrency
        print(
            f"latency bound at max_concurrency={options.concurrency}: {requests} requests x "
            f"{options.latency_ms:g} ms / {options.concurrency} = {bound:.1f} s; "
            f"wall / bound = {parallel / bound:.2f}x"
        )
        if results[1][1] != results[options.concurrency][1]:
            raise SystemExit("the two runs emitted different record counts")
        print(
            f"speed-up at max_concurrency={options.concurrency}: {serial / parallel:.1f}x "
            f"({serial:.1f} s -> {parallel:.1f} s)"
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
