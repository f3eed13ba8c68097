"""Webcasts.com on real accounts (issue 9): expired events, refusals, integrity, drift.

Every test runs `tap-webinars` (or `tap-webinars-access`) as a process against
`tap-webinars-sandbox` over loopback; refusals and hostile answers are the sandbox's
scenarios (`sandbox.scenarios`) and the Webcasts simulator's options (`refused_events`,
`drift`). Expected values come from the sandbox's dataset or from a quiet run, never from
the code under test.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
import typing as t
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tap_webinars.platforms import load_settings
from tap_webinars.platforms.webcasts import WebcastsAdapter
from tests.harness import BIN, SandboxProcess, TapRun, assert_unique_keys, run_tap
from tests.test_webcasts import (
    CHILDREN,
    KEYS,
    REPORT_PATH,
    SAMPLE,
    comparable,
    config,
    current_events,
    report_log,
    report_requests,
    sync,
)

EVENT_LIST_PATH = "/api/reporting/eventlist"
TIME_ZONES_PATH = "/api/reporting/timezones"
TIMEOUT = 180  # no case may hang


def expired_events(sandbox: SandboxProcess) -> list[dict[str, t.Any]]:
    return [e for e in sandbox.dataset("webcasts")["events"] if e["is_expired"]]


def bookmarks(run: TapRun) -> dict[str, str]:
    partitions = run.final_state["bookmarks"]["events"]["partitions"]
    return {p["context"]["event_id"]: p["replication_key_value"] for p in partitions}


def failed(run: TapRun) -> str:
    """The one error line of a failed run (and that it is one line, without a traceback)."""
    assert run.returncode != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-webinars: "), last
    return last


def warnings(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if "WARNING" in line or "warning" in line]


def children_of(run: TapRun, event_ids: set[str]) -> dict[str, list[str]]:
    """The child records of *event_ids*, as sorted JSON."""
    return {
        stream: sorted(
            json.dumps(r, sort_keys=True) for r in run.records(stream) if r["event_id"] in event_ids
        )
        for stream in CHILDREN
    }


def assert_integrity(runs: list[TapRun]) -> None:
    """Every child's registrant_id names a registrant of its event emitted by then."""
    known: set[tuple[str, str]] = set()
    for run in runs:
        known |= {(r["event_id"], r["registrant_id"]) for r in run.records("registrants")}
        for stream in CHILDREN:
            if stream == "registrants":
                continue
            for record in run.records(stream):
                if record["registrant_id"] is not None:
                    assert (record["event_id"], record["registrant_id"]) in known, (stream, record)


# --------------------------------------------------------------- expired events (part 4)


def test_expired_events_are_listed_every_run_without_a_report(sandbox: SandboxProcess) -> None:
    expired = {e["event_id"]: e for e in expired_events(sandbox)}
    assert expired
    first = sync(sandbox)
    listed = {r["event_id"]: r for r in first.records("events")}
    assert set(expired) <= set(listed)
    assert all(listed[i]["is_expired"] is True for i in expired)
    assert all(listed[i]["title"] == e["title"] for i, e in expired.items())
    assert not set(expired) & set(report_requests(sandbox))
    for stream in CHILDREN:
        assert not {r["event_id"] for r in first.records(stream)} & set(expired)
    # Their activity was not read: their bookmark stays at start_date, not their activity.
    assert all(bookmarks(first)[i] == "2014-01-01T00:00:00+00:00" for i in expired)

    sandbox.clear_requests()
    second = sync(sandbox, state=first.final_state)
    assert {r["event_id"] for r in second.records("events")} == set(expired)
    assert report_requests(sandbox) == []

    # Asked for later, they are pulled once, whole, and then not again.
    sandbox.clear_requests()
    third = sync(sandbox, state=second.final_state, webcasts_include_expired=True)
    assert sorted(report_requests(sandbox)) == sorted(expired)
    assert all(e["expired"] for e in report_log(sandbox) if e["event_id"] in expired)
    registrants = Counter(r["event_id"] for r in third.records("registrants"))
    assert all(registrants[i] == e["viewer_count"] for i, e in expired.items())
    sandbox.clear_requests()
    fourth = sync(sandbox, state=third.final_state, webcasts_include_expired=True)
    assert report_requests(sandbox) == [] and fourth.records("events") == []


