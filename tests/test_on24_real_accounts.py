"""ON24 as real accounts are: operations a token may not call, broken references, drift.

Every run is the tap process against the sandbox process. Expected records come from the
sandbox's raw data through test_on24's own helpers; each drift case asserts one of the two
allowed endings: complete output, or one clear error line naming the endpoint.
"""

from __future__ import annotations

import json
import subprocess
import typing as t
from collections import Counter
from pathlib import Path

import pytest

from tests.harness import (
    BIN,
    SandboxProcess,
    TapRun,
    assert_referential_integrity,
    assert_unique_keys,
    run_tap,
)
from tests.test_on24 import (
    EXAMPLE_EVENT,
    KEYS,
    assert_matches,
    expected_records,
    ok,
    on24_config,
    output_records,
    utc,
)

TIMEOUT = 240  # no case may hang
CHILDREN = ("registrant_sessions", "viewers", "survey_responses", "questions")
SESSIONS_PERMISSION = "AnalyticsEventLevel.AttendeeViewingSessions"
POLLS_PERMISSION = "AnalyticsEventLevel.Polls"
LISTING_PERMISSION = "AnalyticsClientLevel.Events"


def tap(sandbox: SandboxProcess, **config: t.Any) -> TapRun:
    return run_tap(on24_config(sandbox, **config), timeout=TIMEOUT)


def bookmarks(states: list[dict[str, t.Any]]) -> dict[str, list[str]]:
    """Every bookmark value each event had in *states*, in order."""
    seen: dict[str, list[str]] = {}
    for state in states:
        for partition in state.get("bookmarks", {}).get("events", {}).get("partitions", []):
            value = partition.get("replication_key_value")
            if value is not None:
                seen.setdefault(partition["context"]["event_id"], []).append(value)
    return seen


def warnings(run: TapRun, *words: str) -> list[str]:
    return [
        line
        for line in run.stderr.splitlines()
        if "WARNING" in line and all(word in line for word in words)
    ]


def failed_with(run: TapRun, *words: str) -> str:
    """The one-line failure: non-zero exit, no traceback, the last line says it all."""
    assert run.returncode != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    last = run.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in last, (word, last)
    return last


def assert_complete(
    run: TapRun, expected: dict[str, t.Any], streams: t.Iterable[str] = KEYS
) -> dict[str, t.Any]:
    """Every expected key once, with its expected values."""
    found = output_records(run)
    for stream in streams:
        assert_unique_keys(run, stream, KEYS[stream])
        assert found[stream].keys() == expected[stream].keys(), stream
        for key, columns in expected[stream].items():
            assert_matches(columns, found[stream][key], (stream, key))
    return found


def only(expected: dict[str, t.Any], events: set[str]) -> dict[str, t.Any]:
    return {s: {k: v for k, v in r.items() if k[0] in events} for s, r in expected.items()}


def busiest(data: dict[str, t.Any]) -> str:
    return max(data["registrants"], key=lambda e: len(data["registrants"][e]))


# ----------------------------------------------------------------------- permissions


def test_refused_poll_catalog_costs_its_column_and_one_warning_beside_rate_limits(
    sandbox: SandboxProcess,
) -> None:
    """A permission 403 and ON24's rate-limit 403 in one run: each taken for what it is."""
    data = sandbox.dataset("on24")
    expected = expected_records(data)
    for key, columns in expected["survey_responses"].items():
        if key[2] == "poll":
            columns["question_type"] = None
    sandbox.configure(on24={"rate_limit": [12, 1.0], "withheld": {"poll": 403}})
    run = ok(tap(sandbox, max_concurrency=8))

    assert_complete(run, expected)
    log = sandbox.requests("on24")
    polls = [e for e in log if e["path"].endswith("/poll")]
    assert {e["status"] for e in polls} == {403}
    assert len({e["path"] for e in polls}) == 1  # refused once, not asked for other events
    limited = [e for e in log if e["status"] == 403 and not e["path"].endswith("/poll")]
    assert limited, "the rate limit never struck"
    assert "rate limit" in run.stderr
    (warning,) = warnings(run, "poll catalog")
    assert POLLS_PERMISSION in warning and "question_type" in warning
    assert "poll catalog" in run.stderr.split("skipped:")[-1]


