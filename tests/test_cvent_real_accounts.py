"""Cvent on real accounts: scopes granted resource by resource, drifting and hostile answers,
and registrant ids that always refer to a registrant of the same event.

Every case ends one of two ways, asserted here: the output is complete (equal to what the
sandbox holds, no key twice), or the run fails with ONE line naming the endpoint and what
was wrong (no traceback). The tap and the sandbox are separate processes, over loopback.
"""

from __future__ import annotations

import copy
import json
import subprocess
import typing as t
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.harness import (
    BIN,
    SandboxProcess,
    TapRun,
    assert_referential_integrity,
    assert_unique_keys,
    run_tap,
)
from tests.test_cvent import ID_COLUMN, KEYS, assert_output_matches, cv_config, expected
from tests.test_cvent_conference import conference_config

CHILDREN = ("registrant_sessions", "viewers", "survey_responses")
TIMEOUT = 300  # seconds: no case may hang


# ------------------------------------------------------------------------------ helpers


def failure_line(run: TapRun) -> str:
    """A run that failed in one line: non-zero exit, no traceback; the line is returned."""
    assert run.returncode != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(lines) == 1, run.stderr[-3000:]
    assert run.stderr.rstrip().splitlines()[-1] == lines[0]
    return lines[0]


def warnings(run: TapRun, text: str) -> list[str]:
    """The WARNING lines of a run that mention *text*."""
    return [line for line in run.stderr.splitlines() if "WARNING" in line and text in line]


def summary_skipped(run: TapRun) -> str:
    """The end-of-run summary's `skipped:` line."""
    return next(line for line in run.stderr.splitlines() if "cvent: skipped:" in line)


def same_records(run: TapRun, normal: TapRun, stream: str) -> None:
    """The stream's records equal a normal run's (bookmark values aside: run times differ)."""

    def rows(of: TapRun) -> list[str]:
        records = [
            {k: v for k, v in r.items() if k != "last_activity_at"} for r in of.records(stream)
        ]
        return sorted(json.dumps(r, sort_keys=True) for r in records)

    assert rows(run) == rows(normal), stream
    assert_unique_keys(run, stream, KEYS[stream])


def partitions(run: TapRun) -> dict[str, str]:
    """The events' bookmarks in the run's final state."""
    return {
        p["context"]["event_id"]: p["replication_key_value"]
        for p in run.final_state["bookmarks"]["events"]["partitions"]
    }


def assert_matches_except(
    run: TapRun, data: dict[str, t.Any], nulls: dict[str, tuple[str, ...]]
) -> None:
    """Complete output equal to the sandbox data, except *nulls* columns (which are null)."""
    assert run.returncode == 0, run.stderr[-3000:]
    want = expected(data)
    for stream in KEYS:
        assert_unique_keys(run, stream, KEYS[stream])
        got = {r[ID_COLUMN[stream]]: r for r in run.records(stream)}
        assert set(got) == set(want[stream]), stream
        for record_id, columns in want[stream].items():
            for column, value in columns.items():
                wanted = None if column in nulls.get(stream, ()) else value
                assert got[record_id][column] == wanted, (stream, record_id, column)


def access_report(config: dict[str, t.Any], tmp_path: t.Any, fmt: str = "table") -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [str(BIN / "tap-webinars-access"), "--config", str(path), "--format", fmt],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---------------------------------------------------------------------- REST: scopes


def test_a_refused_enrichment_scope_costs_its_columns_and_one_warning(
    sandbox: SandboxProcess,
) -> None:
    sandbox.configure(cvent={"withhold_scopes": ["survey/surveys:read"]})
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert_matches_except(
        run, sandbox.dataset("cvent"), {"survey_responses": ("survey_name", "survey_type")}
    )
    assert len(warnings(run, "survey/surveys:read")) == 1
    assert "survey catalog" in summary_skipped(run)
    refused = [r for r in sandbox.requests("cvent") if r["status"] == 403]
    assert len(refused) == 1  # asked once, not once per event


