"""Webcasts.com (Convey): the tap against the simulated Reporting API, over real HTTP.

Every test runs `tap-webinars` as a process against `tap-webinars-sandbox` (tests/harness.py)
and checks its Singer output and the sandbox's request log; nothing is patched.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import tempfile
import time
import typing as t
from collections import Counter
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests

from tap_webinars.platforms import load_settings
from tap_webinars.platforms.webcasts import WebcastsAdapter
from tests.harness import BIN, SandboxProcess, TapRun, assert_unique_keys, run_tap

USERNAME = "webcasts-sandbox"
PASSWORD = "Pa$$ w0rd&sandbox/é"
SAMPLE = "123456"
REPORT_PATH = "/api/reporting/audience_reports"
KEYS = {
    "events": ("platform", "account_id", "event_id"),
    "registrants": ("platform", "account_id", "event_id", "registrant_id"),
    "registrant_sessions": ("platform", "account_id", "event_id", "session_id"),
    "viewers": ("platform", "account_id", "event_id", "registrant_id"),
    "survey_responses": ("platform", "account_id", "event_id", "response_id"),
    "questions": ("platform", "account_id", "event_id", "question_id"),
}
CHILDREN = [stream for stream in KEYS if stream != "events"]


def config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "platform": "webcasts",
        "webcasts_username": USERNAME,
        "webcasts_password": PASSWORD,
        "api_url": sandbox.api_url("webcasts"),
        "webcasts_reporting_url": sandbox.api_url("webcasts"),
        "start_date": "2014-01-01T00:00:00Z",
        "lookback_hours": 0,
        **overrides,
    }


def sync(
    sandbox: SandboxProcess, state: dict[str, t.Any] | None = None, **overrides: t.Any
) -> TapRun:
    run = run_tap(config(sandbox, **overrides), state=state, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def report_requests(sandbox: SandboxProcess) -> list[str]:
    """Event ids of the report requests the sandbox received (faulted ones included)."""
    return [r["query"]["ei"] for r in sandbox.requests("webcasts") if r["path"] == REPORT_PATH]


def report_log(sandbox: SandboxProcess) -> list[dict[str, t.Any]]:
    """Report requests the simulator answered, with their return codes."""
    return t.cast(list[dict[str, t.Any]], sandbox.admin("webcasts", "report_log"))


def by_email(run: TapRun, stream: str, event_id: str = SAMPLE) -> dict[str, list[dict[str, t.Any]]]:
    grouped: dict[str, list[dict[str, t.Any]]] = {}
    for record in run.records(stream):
        if record["event_id"] == event_id:
            grouped.setdefault(record["email"], []).append(record)
    return grouped


def comparable(run: TapRun) -> dict[str, list[str]]:
    """Every child record of a run, as sorted JSON (for comparing two runs' output)."""
    return {
        stream: sorted(json.dumps(r, sort_keys=True) for r in run.records(stream))
        for stream in CHILDREN
    }


def current_events(sandbox: SandboxProcess) -> list[dict[str, t.Any]]:
    return [e for e in sandbox.dataset("webcasts")["events"] if not e["is_expired"]]


# --------------------------------------------------------------------------- the sample


def test_guide_sample_event_field_by_field(sandbox: SandboxProcess) -> None:
    run = sync(sandbox, event_ids=[SAMPLE])
    assert report_requests(sandbox) == [SAMPLE]

    (event,) = run.records("events")
    assert event["event_id"] == SAMPLE
    assert event["title"] == "API Report Sample"
    assert event["cost_center"] == "Marketing"
    assert event["is_expired"] is False
    # The guide's event times are Eastern: 03:04:01 PM EST is 20:04:01 UTC.
    assert event["created_at"] == "2014-11-04T19:39:43+00:00"
    assert event["live_start_at"] == "2014-11-04T20:04:01+00:00"
    assert event["live_end_at"] == "2014-11-04T20:08:07+00:00"
    assert event["on_demand_start_at"] == "2014-11-04T20:08:00+00:00"
    assert event["on_demand_end_at"] == "2015-05-04T19:03:40+00:00"
    assert event["registrant_count"] == 6
    assert event["no_show_count"] == 2
    assert event["attendee_count"] == 4
    assert event["live_attendee_count"] == 1
    assert event["on_demand_attendee_count"] == 2
    assert event["last_activity_at"] == "2014-12-11T22:22:47+00:00"  # Michael's last session
    assert event["extra"]["total_sessions"] == "5"
    assert event["extra"]["total_conversion_rate"] == "66.7%"
    assert event["extra"]["unique_simlive_viewers"] == "1"
    assert event["extra"]["folder_id"] == "4fdc91f0ec60425c502f02f965c72b3abcc5ca71"

    registrants = {r["email"]: r for r in run.records("registrants")}
    assert list(registrants) == [
        "awilliams@yourco.com",
        "mscott@companyx.com",
        "mthomas@secondcitybank.com",
        "agraystone@companyx.com",  # the guide's broken line, fixed in the sandbox
        "mdavis@yourco.com",
        "arthur.collins@gmail.com",
    ]
    alice = registrants["awilliams@yourco.com"]
    assert (alice["first_name"], alice["last_name"], alice["company"]) == (
        "Alice",
        "Williams",
        "YourCo",
    )
    assert alice["source"] == "Linkedin Campaign"
    assert alice["registered_at"] == "2014-11-04T19:53:35+00:00"
    assert alice["custom_fields"] == {
        "Department": "Marketing",
        "Have you previously attended one of our webcasts?": "Yes",
    }
    assert alice["status"] == "attended" and alice["attended"] is True
    michael = registrants["mscott@companyx.com"]
    assert michael["custom_fields"] is None and michael["source"] is None
    assert michael["registered_at"] == "2014-11-04T19:54:29+00:00"
    alexandra = registrants["agraystone@companyx.com"]
    assert (alexandra["first_name"], alexandra["company"]) == ("Alexandra", "Company X")
    assert alexandra["custom_fields"] == {
        "Department": "Engineering",
        "Have you previously attended one of our webcasts?": "No",
    }
    assert alexandra["status"] == "registered" and alexandra["attended"] is False
    assert registrants["mdavis@yourco.com"]["attended"] is False
    arthur = registrants["arthur.collins@gmail.com"]
    assert (arthur["first_name"], arthur["last_name"], arthur["company"]) == (
        "Arthur",
        "Collins",
        "2nd City Bank",
    )
    assert arthur["registered_at"] == "2014-11-04T20:41:39+00:00"
    ids = {r["registrant_id"] for r in registrants.values()}
    assert len(ids) == 6 and all(isinstance(i, str) and i for i in ids)

    sessions = by_email(run, "registrant_sessions")
    assert {email: len(rows) for email, rows in sessions.items()} == {
        "awilliams@yourco.com": 1,
        "mscott@companyx.com": 2,
        "mthomas@secondcitybank.com": 1,
        "arthur.collins@gmail.com": 1,
    }
    (live,) = sessions["awilliams@yourco.com"]
    assert live["session_type"] == "live"
    assert live["started_at"] == "2014-11-04T20:04:01+00:00"
    assert live["ended_at"] == "2014-11-04T20:08:07+00:00"
    assert live["duration_seconds"] == 246
    assert live["registrant_id"] == alice["registrant_id"]
    assert live["media"] is None and live["attended"] is True
    on_demand = sorted(sessions["mscott@companyx.com"], key=lambda s: s["started_at"])
    assert [s["session_type"] for s in on_demand] == ["on_demand", "on_demand"]
    assert [s["duration_seconds"] for s in on_demand] == [72, 137]
    assert on_demand[1]["started_at"] == "2014-12-11T22:20:30+00:00"
    assert on_demand[1]["ended_at"] == "2014-12-11T22:22:47+00:00"
    (simlive,) = sessions["arthur.collins@gmail.com"]
    assert (simlive["session_type"], simlive["duration_seconds"]) == ("simlive", 448)

    viewers = {r["email"]: r for r in run.records("viewers")}
    seconds = {
        email: (v["live_seconds"], v["on_demand_seconds"], v["simlive_seconds"], v["total_seconds"])
        for email, v in viewers.items()
    }
    assert seconds == {
        "awilliams@yourco.com": (246, 0, 0, 246),
        "mscott@companyx.com": (0, 72 + 137, 0, 209),
        "mthomas@secondcitybank.com": (0, 245, 0, 245),
        "arthur.collins@gmail.com": (0, 0, 448, 448),
    }
    assert viewers["mscott@companyx.com"]["on_demand_session_count"] == 2
    assert viewers["mscott@companyx.com"]["first_viewed_at"] == "2014-12-10T23:50:18+00:00"
    assert viewers["mscott@companyx.com"]["last_viewed_at"] == "2014-12-11T22:22:47+00:00"
    assert viewers["awilliams@yourco.com"]["live_session_count"] == 1
    assert viewers["awilliams@yourco.com"]["question_count"] == 2
    assert viewers["awilliams@yourco.com"]["survey_response_count"] == 5
    assert viewers["awilliams@yourco.com"]["extra"]["attendance_response_count"] == 1
    assert viewers["mthomas@secondcitybank.com"]["question_count"] == 1
    assert viewers["arthur.collins@gmail.com"]["simlive_session_count"] == 1
    assert viewers["awilliams@yourco.com"]["registrant_id"] == alice["registrant_id"]

    responses = by_email(run, "survey_responses")
    assert {email: len(rows) for email, rows in responses.items()} == {
        "awilliams@yourco.com": 6,
        "mthomas@secondcitybank.com": 6,
        "arthur.collins@gmail.com": 6,
    }
    alice_answers = {
        (r["survey_name"], r["question"]): r for r in responses["awilliams@yourco.com"]
    }
    topic = alice_answers[
        (
            "Halftime Survey",
            "Is there any topic that you would like us to discuss in a future webcast?",
        )
    ]
    assert topic["answer"] == "I'd\nlove to hear more about advertising on social media."
    assert topic["answers"] == [topic["answer"]]  # free text is never split
    assert (topic["kind"], topic["survey_type"], topic["question_type"]) == (
        "survey",
        "In Event",
        "Textbox",
    )
    assert topic["survey_id"] == "5458e5c0bef1f4.34548499"
    assert topic["question_id"] == "5458e5c1451728.31353993"
    platforms = alice_answers[
        (
            "Ending Questionaire",
            "Which of the following social media platforms do you use regularly for your business?",
        )
    ]
    assert platforms["answer"] == "Twitter | Facebook | Pinterest"
    assert platforms["answers"] == ["Twitter", "Facebook", "Pinterest"]
    assert platforms["survey_type"] == "Post Event"
    attendance = alice_answers[("Attendance Check", None)]
    assert (attendance["kind"], attendance["answer"], attendance["question_id"]) == (
        "attendance",
        "Yes",
        None,
    )
    assert (
        alice_answers[("Ending Questionaire", "What is your business's Twitter handle?")]["answer"]
        == "@yourcompany"
    )
    arthur_answers = {r["question"]: r["answer"] for r in responses["arthur.collins@gmail.com"]}
    assert arthur_answers["What is your business's Twitter handle?"] == "I\ndon't know"
    assert (
        arthur_answers["Is there any topic that you would like us to discuss in a future webcast?"]
        == "not\nsure"
    )

    questions = run.records("questions")
    assert [(q["email"], q["question"], q["answer"]) for q in questions] == [
        (
            "awilliams@yourco.com",
            "How do you engage with customers using social media in a meaningful way?",
            "Great question! We will be addressing this shortly.",
        ),
        (
            "awilliams@yourco.com",
            "Is there a way to more easily follow / unfollow large numbers of users on twitter?",
            None,
        ),
        (
            "mthomas@secondcitybank.com",
            "How can I use Twitter to increase sales on my website?",
            None,
        ),
    ]
    assert all(q["registrant_id"] in ids for q in questions)
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)


