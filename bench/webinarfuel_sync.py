"""WebinarFuel sync cost against the sandbox's default dataset.

Prints the requests of a full sync and of an unchanged incremental sync (by endpoint), and
the wall time of a full sync with 100 ms of latency per request at max_concurrency 1, 4
and 8, each as a ratio to the concurrency-1 run measured in the same invocation.

    .venv/bin/python bench/webinarfuel_sync.py
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import SandboxProcess, run_tap


def config(sandbox: SandboxProcess, **overrides: object) -> dict[str, object]:
    return {
        "platform": "webinarfuel",
        "webinarfuel_api_key": "wf-sandbox-key",
        "api_url": sandbox.api_url("webinarfuel"),
        "start_date": "2020-01-01T00:00:00Z",
        **overrides,
    }


def requests_by_path(sandbox: SandboxProcess) -> Counter[str]:
    return Counter(r["path"] for r in sandbox.requests("webinarfuel"))


def main() -> None:
    sandbox = SandboxProcess()
    try:
        sandbox.reset()
        full = run_tap(config(sandbox))
        assert full.returncode == 0, full.stderr[-1000:]
        full_requests = requests_by_path(sandbox)
        records = Counter(m["stream"] for m in full.messages if m["type"] == "RECORD")
        print(f"records: {dict(records)}")
        print(f"full sync: {sum(full_requests.values())} requests {dict(full_requests)}")
        for lookback in (0, 24):
            sandbox.clear_requests()
            again = run_tap(config(sandbox, lookback_hours=lookback), state=full.final_state)
            assert again.returncode == 0
            counted = requests_by_path(sandbox)
            emitted = sum(m["type"] == "RECORD" for m in again.messages)
            print(
                f"unchanged incremental sync (lookback_hours={lookback}): "
                f"{sum(counted.values())} requests {dict(counted)}, {emitted} records re-emitted"
            )

        sandbox.configure(latency_ms=100)
        baseline = None
        for concurrency in (1, 4, 8):
            sandbox.configure(webinarfuel={"reset_rate_limit": True})
            started = time.perf_counter()
            run = run_tap(config(sandbox, max_concurrency=concurrency))
            elapsed = time.perf_counter() - started
            assert run.returncode == 0
            baseline = baseline or elapsed
            print(
                f"full sync, 100 ms latency, max_concurrency={concurrency}: "
                f"{elapsed:.2f} s (ratio to concurrency 1: {elapsed / baseline:.2f})"
            )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
