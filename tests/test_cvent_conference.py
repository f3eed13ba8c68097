"""Cvent Conference API end to end: the tap process against the sandbox process, over HTTP.

The expected records are computed here from the sandbox's dataset dump, with the documented
default mapping restated below (not imported from the adapter).
"""

from __future__ import annotations

import typing as t
from collections import defaultdict
from datetime import datetime, timezone

import pytest

from tap_webinars.sandbox.cvent import CLIENT_ID, CLIENT_SECRET
from tap_webinars.sandbox.cvent_conference import API_TOKEN
from tests.harness import (
    SandboxProcess,
    TapRun,
    assert_config_error,
    assert_unique_keys,
    run_tap,
)

KEYS = {
    "events": ("platform", "account_id", "event_id"),
    "registrants": ("platform", "account_id", "event_id", "registrant_id"),
    "registrant_sessions": ("platform", "account_id", "event_id", "session_id"),
    "viewers": ("platform", "account_id", "event_id", "registrant_id"),
    "survey_responses": ("platform", "account_id", "event_id", "response_id"),
}
ID_COLUMN = {
    "events": "event_id",
    "registrants": "registrant_id",
    "registrant_sessions": "session_id",
    "viewers": "registrant_id",
    "survey_responses": "response_id",
}
DATA_RESOURCES = ("sessionData.do", "userData.do", "attendanceData.do", "surveyData.do")
# The README's default field maps: source attribute or element -> column.
MAPPED = {
    "events": {
        "eventGUID": "event_id",
        "eventName": "title",
        "description": "description",
        "eventType": "event_type",
        "timeZone": "time_zone",
        "startDate": "scheduled_start_at",
        "endDate": "scheduled_end_at",
        "eventURL": "registration_url",
    },
    "users": {
        "userRef": "registrant_id",
        "eventGUID": "event_id",
        "email": "email",
        "firstName": "first_name",
        "lastName": "last_name",
        "company": "company",
        "title": "job_title",
        "phone": "phone",
        "address1": "address_1",
        "address2": "address_2",
        "city": "city",
        "state": "state",
        "zip": "postal_code",
        "country": "country",
        "registrationDate": "registered_at",
        "lastModified": "updated_at",
        "registrationStatus": "status",
    },
    "attendance": {
        "scanID": "session_id",
        "userRef": "registrant_id",
        "eventGUID": "event_id",
        "sessionKey": "webinar_session_id",
        "attendanceType": "session_type",
        "checkIn": "started_at",
        "checkOut": "ended_at",
        "durationMinutes": "duration_seconds",
    },
    "responses": {
        "responseID": "response_id",
        "userRef": "registrant_id",
        "eventGUID": "event_id",
        "surveyID": "survey_id",
        "surveyName": "survey_name",
        "questionID": "question_id",
        "questionText": "question",
        "questionType": "question_type",
        "answer": "answer",
        "submittedDate": "submitted_at",
    },
}
STREAM_OF = {"users": "registrants", "attendance": "registrant_sessions"}
STREAM_OF["responses"] = "survey_responses"
SESSION_TYPES = {"In-Person": "other", "Virtual": "live", "On-Demand": "on_demand"}


def conference_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "platform": "cvent",
        "cvent_api": "conference",
        "cvent_event_url": sandbox.api_url("cvent") + "/conference",
        "cvent_api_token": API_TOKEN,
        "start_date": "2020-01-01T00:00:00Z",
        "lookback_hours": 0,
        **overrides,
    }


def iso(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(timezone.utc).isoformat()


def blank(value: str) -> str | None:
    return value.strip() or None


def conference_data(sandbox: SandboxProcess) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], sandbox.dataset("cvent")["conference"])