def test_report_time_zone_is_converted_back_to_utc(sandbox: SandboxProcess) -> None:
    gmt = sync(sandbox, event_ids=[SAMPLE])
    sandbox.reset()
    eastern = sync(sandbox, event_ids=[SAMPLE], webcasts_time_zone="America/New_York")
    assert [r["query"]["tz"] for r in sandbox.requests("webcasts") if r["path"] == REPORT_PATH] == [
        "America/New_York"
    ]
    assert comparable(eastern) == comparable(gmt)
    (event,) = eastern.records("events")
    assert event["live_start_at"] == "2014-11-04T20:04:01+00:00"
    assert event["extra"]["currentTimeZone"] == "Eastern Standard Time"


def test_ids_are_stable_across_runs(sandbox: SandboxProcess) -> None:
    first = sync(sandbox, event_ids=[SAMPLE])
    second = sync(sandbox, event_ids=[SAMPLE])
    assert comparable(first) == comparable(second)


# ------------------------------------------------------------------ change detection


def test_one_report_per_event_then_none_then_one_after_a_bump(sandbox: SandboxProcess) -> None:
    events = current_events(sandbox)
    first = sync(sandbox)
    requested = report_requests(sandbox)
    assert sorted(requested) == sorted(e["event_id"] for e in events)
    assert len(requested) == len(set(requested))
    expired = [e["event_id"] for e in sandbox.dataset("webcasts")["events"] if e["is_expired"]]
    # Expired events are listed too, from the event list alone (no report).
    assert sorted(r["event_id"] for r in first.records("events")) == sorted(requested + expired)
    for stream, key in KEYS.items():
        assert_unique_keys(first, stream, key)
    # Everything the platform holds came out.
    assert len(first.records("registrants")) == sum(e["viewer_count"] for e in events)
    assert len(first.records("registrant_sessions")) == sum(
        len(v["sessions"]) for e in events for v in e["viewers"]
    )
    assert len(first.records("viewers")) == sum(
        1 for e in events for v in e["viewers"] if v["sessions"]
    )
    assert len(first.records("questions")) == sum(
        len(v["qa"]) for e in events for v in e["viewers"]
    )
    assert len(first.records("survey_responses")) == sum(
        len(v["responses"]) for e in events for v in e["viewers"]
    )

    sandbox.clear_requests()
    second = sync(sandbox, state=first.final_state)
    assert report_requests(sandbox) == []
    paths = Counter(r["path"] for r in sandbox.requests("webcasts"))
    assert paths == {"/api/login": 1, "/api/reporting/eventlist": 1}
    assert second.records("registrants") == []

    bumped = next(e for e in events if e["viewer_count"] == 25)
    sandbox.admin("webcasts", "bump_event", event_id=bumped["event_id"])
    sandbox.clear_requests()
    third = sync(sandbox, state=second.final_state)
    assert report_requests(sandbox) == [bumped["event_id"]]
    assert {r["event_id"] for r in third.records("registrants")} == {bumped["event_id"]}
    assert len(third.records("registrants")) == 26

    sandbox.clear_requests()
    sync(sandbox, state=third.final_state)
    assert report_requests(sandbox) == []


