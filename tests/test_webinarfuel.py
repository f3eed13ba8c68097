"""WebinarFuel end to end: the tap process against the sandbox process, over HTTP."""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.harness import SandboxProcess, assert_config_error, assert_unique_keys, run_tap

API_KEY = "wf-sandbox-key"
KEYS = {
    "events": ("platform", "account_id", "event_id"),
    "registrants": ("platform", "account_id", "event_id", "registrant_id"),
    "registrant_sessions": ("platform", "account_id", "event_id", "session_id"),
    "viewers": ("platform", "account_id", "event_id", "registrant_id"),
}


def wf_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "platform": "webinarfuel",
        "webinarfuel_api_key": API_KEY,
        "api_url": sandbox.api_url("webinarfuel"),
        "start_date": "2020-01-01T00:00:00Z",
        "lookback_hours": 0,
        **overrides,
    }


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(value: str | None) -> str | None:
    return when(value).isoformat() if value else None


def blank(value: t.Any) -> t.Any:
    """What the tap makes of an empty string: null."""
    return None if isinstance(value, str) and not value.strip() else value


def session_order(session: dict[str, t.Any]) -> tuple[str, int]:
    return (session["scheduled_at"], session["cid"])


def expected_status(sessions: list[dict[str, t.Any]]) -> str:
    if any(s["attended"] for s in sessions):
        return "attended"
    if sessions and all(s["canceled"] for s in sessions):
        return "canceled"
    return "registered"