def test_a_refused_core_scope_skips_its_stream_and_rate_limits_stay_rate_limits(
    sandbox: SandboxProcess,
) -> None:
    normal = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert normal.returncode == 0, normal.stderr[-2000:]
    sandbox.clear_requests()
    # In the same run: a scope withheld (403) and the tier's limit (429).
    sandbox.configure(
        cvent={
            "withhold_scopes": ["survey/survey-responses:read"],
            "rate_limit": [1, 1.5],
            "reset_rate_limit": True,
        }
    )
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    statuses = Counter(r["status"] for r in sandbox.requests("cvent"))
    assert statuses[429] >= 1
    assert statuses[403] == 1
    assert run.records("survey_responses") == []
    for stream in ("events", "registrants", "registrant_sessions", "viewers"):
        same_records(run, normal, stream)
    assert len(warnings(run, "survey/survey-responses:read")) == 1
    assert "survey_responses" in summary_skipped(run)
    assert "survey/survey-responses:read" in summary_skipped(run)
    assert set(partitions(run)) == set(partitions(normal))


def test_strict_permissions_turn_a_refused_scope_into_one_line(sandbox: SandboxProcess) -> None:
    sandbox.configure(cvent={"withhold_scopes": ["event/attendance-durations:read"]})
    run = run_tap(cv_config(sandbox, strict_permissions=True), timeout=TIMEOUT)
    line = failure_line(run)
    assert "event/attendance-durations:read" in line
    assert "/ea/attendance-durations" in line