def test_bookmark_is_the_event_list_activity_marker(sandbox: SandboxProcess) -> None:
    run = sync(sandbox, event_ids=[SAMPLE])
    (partition,) = run.final_state["bookmarks"]["events"]["partitions"]
    listed = next(e for e in current_events(sandbox) if e["event_id"] == SAMPLE)
    marker = max(int(listed["latest_registration"]), int(listed["latest_session"])) // 1000
    assert partition["replication_key_value"] == time.strftime(
        "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(marker)
    )


def test_lookback_rereads_recent_activity(sandbox: SandboxProcess) -> None:
    first = sync(sandbox)
    events = current_events(sandbox)
    bumped = events[-1]["event_id"]
    sandbox.admin("webcasts", "bump_event", event_id=bumped, kind="session")
    second = sync(sandbox, state=first.final_state, lookback_hours=24)
    sandbox.clear_requests()
    # Its activity is within 24 hours: read again on the next run too (late data).
    sync(sandbox, state=second.final_state, lookback_hours=24)
    assert report_requests(sandbox) == [bumped]
    sandbox.clear_requests()
    sync(sandbox, state=second.final_state, lookback_hours=0)
    assert report_requests(sandbox) == []


def test_event_ids_and_date_range_are_honoured(sandbox: SandboxProcess) -> None:
    events = current_events(sandbox)
    chosen = [events[2]["event_id"], events[3]["event_id"]]
    sync(sandbox, event_ids=chosen)
    assert sorted(report_requests(sandbox)) == sorted(chosen)

    sandbox.clear_requests()
    # The sample's activity ended in 2014: nothing to extract after 2015.
    sync(sandbox, start_date="2015-06-01T00:00:00Z")
    assert SAMPLE not in report_requests(sandbox)
    assert len(report_requests(sandbox)) == len(events) - 1

    sandbox.clear_requests()
    # Events scheduled after end_date hold no data before it.
    sync(sandbox, end_date="2016-01-01T00:00:00Z")
    assert report_requests(sandbox) == [SAMPLE]


