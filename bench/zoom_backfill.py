"""Zoom: wall time of a backfill at 100 ms latency and max_concurrency 8, against its bound.

    .venv/bin/python bench/zoom_backfill.py [--latency-ms 100] [--concurrency 8]

One first run (no state) per plan over real HTTP to one sandbox process (`--size large`),
the whole tap process timed, start-up included. Two bounds no client can beat: the latency
bound (requests x latency / max_concurrency) and the pacing bound (each rate-limit label's
requests over the plan's per-second limit: Pro Light 30, Medium 20, Heavy 10; Business
80/60/40); the larger is the one the run is measured against. On Pro the Heavy pacing sets
it (24.3 s); on Business (the sandbox set to Business limits) the Heavy pacing still does,
barely (6.1 s against a latency bound of 5.9 s), so that run shows how close the tap comes
when both bind at once, start-up and the listings before any webinar included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _verdict import verdict

from tap_webinars.platforms.zoom.api import PLAN_LIMITS, label
from tests.harness import BIN, SandboxProcess
from tests.platform_configs import CASES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    options, _ = parser.parse_known_args()  # `python -m bench NAME` passes its own argv
    sandbox = SandboxProcess("--size", "large")
    try:
        for plan in ("pro", "business"):
            backfill(sandbox, plan, options.latency_ms, options.concurrency)
    finally:
        sandbox.stop()


def backfill(sandbox: SandboxProcess, plan: str, latency_ms: float, concurrency: int) -> None:
    """One first run of the tap on *plan*'s limits; print it against its bound."""
    limits = PLAN_LIMITS[plan][0]
    sandbox.reset(size="large")
    sandbox.configure(latency_ms=latency_ms, zoom={"rate_limits": limits})
    webinars = len(sandbox.dataset("zoom")["webinars"])
    print(f"Zoom sandbox, {plan}: {webinars} webinars, {latency_ms:g} ms latency per request")
    config = {**CASES["zoom"].config(sandbox.api_url("zoom")), "zoom_plan": plan}
    config["max_concurrency"] = concurrency
    sandbox.clear_requests()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        started = time.monotonic()
        run = subprocess.run(
            [str(BIN / "tap-webinars"), "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        wall = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"tap failed:\n{run.stderr[-2000:]}")
    records: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message["type"] == "RECORD":
                records[message["stream"]] += 1
    log = sandbox.requests("zoom")
    requests = len(log)
    refused = sum(1 for entry in log if entry["status"] == 429)
    labels = Counter(label(entry["path"]) for entry in log if entry["path"] != "/oauth/token")
    latency_bound = requests * latency_ms / 1000 / concurrency
    pacing_bound = max(count / limits[name] for name, count in labels.items())
    bound = max(latency_bound, pacing_bound)
    which = "latency" if latency_bound >= pacing_bound else "pacing"
    print(
        f"  max_concurrency={concurrency}: {wall:.1f} s wall, {requests} requests "
        f"({', '.join(f'{n} {c}' for n, c in sorted(labels.items()))}), {refused} x 429, "
        + ", ".join(f"{count} {stream}" for stream, count in sorted(records.items()))
    )
    print(
        f"  latency bound {requests} x {latency_ms:g} ms / {concurrency} = "
        f"{latency_bound:.1f} s; pacing bound {pacing_bound:.1f} s; "
        f"wall / {which} bound = {wall / bound:.2f}x"
    )
    verdict(
        f"Zoom backfill ({plan}) at max_concurrency {concurrency} / its {which} bound",
        f"{wall:.1f} s / {bound:.1f} s = {wall / bound:.2f}x ({requests} requests)",
        "<= 1.3x",
        met=wall / bound <= 1.3,
    )


if __name__ == "__main__":
    main()