def test_a_refused_attendee_scope_keeps_the_other_streams(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    data = sandbox.dataset("cvent")
    sandbox.configure(cvent={"withhold_scopes": ["event/attendees:read"]})
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("registrants") == []
    want = expected(data)
    for stream in CHILDREN:
        got = {r[ID_COLUMN[stream]]: r for r in run.records(stream)}
        assert set(got) == set(want[stream]), stream
        for record in got.values():
            assert record["email"] is None  # from the attendee list, which is refused
    # Attendance and durations name attendees directly: their ids pass on unchecked.
    for record in run.records("registrant_sessions"):
        assert (
            record["registrant_id"]
            == want["registrant_sessions"][record["session_id"]]["registrant_id"]
        )
    assert len(warnings(run, "event/attendees:read")) == 1
    assert sum(r["status"] == 403 for r in sandbox.requests("cvent")) == 1


def test_the_access_report_names_each_missing_scope(
    sandbox: SandboxProcess, tmp_path: t.Any
) -> None:
    sandbox.configure(
        cvent={"withhold_scopes": ["survey/survey-responses:read", "event/sessions:read"]}
    )
    sandbox.clear_requests()
    table = access_report(cv_config(sandbox), tmp_path)
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert "refused: ask for survey/survey-responses:read" in rows["survey_responses"]
    assert "event/sessions:read" in rows["events"]  # the schedule: columns only
    for stream in ("registrants", "registrant_sessions", "viewers"):
        assert rows[stream].split()[1] == "ok", rows[stream]
    log = sandbox.requests("cvent")
    assert all(r["query"].get("limit") == "1" for r in log if r["path"] != "/ea/oauth2/token")
    report = json.loads(access_report(cv_config(sandbox), tmp_path, "json"))
    by_stream = {row["stream"]: row for row in report}
    assert by_stream["survey_responses"]["missing"] == ["survey/survey-responses:read"]


# -------------------------------------------------------------------- REST: integrity


def test_registrant_ids_refer_to_registrants_on_full_and_incremental_runs(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("cvent")
    # A start date after the busiest event's live session (one hour; check-outs and the
    # attendee records changed by 70 minutes in): its replays and survey answers come
    # after it, the attendees they name before it.
    busiest = Counter(a["event"]["id"] for a in data["attendees"]).most_common(1)[0][0]
    event = next(e for e in data["events"] if e["id"] == busiest)
    start = datetime.fromisoformat(event["start"].replace("Z", "+00:00")) + timedelta(minutes=75)
    config = cv_config(sandbox, start_date=start.isoformat())
    first = run_tap(config, timeout=TIMEOUT)
    assert first.returncode == 0, first.stderr[-3000:]
    assert_referential_integrity([first], CHILDREN)
    answered = [r for r in first.records("survey_responses") if r["event_id"] == busiest]
    assert answered, "the case needs answers after the start date"
    # Survey responses name respondents; each is resolved to its attendee (the original
    # respondent reference stays in extra).
    responses = {r["id"]: r for r in data["responses"]}
    want = expected(data)["survey_responses"]
    for record in first.records("survey_responses"):
        assert record["registrant_id"] == want[record["response_id"]]["registrant_id"]
        source = responses[record["response_id"]]
        assert record["extra"]["respondent"] == source["respondent"]
        assert record["registrant_id"] != source["respondent"]["id"]

    added = sandbox.admin("cvent", "add_attendees", event_id=busiest, count=2, attended=True)
    watcher = next(d["attendee"]["id"] for d in data["durations"] if d["event"]["id"] == busiest)
    sandbox.admin("cvent", "watch_replay", attendee_id=watcher, seconds=600)
    second = run_tap(config, state=first.final_state, timeout=TIMEOUT)
    assert second.returncode == 0, second.stderr[-3000:]
    assert_referential_integrity([first, second], CHILDREN)
    assert set(added["attendee_ids"]) <= {r["registrant_id"] for r in second.records("registrants")}
    assert watcher in {r["registrant_id"] for r in second.records("viewers")}


# ------------------------------------------------------------------------ REST: drift


def undrift(data: dict[str, t.Any]) -> dict[str, t.Any]:
    """The drifted dataset with its values in the types Cvent documents (the oracle's
    input): numbers from strings, booleans from 'true'/'false', postal codes as text."""
    data = copy.deepcopy(data)
    for rows in (data["attendance"], data["durations"]):
        for row in rows:
            row["duration"] = int(row["duration"])
            row["deleted"] = row["deleted"] == "true"
    for attendee in data["attendees"]:
        attendee["checkedIn"] = attendee["checkedIn"] == "true"
        address = attendee["contact"]["workAddress"]
        address["postalCode"] = str(address["postalCode"])
    return data


def test_drift_unknown_fields_land_in_extra(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["unknown_fields"]})
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert_output_matches(run, sandbox.dataset("cvent"))
    for stream in ("events", "registrants", "registrant_sessions", "survey_responses"):
        for record in run.records(stream):
            assert record["extra"]["engagementTier"] in ("gold", "silver"), stream
            assert record["extra"]["x-cvent-trace"]["region"] == "us-east", stream
    for record in run.records("registrants"):
        assert record["extra"]["contact"]["pronouns"] == "they/them"


def test_drift_numbers_as_strings_and_strings_as_numbers(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["numbers_as_strings"]})
    drifted = sandbox.dataset("cvent")
    assert isinstance(drifted["durations"][0]["duration"], str)
    assert drifted["attendance"][0]["deleted"] == "false"
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    # "false" is no: no session or duration is taken for deleted.
    assert_output_matches(run, undrift(drifted))


def test_drift_empty_and_whitespace_strings_become_null(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["blank_strings"]})
    data = sandbox.dataset("cvent")
    for row in [*data["events"], *data["sessions"]]:
        for name in ("title", "timezone"):
            if isinstance(row.get(name), str) and not row[name].strip():
                row[name] = None  # what a blank becomes
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert_output_matches(run, data)
    assert any(r["title"] is None for r in run.records("events"))
    assert all(r["company"] is None for r in run.records("registrants"))