# ----------------------------------------------------------------- failures recovered


@pytest.mark.parametrize(
    "options",
    [{"session_max_requests": 2}, {"session_ttl_seconds": 0.5, "latency_ms": 150}],
    ids=["after-two-requests", "after-half-a-second"],
)
def test_session_expiry_mid_run_ends_in_complete_output(
    sandbox: SandboxProcess, options: dict[str, t.Any]
) -> None:
    baseline = sync(sandbox)
    sandbox.reset()
    latency = options.pop("latency_ms", 0)
    sandbox.configure(latency_ms=latency, webcasts=options)
    run = sync(sandbox)
    logins = [r for r in sandbox.requests("webcasts") if r["path"] == "/api/login"]
    assert len(logins) > 2
    assert Counter(e["code"] for e in report_log(sandbox))[11] >= 1
    assert comparable(run) == comparable(baseline)
    assert len(run.records("events")) == len(baseline.records("events"))


def test_sessions_expired_between_requests_are_renewed(sandbox: SandboxProcess) -> None:
    baseline = sync(sandbox, event_ids=[SAMPLE])
    sandbox.reset()
    sandbox.admin("webcasts", "fail_reports", code=11, count=1)
    run = sync(sandbox, event_ids=[SAMPLE])
    assert [e["code"] for e in report_log(sandbox)] == [11, 1]
    assert comparable(run) == comparable(baseline)


