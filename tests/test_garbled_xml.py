"""Webcasts and Cvent Conference: a garbled answer is asked for again, a hostile one never.

An HTML page behind a 200 or a body cut short is what a proxy or a dropped connection sends
now and then: it is requested again (at most three attempts in all), and a run that meets it
once gives the same records as a quiet run. One that keeps coming fails as before, in one line
naming the endpoint, after three attempts. An entity bomb or an external entity is refused on
the first answer, never requested again (counted from the sandbox's request log).
"""

from __future__ import annotations

import time
import typing as t

import pytest

from tests import frozen_sandbox
from tests.harness import SandboxProcess, TapRun, run_tap
from tests.platform_configs import STREAMS
from tests.record_identity import masked
from tests.test_cvent_conference import conference_config
from tests.test_cvent_real_accounts import failure_line
from tests.test_webcasts import REPORT_PATH
from tests.test_webcasts import config as webcasts_config
from tests.test_webcasts_real_accounts import EVENT_LIST_PATH

TIMEOUT = 300
CONFERENCE = "/conference/api/"

# (platform of the sandbox, path, the words of today's failure) per answer that can come back
# garbled; the tap config comes from `config` below.
TARGETS = {
    "webcasts-report": ("webcasts", REPORT_PATH),
    "webcasts-event-list": ("webcasts", EVENT_LIST_PATH),
    "conference-event": ("cvent", CONFERENCE + "event.do"),
    "conference-users": ("cvent", CONFERENCE + "userData.do"),
    "conference-surveys": ("cvent", CONFERENCE + "surveyData.do"),
}
GARBLED = {
    "html": {"kind": "html"},
    "truncate": {"kind": "truncate", "keep": 0.5},
}
HOSTILE = ("xml_bomb", "xml_entity")

# The sandbox with its clock stopped (`tests/frozen_sandbox.py`), as fixtures here.
frozen_process = frozen_sandbox.frozen_process
frozen = frozen_sandbox.frozen


def config(sandbox: SandboxProcess, platform: str) -> dict[str, t.Any]:
    if platform == "webcasts":
        return webcasts_config(sandbox)
    return conference_config(sandbox)


def sync(sandbox: SandboxProcess, platform: str) -> tuple[TapRun, dict[str, list[t.Any]]]:
    """A run and its records per stream, the tap's own clock (`@run`) masked."""
    before = time.time() - 1
    run = run_tap(config(sandbox, platform), timeout=TIMEOUT)
    span = (before, time.time() + 1)
    return run, {s: [masked(r, span) for r in run.records(s)] for s in STREAMS}


def asked(sandbox: SandboxProcess, platform: str, path: str) -> int:
    return sum(1 for r in sandbox.requests(platform) if r["path"] == path)


def scenario(platform: str, path: str, times: int, **spec: t.Any) -> dict[str, t.Any]:
    return {"platform": platform, "path": f"^{path}$", "times": times, **spec}


@pytest.mark.parametrize("garbled", sorted(GARBLED))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_garbled_answer_once_gives_the_records_of_a_quiet_run(
    frozen: SandboxProcess, target: str, garbled: str
) -> None:
    """On a sandbox whose clock is stopped, so that a reset gives the same data again."""
    sandbox = frozen
    platform, path = TARGETS[target]
    quiet_run, quiet = sync(sandbox, platform)
    assert quiet_run.returncode == 0, quiet_run.stderr[-2000:]
    assert sum(map(len, quiet.values())) > 0 and quiet["registrants"]
    quiet_asks = asked(sandbox, platform, path)
    assert quiet_asks > 0
    sandbox.reset()
    sandbox.scenarios(scenario(platform, path, 1, **GARBLED[garbled]))
    run, records = sync(sandbox, platform)
    assert run.returncode == 0, run.stderr[-2000:]
    assert records == quiet
    assert asked(sandbox, platform, path) == quiet_asks + 1  # the garbled one, asked again
    assert "requesting it again" in run.stderr or "asking again" in run.stderr


@pytest.mark.parametrize("garbled", sorted(GARBLED))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_garbled_answer_every_time_fails_naming_the_endpoint_after_three_attempts(
    sandbox: SandboxProcess, target: str, garbled: str
) -> None:
    platform, path = TARGETS[target]
    sandbox.scenarios(scenario(platform, path, -1, **GARBLED[garbled]))
    run, _records = sync(sandbox, platform)
    line = failure_line(run)
    assert path.rsplit("/", 1)[-1] in line, line
    assert asked(sandbox, platform, path) == 3


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_hostile_answer_is_refused_and_never_asked_for_again(
    sandbox: SandboxProcess, target: str, kind: str
) -> None:
    platform, path = TARGETS[target]
    sandbox.scenarios(scenario(platform, path, -1, kind=kind))
    run, _records = sync(sandbox, platform)
    line = failure_line(run)
    assert path.rsplit("/", 1)[-1] in line and "refused XML" in line, line
    assert asked(sandbox, platform, path) == 1
    assert "root:" not in run.stdout + run.stderr  # no local file read through an entity