def expected(data: dict[str, t.Any]) -> dict[str, dict[str, dict[str, t.Any]]]:
    """Every unified record the Conference data must give, by stream and id."""
    out: dict[str, dict[str, dict[str, t.Any]]] = {stream: {} for stream in KEYS}
    sessions = {s["attributes"]["sessionKey"]: s for s in data["sessions"]}
    users = {u["attributes"]["userRef"]: u for u in data["users"]}
    for event in data["events"]:
        guid, el = event["attributes"]["eventGUID"], event["elements"]
        own = [s for s in data["sessions"] if s["attributes"]["eventGUID"] == guid]
        slots = [
            {
                "session_id": s["attributes"]["sessionKey"],
                "scheduled_at": iso(s["elements"]["startTime"]),
            }
            for s in own
        ]
        out["events"][guid] = {
            "title": el["eventName"],
            "description": blank(el["description"]),
            "event_type": el["eventType"],
            "time_zone": el["timeZone"],
            "scheduled_start_at": iso(el["startDate"]),
            "scheduled_end_at": iso(el["endDate"]),
            "registration_url": el["eventURL"],
            "sessions": sorted(slots, key=lambda s: (s["scheduled_at"], s["session_id"])),
        }
    scanned = {a["attributes"]["userRef"] for a in data["attendance"]}
    for ref, user in users.items():
        el = user["elements"]
        attended = ref in scanned
        status = el["registrationStatus"]
        out["registrants"][ref] = {
            "event_id": user["attributes"]["eventGUID"],
            "email": el["email"],
            "first_name": blank(el["firstName"]),
            "last_name": blank(el["lastName"]),
            "company": blank(el["company"]),
            "job_title": blank(el["title"]),
            "phone": blank(el["phone"]),
            "address_1": blank(el["address1"]),
            "address_2": blank(el["address2"]),
            "city": blank(el["city"]),
            "state": blank(el["state"]),
            "postal_code": blank(el["zip"]),
            "country": blank(el["country"]),
            "registered_at": iso(el["registrationDate"]),
            "updated_at": iso(el["lastModified"]),
            "attended": attended,
            "status": "attended"
            if attended
            else {"Cancelled": "canceled"}.get(status, status.lower()),
            "custom_fields": user["custom_fields"],
        }
    by_viewer: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
    for scan in data["attendance"]:
        attrs, el = scan["attributes"], scan["elements"]
        by_viewer[attrs["userRef"]].append(scan)
        out["registrant_sessions"][attrs["scanID"]] = {
            "event_id": attrs["eventGUID"],
            "registrant_id": attrs["userRef"],
            "email": users[attrs["userRef"]]["elements"]["email"],
            "session_type": SESSION_TYPES[el["attendanceType"]],
            "webinar_session_id": el["sessionKey"],
            "scheduled_at": iso(sessions[el["sessionKey"]]["elements"]["startTime"]),
            "started_at": iso(el["checkIn"]),
            "ended_at": iso(el["checkOut"]),
            "duration_seconds": int(el["durationMinutes"]) * 60,
            "attended": True,
        }
    for ref, scans in by_viewer.items():

        def seconds(kind: str | None, scans: list[dict[str, t.Any]] = scans) -> int:
            return sum(
                int(s["elements"]["durationMinutes"]) * 60
                for s in scans
                if kind is None or s["elements"]["attendanceType"] == kind
            )

        def count(kind: str, scans: list[dict[str, t.Any]] = scans) -> int:
            return sum(s["elements"]["attendanceType"] == kind for s in scans)

        out["viewers"][ref] = {
            "event_id": users[ref]["attributes"]["eventGUID"],
            "email": users[ref]["elements"]["email"],
            "live_seconds": seconds("Virtual"),
            "on_demand_seconds": seconds("On-Demand"),
            "simlive_seconds": None,
            "total_seconds": seconds(None),
            "live_session_count": count("Virtual"),
            "on_demand_session_count": count("On-Demand"),
            "simlive_session_count": None,
            "first_viewed_at": min(iso(s["elements"]["checkIn"]) or "" for s in scans),
            "last_viewed_at": max(iso(s["elements"]["checkOut"]) or "" for s in scans),
        }
    for row in data["responses"]:
        attrs, el = row["attributes"], row["elements"]
        answers = el["answer"] if isinstance(el["answer"], list) else [el["answer"]]
        out["survey_responses"][attrs["responseID"]] = {
            "event_id": attrs["eventGUID"],
            "registrant_id": attrs["userRef"],
            "email": users[attrs["userRef"]]["elements"]["email"],
            "kind": "survey",
            "survey_id": el["surveyID"],
            "survey_name": el["surveyName"],
            "question_id": el["questionID"],
            "question": el["questionText"],
            "question_type": el["questionType"],
            "answer": "; ".join(answers),
            "answers": answers,
            "submitted_at": iso(el["submittedDate"]),
        }
    return out


