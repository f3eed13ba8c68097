"""Cvent REST end to end: the tap process against the sandbox process, over HTTP."""

from __future__ import annotations

import re
import typing as t
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from tap_webinars.platforms import load_settings
from tap_webinars.platforms.cvent import CventAdapter
from tap_webinars.sandbox.cvent import CLIENT_ID, CLIENT_SECRET
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
# Activity collections read account-wide once a run.
ACTIVITY = ("/ea/attendees", "/ea/sessions/attendance", "/ea/attendance-durations")
ACTIVITY += ("/ea/events/surveys/responses",)


# The sandbox's access tokens are 64 hex digits.
ACCESS_TOKEN = re.compile(r"\b[0-9a-f]{64}\b")


def cv_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "platform": "cvent",
        "cvent_api": "rest",
        "cvent_client_id": CLIENT_ID,
        "cvent_client_secret": CLIENT_SECRET,
        "api_url": sandbox.api_url("cvent") + "/ea",
        "start_date": "2020-01-01T00:00:00Z",
        "lookback_hours": 0,
        **overrides,
    }


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(value: str | None) -> str | None:
    return when(value).replace(microsecond=0).isoformat() if value else None


def blank(value: t.Any) -> t.Any:
    """What the tap makes of an empty string: null (and wrapping whitespace goes)."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def respondent_attendee(data: dict[str, t.Any], response: dict[str, t.Any]) -> str:
    """The attendee a survey response comes from: its respondent's attendee, or the event's
    attendee with the respondent's contact."""
    respondent = next(r for r in data["respondents"] if r["id"] == response["respondent"]["id"])
    if respondent.get("attendee"):
        return str(respondent["attendee"]["id"])
    return next(
        a["id"]
        for a in data["attendees"]
        if a["event"]["id"] == response["event"]["id"]
        and a["contact"]["id"] == respondent["contact"]["id"]
    )