# ------------------------------------------------------------------------- permissions


def test_report_refused_for_one_event_skips_only_its_activity(sandbox: SandboxProcess) -> None:
    events = current_events(sandbox)
    refused = next(e["event_id"] for e in events if e["viewer_count"] == 25)
    others = {e["event_id"] for e in events} - {refused}
    began = datetime.now(timezone.utc).replace(microsecond=0)
    quiet = sync(sandbox)
    sandbox.reset()
    sandbox.configure(webcasts={"refused_events": [refused]})
    run = sync(sandbox)
    assert children_of(run, others) == children_of(quiet, others)
    for stream in CHILDREN:
        assert refused not in {r["event_id"] for r in run.records(stream)}
    (event,) = [r for r in run.records("events") if r["event_id"] == refused]
    assert event["title"] == next(e["title"] for e in events if e["event_id"] == refused)
    assert event["registrant_count"] is None  # the report's figures were not read
    named = [w for w in warnings(run) if f"event {refused}" in w]
    assert len(named) == 1 and "report rights on this event" in named[0], named
    summary = next(line for line in run.stderr.splitlines() if "skipped:" in line)
    assert f"activity of event {refused}" in summary and "return code 10" in summary
    # Its bookmark did not move past the unread activity: the next run reads it.
    assert bookmarks(run)[refused] < bookmarks(quiet)[refused]
    # Another event keeps its bookmark: one read before either run began (an event with
    # activity up to now is bookmarked at its run's start, which differs between runs).
    settled = sorted(e for e in others if datetime.fromisoformat(bookmarks(quiet)[e]) < began)
    assert settled, bookmarks(quiet)
    assert {e: bookmarks(run)[e] for e in settled} == {e: bookmarks(quiet)[e] for e in settled}
    sandbox.configure(webcasts={"refused_events": []})
    sandbox.clear_requests()
    retried = sync(sandbox, state=run.final_state)
    assert report_requests(sandbox) == [refused]
    assert children_of(retried, {refused}) == children_of(quiet, {refused})


def test_refused_event_with_strict_permissions_fails_in_one_line(sandbox: SandboxProcess) -> None:
    sandbox.configure(webcasts={"refused_events": [SAMPLE]})
    run = run_tap(config(sandbox, strict_permissions=True), timeout=TIMEOUT)
    line = failed(run)
    assert f"event {SAMPLE}" in line and "return code 10" in line
    assert "strict_permissions" in line


def test_rate_limit_and_refusal_in_one_run_are_told_apart(sandbox: SandboxProcess) -> None:
    events = current_events(sandbox)
    refused = events[-1]["event_id"]
    sandbox.configure(webcasts={"refused_events": [refused]})
    sandbox.admin("webcasts", "fail_reports", code=62, count=2)  # the first report waits
    run = run_tap(config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-2000:]
    codes = Counter(e["code"] for e in report_log(sandbox))
    assert codes[62] == 2 and codes[10] == 1
    read = {r["event_id"] for r in run.records("registrants")}
    assert read == {e["event_id"] for e in events if e["viewer_count"]} - {refused}


def test_report_host_refusing_every_report_skips_the_child_streams(
    sandbox: SandboxProcess,
) -> None:
    sandbox.scenarios(
        {"platform": "webcasts", "path": f"{REPORT_PATH}$", "kind": "status", "status": 403}
    )
    run = run_tap(config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-2000:]
    listed = {e["event_id"] for e in sandbox.dataset("webcasts")["events"]}
    assert {r["event_id"] for r in run.records("events")} == listed
    assert all(run.records(stream) == [] for stream in CHILDREN)
    told = [w for w in warnings(run) if "skipping stream" in w]
    assert len(told) == len(CHILDREN) and all("report rights" in w for w in told)
    summary = next(line for line in run.stderr.splitlines() if "skipped:" in line)
    assert all(stream in summary for stream in CHILDREN)
    strict = run_tap(config(sandbox, strict_permissions=True), timeout=TIMEOUT)
    assert "report rights" in failed(strict)