def without_bookmark(records: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Records minus `last_activity_at`, which for WebinarFuel is the time of the read."""
    return [{k: v for k, v in r.items() if k != "last_activity_at"} for r in records]


def by_key(records: list[dict[str, t.Any]], column: str) -> dict[str, dict[str, t.Any]]:
    return {r[column]: r for r in records}


def test_full_sync_equals_the_sandbox_data_field_by_field(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("webinarfuel")
    run = run_tap(wf_config(sandbox))
    assert run.returncode == 0, run.stderr[-2000:]

    for stream, key in KEYS.items():
        assert_unique_keys(run, stream, key)
    assert run.records("survey_responses") == []
    assert run.records("questions") == []
    for stream in KEYS:
        for record in run.records(stream):
            assert record["platform"] == "webinarfuel"
            assert record["account_id"] == "webinarfuel"

    ready = [w for w in data["webinars"] if w["state"] == "ready"]
    events = by_key(run.records("events"), "event_id")
    assert set(events) == {str(w["id"]) for w in ready}
    for webinar in ready:
        event = events[str(webinar["id"])]
        assert event["title"] == webinar["name"]
        assert event["description"] == blank(webinar["description"].strip())
        assert event["time_zone"] == webinar["time_zone"]
        assert event["sessions"] == [
            {"session_id": str(s["id"]), "scheduled_at": iso(s["scheduled_at"])}
            for s in webinar["sessions"]
        ]
        assert event["extra"]["hosts"] == webinar["hosts"]

    registrants = {r["id"]: r for r in data["registrants"]}
    sessions = by_key(run.records("registrant_sessions"), "session_id")
    assert set(sessions) == {str(s["cid"]) for s in data["sessions"]}
    for source in data["sessions"]:
        got = sessions[str(source["cid"])]
        started = iso(source["scheduled_at"]) if source["attended"] else None
        ended = None
        if source["attended"] and source["attended_time"]:
            ended = (
                when(source["scheduled_at"]) + timedelta(seconds=source["attended_time"])
            ).isoformat()
        assert got == {
            "platform": "webinarfuel",
            "account_id": "webinarfuel",
            "event_id": str(source["webinar_id"]),
            "session_id": str(source["cid"]),
            "registrant_id": str(source["registrant_id"]),
            "email": registrants[source["registrant_id"]]["email"],
            "session_type": "simlive",
            "webinar_session_id": str(source["webinar_session_id"]),
            "scheduled_at": iso(source["scheduled_at"]),
            "started_at": started,
            "ended_at": ended,
            "duration_seconds": source["attended_time"],
            "attended": source["attended"],
            "watched": source["watched"],
            "join_url": source["join_url"],
            "replay_url": source["replay_url"],
            "device": blank(source["device"]),
            "os": blank(source["os"]),
            "browser": blank(source["browser"]),
            "media": None,
            "country": blank(source["country"]),
            "city": blank(source["city"]),
            "time_zone": source["time_zone"],
            "extra": {
                k: source[k]
                for k in (
                    "scheduled_at_in_time_zone",
                    "canceled",
                    "encore_url",
                    "calendar_urls",
                    "source",
                    "referrer",
                    "utm_source",
                    "utm_term",
                    "utm_campaign",
                    "utm_medium",
                    "utm_content",
                    "province",
                )
            },
        }

    own_sessions: dict[int, list[dict[str, t.Any]]] = {}
    for source in data["sessions"]:
        own_sessions.setdefault(source["registrant_id"], []).append(source)
    got_registrants = by_key(run.records("registrants"), "registrant_id")
    assert set(got_registrants) == {str(r) for r in own_sessions}
    for registrant_id, own in own_sessions.items():
        source = registrants[registrant_id]
        first = sorted(own, key=session_order)[0]
        got = got_registrants[str(registrant_id)]
        assert got["event_id"] == str(source["webinar_id"])
        assert got["email"] == source["email"]
        assert got["first_name"] == blank(source["first_name"])
        assert got["last_name"] == blank(source["last_name"])
        assert got["phone"] == blank(source["phone"])
        assert got["tags"] == source["tags"]
        assert got["custom_fields"] == source["custom_fields"]
        assert got["registered_at"] == iso(source["created_at"])
        assert got["updated_at"] == iso(source["updated_at"])
        assert got["status"] == expected_status(own)
        assert got["attended"] == any(s["attended"] for s in own)
        for column in (
            "source",
            "referrer",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "city",
            "country",
        ):
            assert got[column] == blank(first[column]), column

    got_viewers = by_key(run.records("viewers"), "registrant_id")
    attendees = {rid: [s for s in own if s["attended"]] for rid, own in own_sessions.items()}
    attendees = {rid: watched for rid, watched in attendees.items() if watched}
    assert set(got_viewers) == {str(r) for r in attendees}
    for registrant_id, watched in attendees.items():
        got = got_viewers[str(registrant_id)]
        total = sum(s["attended_time"] for s in watched)
        assert got["simlive_seconds"] == total
        assert got["total_seconds"] == total
        assert got["simlive_session_count"] == len(watched)
        assert got["live_seconds"] == 0
        assert got["first_viewed_at"] == min(iso(s["scheduled_at"]) for s in watched)
        assert got["last_viewed_at"] == max(
            (when(s["scheduled_at"]) + timedelta(seconds=s["attended_time"])).isoformat()
            for s in watched
        )


def test_second_run_reads_only_the_window_and_emits_what_was_added(
    sandbox: SandboxProcess,
) -> None:
    config = wf_config(sandbox)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    bookmarks = {
        p["context"]["event_id"]: when(p["replication_key_value"])
        for p in first.final_state["bookmarks"]["events"]["partitions"]
    }
    data = sandbox.dataset("webinarfuel")
    busiest = Counter(s["webinar_id"] for s in data["sessions"]).most_common(1)[0][0]
    added = sandbox.admin(
        "webinarfuel", "add_registrations", webinar_id=busiest, count=3, attended=True
    )
    sandbox.clear_requests()

    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]

    # What the window must contain, worked out from the sandbox's own data.
    data = sandbox.dataset("webinarfuel")
    in_window = [
        s
        for s in data["sessions"]
        if when(s["scheduled_at"])
        >= bookmarks.get(str(s["webinar_id"]), when("2020-01-01T00:00:00Z"))
    ]
    touched = {s["registrant_id"] for s in in_window}
    expected_sessions = {str(s["cid"]) for s in data["sessions"] if s["registrant_id"] in touched}
    emitted = {r["session_id"] for r in second.records("registrant_sessions")}
    assert emitted == expected_sessions
    new_registrants = {str(i) for i in added["registrant_ids"]}
    assert new_registrants <= {r["registrant_id"] for r in second.records("registrants")}
    assert new_registrants <= {r["registrant_id"] for r in second.records("viewers")}
    assert len(emitted) < len(data["sessions"]) / 2  # the rest was not re-read

    log = sandbox.requests("webinarfuel")
    assert sum(r["path"] == "/webinars" for r in log) == 1
    windowed = [
        r for r in log if r["path"] == "/registrant_sessions" and "after_scheduled_at" in r["query"]
    ]
    assert len(windowed) == len({r["query"]["webinar_id"] for r in windowed})  # one page each
    for request in windowed:
        bookmark = bookmarks.get(request["query"]["webinar_id"])
        if bookmark is not None:
            assert when(request["query"]["after_scheduled_at"]) == bookmark
    registrant_reads = [r for r in log if r["path"].startswith("/registrants")]
    assert len(registrant_reads) <= len(touched) + 1


def test_rate_limit_answers_are_waited_out_and_output_is_complete(
    sandbox: SandboxProcess,
) -> None:
    config = wf_config(sandbox)
    baseline = run_tap(config)
    assert baseline.returncode == 0
    sandbox.configure(webinarfuel={"rate_limit": [8, 2], "reset_rate_limit": True})
    sandbox.clear_requests()
    limited = run_tap(config)
    assert limited.returncode == 0, limited.stderr[-2000:]
    statuses = Counter(r["status"] for r in sandbox.requests("webinarfuel"))
    assert statuses[429] >= 1
    assert "rate limit" in limited.stderr
    for stream in KEYS:
        assert without_bookmark(limited.records(stream)) == without_bookmark(
            baseline.records(stream)
        ), stream


def test_injected_faults_change_nothing_in_the_output(sandbox: SandboxProcess) -> None:
    config = wf_config(sandbox)
    baseline = run_tap(config)
    assert baseline.returncode == 0
    sandbox.configure(fault_rate=0.1)
    sandbox.clear_requests()
    faulty = run_tap(config)
    assert faulty.returncode == 0, faulty.stderr[-2000:]
    assert any(r["fault"] for r in sandbox.requests("webinarfuel"))
    for stream in KEYS:
        assert without_bookmark(faulty.records(stream)) == without_bookmark(
            baseline.records(stream)
        ), stream


BAD_CONFIGS = [
    ({"platform": None}, "platform"),
    ({"platform": "zoom"}, "platform"),
    ({"webinarfuel_api_key": None}, "webinarfuel_api_key"),
    ({"webinarfuel_api_key": "  "}, "webinarfuel_api_key"),
    ({"start_date": "last tuesday"}, "start_date"),
    ({"end_date": "2019-01-01T00:00:00Z"}, "end_date"),
    ({"api_url": "http://api.webinarfuel.com"}, "api_url"),
    ({"api_url": "ftp://127.0.0.1/x"}, "api_url"),
    ({"lookback_hours": -1}, "lookback_hours"),
    ({"max_concurrency": 0}, "max_concurrency"),
    ({"event_ids": "1001"}, "event_ids"),
]


@pytest.mark.parametrize(("change", "key"), BAD_CONFIGS, ids=[k for _, k in BAD_CONFIGS])
def test_bad_config_fails_in_one_line_before_any_request(
    sandbox: SandboxProcess, change: dict[str, t.Any], key: str
) -> None:
    config = {k: v for k, v in {**wf_config(sandbox), **change}.items() if v is not None}
    sandbox.clear_requests()
    run = run_tap(config)
    assert_config_error(run, key)
    assert sandbox.requests() == []


def test_refused_key_fails_fast_naming_the_setting_without_showing_it(
    sandbox: SandboxProcess,
) -> None:
    secret = "wrong-key-s3cr3t-value"
    run = run_tap(
        wf_config(sandbox, webinarfuel_api_key=secret), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"}
    )
    assert run.returncode != 0
    assert "webinarfuel_api_key" in run.stderr
    assert secret not in run.stdout + run.stderr
    assert len(sandbox.requests("webinarfuel")) == 1  # no retries on refused credentials


def test_no_secret_in_output_at_debug_level(sandbox: SandboxProcess) -> None:
    run = run_tap(wf_config(sandbox), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"})
    assert run.returncode == 0
    assert "DEBUG" in run.stderr  # debug logging really was on
    assert API_KEY not in run.stdout
    assert API_KEY not in run.stderr


def test_event_ids_limit_the_sync(sandbox: SandboxProcess) -> None:
    data = sandbox.dataset("webinarfuel")
    chosen = str(data["webinars"][2]["id"])
    run = run_tap(wf_config(sandbox, event_ids=[chosen]))
    assert run.returncode == 0
    assert {r["event_id"] for r in run.records("events")} == {chosen}
    assert {r["event_id"] for r in run.records("registrant_sessions")} == {chosen}
    windowed = [r for r in sandbox.requests("webinarfuel") if r["path"] == "/registrant_sessions"]
    assert {r["query"]["webinar_id"] for r in windowed} == {chosen}


def test_output_order_does_not_depend_on_concurrency(sandbox: SandboxProcess) -> None:
    sandbox.configure(latency_ms=20)  # enough for parallel fetches to finish out of order
    serial = run_tap(wf_config(sandbox, max_concurrency=1))
    parallel = run_tap(wf_config(sandbox, max_concurrency=8))
    assert serial.returncode == parallel.returncode == 0

    def shape(run: t.Any) -> list[tuple[str, t.Any]]:
        return [
            (m["stream"], without_bookmark([m["record"]])[0])
            for m in run.messages
            if m["type"] == "RECORD"
        ]

    assert shape(parallel) == shape(serial)


def test_registrant_gone_from_the_account_leaves_its_sessions_with_a_null_registrant(
    sandbox: SandboxProcess,
) -> None:
    """A session whose registrant answers 404 is kept, its registrant_id null (integrity)."""
    data = sandbox.dataset("webinarfuel")
    owners: dict[int, set[int]] = {}
    for session in data["sessions"]:
        owners.setdefault(session["webinar_id"], set()).add(session["registrant_id"])
    webinar_id, registrants = min(owners.items(), key=lambda item: (len(item[1]), item[0]))
    gone = min(registrants)
    assert sandbox.admin("webinarfuel", "delete_registrant", registrant_id=gone)["deleted"] == 1
    # The directory reads page 1 of the account's listing, then asks for the rest by id
    # while that is cheaper than the remaining pages.
    assert len(registrants) < len(data["registrants"]) / 50 - 1

    run = run_tap(wf_config(sandbox, event_ids=[str(webinar_id)]))
    assert run.returncode == 0, run.stderr[-3000:]
    by_id = [r for r in sandbox.requests("webinarfuel") if r["path"] == f"/registrants/{gone}"]
    assert [r["status"] for r in by_id] == [404]  # asked once, not retried
    own = [s for s in data["sessions"] if s["registrant_id"] == gone]
    emitted = [
        r
        for r in run.records("registrant_sessions")
        if r["extra"].get("registrant_id") in (gone, str(gone))
    ]
    assert sorted(r["session_id"] for r in emitted) == sorted(str(s["cid"]) for s in own)
    assert all(r["registrant_id"] is None and r["email"] is None for r in emitted)
    assert str(gone) not in {r["registrant_id"] for r in run.records("registrant_sessions")}
    assert str(gone) not in {r["registrant_id"] for r in run.records("registrants")}
    assert str(gone) not in {r["registrant_id"] for r in run.records("viewers")}
    assert f"registrant {gone} of webinar {webinar_id} is no longer listed" in run.stderr


def two_older_registrants(
    sandbox: SandboxProcess, webinar_id: int, days_ago: int
) -> tuple[datetime, set[str]]:
    """Two registrations for a session held *days_ago*: a window start after both registered,
    and their ids."""
    held = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days_ago)
    added = sandbox.admin(
        "webinarfuel",
        "add_registrations",
        webinar_id=webinar_id,
        count=2,
        scheduled_at=held.isoformat(),
    )
    start = held - timedelta(minutes=30)  # after both registered (an hour or more before)
    registrants = {r["id"]: r for r in sandbox.dataset("webinarfuel")["registrants"]}
    assert all(when(registrants[i]["created_at"]) < start for i in added["registrant_ids"])
    return start, {str(i) for i in added["registrant_ids"]}


def test_two_older_registrants_without_history_cost_one_history_read(
    sandbox: SandboxProcess,
) -> None:
    """Two registrants older than the window, nothing before it: one read of the webinar's
    history (an empty page) answers for both, not one `email` read each."""
    data = sandbox.dataset("webinarfuel")
    busy = {s["webinar_id"] for s in data["sessions"]}
    webinar = next(w for w in data["webinars"] if w["state"] == "ready" and w["id"] not in busy)
    start, ids = two_older_registrants(sandbox, webinar["id"], days_ago=1)
    sandbox.clear_requests()

    run = run_tap(wf_config(sandbox, start_date=start.isoformat(), event_ids=[str(webinar["id"])]))
    assert run.returncode == 0, run.stderr[-2000:]

    assert {r["registrant_id"] for r in run.records("registrants")} == ids
    assert {r["registrant_id"] for r in run.records("registrant_sessions")} == ids
    history = [
        r
        for r in sandbox.requests("webinarfuel")
        if r["path"] == "/registrant_sessions" and "before_scheduled_at" in r["query"]
    ]
    assert len(history) == 1, [r["query"] for r in history]
    assert "email" not in history[0]["query"]


def upcoming_webinars(data: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Ready webinars with sessions whose listed slots are all ahead, fewest sessions first."""
    now = datetime.now(timezone.utc)
    counts = Counter(s["webinar_id"] for s in data["sessions"])
    found = [
        w
        for w in data["webinars"]
        if w["state"] == "ready"
        and counts[w["id"]]
        and w["sessions"]
        and all(when(slot["scheduled_at"]) > now for slot in w["sessions"])
    ]
    return sorted(found, key=lambda w: counts[w["id"]])


def sessions_to_emit(data: dict[str, t.Any], webinar_id: int, start: datetime) -> set[str]:
    """The window's sessions of a webinar, and every other one of their registrants."""
    own = [s for s in data["sessions"] if s["webinar_id"] == webinar_id]
    present = {s["registrant_id"] for s in own if when(s["scheduled_at"]) >= start}
    return {str(s["cid"]) for s in own if s["registrant_id"] in present}


def first_run_emits(
    sandbox: SandboxProcess, webinar_id: int, start: datetime, expected: set[str]
) -> None:
    """A first run of one webinar from *start*, the request log cleared: its sessions."""
    sandbox.clear_requests()
    run = run_tap(wf_config(sandbox, start_date=start.isoformat(), event_ids=[str(webinar_id)]))
    assert run.returncode == 0, run.stderr[-2000:]
    emitted = [r["session_id"] for r in run.records("registrant_sessions")]
    assert emitted and set(emitted) == expected
    assert_unique_keys(run, "registrant_sessions", ("event_id", "session_id"))


def session_reads(sandbox: SandboxProcess) -> list[dict[str, t.Any]]:
    return [
        r["query"] for r in sandbox.requests("webinarfuel") if r["path"] == "/registrant_sessions"
    ]


def test_a_new_webinar_listed_with_no_slot_before_the_window_is_read_whole_once(
    sandbox: SandboxProcess,
) -> None:
    """First run; every listed slot after the window's start; two registrants older than the
    window: one unfiltered read holds the window and proves there is nothing before it, where
    a windowed read needs a second request to find an empty history."""
    webinar = upcoming_webinars(sandbox.dataset("webinarfuel"))[0]
    start, _ids = two_older_registrants(sandbox, webinar["id"], days_ago=2)
    data = sandbox.dataset("webinarfuel")
    expected = sessions_to_emit(data, webinar["id"], start)
    assert len(expected) < 50  # one page
    first_run_emits(sandbox, webinar["id"], start, expected)
    reads = session_reads(sandbox)
    assert reads == [{"webinar_id": str(webinar["id"]), "page": "1", "per_page": "50"}]


def test_a_whole_read_whose_first_page_shows_earlier_sessions_turns_to_the_window(
    sandbox: SandboxProcess,
) -> None:
    """The listing shows no slot before the window, but sessions were held before it (a
    recurring webinar lists what is ahead): page 1 shows one and more pages follow, so the
    tap reads the window instead, one request spent, and emits the same records."""
    webinar = upcoming_webinars(sandbox.dataset("webinarfuel"))[-1]
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=5)
    sandbox.admin(
        "webinarfuel",
        "add_registrations",
        webinar_id=webinar["id"],
        count=40,
        scheduled_at=(start - timedelta(days=5)).isoformat(),
    )
    data = sandbox.dataset("webinarfuel")
    own = [s for s in data["sessions"] if s["webinar_id"] == webinar["id"]]
    assert len(own) > 50 and any(when(s["scheduled_at"]) < start for s in own[:50])
    expected = sessions_to_emit(data, webinar["id"], start)
    first_run_emits(sandbox, webinar["id"], start, expected)
    whole = [q for q in session_reads(sandbox) if set(q) == {"webinar_id", "page", "per_page"}]
    assert [q["page"] for q in whole] == ["1"]  # page 1 only, then the window
    assert any("after_scheduled_at" in q for q in session_reads(sandbox))
