"""An outage costs minutes, not the run (SPEC §6, issue 17).

The sandbox's `outage` scenario answers every request for some seconds, from the K-th on,
with a 503 or a dropped connection. Shorter than `max_retry_seconds`, it must cost no
record: the run yields what a quiet run yields, per stream. Longer, the run stops with one
line within the budget (plus the one try it ends on), and a rerun from its last STATE
completes with nothing lost.
"""

from __future__ import annotations

import time
import typing as t

import pytest

from tests.harness import SandboxProcess, TapRun, run_tap
from tests.platform_configs import CASES, KEY, SANDBOX_SIZE, STREAMS
from tests.test_redirects import config_for

# Each platform meets one kind of outage (both kinds on every platform would double the
# time; the HTTP layer handles them on one path): a 503 from a gateway, or dropped
# connections from a restarting load balancer.
MODES = {"webinarfuel": "status", "webcasts": "drop", "on24": "drop", "cvent": "status"}
OUTAGE_CASES = [(name, MODES.get(name, "status")) for name in CASES] + [
    ("cvent-conference", "drop")
]
BUDGET = 20.0
OUTAGE = 4.0


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


def by_key(run: TapRun, stream: str) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """A stream's records by key (asserting it unique), without what says when it was read.

    The bookmark of a platform whose listing has no activity marker is the run's start, and
    a Webcasts report states the time it was made (`extra.currentDateTime`).
    """
    keyed = {}
    for record in run.records(stream):
        key = tuple(record[k] for k in KEY[stream])
        assert key not in keyed, (stream, key)
        kept = {k: v for k, v in record.items() if k != "last_activity_at"}
        if isinstance(kept.get("extra"), dict):
            kept["extra"] = {k: v for k, v in kept["extra"].items() if k != "currentDateTime"}
        keyed[key] = kept
    return keyed


def outage(platform: str, *, after: int, seconds: float, mode: str) -> dict[str, t.Any]:
    return {
        "platform": platform,
        "path": ".*",
        "kind": "outage",
        "after": after,
        "seconds": seconds,
        "mode": mode,
    }


def failures(sandbox: SandboxProcess, platform: str) -> list[dict[str, t.Any]]:
    return [r for r in sandbox.requests(platform) if r["status"] in (0, 503)]


@pytest.mark.parametrize(("case", "mode"), OUTAGE_CASES)
def test_an_outage_within_the_budget_costs_no_record(
    small_sandbox: SandboxProcess, case: str, mode: str
) -> None:
    platform = case.split("-")[0]
    config = {**config_for(case, small_sandbox), "max_retry_seconds": BUDGET}
    quiet = run_tap(config, timeout=300)
    assert quiet.returncode == 0, quiet.stderr[-2000:]

    small_sandbox.clear_requests()
    small_sandbox.scenarios(outage(platform, after=3, seconds=OUTAGE, mode=mode))
    run = run_tap(config, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]

    failed = failures(small_sandbox, platform)
    assert len(failed) >= 2, "the outage never happened: the test proves nothing"
    last_request = max(r["at"] for r in small_sandbox.requests(platform))
    assert last_request >= failed[0]["at"] + OUTAGE - 0.5  # the run outlived the outage
    assert "retries 0 " not in run.stderr  # the summary counts them
    assert quiet.records("events")
    for stream in STREAMS:
        assert by_key(run, stream) == by_key(quiet, stream), stream


def test_an_outage_past_the_budget_stops_the_run_and_a_rerun_resumes(
    small_sandbox: SandboxProcess,
) -> None:
    budget = 3.0
    config = {**CASES["on24"].config(small_sandbox.api_url("on24")), "max_concurrency": 1}
    quiet = run_tap(config, timeout=300)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    requests_made = len(small_sandbox.requests("on24"))
    assert requests_made > 6

    small_sandbox.clear_requests()
    # While the last event is read (the others emitted), an outage far past the budget.
    small_sandbox.scenarios(outage("on24", after=requests_made - 3, seconds=600, mode="status"))
    stopped = run_tap({**config, "max_retry_seconds": budget}, timeout=300)
    ended = time.time()

    assert stopped.returncode != 0
    assert "Traceback" not in stopped.stderr
    errors = [line for line in stopped.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(errors) == 1, stopped.stderr[-3000:]
    assert stopped.stderr.strip().splitlines()[-1] == errors[0]
    assert "kept failing for" in errors[0] and "HTTP 503" in errors[0], errors[0]
    assert "/on24/" in errors[0] and "max_retry_seconds=3" in errors[0], errors[0]
    failed = failures(small_sandbox, "on24")
    assert failed
    # Within the budget, plus the one try it ends on (and the process's exit).
    assert ended - failed[0]["at"] <= budget + 3.0
    assert stopped.records("events"), "nothing was emitted before the outage"
    assert stopped.final_state

    small_sandbox.scenarios()
    resumed = run_tap(config, state=stopped.final_state, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert len(resumed.records("events")) < len(quiet.records("events"))  # it resumed
    for stream in STREAMS:
        together = {**by_key(stopped, stream), **by_key(resumed, stream)}
        assert set(together) == set(by_key(quiet, stream)), stream