@pytest.mark.parametrize("code", [50, 60, 61, 62])
def test_busy_and_limit_codes_are_waited_out(sandbox: SandboxProcess, code: int) -> None:
    baseline = sync(sandbox)
    sandbox.reset()
    sandbox.admin("webcasts", "fail_reports", code=code, count=2)
    run = sync(sandbox)
    codes = [e["code"] for e in report_log(sandbox)]
    assert codes[:3] == [code, code, 1]
    assert len(codes) == len(current_events(sandbox)) + 2
    assert comparable(run) == comparable(baseline)


def test_hourly_report_limit_is_waited_out(sandbox: SandboxProcess) -> None:
    baseline = sync(sandbox)
    sandbox.reset()
    # Three reports per 3-second "hour": the run must wait for the window to free.
    sandbox.configure(webcasts={"reports_per_hour": 3, "report_window_seconds": 3})
    run = sync(sandbox)
    codes = Counter(e["code"] for e in report_log(sandbox))
    assert codes[62] >= 1
    assert codes[1] == len(current_events(sandbox))
    assert comparable(run) == comparable(baseline)


def test_report_broken_off_mid_stream_is_requested_again(sandbox: SandboxProcess) -> None:
    baseline = sync(sandbox, event_ids=[SAMPLE])
    sandbox.reset()
    sandbox.admin("webcasts", "malform_next_report", kind="dropped")
    run = sync(sandbox, event_ids=[SAMPLE])
    assert report_requests(sandbox) == [SAMPLE, SAMPLE]
    assert comparable(run) == comparable(baseline)  # nothing of the broken read leaks out


def test_injected_faults_end_in_complete_output(sandbox: SandboxProcess) -> None:
    baseline = sync(sandbox)
    sandbox.reset()
    sandbox.configure(fault_rate=0.1)
    run = sync(sandbox)
    faults = [r for r in sandbox.requests("webcasts") if r["fault"]]
    assert faults, "the fault injection did not trigger"
    assert comparable(run) == comparable(baseline)
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)


# ------------------------------------------------------------------- failures reported


@pytest.mark.parametrize("code", [71, 72, 74])  # 10: tests/test_webcasts_real_accounts.py
def test_refused_reports_fail_naming_the_event(sandbox: SandboxProcess, code: int) -> None:
    sandbox.admin("webcasts", "fail_reports", code=code, count=1)
    run = run_tap(config(sandbox, event_ids=[SAMPLE]))
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("tap-webinars: webcasts:"), last
    assert f"event {SAMPLE}" in last and f"return code {code}" in last
    assert "Traceback" not in run.stderr
    assert report_requests(sandbox) == [SAMPLE]  # not retried


