"""The sync engine over HTTP: events fetched while the listing is read, requests by rank.

ON24 lists in parts (six-month windows), so the engine may start on the plan's first events
before the last window is read; these tests hold it to the same requests as one at a time,
each made once, and the events emitted in the plan's order.
"""

from __future__ import annotations

import typing as t
from collections import Counter

from tests.harness import SandboxProcess, TapRun, run_tap
from tests.platform_configs import CASES


def on24_run(sandbox: SandboxProcess, concurrency: int) -> TapRun:
    config = {
        **CASES["on24"].config(sandbox.api_url("on24")),
        "start_date": "2015-01-01T00:00:00Z",
        "max_concurrency": concurrency,
    }
    run = run_tap(config)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def requests_made(sandbox: SandboxProcess) -> Counter[tuple[str, tuple[tuple[str, t.Any], ...]]]:
    return Counter(
        (entry["path"], tuple(sorted(entry["query"].items()))) for entry in sandbox.requests("on24")
    )


def test_events_fetched_early_are_used_not_read_again(sandbox: SandboxProcess) -> None:
    sandbox.configure(latency_ms=20)  # the listing's windows take a while: early fetches
    run = on24_run(sandbox, 8)
    made = requests_made(sandbox)
    per_event = {key: n for key, n in made.items() if "/event/" in key[0]}
    assert per_event and set(per_event.values()) == {1}, [k for k, n in per_event.items() if n > 1]
    listed = [r["event_id"] for r in run.records("events")]
    assert len(listed) == len(set(listed))
    # Every event read once, in the order of their activity.
    assert listed == [
        r["event_id"]
        for r in sorted(run.records("events"), key=lambda r: (r["last_activity_at"], r["event_id"]))
    ]


def test_the_same_requests_one_at_a_time_and_eight_at_once(sandbox: SandboxProcess) -> None:
    sandbox.configure(latency_ms=5)
    on24_run(sandbox, 1)
    serial = requests_made(sandbox)
    sandbox.clear_requests()
    on24_run(sandbox, 8)
    assert requests_made(sandbox) == serial