def expected(data: dict[str, t.Any]) -> dict[str, dict[str, dict[str, t.Any]]]:
    """Every unified record the sandbox data must give, by stream and id (columns checked)."""
    attendees = {a["id"]: a for a in data["attendees"]}
    sessions = {s["id"]: s for s in data["sessions"]}
    surveys = {s["id"]: s for s in data["surveys"]}
    questions = {q["id"]: q for q in data["questions"]}
    out: dict[str, dict[str, dict[str, t.Any]]] = {stream: {} for stream in KEYS}
    for event in data["events"]:
        own = sorted(
            (s for s in data["sessions"] if s["event"]["id"] == event["id"]),
            key=lambda s: (s["start"], s["id"]),
        )
        out["events"][event["id"]] = {
            "title": event["title"],
            "description": blank(event["description"]),
            "event_type": event["type"],
            "time_zone": event["timezone"],
            "scheduled_start_at": iso(event["start"]),
            "scheduled_end_at": iso(event["end"]),
            "created_at": iso(event["created"]),
            "updated_at": iso(event["lastModified"]),
            "category": event["category"]["name"],
            "registration_url": event["_links"]["registration"]["href"],
            "is_expired": event["eventStatus"] == "Completed",
            "sessions": [{"session_id": s["id"], "scheduled_at": iso(s["start"])} for s in own],
        }
    statuses = {"Accepted": "registered", "Cancelled": "canceled"}
    for a in data["attendees"]:
        contact, address = a["contact"], a["contact"]["workAddress"]
        out["registrants"][a["id"]] = {
            "event_id": a["event"]["id"],
            "email": contact["email"],
            "first_name": blank(contact["firstName"]),
            "last_name": blank(contact["lastName"]),
            "company": blank(contact["company"]),
            "job_title": blank(contact["title"]),
            "phone": blank(contact["workPhone"]),
            "address_1": blank(address["address1"]),
            "address_2": blank(address["address2"]),
            "city": blank(address["city"]),
            "state": blank(address["region"]),
            "postal_code": blank(address["postalCode"]),
            "country": blank(address["country"]),
            "registered_at": iso(a["registeredAt"]),
            "updated_at": iso(a["lastModified"]),
            "attended": a["checkedIn"],
            "status": "attended"
            if a["checkedIn"]
            else statuses.get(a["status"], a["status"].lower()),
            "custom_fields": {q["name"]: blank(q["value"][0]) for q in a["questions"]},
        }
    for row in data["attendance"]:
        session = sessions[row["session"]["id"]]
        out["registrant_sessions"][row["id"]] = {
            "event_id": row["event"]["id"],
            "registrant_id": row["attendee"]["id"],
            "email": attendees[row["attendee"]["id"]]["contact"]["email"],
            "session_type": "live",
            "webinar_session_id": session["id"],
            "scheduled_at": iso(session["start"]),
            "started_at": iso(row["checkIn"]),
            "ended_at": iso(row["checkOut"]),
            "duration_seconds": round(row["duration"] / 1000),
            "attended": True,
            "time_zone": session["timezone"],
        }
    durations: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
    for row in data["durations"]:
        durations[row["attendee"]["id"]].append(row)
    for attendee_id, rows in durations.items():
        live = [r for r in rows if r["type"] == "LIVE"]
        replay = [r for r in rows if r["type"] == "ON_DEMAND"]
        out["viewers"][attendee_id] = {
            "event_id": rows[0]["event"]["id"],
            "email": attendees[attendee_id]["contact"]["email"],
            "first_viewed_at": iso(min(rows, key=lambda r: when(r["firstSeen"]))["firstSeen"]),
            "last_viewed_at": iso(max(rows, key=lambda r: when(r["lastSeen"]))["lastSeen"]),
            "live_seconds": sum(round(r["duration"] / 1000) for r in live),
            "on_demand_seconds": sum(round(r["duration"] / 1000) for r in replay),
            "total_seconds": sum(round(r["duration"] / 1000) for r in rows),
            "live_session_count": len(live),
            "on_demand_session_count": len(replay),
        }
    for row in data["responses"]:
        question = questions[row["question"]["id"]]
        choices = {c["id"]: c["text"] for c in question["choices"]}
        texts = [
            choices[a["choice"]["id"]] if "choice" in a else a["value"] for a in row["answers"]
        ]
        survey = surveys[row["survey"]["id"]]
        attendee_id = respondent_attendee(data, row)
        out["survey_responses"][row["id"]] = {
            "event_id": row["event"]["id"],
            "registrant_id": attendee_id,
            "email": attendees[attendee_id]["contact"]["email"],
            "kind": "survey",
            "survey_id": survey["id"],
            "survey_name": survey["title"],
            "survey_type": survey["type"],
            "question_id": question["id"],
            "question": question["text"],
            "question_type": question["type"],
            "answer": "; ".join(texts),
            "answers": texts,
            "submitted_at": iso(row["created"]),
        }
    return out


def assert_output_matches(run: TapRun, data: dict[str, t.Any]) -> None:
    """Every stream's records equal the sandbox data, column by column, with unique keys."""
    assert run.returncode == 0, run.stderr[-3000:]
    want = expected(data)
    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)
        got = {r[ID_COLUMN[stream]]: r for r in run.records(stream)}
        assert set(got) == set(want[stream]), stream
        for record_id, columns in want[stream].items():
            record = got[record_id]
            assert record["platform"] == "cvent"
            assert record["account_id"] == CLIENT_ID
            for column, value in columns.items():
                assert record[column] == value, (stream, record_id, column)
    assert run.records("questions") == []