def test_drift_optional_fields_missing_or_null(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["null_optional"]})
    data = sandbox.dataset("cvent")
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    ids = {
        "events": {e["id"] for e in data["events"]},
        "registrants": {a["id"] for a in data["attendees"]},
        "registrant_sessions": {a["id"] for a in data["attendance"]},
        "viewers": {d["attendee"]["id"] for d in data["durations"]},
        "survey_responses": {r["id"] for r in data["responses"]},
    }
    for stream, wanted in ids.items():
        assert_unique_keys(run, stream, KEYS[stream])
        assert {r[ID_COLUMN[stream]] for r in run.records(stream)} == wanted, stream
    for record in run.records("registrants"):
        assert (record["company"], record["job_title"], record["phone"]) == (None, None, None)
        assert record["city"] is None and record["email"]
    for record in run.records("events"):
        assert record["description"] is None and record["category"] is None
        assert record["registration_url"] is None
    durations = {d["id"]: d for d in data["durations"]}
    for viewer in run.records("viewers"):
        seconds = sum(
            round((durations[i].get("duration") or 0) / 1000)
            for i in viewer["extra"]["duration_ids"]
        )
        assert viewer["total_seconds"] == seconds


def test_drift_a_new_but_valid_timestamp_format_is_read(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["offset_timestamps"]})
    data = sandbox.dataset("cvent")
    assert "+" in data["attendance"][0]["checkIn"] or "-0" in data["attendance"][0]["checkIn"]
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert_output_matches(run, data)


def test_drift_an_unknown_timestamp_format_fails_naming_endpoint_and_field(
    sandbox: SandboxProcess,
) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"drift": ["rfc1123_timestamps"]})
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    line = failure_line(run)
    assert "/ea/attendees" in line and "registeredAt" in line and "GMT" in line


@pytest.mark.parametrize(
    ("scenario", "path", "words"),
    [
        ({"kind": "html"}, "/ea/sessions/attendance", "not JSON: <!DOCTYPE html>"),
        ({"kind": "truncate", "keep": 0.6}, "/ea/attendees", "not JSON"),
    ],
    ids=["html-behind-200", "truncated-json"],
)
def test_transport_hostile_answers_fail_in_one_line(
    sandbox: SandboxProcess, scenario: dict[str, t.Any], path: str, words: str
) -> None:
    sandbox.reset(size="small")
    sandbox.scenarios({"platform": "cvent", "path": f"^{path}$", **scenario})
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    line = failure_line(run)
    assert path in line and words in line


@pytest.mark.parametrize(
    ("option", "words"),
    [("loop_token", "the listing loops"), ("repeat_page", "repeats page 1")],
)
def test_a_cursor_that_loops_or_repeats_a_page_fails_in_one_line(
    sandbox: SandboxProcess, option: str, words: str
) -> None:
    sandbox.configure(cvent={option: "/ea/attendees"})  # 201 attendees: two pages
    run = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    line = failure_line(run)
    assert "/ea/attendees" in line and words in line


def test_records_inserted_between_token_pages_are_read_once_and_caught_up(
    sandbox: SandboxProcess,
) -> None:
    before = sandbox.dataset("cvent")
    busiest = Counter(a["event"]["id"] for a in before["attendees"]).most_common(1)[0][0]
    # While the tap pages /attendees, three attendees register at the front of the list:
    # the page after shifts, and repeats three records of the page before.
    sandbox.configure(cvent={"insert_between_pages": {"event_id": busiest, "count": 3}})
    first = run_tap(cv_config(sandbox), timeout=TIMEOUT)
    assert first.returncode == 0, first.stderr[-3000:]
    after = sandbox.dataset("cvent")
    inserted = {a["id"] for a in after["attendees"]} - {a["id"] for a in before["attendees"]}
    assert len(inserted) == 3
    want = expected(after)
    for stream in KEYS:
        assert_unique_keys(first, stream, KEYS[stream])
        for record in first.records(stream):  # whatever was read is right
            for column, value in want[stream][record[ID_COLUMN[stream]]].items():
                assert record[column] == value, (stream, column)
    registered = {r["registrant_id"] for r in first.records("registrants")}
    assert {a["id"] for a in before["attendees"]} <= registered  # nothing that was there lost
    assert_referential_integrity([first], CHILDREN)
    second = run_tap(cv_config(sandbox), state=first.final_state, timeout=TIMEOUT)
    assert second.returncode == 0, second.stderr[-3000:]
    registered |= {r["registrant_id"] for r in second.records("registrants")}
    assert inserted <= registered  # the next run catches up
    assert_referential_integrity([first, second], CHILDREN)