def assert_output_matches(run: TapRun, data: dict[str, t.Any], account_id: str) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    want = expected(data)
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)
        got = {r[ID_COLUMN[stream]]: r for r in run.records(stream)}
        assert set(got) == set(want[stream]), stream
        assert want[stream], f"the sandbox has no {stream} to compare"
        for record_id, columns in want[stream].items():
            record = got[record_id]
            assert (record["platform"], record["account_id"]) == ("cvent", account_id)
            for column, value in columns.items():
                assert record[column] == value, (stream, record_id, column)
    # The Conference API documents no Q&A resource: questions stays empty by default.
    assert run.records("questions") == []


def failure_lines(run: TapRun, text: str) -> list[str]:
    """The stderr lines that carry *text*; a one-line failure has exactly one."""
    return [line for line in run.stderr.splitlines() if text in line]


def assert_one_line_failure(run: TapRun, *named: str) -> str:
    """Non-zero exit, no traceback, and one `tap-webinars:` line naming everything in *named*."""
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = failure_lines(run, "tap-webinars:")
    assert len(lines) == 1, run.stderr[-3000:]
    for text in named:
        assert text in lines[0], (text, lines[0])
    assert len(failure_lines(run, named[0])) == 1, run.stderr[-3000:]
    return lines[0]


def conference_log(sandbox: SandboxProcess) -> list[dict[str, t.Any]]:
    return [r for r in sandbox.requests("cvent") if r["path"].startswith("/conference/")]


# --------------------------------------------------------------------------- the sync