@pytest.mark.parametrize("kind", ["broken_line", "truncated"])
def test_a_malformed_report_once_is_requested_again(sandbox: SandboxProcess, kind: str) -> None:
    """Malformed once (a proxy, a dropped stream): asked again; three times fails (below)."""
    sandbox.admin("webcasts", "malform_next_report", kind=kind)
    run = run_tap(config(sandbox, event_ids=[SAMPLE]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("registrants")
    assert sum(r["path"] == REPORT_PATH for r in sandbox.requests("webcasts")) == 2
    assert f"report of event {SAMPLE}: malformed XML" in run.stderr  # the warning says why


@pytest.mark.parametrize(
    ("kind", "problem"),
    [("broken_line", "malformed XML"), ("entities", "refused XML"), ("truncated", "malformed XML")],
)
def test_malformed_report_fails_loudly(sandbox: SandboxProcess, kind: str, problem: str) -> None:
    """A DTD on the first answer; malformed XML on each of the three attempts."""
    for _ in range(1 if kind == "entities" else 3):
        sandbox.admin("webcasts", "malform_next_report", kind=kind)
    run = run_tap(config(sandbox, event_ids=[SAMPLE]))
    assert run.returncode != 0
    asked = sum(r["path"] == REPORT_PATH for r in sandbox.requests("webcasts"))
    assert asked == (1 if kind == "entities" else 3)
    last = run.stderr.strip().splitlines()[-1]
    endpoint = sandbox.api_url("webcasts") + REPORT_PATH
    assert f"unexpected payload from {endpoint}: report of event {SAMPLE}: {problem}" in last
    assert run.records("registrants") == []  # nothing half-read is emitted
    issued = sandbox.admin("webcasts", "issued_sessions")["sessions"]
    assert not any(session in run.stderr for session in issued)


def test_bad_password_fails_fast_without_showing_it(sandbox: SandboxProcess) -> None:
    wrong = "Wr0ng p@ss&word"
    run = run_tap(config(sandbox, webcasts_password=wrong), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    assert run.returncode != 0
    assert "webcasts_username, webcasts_password" in run.stderr
    assert "return code 0" in run.stderr
    for form in (wrong, quote_plus(wrong), quote(wrong, safe="")):
        assert form not in run.stderr and form not in run.stdout
    logins = [r for r in sandbox.requests("webcasts") if r["path"] == "/api/login"]
    assert len(logins) == 1  # refused credentials are not retried


def test_password_and_session_ids_never_logged_at_debug(sandbox: SandboxProcess) -> None:
    sandbox.configure(webcasts={"session_max_requests": 2})
    run = run_tap(config(sandbox), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "/api/login?" in run.stderr and "password=***" in run.stderr  # logged, masked
    output = run.stdout + run.stderr
    for form in (PASSWORD, quote_plus(PASSWORD), quote(PASSWORD, safe="")):
        assert form not in output
    issued = sandbox.admin("webcasts", "issued_sessions")["sessions"]
    assert len(issued) > 2
    assert not any(session in output for session in issued)


def test_connection_test(sandbox: SandboxProcess) -> None:
    run = run_tap(config(sandbox), args=["--test"])
    assert run.returncode == 0, run.stderr[-2000:]
    refused = run_tap(config(sandbox, webcasts_password="wrong"), args=["--test"])
    assert refused.returncode != 0
    assert "webcasts_username, webcasts_password" in refused.stderr


def test_report_mapping_does_not_import_the_adapter() -> None:
    # One direction only: the adapter uses the report mapping, never the reverse.
    probe = (
        "import sys, tap_webinars.platforms.webcasts_report; "
        "print('tap_webinars.platforms.webcasts' in sys.modules)"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_adapter_check_logs_in_and_reads_time_zones(sandbox: SandboxProcess) -> None:
    # The adapter's own connection check, in-process but over real HTTP to the sandbox.
    adapter = WebcastsAdapter(load_settings(config(sandbox)))
    adapter.check()
    paths = [r["path"] for r in sandbox.requests("webcasts")]
    assert paths == ["/api/login", "/api/reporting/timezones"]


def test_unknown_time_zone_stops_before_any_request(sandbox: SandboxProcess) -> None:
    run = run_tap(config(sandbox, webcasts_time_zone="Mars/Olympus_Mons"))
    assert run.returncode != 0
    assert "webcasts_time_zone" in run.stderr.strip().splitlines()[-1]
    assert sandbox.requests("webcasts") == []


# ------------------------------------------------------------------------ expired events


# Expired events listed without their report: tests/test_webcasts_real_accounts.py


def test_expired_events_are_pulled_once(sandbox: SandboxProcess) -> None:
    events = current_events(sandbox)
    # An event with activity within the lookback window, then expired: still pulled only once.
    recent = events[-1]["event_id"]
    sandbox.admin("webcasts", "bump_event", event_id=recent)
    sandbox.admin("webcasts", "expire_event", event_id=recent)
    expired = {e["event_id"]: e for e in sandbox.dataset("webcasts")["events"] if e["is_expired"]}
    first = sync(sandbox, webcasts_include_expired=True, lookback_hours=24)
    log = report_log(sandbox)
    assert sorted(e["event_id"] for e in log if e["expired"]) == sorted(expired)
    assert all(e["code"] == 1 for e in log)
    records = Counter(r["event_id"] for r in first.records("registrants"))
    assert all(records[i] == e["viewer_count"] for i, e in expired.items())
    assert all(r["is_expired"] for r in first.records("events") if r["event_id"] in expired)

    sandbox.clear_requests()
    sync(sandbox, state=first.final_state, webcasts_include_expired=True, lookback_hours=24)
    # The sandbox would answer 61 (one report per expired event per 48 hours); none is asked.
    assert not set(expired) & set(report_requests(sandbox))


def test_expired_event_hourly_limit_is_waited_out(sandbox: SandboxProcess) -> None:
    sandbox.admin("webcasts", "create_event", viewers=3, expired=True)
    sandbox.configure(webcasts={"expired_reports_per_hour": 1, "report_window_seconds": 2})
    expired = [e["event_id"] for e in sandbox.dataset("webcasts")["events"] if e["is_expired"]]
    run = sync(sandbox, webcasts_include_expired=True, event_ids=expired)
    codes = Counter(e["code"] for e in report_log(sandbox))
    assert codes[1] == len(expired) == 2 and codes[62] >= 1
    assert {r["event_id"] for r in run.records("events")} == set(expired)


# ------------------------------------------------------------------------ larger reports


def test_generated_events_match_the_platform_data(sandbox: SandboxProcess) -> None:
    run = sync(sandbox)
    dataset = {e["event_id"]: e for e in current_events(sandbox)}
    registrants = {(r["event_id"], r["email"]): r for r in run.records("registrants")}
    viewers = {(r["event_id"], r["email"]): r for r in run.records("viewers")}
    for event_id, event in dataset.items():
        questions = event["registration_questions"]
        for viewer in event["viewers"]:
            email = viewer["answers"]["email"]
            registrant = registrants[(event_id, email)]
            assert registrant["registered_at"] == viewer["registration_date"]
            assert registrant["first_name"] == viewer["answers"]["firstname"]
            custom = {
                questions[k]: v for k, v in viewer["answers"].items() if k.endswith(f"_{event_id}")
            }
            assert (registrant["custom_fields"] or {}) == custom
            if not viewer["sessions"]:
                assert (event_id, email) not in viewers
                continue
            totals = Counter()
            for session in viewer["sessions"]:
                totals[session["type"]] += session["duration_ms"] // 1000
            row = viewers[(event_id, email)]
            assert row["live_seconds"] == totals["Live"]
            assert row["on_demand_seconds"] == totals["On-Demand"]
            assert row["simlive_seconds"] == totals["SimLive"]
            assert row["question_count"] == len(viewer["qa"])
    # Multi-line answers and XML-special characters survive the round trip.
    answers = {r["answer"] for r in run.records("survey_responses")}
    assert "Security\nand SSO" in answers
    assert any(q["question"] == "Is there a <free> tier?" for q in run.records("questions"))
    multi = [
        r for r in run.records("survey_responses") if r["question_type"] == "Checkbox Vertical"
    ]
    assert multi and all(r["answers"] == [a.strip() for a in r["answer"].split("|")] for r in multi)


def test_large_event_streams_through(sandbox: SandboxProcess) -> None:
    created = sandbox.admin("webcasts", "create_event", viewers=3000)
    run = sync(sandbox, event_ids=[created["event_id"]])
    assert report_requests(sandbox) == [created["event_id"]]
    assert len(run.records("registrants")) == 3000
    (event,) = run.records("events")
    assert event["registrant_count"] == 3000
    assert len(run.records("viewers")) == 3000 - event["no_show_count"]
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)


def _peak_rss_mb(sandbox: SandboxProcess, viewers: int) -> float:
    """Peak resident memory of one tap process syncing one event of *viewers* viewers."""
    event_id = sandbox.admin("webcasts", "create_event", viewers=viewers)["event_id"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config(sandbox, event_ids=[event_id])))
        process = subprocess.Popen(
            [str(BIN / "tap-webinars"), "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert process.returncode == 0
    return usage.ru_maxrss / 1024


def test_memory_does_not_grow_with_the_report(sandbox: SandboxProcess) -> None:
    # A tree kept whole would hold ~6 KB per viewer: 20,000 viewers would add ~120 MB.
    # Streamed, the difference is the record spools' bounded in-memory part.
    small = _peak_rss_mb(sandbox, 2_000)
    large = _peak_rss_mb(sandbox, 20_000)
    assert large < small * 1.5, (small, large)


# ---------------------------------------------------------------- the simulator itself


def _login(sandbox: SandboxProcess) -> dict[str, str]:
    response = requests.get(
        sandbox.api_url("webcasts") + "/api/login",
        params={"username": USERNAME, "password": PASSWORD, "ver": "2.0"},
        timeout=30,
    )
    session = re.search(r"<sessionid>.*?<value>(\w+)</value>", response.text, re.DOTALL)
    user = re.search(r"<userid>.*?<value>(\w+)</value>", response.text, re.DOTALL)
    assert session and user, response.text
    return {"si": session.group(1), "ui": user.group(1)}


def _report(sandbox: SandboxProcess, auth: dict[str, str], **params: str) -> requests.Response:
    return requests.get(
        sandbox.api_url("webcasts") + REPORT_PATH,
        params={**auth, "ver": "2.0", "ei": SAMPLE, **params},
        timeout=60,
    )


def _code(text: str) -> int:
    match = re.search(r"<returnCode>\s*(\d+)\s*</returnCode>", text)
    assert match, text[:300]
    return int(match.group(1))


def test_simulator_allows_one_report_at_a_time(sandbox: SandboxProcess) -> None:
    auth = _login(sandbox)
    big = sandbox.admin("webcasts", "create_event", viewers=2000)
    sandbox.configure(webcasts={"stream_delay_ms": 50})
    slow = requests.get(
        sandbox.api_url("webcasts") + REPORT_PATH,
        params={**auth, "ver": "2.0", "ei": big["event_id"]},
        stream=True,
        timeout=60,
    )
    next(slow.iter_content(1024))
    assert _code(_report(sandbox, auth).text) == 60
    slow.close()
    sandbox.configure(webcasts={"stream_delay_ms": 0})
    deadline = time.monotonic() + 20
    while True:
        code = _code(_report(sandbox, auth).text)
        if code == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert code == 1


def test_simulator_limits_sessions_and_forms(sandbox: SandboxProcess) -> None:
    bad = requests.get(
        sandbox.api_url("webcasts") + "/api/login",
        params={"username": USERNAME, "password": "nope", "ver": "2.0"},
        timeout=30,
    )
    assert _code(bad.text) == 0
    auth = _login(sandbox)
    assert _code(_report(sandbox, {**auth, "si": "0" * 40}).text) == 11
    assert _code(_report(sandbox, auth, ver="1.0").text) == 71
    assert _code(_report(sandbox, auth, ei="999").text) == 10
    assert _code(_report(sandbox, auth, tz="Mars/Base").text) == 72
    assert _code(_report(sandbox, auth, dr_regs="maybe").text) == 72
    assert _code(_report(sandbox, auth, ei="<script>").text) == 70
    listing = requests.get(
        sandbox.api_url("webcasts") + "/api/reporting/eventlist", params=auth, timeout=30
    )
    assert 'id="123456"' in listing.text and 'latest_registration="1415133699000"' in listing.text
    zones = requests.get(
        sandbox.api_url("webcasts") + "/api/reporting/timezones", params=auth, timeout=30
    )
    assert "<timezone_id>America/New_York</timezone_id>" in zones.text

    as_json = _report(sandbox, auth, format="json").json()
    assert as_json["event_data"]["event_analytics"]["total_registrants"] == "6"
    assert len(as_json["data_rows"]) == 6
    assert all(len(row) == len(as_json["data_headers"]) for row in as_json["data_rows"])
    rows = list(csv.reader(io.StringIO(_report(sandbox, auth, format="csv").text)))
    assert rows[0][:4] == ["Event Id", "Event Title", "Cost Center", "Registered On"]
    assert len(rows) == 7
    failed = list(csv.reader(io.StringIO(_report(sandbox, auth, format="csv", ei="9").text)))
    assert failed[0][0] == "error"

    sandbox.admin("webcasts", "expire_sessions")
    assert _code(_report(sandbox, auth).text) == 11
    sandbox.configure(webcasts={"reports_per_hour": 2})
    auth = _login(sandbox)
    assert [_code(_report(sandbox, auth).text) for _ in range(3)] == [1, 1, 62]


def test_simulator_expired_event_rules(sandbox: SandboxProcess) -> None:
    auth = _login(sandbox)
    expired = next(e for e in sandbox.dataset("webcasts")["events"] if e["is_expired"])
    ei = expired["event_id"]
    assert _code(_report(sandbox, auth, ei=ei).text) == 10  # not through a standard request
    assert _code(_report(sandbox, auth, ei=ei, expired="on").text) == 1
    assert _code(_report(sandbox, auth, ei=ei, expired="on").text) == 61  # once per 48 hours