def test_time_zone_list_refused_costs_a_warning_only(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.scenarios(
        {"platform": "webcasts", "path": f"{TIME_ZONES_PATH}$", "kind": "status", "status": 403}
    )
    adapter = WebcastsAdapter(load_settings(config(sandbox)))
    with caplog.at_level(logging.WARNING):
        adapter.check()  # the connection check: logs in, and goes on without the list
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "reporting time zone list refused (HTTP 403)" in warning
    assert "Reporting API access on the reporting host" in warning
    access = _access(sandbox, config(sandbox))
    assert access.returncode == 0, access.stderr
    rows = {row["stream"]: row for row in json.loads(access.stdout)}
    assert all(row["readable"] for row in rows.values())
    assert rows["events"]["partial"] == ["Reporting API access on the reporting host"]
    quiet = sync(sandbox, event_ids=[SAMPLE])
    assert quiet.records("registrants")  # a sync never needs the time zone list


def test_access_report_names_what_to_ask_for(sandbox: SandboxProcess) -> None:
    fine = _access(sandbox, config(sandbox), form="table")
    assert fine.returncode == 0 and "refused" not in fine.stdout, fine.stdout
    paths = [r["path"] for r in sandbox.requests("webcasts")]
    assert REPORT_PATH not in paths  # a report probe would spend the report quota
    sandbox.scenarios(
        {"platform": "webcasts", "path": f"{EVENT_LIST_PATH}$", "kind": "status", "status": 403}
    )
    refused = _access(sandbox, config(sandbox), form="table")
    assert refused.returncode == 0, refused.stderr
    lines = {line.split()[0]: line for line in refused.stdout.splitlines()[1:]}
    assert (
        "refused: ask for Reporting API access for this user (the event list)" in (lines["events"])
    )
    assert "refused" in lines["registrants"]


def test_login_refused_still_fails_fast(sandbox: SandboxProcess) -> None:
    run = run_tap(config(sandbox, webcasts_password="not it"), timeout=TIMEOUT)
    line = failed(run)
    assert "login refused" in line and "webcasts_username, webcasts_password" in line
    assert [r["path"] for r in sandbox.requests("webcasts")] == ["/api/login"]
    access = _access(sandbox, config(sandbox, webcasts_password="not it"))
    assert access.returncode != 0 and "login refused" in access.stderr


def _access(
    sandbox: SandboxProcess, settings: dict[str, t.Any], form: str = "json"
) -> subprocess.CompletedProcess[str]:
    del sandbox
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(settings))
        return subprocess.run(
            [str(BIN / "tap-webinars-access"), "--config", str(path), "--format", form],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )


# ------------------------------------------------------------------ referential integrity


def test_every_registrant_id_names_a_registrant_of_its_event(sandbox: SandboxProcess) -> None:
    sandbox.configure(webcasts={"drift": ["duplicate_viewer"]})
    full = sync(sandbox)
    assert_integrity([full])
    sandbox.admin("webcasts", "bump_event", event_id=SAMPLE, kind="session")
    incremental = sync(sandbox, state=full.final_state)
    assert {r["event_id"] for r in incremental.records("viewers")} == {SAMPLE}
    assert_integrity([incremental])  # the event is re-read whole: its registrants come again
    assert_integrity([full, incremental])


# ------------------------------------------------------------------------------ drift


def _drifted(sandbox: SandboxProcess, *kinds: str) -> tuple[TapRun, TapRun]:
    """A quiet run of the sample, then the same with the drift of *kinds*."""
    quiet = sync(sandbox, event_ids=[SAMPLE])
    sandbox.reset()
    sandbox.configure(webcasts={"drift": list(kinds)})
    return quiet, run_tap(config(sandbox, event_ids=[SAMPLE]), timeout=TIMEOUT)


def _without_extra(run: TapRun) -> dict[str, list[str]]:
    return {
        stream: sorted(
            json.dumps({k: v for k, v in r.items() if k != "extra"}, sort_keys=True)
            for r in run.records(stream)
        )
        for stream in KEYS
    }