def test_full_sync_equals_the_sandbox_data_without_the_token_at_debug(
    sandbox: SandboxProcess,
) -> None:
    data = conference_data(sandbox)
    run = run_tap(conference_config(sandbox), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    assert_output_matches(run, data, "127.0.0.1")  # the event site's host
    assert "DEBUG" in run.stderr
    assert API_TOKEN not in run.stdout + run.stderr
    log = conference_log(sandbox)
    assert all(r["method"] == "POST" and r["query"] == {} for r in log)  # nothing in the URL
    assert all(r["form"]["apiToken"] == "***" for r in log)  # sent, and masked in the log
    # event.do once, then each data resource once per event, each for one event GUID.
    guids = {e["attributes"]["eventGUID"] for e in data["events"]}
    assert [r["path"] for r in log].count("/conference/api/event.do") == 1
    for resource in DATA_RESOURCES:
        asked = [r["form"]["event"] for r in log if r["path"] == f"/conference/api/{resource}"]
        assert sorted(asked) == sorted(guids), resource


def test_every_source_element_and_attribute_reaches_a_column_or_extra(
    sandbox: SandboxProcess,
) -> None:
    data = conference_data(sandbox)
    run = run_tap(conference_config(sandbox))
    assert run.returncode == 0, run.stderr[-2000:]
    for collection, stream in STREAM_OF.items():
        key = ID_COLUMN[stream]
        got = {r[key]: r for r in run.records(stream)}
        id_source = next(s for s, c in MAPPED[collection].items() if c == key)
        for source in data[collection]:
            record = got[source["attributes"][id_source]]
            named = {**source["attributes"], **source["elements"]}
            for name, value in named.items():
                if name in MAPPED[collection]:
                    assert MAPPED[collection][name] in record, (collection, name)
                else:
                    assert record["extra"][name] == value, (collection, name)
            if source["custom_fields"]:
                assert record["custom_fields"] == source["custom_fields"]
    events = {r["event_id"]: r for r in run.records("events")}
    for event in data["events"]:
        record = events[event["attributes"]["eventGUID"]]
        for name, value in event["elements"].items():
            if name not in MAPPED["events"]:
                assert record["extra"][name] == value, name
        guid = event["attributes"]["eventGUID"]
        own = [s for s in data["sessions"] if s["attributes"]["eventGUID"] == guid]
        assert record["extra"]["sessions"] == [{**s["attributes"], **s["elements"]} for s in own]


def test_a_second_run_reads_everything_again(sandbox: SandboxProcess) -> None:
    """No date filter in the API: each run re-reads every event's resources in full."""
    config = conference_config(sandbox)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    requests_first = len(conference_log(sandbox))
    sandbox.clear_requests()
    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(conference_log(sandbox)) == requests_first
    for stream in KEYS:
        assert len(second.records(stream)) == len(first.records(stream)), stream


# ----------------------------------------------------------------- account-level access


def test_account_level_reads_each_resource_once_for_all_events(sandbox: SandboxProcess) -> None:
    sandbox.admin("cvent", "conference_account_level", enabled=True)
    run = run_tap(conference_config(sandbox, cvent_account_level=True))
    assert_output_matches(run, conference_data(sandbox), "127.0.0.1")
    log = conference_log(sandbox)
    assert [r["path"].removeprefix("/conference/api/") for r in log] == [
        "event.do",
        *DATA_RESOURCES,
    ]
    assert [r["form"].get("event") for r in log] == [None] + ["all"] * len(DATA_RESOURCES)


def test_account_level_without_the_access_fails_in_one_line(sandbox: SandboxProcess) -> None:
    run = run_tap(conference_config(sandbox, cvent_account_level=True))
    line = assert_one_line_failure(run, "cvent_account_level", "sessionData.do", "103")
    assert "Account Level Access" in line
    log = conference_log(sandbox)
    assert log[-1]["path"] == "/conference/api/sessionData.do"  # nothing asked after it
    assert log[-1]["form"]["event"] == "all"


# ------------------------------------------------------------------------------ errors


def test_refused_token_names_the_setting_and_stops(sandbox: SandboxProcess) -> None:
    sandbox.admin("cvent", "conference_refuse_token")
    run = run_tap(conference_config(sandbox))
    assert_one_line_failure(run, "cvent_api_token", "event.do", "101", "Invalid API token")
    assert [r["path"] for r in conference_log(sandbox)] == ["/conference/api/event.do"]
    assert API_TOKEN not in run.stderr


def test_refused_ip_asks_for_the_allow_list_and_stops(sandbox: SandboxProcess) -> None:
    sandbox.admin("cvent", "conference_refuse_ip")
    run = run_tap(conference_config(sandbox))
    line = assert_one_line_failure(run, "allow-list", "event.do", "102")
    assert "egress IP" in line
    assert [r["path"] for r in conference_log(sandbox)] == ["/conference/api/event.do"]


def test_a_failure_code_names_endpoint_code_and_message_and_stops(
    sandbox: SandboxProcess,
) -> None:
    sandbox.admin(
        "cvent", "conference_fail_next", resource="userData.do", code="117", message="Try later"
    )
    run = run_tap(conference_config(sandbox))
    assert_one_line_failure(run, "userData.do", "response code 117", "Try later")
    log = conference_log(sandbox)
    assert log[-1]["path"] == "/conference/api/userData.do"
    assert sum(r["path"] == "/conference/api/userData.do" for r in log) == 1


def test_malformed_xml_fails_naming_the_endpoint(sandbox: SandboxProcess) -> None:
    """Malformed on each of the three attempts a garbled answer gets."""
    for _ in range(3):
        sandbox.admin("cvent", "conference_fail_next", resource="attendanceData.do", malformed=True)
    run = run_tap(conference_config(sandbox))
    # the two attempts before the last were warned about (naming the endpoint too)
    assert_one_line_failure(run, "tap-webinars: ", "attendanceData.do", "malformed XML")
    assert len(failure_lines(run, "asking again")) == 2
    log = conference_log(sandbox)
    assert log[-1]["path"] == "/conference/api/attendanceData.do"
    assert [r["path"] for r in log].count("/conference/api/attendanceData.do") == 3


def test_malformed_xml_once_is_asked_for_again(sandbox: SandboxProcess) -> None:
    quiet = run_tap(conference_config(sandbox))
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    quiet_asks = [r["path"] for r in conference_log(sandbox)].count(
        "/conference/api/attendanceData.do"
    )
    sandbox.clear_requests()
    sandbox.admin("cvent", "conference_fail_next", resource="attendanceData.do", malformed=True)
    run = run_tap(conference_config(sandbox))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("registrant_sessions") == quiet.records("registrant_sessions")
    assert run.records("registrant_sessions")
    log = [r["path"] for r in conference_log(sandbox)]
    assert log.count("/conference/api/attendanceData.do") == quiet_asks + 1


# ------------------------------------------------------------------------ configuration


def test_a_field_map_override_in_config_changes_the_mapping(sandbox: SandboxProcess) -> None:
    data = conference_data(sandbox)
    resources = {"userData.do": {"fields": {"badgeName": "source", "company": None}}}
    run = run_tap(conference_config(sandbox, cvent_conference_resources=resources))
    assert run.returncode == 0, run.stderr[-2000:]
    users = {u["attributes"]["userRef"]: u["elements"] for u in data["users"]}
    records = run.records("registrants")
    assert len(records) == len(users)
    for record in records:
        source = users[record["registrant_id"]]
        assert record["source"] == blank(source["badgeName"])
        assert record["company"] is None
        assert record["extra"]["company"] == source["company"]
        assert "badgeName" not in record["extra"]
        assert record["first_name"] == blank(source["firstName"])  # the rest as before


def test_a_resource_renamed_in_config_is_the_one_asked_for(sandbox: SandboxProcess) -> None:
    """The sandbox has no `attendeeData.do`: the 404 names the setting that fixes it."""
    resources = {"attendeeData.do": {"stream": "registrants"}}
    run = run_tap(conference_config(sandbox, cvent_conference_resources=resources))
    assert_one_line_failure(run, "attendeeData.do", "HTTP 404", "cvent_conference_resources")
    paths = [r["path"] for r in conference_log(sandbox)]
    assert "/conference/api/userData.do" not in paths
    assert paths[-1] == "/conference/api/attendeeData.do"


def test_configured_response_codes_replace_the_provisional_ones(sandbox: SandboxProcess) -> None:
    sandbox.admin("cvent", "conference_fail_next", resource="event.do", code="7", message="Nope")
    codes = {"token_refused": ["7", "101"]}
    run = run_tap(conference_config(sandbox, cvent_conference_response_codes=codes))
    assert_one_line_failure(run, "cvent_api_token", "response code 7: Nope")


RESOURCES, CODES = "cvent_conference_resources", "cvent_conference_response_codes"
UNKNOWN_CONVERTER = {"column": "answer", "as": "furlongs"}
CONFIG_ERRORS = [
    ({"cvent_api_token": None}, "cvent_api_token"),
    ({"cvent_event_url": " "}, "cvent_event_url"),
    ({"cvent_event_url": "http://acme.smarteventscloud.com"}, "cvent_event_url"),
    ({"cvent_account_level": "yes"}, "cvent_account_level"),
    ({RESOURCES: {"userData.do": {"fields": {"x": "nope"}}}}, RESOURCES),
    ({RESOURCES: {"event.do": None}}, RESOURCES),
    ({RESOURCES: {"surveyData.do": {"fields": {"answer": UNKNOWN_CONVERTER}}}}, RESOURCES),
    ({CODES: {"refused": "9"}}, CODES),
]


@pytest.mark.parametrize(("change", "key"), CONFIG_ERRORS, ids=[k for _, k in CONFIG_ERRORS])
def test_bad_config_fails_in_one_line_before_any_request(
    sandbox: SandboxProcess, change: dict[str, t.Any], key: str
) -> None:
    config = {k: v for k, v in {**conference_config(sandbox), **change}.items() if v is not None}
    run = run_tap(config)
    assert_config_error(run, key)
    assert API_TOKEN not in run.stderr
    assert sandbox.requests() == []


def test_without_cvent_api_rest_credentials_sync_through_rest(sandbox: SandboxProcess) -> None:
    config = {
        "platform": "cvent",
        "cvent_client_id": CLIENT_ID,
        "cvent_client_secret": CLIENT_SECRET,
        "api_url": sandbox.api_url("cvent") + "/ea",
        "start_date": "2020-01-01T00:00:00Z",
    }
    run = run_tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    rest = sandbox.dataset("cvent")
    assert len(run.records("registrants")) == len(rest["attendees"])
    assert {r["account_id"] for r in run.records("events")} == {CLIENT_ID}
    assert conference_log(sandbox) == []
