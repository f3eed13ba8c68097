"""Zoom Webinars end to end: the tap process against the sandbox process, over HTTP.

Expected records are computed here from the sandbox's own dataset (`/_admin/zoom/dataset`)
by the rules of SPEC §5 (which instances are read, who joins which registrant), never from
tap output.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests

from tap_webinars.normalize import stable_id
from tap_webinars.sandbox import zoom
from tests.harness import (
    SandboxProcess,
    assert_config_error,
    assert_referential_integrity,
    assert_unique_keys,
    run_tap,
)
from tests.zoom_expected import STREAMS, Expected, natural, when

KEYS = {
    "events": ("platform", "account_id", "event_id"),
    "registrants": ("platform", "account_id", "event_id", "registrant_id"),
    "registrant_sessions": ("platform", "account_id", "event_id", "session_id"),
    "viewers": ("platform", "account_id", "event_id", "registrant_id"),
    "survey_responses": ("platform", "account_id", "event_id", "response_id"),
    "questions": ("platform", "account_id", "event_id", "question_id"),
}
CHILDREN = STREAMS[1:]


def zoom_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    url = sandbox.api_url("zoom")
    return {
        "platform": "zoom",
        "zoom_account_id": zoom.ACCOUNT_ID,
        "zoom_client_id": zoom.CLIENT_ID,
        "zoom_client_secret": zoom.CLIENT_SECRET,
        "zoom_oauth_url": url,
        "api_url": url,
        "start_date": "2020-01-01T00:00:00Z",
        "lookback_hours": 24,
        **overrides,
    }


@pytest.fixture
def zoom_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset(size="small")
    return sandbox


def tap_rows(run: t.Any, stream: str) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    rows: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}
    for record in run.records(stream):
        key = natural(stream, record)
        assert key not in rows, (stream, key)
        rows[key] = record
    return rows


def assert_matches(run: t.Any, expected: Expected) -> None:
    """Every stream: the same natural keys, unique keys, and the columns that matter."""
    for stream in STREAMS:
        assert_unique_keys(run, stream, KEYS[stream])
        got = tap_rows(run, stream)
        want = expected.rows[stream]
        assert want, stream
        assert set(got) == set(want), (stream, set(got) ^ set(want))
        for key, columns in want.items():
            record = got[key]
            for column, value in columns.items():
                actual = record[column]
                if column == "sessions":
                    actual = sorted(s["session_id"] for s in actual)
                assert actual == value, (stream, key, column, actual, value)
    assert_referential_integrity([run], CHILDREN)


# ----------------------------------------------------------------------- full syncs


def test_full_sync_equals_the_sandbox_data(zoom_sandbox: SandboxProcess) -> None:
    data = zoom_sandbox.dataset("zoom")
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    assert_matches(run, Expected(data))
    for stream in STREAMS:
        for record in run.records(stream):
            assert record["platform"] == "zoom"
            assert record["account_id"] == zoom.ACCOUNT_ID
    # The secret and the bearer tokens never show.
    assert zoom.CLIENT_SECRET not in run.stdout + run.stderr
    assert "zoom-token-" not in run.stdout + run.stderr
    # Paging: the 300-registrant page limit was crossed with next_page_token.
    log = zoom_sandbox.requests("zoom")
    assert any(r["query"].get("next_page_token") for r in log if r["path"].endswith("/registrants"))
    assert "older than 6 months" in run.stderr
    assert "3001" in run.stderr


def test_full_sync_under_faults_and_rate_limits(zoom_sandbox: SandboxProcess) -> None:
    data = zoom_sandbox.dataset("zoom")
    zoom_sandbox.configure(
        fault_rate=0.1, zoom={"rate_limits": {"Light": 4, "Medium": 4, "Heavy": 4}}
    )
    run = run_tap(zoom_config(zoom_sandbox, max_retry_seconds=120, max_concurrency=8))
    assert run.returncode == 0, run.stderr[-3000:]
    log = zoom_sandbox.requests("zoom")
    assert any(r["fault"] for r in log)
    assert any(r["status"] == 429 for r in log)
    assert_matches(run, Expected(data))


def test_uuids_with_slashes_plus_and_equals_are_read(zoom_sandbox: SandboxProcess) -> None:
    hostile = zoom.HOSTILE_UUIDS[0]
    assert hostile.startswith("/") and "//" in hostile and "+" in hostile and "=" in hostile
    url = zoom_sandbox.api_url("zoom")
    token = requests.post(
        f"{url}/oauth/token",
        params={"grant_type": "account_credentials", "account_id": zoom.ACCOUNT_ID},
        auth=(zoom.CLIENT_ID, zoom.CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    once = quote(hostile, safe="")
    single = requests.get(f"{url}/report/webinars/{once}/participants", headers=headers, timeout=10)
    assert single.status_code == 404  # the sandbox, like Zoom, loses a single-encoded one
    twice = quote(once, safe="")
    double = requests.get(
        f"{url}/report/webinars/{twice}/participants", headers=headers, timeout=10
    )
    assert double.status_code == 200

    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    for uuid in zoom.HOSTILE_UUIDS:
        joins = [r for r in run.records("registrant_sessions") if r["webinar_session_id"] == uuid]
        assert joins, uuid
    # Two joins by one person are two registrant_sessions of one registrant.
    per_person = Counter(
        (r["webinar_session_id"], r["registrant_id"]) for r in run.records("registrant_sessions")
    )
    assert max(per_person.values()) >= 2
    twice_joined = [k for k, c in per_person.items() if c >= 2]
    viewers = {(v["registrant_id"]): v for v in run.records("viewers")}
    assert any(viewers[rid]["live_session_count"] >= 2 for _, rid in twice_joined)


def test_webinar_without_registration_gets_registrants_from_participants(
    zoom_sandbox: SandboxProcess,
) -> None:
    data = zoom_sandbox.dataset("zoom")
    open_webinar = next(w for w in data["webinars"] if w["settings"]["approval_type"] == 2)
    event_id = str(open_webinar["id"])
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    registrants = [r for r in run.records("registrants") if r["event_id"] == event_id]
    people = {
        (p["user_email"], p["name"]) for i in open_webinar["instances"] for p in i["participants"]
    }
    expected_ids = {
        stable_id("zoom-person", event_id, "email", e.lower())
        if e
        else stable_id("zoom-person", event_id, "name", name)
        for e, name in people
    }
    assert {r["registrant_id"] for r in registrants} == expected_ids
    assert any(r["email"] is None for r in registrants)  # hidden emails: named by name
    # No request for the registrants of a webinar without registration, nor for its
    # instances' absentees (Zoom answers those with code 3000).
    log = zoom_sandbox.requests("zoom")
    assert not [r for r in log if r["path"] == f"/webinars/{event_id}/registrants"]
    absentees = {
        f"/past_webinars/{segment_of(i['uuid'])}/absentees" for i in open_webinar["instances"]
    }
    assert absentees
    assert not [r for r in log if r["path"] in absentees]


# ---------------------------------------------------------------------- incremental


def listing_paths(data: dict[str, t.Any]) -> set[str]:
    hosts = [u["id"] for u in data["users"] if u["status"] in ("active", "inactive")]
    return (
        {"/oauth/token", "/users"}
        | {f"/users/{h}/webinars" for h in hosts}
        | {f"/report/users/{h}/meetings" for h in hosts}
    )


def segment_of(uuid: str) -> str:
    """A uuid as Zoom wants it in a path (reference/README.md), written out independently."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def test_unchanged_rerun_reads_only_listings_upcoming_and_lookback(
    zoom_sandbox: SandboxProcess,
) -> None:
    data = zoom_sandbox.dataset("zoom")
    config = zoom_config(zoom_sandbox)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    zoom_sandbox.clear_requests()
    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]
    now = when(data["now"])
    lookback = timedelta(hours=24)
    upcoming = [w for w in data["webinars"] if w["upcoming"] and not w["deleted"]]
    recent = [
        i["uuid"]
        for w in data["webinars"]
        for i in w["instances"]
        if when(i["end_time"]) >= now - lookback
    ]
    assert upcoming and recent
    allowed = listing_paths(data)
    for webinar in upcoming:
        allowed |= {
            f"/webinars/{webinar['id']}",
            f"/webinars/{webinar['id']}/registrants",
            f"/past_webinars/{webinar['id']}/instances",
        }
    encoded = {segment_of(u) for u in recent}
    for segment in encoded:
        allowed |= {
            f"/report/webinars/{segment}/{kind}"
            for kind in ("participants", "polls", "qa", "survey")
        }
        allowed.add(f"/past_webinars/{segment}/absentees")
    # Their webinars' settled instances: joins only, for the viewer totals.
    for webinar in data["webinars"]:
        if any(i["uuid"] in recent for i in webinar["instances"]):
            for instance in webinar["instances"]:
                if when(instance["start_time"]) >= now - timedelta(days=182):
                    allowed.add(f"/report/webinars/{segment_of(instance['uuid'])}/participants")
    paths = {r["path"] for r in zoom_sandbox.requests("zoom")}
    assert paths <= allowed, paths - allowed
    assert any("/report/webinars/" in p for p in paths)  # the lookback re-read
    events = {r["event_id"] for r in second.records("events")}
    assert events == {str(w["id"]) for w in upcoming}
    assert first.records("registrant_sessions")
    assert len(second.records("registrant_sessions")) < len(first.records("registrant_sessions"))