def test_drift_new_elements_and_attributes_land_in_extra(sandbox: SandboxProcess) -> None:
    quiet, run = _drifted(sandbox, "unknown_fields")
    assert run.returncode == 0, run.stderr[-2000:]
    assert _without_extra(run) == _without_extra(quiet)  # complete, nothing else changed
    (event,) = run.records("events")
    assert event["extra"]["language"] == "en"
    assert event["extra"]["report_version"] == "2.1"
    assert event["extra"]["webcast_format"] == "Video"
    assert event["extra"]["presenters"] == {
        "presenter": [{"id": "p1", "text": "Ann Lee"}, {"id": "p2", "text": "Bo Chen"}]
    }
    assert event["extra"]["peak_concurrent_viewers"] == "3"
    registrants = run.records("registrants")
    assert [r["extra"]["viewer_id"] for r in registrants] == [f"v-{i}" for i in range(1, 7)]
    assert all(
        r["extra"]["engagement"] == {"score": "7.5", "polls_answered": "2"} for r in registrants
    )
    assert all(
        s["extra"] == {"id": "s", "device": "Chrome 120"}
        for s in run.records("registrant_sessions")
    )
    assert all(a["extra"]["submitted"] == "yes" for a in run.records("survey_responses"))
    assert all(q["extra"]["asked_at"] == "00:03:12" for q in run.records("questions"))


def test_drift_empty_and_missing_elements_become_null(sandbox: SandboxProcess) -> None:
    quiet, run = _drifted(sandbox, "empty_fields")
    assert run.returncode == 0, run.stderr[-2000:]
    (event,) = run.records("events")
    assert event["title"] == "API Report Sample"  # the event list's title stands
    assert event["cost_center"] is None
    assert event["registrant_count"] is None and event["attendee_count"] is None
    registrants = run.records("registrants")
    assert len(registrants) == len(quiet.records("registrants"))
    assert registrants[0]["registered_at"] is None
    assert registrants[1]["registered_at"] == quiet.records("registrants")[1]["registered_at"]
    sessions = run.records("registrant_sessions")
    assert len(sessions) == len(quiet.records("registrant_sessions"))
    assert all(s["duration_seconds"] is None for s in sessions)
    # Unknown durations are unknown totals, not zero seconds.
    assert all(v["total_seconds"] is None for v in run.records("viewers"))
    assert len(run.records("viewers")) == len(quiet.records("viewers"))


def test_drift_whitespace_only_text_becomes_null(sandbox: SandboxProcess) -> None:
    quiet, run = _drifted(sandbox, "whitespace")
    assert run.returncode == 0, run.stderr[-2000:]
    (event,) = run.records("events")
    assert event["cost_center"] == "Marketing"  # from the event list; the report's is blank
    assert all(r["company"] is None for r in run.records("registrants"))
    assert all(s["media"] is None for s in run.records("registrant_sessions"))
    assert all(q["answer"] is None for q in run.records("questions"))
    assert len(run.records("questions")) == len(quiet.records("questions"))


def test_drift_sections_after_the_viewers_are_read(sandbox: SandboxProcess) -> None:
    """What follows the viewers (read from the tree once the report ends) lands as before."""
    quiet, run = _drifted(sandbox, "trailing_sections")
    assert run.returncode == 0, run.stderr[-2000:]
    assert comparable(run) == comparable(quiet)
    assert _without_extra(run) == _without_extra(quiet)
    (event,) = run.records("events")
    (quiet_event,) = quiet.records("events")
    added = {k: v for k, v in event["extra"].items() if k not in quiet_event["extra"]}
    assert added == {
        "viewer_total": "6",
        "generated": "12/06/2026 10:00:00 AM",
        "signature": {"by": "convey", "digest": "ab12"},
    }


@pytest.mark.parametrize("kind", ["spaced_numbers", "iso_timestamps"])
def test_drift_read_the_same_as_a_quiet_run(sandbox: SandboxProcess, kind: str) -> None:
    quiet, run = _drifted(sandbox, kind)
    assert run.returncode == 0, run.stderr[-2000:]
    assert comparable(run) == comparable(quiet)
    assert _without_extra(run)["events"] == _without_extra(quiet)["events"]