# ----------------------------------------------------------------------- Conference


def test_conference_a_refused_data_resource_skips_its_stream(sandbox: SandboxProcess) -> None:
    normal = run_tap(conference_config(sandbox), timeout=TIMEOUT)
    assert normal.returncode == 0, normal.stderr[-2000:]
    sandbox.clear_requests()
    sandbox.configure(cvent={"conference": {"refused_resources": ["surveyData.do"]}})
    run = run_tap(conference_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("survey_responses") == []
    for stream in ("events", "registrants", "registrant_sessions", "viewers"):
        same_records(run, normal, stream)
    assert len(warnings(run, "surveyData.do")) == 1
    assert "response code 105" in summary_skipped(run)
    assert set(partitions(run)) == set(partitions(normal))
    refused = [r for r in sandbox.requests("cvent") if r["path"] == "/conference/api/surveyData.do"]
    assert len(refused) == 1  # asked once, not once per event


def test_conference_a_refused_resource_with_strict_permissions_is_one_line(
    sandbox: SandboxProcess,
) -> None:
    sandbox.configure(cvent={"conference": {"refused_resources": ["attendanceData.do"]}})
    run = run_tap(conference_config(sandbox, strict_permissions=True), timeout=TIMEOUT)
    line = failure_line(run)
    assert "attendanceData.do" in line and "105" in line


def test_conference_the_refused_code_is_configurable(sandbox: SandboxProcess) -> None:
    sandbox.configure(cvent={"conference": {"refused_resources": ["surveyData.do"]}})
    codes = {"resource_refused": ["999"]}
    run = run_tap(
        conference_config(sandbox, cvent_conference_response_codes=codes), timeout=TIMEOUT
    )
    line = failure_line(run)  # 105 is no longer a refusal: an unknown code stops the run
    assert "surveyData.do" in line and "105" in line


def test_conference_a_refused_schedule_leaves_sessions_null(sandbox: SandboxProcess) -> None:
    sandbox.configure(cvent={"conference": {"refused_resources": ["sessionData.do"]}})
    run = run_tap(conference_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert all(r["sessions"] is None for r in run.records("events"))
    assert len(warnings(run, "sessionData.do")) == 1
    assert run.records("registrants")


def test_conference_access_report_names_the_refused_resource(
    sandbox: SandboxProcess, tmp_path: t.Any
) -> None:
    sandbox.configure(cvent={"conference": {"refused_resources": ["userData.do"]}})
    table = access_report(conference_config(sandbox), tmp_path)
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert "userData.do" in rows["registrants"] and "refused" in rows["registrants"]
    assert rows["registrant_sessions"].split()[1] == "ok"


def test_conference_integrity_registrant_ids_refer_to_users(sandbox: SandboxProcess) -> None:
    run = run_tap(conference_config(sandbox), timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_referential_integrity([run], CHILDREN)
    assert all(r["registrant_id"] for r in run.records("survey_responses"))


@pytest.mark.parametrize(
    ("scenario", "path", "words"),
    [
        ({"kind": "truncate", "keep": 0.5}, "/conference/api/userData.do", "malformed XML"),
        ({"kind": "xml_bomb"}, "/conference/api/event.do", "refused XML"),
        ({"kind": "xml_entity"}, "/conference/api/attendanceData.do", "refused XML"),
        ({"kind": "html"}, "/conference/api/surveyData.do", "refused XML (DTDForbidden)"),
    ],
    ids=["truncated-xml", "xml-bomb", "external-entity", "html-behind-200"],
)
def test_conference_hostile_xml_fails_in_one_line(
    sandbox: SandboxProcess, scenario: dict[str, t.Any], path: str, words: str
) -> None:
    sandbox.scenarios({"platform": "cvent", "path": f"^{path}$", **scenario})
    run = run_tap(conference_config(sandbox), timeout=TIMEOUT)
    line = failure_line(run)
    assert path.rsplit("/", 1)[-1] in line and words in line
    assert "root:" not in run.stdout + run.stderr  # no local file read through an entity