def test_next_run_emits_what_changed_upstream(zoom_sandbox: SandboxProcess) -> None:
    config = zoom_config(zoom_sandbox)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    data = zoom_sandbox.dataset("zoom")
    now = when(data["now"])
    recurring = next(w for w in data["webinars"] if w["upcoming"] and w["occurrences"])
    keynote = next(w for w in data["webinars"] if w["upcoming"] and not w["occurrences"])
    recent = next(
        i for i in recurring["instances"] if when(i["end_time"]) >= now - timedelta(hours=24)
    )
    added = zoom_sandbox.admin("zoom", "add_registrant", webinar_id=keynote["id"])
    ended = zoom_sandbox.admin("zoom", "end_instance", webinar_id=recurring["id"])
    late = zoom_sandbox.admin("zoom", "add_poll_answer", uuid=recent["uuid"])
    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]

    new_registrants = {
        r["registrant_id"]
        for r in second.records("registrants")
        if r["event_id"] == str(keynote["id"])
    } - {r["registrant_id"] for r in first.records("registrants")}
    assert new_registrants == set(added["registrant_ids"])
    sessions = {r["webinar_session_id"] for r in second.records("registrant_sessions")}
    assert ended["uuid"] in sessions
    assert ended["uuid"] not in {
        r["webinar_session_id"] for r in first.records("registrant_sessions")
    }
    late_answers = [
        r
        for r in second.records("survey_responses")
        if r["answer"] == "A late answer" and r["email"] == late["email"]
    ]
    assert len(late_answers) == 1
    # Nothing else is read: only the webinars still upcoming or ended within the lookback.
    assert {r["event_id"] for r in second.records("events")} == {
        str(keynote["id"]),
        str(recurring["id"]),
    }
    # And the new state matches a fresh full sync of the changed data.
    assert_matches_union([first, second], Expected(zoom_sandbox.dataset("zoom")))