def test_drift_duplicated_event_is_read_once(sandbox: SandboxProcess) -> None:
    quiet = sync(sandbox)
    sandbox.reset()
    sandbox.configure(webcasts={"drift": ["duplicate_event"]})
    run = sync(sandbox)
    assert sorted(report_requests(sandbox)) == sorted(
        e["event_id"] for e in current_events(sandbox)
    )
    assert comparable(run) == comparable(quiet)
    assert_unique_keys(run, "events", KEYS["events"])
    # The duplicated event (the sample) keeps the entry with the latest activity.
    assert bookmarks(run)[SAMPLE] == bookmarks(quiet)[SAMPLE]
    assert len([w for w in warnings(run) if "more than once" in w]) == 1


def test_drift_registrant_listed_twice_keeps_both(sandbox: SandboxProcess) -> None:
    quiet, run = _drifted(sandbox, "duplicate_viewer")
    assert run.returncode == 0, run.stderr[-2000:]
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)
    assert len(run.records("registrants")) == len(quiet.records("registrants")) + 1
    repeated = [r for r in run.records("registrants") if "repeated_listing" in r["extra"]]
    assert [r["email"] for r in repeated] == ["awilliams@yourco.com"]
    assert len(run.records("questions")) == len(quiet.records("questions")) + 2
    assert len([w for w in warnings(run) if "more than once" in w]) == 1


def _scenario(path: str, kind: str, **options: t.Any) -> dict[str, t.Any]:
    return {"platform": "webcasts", "path": f"{path}$", "kind": kind, **options}


UNKNOWN_CODE_XML = (
    '<?xml version="1.0"?>\n<convey_api version="2.0"><result><returnCode>99</returnCode>'
    "<failure><description>Quota account suspended</description></failure></result></convey_api>"
)


@pytest.mark.parametrize(
    ("setup", "path", "problem"),
    [
        ({"drift": ["java_timestamps"]}, REPORT_PATH, "unrecognised timestamp"),
        (_scenario(REPORT_PATH, "html"), REPORT_PATH, "an HTML page instead of the XML answer"),
        (
            _scenario(EVENT_LIST_PATH, "html"),
            EVENT_LIST_PATH,
            "an HTML page instead of the XML answer",
        ),
        (_scenario(REPORT_PATH, "truncate", keep=0.5), REPORT_PATH, "malformed XML"),
        (_scenario(EVENT_LIST_PATH, "truncate", keep=0.5), EVENT_LIST_PATH, "not the XML expected"),
        (_scenario(REPORT_PATH, "xml_bomb"), REPORT_PATH, "refused XML"),
        (_scenario(REPORT_PATH, "xml_entity"), REPORT_PATH, "refused XML"),
        (_scenario(EVENT_LIST_PATH, "xml_bomb"), EVENT_LIST_PATH, "refused XML"),
        (_scenario(EVENT_LIST_PATH, "xml_entity"), EVENT_LIST_PATH, "refused XML"),
        ({"fail_reports": 99}, REPORT_PATH, "return code 99, a return code the guide does not"),
        (
            _scenario(EVENT_LIST_PATH, "body", text=UNKNOWN_CODE_XML, content_type="text/xml"),
            EVENT_LIST_PATH,
            "return code 99: a return code the guide does not list (Quota account suspended)",
        ),
    ],
    ids=[
        "java-timestamps",
        "html-report",
        "html-event-list",
        "truncated-report",
        "truncated-event-list",
        "xml-bomb-report",
        "external-entity-report",
        "xml-bomb-event-list",
        "external-entity-event-list",
        "unknown-code-report",
        "unknown-code-event-list",
    ],
)
def test_drift_that_cannot_be_read_fails_in_one_line_naming_the_endpoint(
    sandbox: SandboxProcess, setup: dict[str, t.Any], path: str, problem: str
) -> None:
    if "drift" in setup:
        sandbox.configure(webcasts=setup)
    elif "fail_reports" in setup:
        sandbox.admin("webcasts", "fail_reports", code=setup["fail_reports"], count=1)
    else:
        sandbox.scenarios(setup)
    run = run_tap(config(sandbox, event_ids=[SAMPLE]), timeout=TIMEOUT)
    line = failed(run)
    assert sandbox.api_url("webcasts") + path in line, line
    assert problem in line, line
    assert "root:x:0" not in run.stderr  # no external entity was ever read
    assert run.records("registrants") == []  # nothing half-read is emitted