def test_full_sync_equals_the_sandbox_data_without_secrets_at_debug(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("cvent")
    run = run_tap(cv_config(sandbox), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    assert_output_matches(run, data)
    # Source fields no column took are kept in `extra`.
    registrant = run.records("registrants")[0]
    source = next(a for a in data["attendees"] if a["id"] == registrant["registrant_id"])
    assert registrant["extra"]["confirmationNumber"] == source["confirmationNumber"]
    assert registrant["extra"]["contact"]["id"] == source["contact"]["id"]
    event = run.records("events")[0]
    assert event["extra"]["code"].startswith("EV")
    # Secrets: neither the client secret nor any access token the sandbox issued.
    assert "DEBUG" in run.stderr
    assert CLIENT_SECRET not in run.stdout + run.stderr
    assert not ACCESS_TOKEN.search(run.stdout + run.stderr)
    log = sandbox.requests("cvent")
    assert sum(r["path"] == "/ea/oauth2/token" for r in log) == 1
    assert all(int(r["query"].get("limit", 200)) <= 200 for r in log)
    assert sum(r["path"] == "/ea/attendees" for r in log) == 2  # 201 attendees, 200 a page
    assert any("token" in r["query"] for r in log if r["path"] == "/ea/attendees")


def test_incremental_runs_read_only_changed_records(sandbox: SandboxProcess) -> None:
    config = cv_config(sandbox)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    bookmarks = {
        p["context"]["event_id"]: when(p["replication_key_value"])
        for p in first.final_state["bookmarks"]["events"]["partitions"]
    }

    # No upstream change: token, the two listings and one empty read per activity collection.
    sandbox.clear_requests()
    unchanged = run_tap(config, state=first.final_state)
    assert unchanged.returncode == 0, unchanged.stderr[-2000:]
    log = [r for r in sandbox.requests("cvent") if r["status"] == 200]
    assert sorted(r["path"] for r in log) == sorted(
        ["/ea/oauth2/token", "/ea/events", "/ea/sessions", *ACTIVITY]
    )
    for stream in KEYS:
        if stream != "events":
            assert unchanged.records(stream) == [], stream
    assert len(unchanged.records("events")) == len(first.records("events"))

    data = sandbox.dataset("cvent")
    busiest = Counter(a["event"]["id"] for a in data["attendees"]).most_common(1)[0][0]
    added = sandbox.admin("cvent", "add_attendees", event_id=busiest, count=3, attended=True)
    quiet = next(a for a in data["attendees"] if a["event"]["id"] != busiest)
    sandbox.admin(
        "cvent", "modify_attendee", attendee_id=quiet["id"], contact={"company": "Neue Firma"}
    )
    # A replay watched by someone whose attendee record does not change.
    watcher = next(
        d["attendee"]["id"] for d in data["durations"] if d["event"]["id"] not in (busiest,)
    )
    replay_event = next(a["event"]["id"] for a in data["attendees"] if a["id"] == watcher)
    sandbox.admin("cvent", "watch_replay", attendee_id=watcher, seconds=900)
    sandbox.clear_requests()
    second = run_tap(config, state=unchanged.final_state)
    assert second.returncode == 0, second.stderr[-2000:]

    data = sandbox.dataset("cvent")
    want = expected(data)
    new_ids = set(added["attendee_ids"])
    # Exactly the records changed since each event's bookmark, and all of them.
    # The watcher did not change, but their viewers record names them: emitted again, so
    # every registrant id refers to a registrants record of the event.
    assert {r["registrant_id"] for r in second.records("registrants")} == new_ids | {
        quiet["id"],
        watcher,
    }
    changed_company = next(
        r for r in second.records("registrants") if r["registrant_id"] == quiet["id"]
    )
    assert changed_company["company"] == "Neue Firma"
    assert {r["registrant_id"] for r in second.records("registrant_sessions")} == new_ids
    # The watcher's totals count all their durations, not only the new one.
    assert {r["registrant_id"] for r in second.records("viewers")} == new_ids | {watcher}
    new_responses = {r["id"] for r in data["responses"] if respondent_attendee(data, r) in new_ids}
    assert {r["response_id"] for r in second.records("survey_responses")} == new_responses
    for stream in ("registrants", "registrant_sessions", "viewers", "survey_responses"):
        for record in second.records(stream):
            for column, value in want[stream][record[ID_COLUMN[stream]]].items():
                assert record[column] == value, (stream, column)

    log = [r for r in sandbox.requests("cvent") if r["status"] == 200]
    earliest = min(bookmarks.values()) - timedelta(seconds=1)
    for request in log:
        if request["path"] in ACTIVITY and "filter" not in request["query"]:
            assert when(request["query"]["after"]) >= earliest
    per_event = [
        r for r in log if r["path"].startswith("/ea/events/") and r["path"] not in ACTIVITY
    ]
    # surveys, questions, respondents
    assert {r["path"].split("/")[3] for r in per_event} == {busiest}
    filtered = {r["query"]["filter"] for r in log if "filter" in r["query"]}
    assert filtered == {f"event.id eq '{busiest}'", f"event.id eq '{replay_event}'"}
    # Listings, activity, and per changed event: durations in full, surveys, questions,
    # respondents (and the event's attendees when a respondent is known by contact only),
    # and the attendees of the watcher's event (for the watcher's email).
    assert len(log) <= 7 + 5 + 2


def test_rate_limit_answers_are_waited_out_and_output_is_complete(
    sandbox: SandboxProcess,
) -> None:
    sandbox.reset(size="small")
    sandbox.configure(cvent={"rate_limit": [1, 1.5], "reset_rate_limit": True})
    run = run_tap(cv_config(sandbox))
    assert Counter(r["status"] for r in sandbox.requests("cvent"))[429] >= 1
    assert "rate limit" in run.stderr
    assert_output_matches(run, sandbox.dataset("cvent"))


def test_injected_faults_change_nothing_in_the_output(sandbox: SandboxProcess) -> None:
    sandbox.configure(fault_rate=0.1)
    run = run_tap(cv_config(sandbox))
    assert any(r["fault"] for r in sandbox.requests("cvent"))
    assert_output_matches(run, sandbox.dataset("cvent"))


def test_expired_tokens_are_renewed_mid_run(sandbox: SandboxProcess) -> None:
    sandbox.reset(size="small")
    # Tokens live 2 s (renewed ahead of time) and are also revoked every 5 calls (401).
    sandbox.configure(cvent={"token_lifetime": 2, "expire_tokens_every": 5})
    run = run_tap(cv_config(sandbox), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    log = sandbox.requests("cvent")
    assert sum(r["path"] == "/ea/oauth2/token" for r in log) >= 3
    assert any(r["status"] == 401 for r in log)
    assert_output_matches(run, sandbox.dataset("cvent"))
    assert CLIENT_SECRET not in run.stdout + run.stderr
    assert not ACCESS_TOKEN.search(run.stdout + run.stderr)


def test_refused_secret_fails_fast_naming_the_settings_without_showing_it(
    sandbox: SandboxProcess,
) -> None:
    secret = "wrong-cvent-s3cr3t-value"
    run = run_tap(
        cv_config(sandbox, cvent_client_secret=secret), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"}
    )
    assert run.returncode != 0
    assert "cvent_client_id" in run.stderr
    assert "cvent_client_secret" in run.stderr
    assert secret not in run.stdout + run.stderr
    assert [r["path"] for r in sandbox.requests("cvent")] == ["/ea/oauth2/token"]


CONFIG_ERRORS = [
    ({"cvent_client_secret": None}, "cvent_client_secret"),
    ({"cvent_client_id": " "}, "cvent_client_id"),
    ({"cvent_region": "apac"}, "cvent_region"),
    ({"cvent_api": "soap"}, "cvent_api"),
]


@pytest.mark.parametrize(("change", "key"), CONFIG_ERRORS, ids=[k for _, k in CONFIG_ERRORS])
def test_bad_config_fails_in_one_line_before_any_request(
    sandbox: SandboxProcess, change: dict[str, t.Any], key: str
) -> None:
    config = {k: v for k, v in {**cv_config(sandbox), **change}.items() if v is not None}
    sandbox.clear_requests()
    run = run_tap(config)
    assert_config_error(run, key)
    assert "conference-token-1234" not in run.stderr
    assert sandbox.requests() == []


def test_event_ids_limit_the_sync(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("cvent")
    chosen = Counter(a["event"]["id"] for a in data["attendees"]).most_common(2)[1][0]
    run = run_tap(cv_config(sandbox, event_ids=[chosen]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["event_id"] for r in run.records("events")} == {chosen}
    for stream in ("registrants", "registrant_sessions", "viewers"):
        assert {r["event_id"] for r in run.records(stream)} == {chosen}, stream
    assert len(run.records("registrants")) == sum(
        a["event"]["id"] == chosen for a in data["attendees"]
    )


@pytest.mark.parametrize(
    ("region", "url"),
    [("na", "https://api-platform.cvent.com/ea"), ("eu", "https://api-platform-eur.cvent.com/ea")],
)
def test_region_selects_the_documented_host(region: str, url: str) -> None:
    config = {k: v for k, v in cv_config_offline().items() if k != "api_url"}
    settings = load_settings({**config, "cvent_region": region})
    assert CventAdapter(settings).base_url == url


def cv_config_offline() -> dict[str, t.Any]:
    return {
        "platform": "cvent",
        "cvent_api": "rest",
        "cvent_client_id": CLIENT_ID,
        "cvent_client_secret": CLIENT_SECRET,
    }
