"""ON24: wall time of a 200-event sync at max_concurrency 8 against the same sync at 1.

    .venv/bin/python bench/on24_concurrency.py [--latency-ms 100] [--concurrency 8]

Both runs go over real HTTP to one sandbox process (200 events, 100 ms added to every
request), in the same invocation, each a first run (no state), so they do identical work.
The wall time is the whole tap process, start-up included, as a user would time it (not
this script's parsing of its output afterwards, printed apart); the latency bound
(requests x latency / max_concurrency) is what no client under that cap can beat.

From the sandbox's request log (each request's arrival, after its added latency), it also
says how the time went: the tap's start-up to its first request, the event listing to the
first request for one event, requests in flight (in their latency) while the tap made
requests, and the tail after the last one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import typing as t
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _on24 import all_events_config
from _verdict import verdict

from tests.harness import BIN, SandboxProcess

STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)


def timed_sync(
    sandbox: SandboxProcess, concurrency: int, latency: float
) -> tuple[float, float, list[dict[str, t.Any]], Counter[str], str]:
    """One full sync: its wall time, the time parsing its output took, its request log,
    its record counts and a line on where its time went."""
    sandbox.clear_requests()
    config = all_events_config(sandbox, max_concurrency=concurrency)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        started_at, started = time.time(), time.monotonic()
        run = subprocess.run(
            [str(BIN / "tap-webinars"), "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"tap failed at concurrency {concurrency}:\n{run.stderr[-2000:]}")
    parsing = time.monotonic()
    records: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message["type"] == "RECORD":
                records[message["stream"]] += 1
    parsed = time.monotonic() - parsing
    log = sandbox.requests("on24")
    return elapsed, parsed, log, records, timeline(log, started_at, elapsed, latency)


def timeline(log: list[dict[str, t.Any]], started_at: float, wall: float, latency: float) -> str:
    """Where a run's time went, from the sandbox's log of arrivals (after the latency)."""
    if not log:
        return "no requests"
    sent = sorted((entry["at"] - latency, entry) for entry in log)
    first, last = sent[0][0], max(entry["at"] for entry in log)
    first_event = min(at for at, entry in sent if "/event/" in entry["path"])
    edges = sorted([(at, 1) for at, _ in sent] + [(at + latency, -1) for at, _ in sent])
    spent: Counter[int] = Counter()
    in_flight, previous = 0, first
    for moment, change in edges:
        spent[in_flight] += moment - previous
        in_flight, previous = in_flight + change, moment
    span = last - first
    mean = sum(k * v for k, v in spent.items()) / span if span else 0.0
    full = max(spent)
    return (
        f"start-up {first - started_at:.2f} s, listing {first_event - first:.2f} s, "
        f"requests {span:.2f} s with {mean:.2f} in their latency on average "
        f"({spent[full] / span:.0%} of it at {full}), tail {started_at + wall - last:.2f} s"
    )


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
        latency = options.latency_ms / 1000
        for concurrency in (1, options.concurrency):
            elapsed, parsed, log, records, spent = timed_sync(sandbox, concurrency, latency)
            requests = len(log)
            results[concurrency] = (elapsed, records)
            print(
                f"max_concurrency={concurrency}: {elapsed:6.1f} s wall, {requests} requests, "
                + ", ".join(f"{records[s]} {s}" for s in STREAMS)
                + f" (then {parsed:.1f} s parsing its output here)"
            )
            print(f"    {spent}")
        serial, parallel = results[1][0], results[options.concurrency][0]
        bound = requests * latency / options.concurrency
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
        verdict(
            f"ON24 wall at max_concurrency {options.concurrency} / latency bound",
            f"{parallel:.1f} s / {bound:.1f} s = {parallel / bound:.2f}x",
            "<= 1.3x",
            met=parallel / bound <= 1.3,
        )
        verdict(
            f"ON24 speed-up, max_concurrency 1 -> {options.concurrency}",
            f"{serial / parallel:.1f}x",
            "about 5x (>= 4.5x)",
            met=serial / parallel >= 4.5,
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
