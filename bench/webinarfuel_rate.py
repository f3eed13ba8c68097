"""WebinarFuel's pacer: a long backfill stays just under 100 requests a minute, with no 429.

The sandbox enforces the documented limit (100 requests a minute per key, answered past
that with 429 and Retry-After). A dataset of large webinars makes a full sync need well
over 300 requests; the benchmark prints how many it made, over how long, the sustained rate
(requests a minute between the first and the last), and how many were refused with 429.

    .venv/bin/python bench/webinarfuel_rate.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _verdict import verdict

from tests.harness import SandboxProcess, run_tap

# Registrations added to each of the first webinars: about 350 requests for a full sync.
ADDED_PER_WEBINAR = 2000
WEBINARS_GROWN = 4
LIMIT_PER_MINUTE = 100


def main() -> None:
    sandbox = SandboxProcess()
    try:
        sandbox.reset()
        ready = [w for w in sandbox.dataset("webinarfuel")["webinars"] if w["state"] == "ready"]
        for webinar in ready[:WEBINARS_GROWN]:
            sandbox.admin(
                "webinarfuel",
                "add_registrations",
                webinar_id=webinar["id"],
                count=ADDED_PER_WEBINAR,
                attended=True,
            )
        sandbox.clear_requests()
        started = time.perf_counter()
        run = run_tap(
            {
                "platform": "webinarfuel",
                "webinarfuel_api_key": "wf-sandbox-key",
                "api_url": sandbox.api_url("webinarfuel"),
                "start_date": "2020-01-01T00:00:00Z",
                "max_concurrency": 4,
            },
            timeout=1800,
        )
        wall = time.perf_counter() - started
        assert run.returncode == 0, run.stderr[-2000:]
        log = sandbox.requests("webinarfuel")
        refused = sum(1 for entry in log if entry["status"] == 429)
        times = sorted(float(entry["at"]) for entry in log)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rate = (len(times) - 1) / span * 60 if span else float("nan")
        records = sum(m["type"] == "RECORD" for m in run.messages)
        print(
            f"dataset: default plus {ADDED_PER_WEBINAR:,} registrations on each of "
            f"{WEBINARS_GROWN} webinars; {records:,} records"
        )
        print(f"requests: {len(log)} ({refused} answered 429) in {wall / 60:.2f} min wall")
        busiest = max(
            sum(1 for other in times[i:] if other < start + 60.0) for i, start in enumerate(times)
        )
        print(
            f"sustained rate: {rate:.1f} requests/min between first and last request "
            f"(limit {LIMIT_PER_MINUTE}; ratio {rate / LIMIT_PER_MINUTE:.2f}); "
            f"busiest 60 s window at the sandbox: {busiest} requests"
        )
        verdict(
            "WebinarFuel backfill",
            f"{len(log)} requests, {rate:.1f}/min sustained, {refused} x 429",
            ">= 300 requests, >= 90/min, 0 x 429",
            met=len(log) >= 300 and rate >= 90 and refused == 0,
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