def assert_matches_union(runs: list[t.Any], expected: Expected) -> None:
    for stream in STREAMS:
        keys: set[tuple[t.Any, ...]] = set()
        for run in runs:
            keys |= {natural(stream, r) for r in run.records(stream)}
        assert keys == set(expected.rows[stream]), (stream, keys ^ set(expected.rows[stream]))
    assert_referential_integrity(runs, CHILDREN)


# ------------------------------------------------------------------------- config


def test_missing_credential_is_one_line_naming_the_key(zoom_sandbox: SandboxProcess) -> None:
    config = zoom_config(zoom_sandbox)
    del config["zoom_client_secret"]
    run = run_tap(config)
    assert_config_error(run, "zoom_client_secret")
    assert zoom_sandbox.requests("zoom") == []


def test_wrong_credentials_fail_fast_naming_the_three_settings(
    zoom_sandbox: SandboxProcess,
) -> None:
    run = run_tap(zoom_config(zoom_sandbox, zoom_client_secret="not-the-secret"))
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(lines) == 1, run.stderr
    for key in ("zoom_account_id", "zoom_client_id", "zoom_client_secret"):
        assert key in lines[0]
    assert "not-the-secret" not in run.stderr
    assert len(zoom_sandbox.requests("zoom")) == 1  # the token request, not retried


def test_unknown_plan_is_one_line_naming_the_key(zoom_sandbox: SandboxProcess) -> None:
    run = run_tap(zoom_config(zoom_sandbox, zoom_plan="gold"))
    assert_config_error(run, "zoom_plan")
    assert zoom_sandbox.requests("zoom") == []