def test_refused_sessions_skip_that_stream_only_and_bookmarks_move(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("on24")
    expected = expected_records(data)
    expected["registrant_sessions"] = {}
    sandbox.configure(on24={"withheld": {"attendeesession": 403}})
    run = ok(tap(sandbox))

    assert_complete(run, expected)
    (warning,) = warnings(run, "skipping stream registrant_sessions")
    assert SESSIONS_PERMISSION in warning
    summary = run.stderr.split("skipped:")[-1]
    assert "registrant_sessions" in summary and SESSIONS_PERMISSION in summary
    sessions = [e for e in sandbox.requests("on24") if e["path"].endswith("/attendeesession")]
    # Skipped for the account after the first refusal (events already in flight asked too).
    assert 1 <= len(sessions) <= on24_config(sandbox)["max_concurrency"] < len(data["events"])
    moved = {event: values[-1] for event, values in bookmarks(run.states).items()}
    assert moved == {str(e["eventid"]): utc(e["lastupdated"]) for e in data["events"]}


def test_refused_sessions_with_strict_permissions_fail_in_one_line(
    sandbox: SandboxProcess,
) -> None:
    sandbox.configure(on24={"withheld": {"attendeesession": 403}})
    run = tap(sandbox, strict_permissions=True)
    failed_with(run, "access refused (HTTP 403)", "/attendeesession", SESSIONS_PERMISSION)


def test_refused_attendees_leave_registrants_with_attendance_unknown(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("on24")
    expected = expected_records(data)
    for stream in ("viewers", "survey_responses", "questions"):
        expected[stream] = {}
    for columns in expected["registrants"].values():
        columns["attended"] = None
        if columns["status"] in ("attended", "registered"):
            columns["status"] = None
    # Sessions name their viewer by email, else external id: now only registrants have them.
    for event_id, people in data["registrants"].items():
        by_email = {p["email"].lower(): str(p["eventuserid"]) for p in people if p["email"]}
        external = Counter(p["exteventusercd"] for p in people if p["exteventusercd"])
        by_external = {
            p["exteventusercd"]: str(p["eventuserid"])
            for p in people
            if p["exteventusercd"] and external[p["exteventusercd"]] == 1
        }
        for session in data["sessions"][event_id]:
            found = by_email.get(session["email"].lower()) if session["email"] else None
            if found is None and session["exteventusercd"]:
                found = by_external.get(session["exteventusercd"])
            expected["registrant_sessions"][(event_id, str(session["id"]))]["registrant_id"] = found
    sandbox.configure(on24={"withheld": {"attendee": 403}})
    run = ok(tap(sandbox))
    assert_complete(run, expected)
    assert warnings(run, "skipping stream viewers", "AnalyticsEventLevel.Attendees")
    assert len(warnings(run, "attendee list refused")) == 1


def test_refused_listing_fails_naming_the_permission(sandbox: SandboxProcess) -> None:
    sandbox.configure(on24={"withheld": {"listing": 403}})
    run = tap(sandbox)
    failed_with(run, "access refused (HTTP 403)", LISTING_PERMISSION)
    assert not run.records("events")


def test_refused_event_details_fall_back_to_the_listing(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    sandbox.configure(on24={"withheld": {"event": 403}})
    run = ok(tap(sandbox, event_ids=[target]))
    assert_complete(run, only(expected_records(data), {target}))
    assert len(warnings(run, "event details refused", "MetadataAndUsage")) == 1


def access(config: dict[str, t.Any], folder: Path) -> dict[str, dict[str, t.Any]]:
    """`tap-webinars-access --format json`, by stream."""
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [str(BIN / "tap-webinars-access"), "--config", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {row["stream"]: row for row in json.loads(done.stdout)}


def test_access_report_names_each_missing_permission(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    full = access(on24_config(sandbox), tmp_path)
    assert all(row["readable"] and not row["partial"] for row in full.values()), full
    probes = sandbox.requests("on24")
    assert len(probes) <= 8 and all(e["status"] == 200 for e in probes)
    per_event = [e for e in probes if "/event/" in e["path"]]
    assert {e["query"].get("itemsPerPage") for e in per_event} == {"1"}

    sandbox.configure(on24={"withheld": {"attendeesession": 403, "poll": 404}})
    report = access(on24_config(sandbox), tmp_path)
    assert not report["registrant_sessions"]["readable"]
    assert any(SESSIONS_PERMISSION in p for p in report["registrant_sessions"]["missing"])
    assert report["survey_responses"]["readable"]
    assert any(POLLS_PERMISSION in p for p in report["survey_responses"]["partial"])
    for stream in ("events", "registrants", "viewers", "questions"):
        assert report[stream]["readable"] and not report[stream]["missing"], stream

    sandbox.configure(on24={"withheld": {"listing": 403}})
    refused = access(on24_config(sandbox), tmp_path)
    for row in refused.values():
        assert not row["readable"] and row["missing"] == [LISTING_PERMISSION + " (GET /event)"]


# ------------------------------------------------------------------ referential integrity


def test_every_child_refers_to_a_registrant_full_and_incremental(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    dropped = str(sandbox.admin("on24", "drop_registrant", event_id=int(target))["eventuserid"])
    ghost = sandbox.admin("on24", "orphan_session", event_id=int(target))
    data = sandbox.dataset("on24")
    assert dropped not in {str(r["eventuserid"]) for r in data["registrants"][target]}
    # The data has what integrity must cope with: forgotten and deleted users who viewed.
    statuses = {a["userstatus"] for e in data["attendees"].values() for a in e}
    assert {"forgotten", "deleted"} <= statuses

    config = on24_config(sandbox, lookback_hours=0)
    first = ok(run_tap(config, timeout=TIMEOUT))
    assert_referential_integrity([first], CHILDREN)
    registrants = {r["registrant_id"]: r for r in first.records("registrants")}
    built = registrants[dropped]  # from its attendee record: its viewer still refers to it
    assert built["event_id"] == target and built["extra"]["built_from"] == "attendee"
    assert built["attended"] is True
    assert dropped in {r["registrant_id"] for r in first.records("viewers")}
    assert len(warnings(first, f"event {target}", "not in the registrant list")) == 1
    (orphan,) = [r for r in first.records("registrant_sessions") if r["email"] == ghost["email"]]
    assert orphan["registrant_id"] is None and orphan["session_id"] == str(ghost["id"])
    assert all(
        r["registrant_id"] is None
        for r in first.records("registrant_sessions")
        if r["email"] is None and not r["extra"].get("exteventusercd")
    )

    added = sandbox.admin("on24", "add_activity", event_id=int(target), registrants=3)
    second = ok(run_tap(config, state=first.final_state, timeout=TIMEOUT))
    assert {r["event_id"] for r in second.records("registrant_sessions")} == {target}
    assert {str(i) for i in added["eventuserids"]} <= {
        r["registrant_id"] for r in second.records("registrant_sessions")
    }
    assert_referential_integrity([first, second], CHILDREN)
    assert_referential_integrity(
        [second], CHILDREN
    )  # changed events read their registrants in full


# ---------------------------------------------------------------------------- drift


def drifted(sandbox: SandboxProcess, drift: dict[str, t.Any], events: list[str]) -> TapRun:
    sandbox.configure(on24={"drift": drift})
    return tap(sandbox, event_ids=events)


def two_events(data: dict[str, t.Any]) -> list[str]:
    return [EXAMPLE_EVENT, busiest(data)]


def test_drift_unknown_fields_land_in_extra(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    events = two_events(data)
    drift = {
        "event": {"carbonfootprint": {"set": 1.5}},
        "registrant": {"loyaltytier": {"set": "gold"}, "^nextcursor": {"set": "abc"}},
        "attendee": {"aiinsights": {"set": {"score": 3}}},
        "attendee.questions": {"sentiment": {"set": "positive"}},
        "attendee.polls": {"pollweight": {"set": 2}},
        "attendeesession": {"devicemodel": {"set": "Pixel 9"}},
    }
    run = ok(drifted(sandbox, drift, events))
    assert_complete(run, only(expected_records(data), set(events)))
    assert {r["extra"]["carbonfootprint"] for r in run.records("events")} == {1.5}
    assert {r["extra"]["loyaltytier"] for r in run.records("registrants")} == {"gold"}
    assert {json.dumps(r["extra"]["aiinsights"]) for r in run.records("viewers")} == {
        '{"score": 3}'
    }
    assert {r["extra"]["sentiment"] for r in run.records("questions")} == {"positive"}
    polls = [r for r in run.records("survey_responses") if r["kind"] == "poll"]
    assert polls and {r["extra"]["pollweight"] for r in polls} == {2}
    assert {r["extra"]["devicemodel"] for r in run.records("registrant_sessions")} == {"Pixel 9"}


@pytest.mark.parametrize("operation", ["drop", "null"])
def test_drift_optional_fields_missing_or_null_become_null(
    sandbox: SandboxProcess, operation: str
) -> None:
    data = sandbox.dataset("on24")
    events = two_events(data)
    fields = {
        "event": ["category", "eventanalytics", "promotionalsummary"],
        "registrant": ["company", "lastactivity", "std1", "partnerref"],
        "attendee": ["engagementscore", "liveminutes", "firstarchiveactivity", "surveys"],
        "attendeesession": ["os", "mediastream", "endtime"],
        "attendee.questions": ["answer"],
    }
    run = ok(drifted(sandbox, {r: dict.fromkeys(f, operation) for r, f in fields.items()}, events))
    expected = only(expected_records(data), set(events))
    expected["survey_responses"] = {
        k: v for k, v in expected["survey_responses"].items() if k[2] == "poll"
    }
    found = output_records(run)
    for stream in KEYS:
        assert_unique_keys(run, stream, KEYS[stream])
        assert found[stream].keys() == expected[stream].keys(), stream
    for record in run.records("events"):
        assert record["category"] is None and record["registrant_count"] is None
    for record in run.records("registrants"):
        assert record["company"] is None and record["updated_at"] is None
        assert record["source"] is None and "std1" not in (record["custom_fields"] or {})
    for record in run.records("viewers"):
        assert record["engagement_score"] is None and record["live_seconds"] is None
    for record in run.records("registrant_sessions"):
        assert record["os"] is None and record["media"] is None and record["ended_at"] is None
    assert all(r["answer"] is None for r in run.records("questions"))


def test_drift_numbers_as_strings_change_nothing(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    events = two_events(data)
    drift = {
        "event": {"eventid": "string", "scheduledeventduration": "string"},
        "registrant": {"eventuserid": "string", "^totalregistrants": "string"},
        "attendee": {
            "eventuserid": "string",
            "liveminutes": "string",
            "archiveminutes": "string",
            "askedquestions": "string",
            "engagementscore": "string",
            "^totalattendees": "string",
        },
        "attendee.questions": {"questionid": "string"},
        "attendee.polls": {"pollid": "string", "pollquestionid": "string"},
        "attendeesession": {"id": "string", "^totalattendeesessions": "string"},
    }
    run = ok(drifted(sandbox, drift, events))
    assert_complete(run, only(expected_records(data), set(events)))


def as_number(value: str) -> int:
    """What the sandbox's `number` drift sends for a string."""
    return int(value) if value.strip().isdigit() else 42


def test_drift_strings_as_numbers_become_text(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    events = two_events(data)
    drift = {
        "registrant": {"zip": "number", "company": "number", "exteventusercd": "number"},
        "attendee": {"exteventusercd": "number"},
        "attendeesession": {"exteventusercd": "number"},
    }
    run = ok(drifted(sandbox, drift, events))
    expected = only(expected_records(data), set(events))
    raw = {(e, str(r["eventuserid"])): r for e in events for r in data["registrants"][e]}
    for key, columns in expected["registrants"].items():
        person = raw[key]
        columns["postal_code"] = str(as_number(person["zip"]))
        columns["company"] = str(as_number(person["company"]))
        columns["extra"]["exteventusercd"] = as_number(person["exteventusercd"])
    assert_complete(run, expected)


def test_drift_empty_and_blank_strings_become_null(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    events = two_events(data)
    drift = {
        "event": {"promotionalsummary": "spaces", "lastmodified": "spaces", "category": "blank"},
        "registrant": {"company": "spaces", "jobtitle": "blank", "lastactivity": "spaces"},
        "attendee": {"engagementscore": "spaces", "liveminutes": "blank"},
        "attendeesession": {"browser": "spaces", "duration": "spaces", "usage": "spaces"},
        "attendee.questions": {"content": "spaces"},
    }
    run = ok(drifted(sandbox, drift, events))
    expected = only(expected_records(data), set(events))
    for stream, changes in {
        "events": {"description": None, "updated_at": None, "category": None},
        "registrants": {"company": None, "job_title": None, "updated_at": None},
        "registrant_sessions": {"browser": None, "duration_seconds": None},
        "questions": {"question": None},
    }.items():
        for columns in expected[stream].values():
            columns.update(changes)
    for columns in expected["registrant_sessions"].values():
        columns["session_type"] = "other"
    for columns in expected["viewers"].values():
        columns["engagement_score"] = None
        columns.pop("total_seconds")
        columns["live_seconds"] = None
    assert_complete(run, expected)


def test_drift_timestamps_in_new_formats_keep_their_moment(sandbox: SandboxProcess) -> None:
    """Pacific without an offset (ON24's own zone), US style, and epoch milliseconds."""
    data = sandbox.dataset("on24")
    events = two_events(data)
    drift = {
        "event": {"goodafter": "naive_pacific", "lastupdated": "naive_pacific"},
        "registrant": {"createtimestamp": "naive_pacific", "lastactivity": "us_pacific"},
        "attendee": {"firstliveactivity": "naive_pacific", "lastarchiveactivity": "us_pacific"},
        "attendee.questions": {"createtimestamp": "epoch_ms"},
        "attendeesession": {"starttime": "us_pacific", "endtime": "naive_pacific"},
    }
    run = ok(drifted(sandbox, drift, events))
    assert_complete(run, only(expected_records(data), set(events)))


def test_drift_unreadable_timestamp_fails_naming_endpoint_and_field(
    sandbox: SandboxProcess,
) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    run = drifted(sandbox, {"attendeesession": {"starttime": "unreadable_time"}}, [target])
    failed_with(run, "unexpected payload from", f"/event/{target}/attendeesession", "starttime")
    assert target not in bookmarks(run.states)


@pytest.mark.parametrize(("kind", "path"), [("html", "/attendee$"), ("truncate", "/registrant$")])
def test_transport_html_or_truncated_body_fails_naming_the_endpoint(
    sandbox: SandboxProcess, kind: str, path: str
) -> None:
    sandbox.scenarios({"platform": "on24", "path": path, "kind": kind})
    run = tap(sandbox, event_ids=[EXAMPLE_EVENT])
    failed_with(run, "unexpected payload from", path.strip("$"), "not JSON")
    assert EXAMPLE_EVENT not in bookmarks(run.states)


# --------------------------------------------------------------- paging under change


def paging(sandbox: SandboxProcess, *rules: dict[str, t.Any], per_page: int = 100) -> None:
    sandbox.configure(on24={"paging": list(rules), "max_items_per_page": per_page})


@pytest.mark.parametrize("kind", ["insert", "delete"])
def test_rows_inserted_or_deleted_between_pages_are_read_again(
    sandbox: SandboxProcess, kind: str
) -> None:
    before = sandbox.dataset("on24")
    target = busiest(before)
    ids = sorted(r["eventuserid"] for r in before["registrants"][target])
    paging(sandbox, {"resource": "registrant", "kind": kind, "times": 1, "event_id": int(target)})
    run = ok(tap(sandbox, event_ids=[target]))
    after = sandbox.dataset("on24")
    now = sorted(r["eventuserid"] for r in after["registrants"][target])
    assert now != ids  # the data really changed between the pages
    expected = only(expected_records(after), {target})
    # The events record is the one listed before the change; the change moved lastupdated,
    # so the next run reads the event again.
    expected["events"] = only(expected_records(before), {target})["events"]
    assert_complete(run, expected)
    # What one pass would have lost: the row that slid from page 1 onto page 0.
    assert str(now[100]) in {r["registrant_id"] for r in run.records("registrants")}
    assert len(warnings(run, f"/event/{target}/registrant changed while it was paged")) == 1


def test_rows_changing_on_every_read_fail_and_keep_the_bookmark(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    config = on24_config(sandbox, event_ids=[target], lookback_hours=0)
    first = ok(run_tap(config, timeout=TIMEOUT))
    (before,) = bookmarks([first.final_state])[target][-1:]
    added = sandbox.admin("on24", "add_activity", event_id=int(target), registrants=2)

    paging(sandbox, {"resource": "registrant", "kind": "insert", "times": -1})
    churned = run_tap(config, state=first.final_state, timeout=TIMEOUT)
    failed_with(churned, f"/event/{target}/registrant", "changed while it was paged")
    assert set(bookmarks(churned.states).get(target, [before])) == {before}
    assert not churned.records("registrants")

    paging(sandbox)
    later = ok(run_tap(config, state=first.final_state, timeout=TIMEOUT))
    read = {r["registrant_id"] for r in later.records("registrants")}
    assert {str(i) for i in added["eventuserids"]} <= read
    expected = only(expected_records(sandbox.dataset("on24")), {target})
    expected["registrant_sessions"] = {}  # sessions since the bookmark only: compared above
    assert_complete(later, expected, [s for s in KEYS if s != "registrant_sessions"])


def test_page_repeating_its_predecessor_once_is_read_again(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    paging(sandbox, {"resource": "attendee", "kind": "repeat", "times": 1}, per_page=20)
    run = ok(tap(sandbox, event_ids=[target]))
    assert_complete(run, only(expected_records(data), {target}))
    assert warnings(run, "/attendee changed while it was paged", "repeated page")


def test_page_always_repeating_fails_naming_the_endpoint(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    target = busiest(data)
    paging(sandbox, {"resource": "attendeesession", "kind": "repeat", "times": -1}, per_page=20)
    run = tap(sandbox, event_ids=[target])
    failed_with(run, f"/event/{target}/attendeesession", "page 1 repeated page 0")
    assert target not in bookmarks(run.states)


def test_total_changing_mid_listing_is_read_again(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("on24")
    paging(sandbox, {"resource": "listing", "kind": "total", "times": 1}, per_page=1)
    run = ok(tap(sandbox))
    expected = expected_records(data)
    assert_complete(run, {"events": expected["events"]}, streams=["events"])
    listings = Counter(e["query"].get("startDate") for e in sandbox.requests("on24"))
    assert max(listings.values()) > min(listings.values())  # one window was read twice
    assert warnings(run, "on24: /event changed while it was paged", "its total went")
