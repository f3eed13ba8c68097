"""GoTo Webinar end to end: the tap process against the sandbox process, over HTTP.

Expected records are computed here from the sandbox's raw dataset (`/_admin/goto/dataset`),
never from tap output.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.harness import (
    SandboxProcess,
    TapRun,
    assert_config_error,
    assert_referential_integrity,
    assert_unique_keys,
    run_tap,
)
from tests.test_resume import killed_run

CLIENT_ID = "goto-sandbox-client"
CLIENT_SECRET = "goto-sandbox-secret"
REFRESH_TOKEN = "goto-sandbox-refresh"
STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)
ID = {
    "events": "event_id",
    "registrants": "registrant_id",
    "registrant_sessions": "session_id",
    "viewers": "registrant_id",
    "survey_responses": "response_id",
    "questions": "question_id",
}
KEYS = {s: ("platform", "account_id", "event_id", ID[s]) for s in STREAMS}
KEYS["events"] = ("platform", "account_id", "event_id")
# The small dataset reaches 200 days back: two listing windows; tests run at FAST requests a
# second on both sides (the pacing test keeps the default of 10).
START_DATE = (datetime.now(timezone.utc) - timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
FAST = 40


def goto_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    url = sandbox.api_url("goto")
    return {
        "platform": "goto",
        "goto_client_id": CLIENT_ID,
        "goto_client_secret": CLIENT_SECRET,
        "goto_refresh_token": REFRESH_TOKEN,
        "api_url": url,
        "goto_auth_url": url,
        "start_date": START_DATE,
        "lookback_hours": 24,
        "max_concurrency": 4,
        "goto_rate_limit": FAST,
        **overrides,
    }


@pytest.fixture
def small(sandbox_process: SandboxProcess) -> SandboxProcess:
    """The small dataset, fresh for each test (no time spent on the default one)."""
    sandbox = sandbox_process
    sandbox.reset(size="small")
    sandbox.configure(goto={"rate_limit": FAST})
    return sandbox


def iso(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat()


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------- expectations


def expected(data: dict[str, t.Any], organizers: set[str] | None = None) -> dict[str, dict]:
    """Every record the tap must emit, keyed by its id columns, with the columns to check."""
    organizers = organizers or {data["organizer_key"]}
    out: dict[str, dict[tuple[str, ...], dict[str, t.Any]]] = {s: {} for s in STREAMS}
    for webinar in data["webinars"]:
        if str(webinar["organizerKey"]) not in organizers:
            continue
        wk = webinar["webinarKey"]
        held = [s for s in data["sessions"] if s["webinarKey"] == wk]
        starts = {s["startTime"] for s in held}
        out["events"][(wk,)] = {
            "title": webinar["subject"],
            "sessions": len(held)
            + sum(1 for time in webinar["times"] if time["startTime"] not in starts),
        }
        attended: dict[str, list[dict[str, t.Any]]] = {}
        for session in held:
            sk = session["sessionKey"]
            for attendee in data["attendees"][sk]:
                rk = str(attendee["registrantKey"])
                attended.setdefault(rk, []).append(attendee)
                joins = sorted(attendee["attendance"], key=lambda a: a["joinTime"])
                for index, interval in enumerate(joins):
                    out["registrant_sessions"][(wk, f"{sk}:{rk}:{index}")] = {
                        "registrant_id": rk,
                        "webinar_session_id": sk,
                        "started_at": iso(interval["joinTime"]),
                        "ended_at": iso(interval["leaveTime"]),
                        "duration_seconds": int(
                            (
                                when(interval["leaveTime"]) - when(interval["joinTime"])
                            ).total_seconds()
                        ),
                    }
                for kind, source in (("poll", data["polls"]), ("survey", data["surveys"])):
                    for index, answer in enumerate(source[sk].get(rk, [])):
                        out["survey_responses"][(wk, f"{sk}:{rk}:{kind}:{index}")] = {
                            "registrant_id": rk,
                            "kind": kind,
                            "question": answer["question"],
                            "answers": answer["answers"],
                        }
            for question in data["questions"][sk]:
                answers = [a["answer"] for a in question["answers"]]
                out["questions"][(wk, question["askerKey"], question["dateAsked"])] = {
                    "registrant_id": question["askerKey"],
                    "email": question["askedBy"],
                    "question": question["question"],
                    "answer": "\n".join(answers) or None,
                }
        for person in data["registrants"][wk]:
            rk = str(person["registrantKey"])
            out["registrants"][(wk, rk)] = {
                "email": person["email"],
                "first_name": person["firstName"],
                "last_name": person["lastName"],
                "status": person["status"].lower(),
                "registered_at": iso(person["registrationDate"]),
                "attended": rk in attended,
            }
        for rk, rows in attended.items():
            out["viewers"][(wk, rk)] = {
                "total_seconds": sum(r["attendanceTimeInSeconds"] for r in rows),
                "live_session_count": len(rows),
            }
    return out


def actual(run: TapRun) -> dict[str, dict[tuple[str, ...], dict[str, t.Any]]]:
    """The run's records keyed as `expected` keys them (questions by asker and time)."""
    out: dict[str, dict[tuple[str, ...], dict[str, t.Any]]] = {}
    for stream in STREAMS:
        rows: dict[tuple[str, ...], dict[str, t.Any]] = {}
        for record in run.records(stream):
            if stream == "events":
                key: tuple[str, ...] = (record["event_id"],)
            elif stream == "questions":
                asked = record["asked_at"].replace("+00:00", "Z")
                key = (record["event_id"], record["registrant_id"], asked)
            else:
                key = (record["event_id"], record[ID[stream]])
            rows[key] = record
        out[stream] = rows
    return out


def assert_matches(run: TapRun, data: dict[str, t.Any], **kwargs: t.Any) -> None:
    """Record by record: none missing, none extra, every checked column equal."""
    assert run.returncode == 0, run.stderr[-3000:]
    want = expected(data, **kwargs)
    got = actual(run)
    for stream in STREAMS:
        assert want[stream], f"{stream}: the sandbox data must exercise it"
        assert_unique_keys(run, stream, KEYS[stream])
        assert set(got[stream]) == set(want[stream]), stream
        for key, columns in want[stream].items():
            record = got[stream][key]
            if stream == "events":
                assert record["title"] == columns["title"]
                assert len(record["sessions"]) == columns["sessions"]
                assert all(isinstance(s["session_id"], str) for s in record["sessions"])
                continue
            for column, value in columns.items():
                assert record[column] == value, (stream, key, column)
    assert_referential_integrity([run], STREAMS[2:])


# ---------------------------------------------------------------- full syncs


def test_full_sync_equals_the_sandbox_data_record_by_record(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    run = run_tap(goto_config(small))
    assert_matches(run, data)
    # account_id: the account key the token answer carried (none set in config)
    assert {r["account_id"] for s in STREAMS for r in run.records(s)} == {data["account_key"]}
    statuses = {r["status"] for r in run.records("registrants")}
    assert statuses == {"approved", "waiting", "denied"}
    joins = Counter(
        (r["event_id"], r["webinar_session_id"], r["registrant_id"])
        for r in run.records("registrant_sessions")
    )
    assert max(joins.values()) > 1  # repeated joins are separate records


def test_keys_are_the_exact_digits_a_float_would_change(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    run = run_tap(goto_config(small))
    assert run.returncode == 0, run.stderr[-2000:]
    webinar_keys = {w["webinarKey"] for w in data["webinars"]}
    registrant_keys = {
        str(r["registrantKey"]) for rows in data["registrants"].values() for r in rows
    }
    session_keys = {s["sessionKey"] for s in data["sessions"]}
    for keys in (webinar_keys, registrant_keys, session_keys):
        assert all(len(k) == 19 and str(int(float(k))) != k for k in keys)  # floats break them
    assert {r["event_id"] for r in run.records("events")} <= webinar_keys
    for record in run.records("registrants"):
        assert record["registrant_id"] in registrant_keys
        assert isinstance(record["registrant_id"], str)
        assert str(record["extra"]["registrantKey"]) == record["registrant_id"]
    for record in run.records("registrant_sessions"):
        assert record["webinar_session_id"] in session_keys
        assert record["session_id"].split(":")[:2] == [
            record["webinar_session_id"],
            record["registrant_id"],
        ]
    # one key character for character, as the sandbox holds it
    first = data["registrants"][data["webinars"][0]["webinarKey"]][0]
    text = str(first["registrantKey"])
    emitted = [r["registrant_id"] for r in run.records("registrants") if r["registrant_id"] == text]
    assert emitted == [text]
    assert f"{float(text):.0f}" != text


def test_account_key_reads_every_organizer_of_the_account(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    run = run_tap(goto_config(small, goto_account_key=data["account_key"]))
    assert_matches(run, data, organizers={data["organizer_key"], data["other_organizer_key"]})
    assert {r["account_id"] for r in run.records("events")} == {data["account_key"]}
    paths = {r["path"] for r in small.requests("goto")}
    assert f"/accounts/{data['account_key']}/webinars" in paths


def test_injected_faults_change_nothing(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(fault_rate=0.1)
    run = run_tap(goto_config(small))
    assert any(r["fault"] for r in small.requests("goto"))
    assert_matches(run, data)


def test_rate_limit_answers_are_waited_out(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"rate_limit": 8})  # the tap paces at 10 a second: 429s come
    run = run_tap(goto_config(small, goto_rate_limit=10))
    assert Counter(r["status"] for r in small.requests("goto"))[429] >= 1
    assert "rate limit" in run.stderr
    assert_matches(run, data)


def test_pacing_keeps_under_the_configured_rate(small: SandboxProcess) -> None:
    small.configure(goto={"rate_limit": 10})
    run = run_tap(goto_config(small, goto_rate_limit=5, max_concurrency=8))
    assert run.returncode == 0, run.stderr[-2000:]
    log = small.requests("goto")
    assert all(r["status"] != 429 for r in log)
    times = sorted(r["at"] for r in log)
    assert len(times) > 15
    # no second holds more than the limit (a little slack for arrival jitter)
    assert max(sum(1 for x in times if s <= x < s + 1.0) for s in times) <= 6


def test_tokens_expiring_mid_run_are_renewed_once_and_the_output_is_complete(
    small: SandboxProcess,
) -> None:
    data = small.dataset("goto")
    small.configure(goto={"token_requests": 15})
    run = run_tap(goto_config(small))
    log = small.requests("goto")
    expired = [r for r in log if r["status"] == 403]
    tokens = [r for r in log if r["path"] == "/oauth/token"]
    assert expired and len(tokens) >= 3
    assert_matches(run, data)


def test_a_rotated_refresh_token_is_used_and_warned_about(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"rotate_refresh": True, "token_requests": 20})
    run = run_tap(goto_config(small))
    assert_matches(run, data)
    warnings = [line for line in run.stderr.splitlines() if "new refresh token" in line]
    assert warnings and "WARNING" in warnings[0]
    assert "goto-sandbox-refresh-" not in run.stderr  # the new token is a secret too


def test_keys_come_from_config_when_the_token_answer_lacks_them(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"omit_keys": True})
    missing = run_tap(goto_config(small))
    assert missing.returncode != 0
    assert "goto_organizer_key" in missing.stderr
    assert "Traceback" not in missing.stderr
    run = run_tap(goto_config(small, goto_organizer_key=data["organizer_key"]))
    assert_matches(run, data)
    assert {r["account_id"] for r in run.records("events")} == {data["organizer_key"]}
    labelled = run_tap(
        goto_config(small, goto_organizer_key=data["organizer_key"], account_id="acme-goto")
    )
    assert {r["account_id"] for r in labelled.records("registrants")} == {"acme-goto"}


# ---------------------------------------------------------------- incremental


def reread_paths(data: dict[str, t.Any], lookback: timedelta) -> Counter[str]:
    """The per-webinar requests an unchanged re-run must make, and no others."""
    now = datetime.now(timezone.utc)
    organizer = data["organizer_key"]
    paths: Counter[str] = Counter()
    for webinar in data["webinars"]:
        if str(webinar["organizerKey"]) != organizer:
            continue
        wk = webinar["webinarKey"]
        held = [s for s in data["sessions"] if s["webinarKey"] == wk]
        upcoming = any(when(time["endTime"]) > now for time in webinar["times"])
        recent = [s for s in held if when(s["endTime"]) >= now - lookback - timedelta(minutes=5)]
        if not (upcoming or recent):
            continue
        base = f"/organizers/{organizer}/webinars/{wk}"
        paths[f"{base}/registrants"] += 1
        for session in held:
            paths[f"{base}/sessions/{session['sessionKey']}/attendees"] += 1
        for session in recent:
            sk = session["sessionKey"]
            paths[f"{base}/sessions/{sk}/questions"] += 1
            for attendee in data["attendees"][sk]:
                for kind in ("polls", "surveys"):
                    paths[f"{base}/sessions/{sk}/attendees/{attendee['registrantKey']}/{kind}"] += 1
    return paths


def test_unchanged_rerun_reads_only_the_listings_and_the_lookback(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    config = goto_config(small)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    small.clear_requests()
    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]
    organizer = data["organizer_key"]
    listings = {f"/organizers/{organizer}/webinars", f"/organizers/{organizer}/sessions"}
    log = small.requests("goto")
    made = Counter(r["path"] for r in log if r["path"] not in listings | {"/oauth/token"})
    assert made == reread_paths(data, timedelta(hours=24))
    assert made  # the recent and the upcoming webinar are re-read
    assert sum(r["path"] in listings for r in log) >= 2
    # fewer records than the full run, but the re-read ones are all there again
    assert 0 < len(second.records("registrants")) < len(first.records("registrants"))
    assert 0 < len(second.records("events")) < len(first.records("events"))


def test_upstream_changes_are_emitted_by_the_next_run(small: SandboxProcess) -> None:
    config = goto_config(small)
    first = run_tap(config)
    assert first.returncode == 0, first.stderr[-2000:]
    late = small.admin("goto", "add_answer")
    added = small.admin("goto", "add_registrant")
    completed = small.admin("goto", "complete_session")
    second = run_tap(config, state=first.final_state)
    assert second.returncode == 0, second.stderr[-2000:]
    registrants = {(r["event_id"], r["registrant_id"]) for r in second.records("registrants")}
    assert (added["webinar_key"], added["registrant_key"]) in registrants
    sessions = {r["webinar_session_id"] for r in second.records("registrant_sessions")}
    assert completed["session_key"] in sessions
    answered = [
        q
        for q in second.records("questions")
        if q["registrant_id"] == late["asker_key"] and q["answer"]
    ]
    assert any("Answered late" in q["answer"] for q in answered)
    assert_referential_integrity([first, second], STREAMS[2:])


# ---------------------------------------------------------------- failures

BAD_CONFIGS = [
    ({"goto_client_id": None}, "goto_client_id"),
    ({"goto_client_secret": " "}, "goto_client_secret"),
    ({"goto_refresh_token": None}, "goto_refresh_token"),
    ({"goto_auth_url": "http://authentication.logmeininc.com"}, "goto_auth_url"),
    ({"goto_rate_limit": 0}, "goto_rate_limit"),
    ({"goto_organizer_key": "abc"}, "goto_organizer_key"),
]


@pytest.mark.parametrize(("change", "key"), BAD_CONFIGS, ids=[k for _, k in BAD_CONFIGS])
def test_bad_config_fails_in_one_line_before_any_request(
    small: SandboxProcess, change: dict[str, t.Any], key: str
) -> None:
    config = {k: v for k, v in {**goto_config(small), **change}.items() if v is not None}
    small.clear_requests()
    run = run_tap(config)
    assert_config_error(run, key)
    assert small.requests() == []


def one_error_line(run: TapRun) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(lines) == 1, run.stderr[-2000:]
    return lines[0]


def test_refused_refresh_token_fails_fast_naming_the_settings(small: SandboxProcess) -> None:
    secret = "not-the-refresh-token-s3cr3t"
    run = run_tap(goto_config(small, goto_refresh_token=secret))
    line = one_error_line(run)
    for name in ("goto_client_id", "goto_client_secret", "goto_refresh_token"):
        assert name in line
    assert [r["path"] for r in small.requests("goto")] == ["/oauth/token"]
    debug = run_tap(
        goto_config(small, goto_refresh_token=secret), env={"TAP_WEBINARS_LOGLEVEL": "DEBUG"}
    )
    assert debug.returncode != 0
    assert "DEBUG" in debug.stderr
    assert secret not in debug.stdout + debug.stderr
    assert CLIENT_SECRET not in debug.stdout + debug.stderr


def test_refused_client_secret_fails_fast(small: SandboxProcess) -> None:
    run = run_tap(goto_config(small, goto_client_secret="wrong"))
    assert "goto_client_secret" in one_error_line(run)
    assert len(small.requests("goto")) == 1


def test_a_withheld_permission_skips_its_stream_and_is_no_expiry(small: SandboxProcess) -> None:
    small.configure(goto={"withhold": ["questions"]})
    run = run_tap(goto_config(small))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("questions") == []
    assert run.records("registrant_sessions") and run.records("survey_responses")
    assert "skipping stream questions" in run.stderr
    assert "session Q&A" in run.stderr
    tokens = [r for r in small.requests("goto") if r["path"] == "/oauth/token"]
    assert len(tokens) == 1  # a not-allowed 403 renews no token


def test_strict_permissions_make_a_withheld_permission_fatal(small: SandboxProcess) -> None:
    small.configure(goto={"withhold": ["attendees"]})
    run = run_tap(goto_config(small, strict_permissions=True))
    line = one_error_line(run)
    assert "attendees" in line and "strict_permissions" in line


def test_an_expired_token_403_is_not_a_permission_and_429_is_neither(
    small: SandboxProcess,
) -> None:
    small.configure(goto={"token_requests": 10, "rate_limit": 8})
    run = run_tap(goto_config(small, goto_rate_limit=10))
    assert run.returncode == 0, run.stderr[-2000:]
    statuses = Counter(r["status"] for r in small.requests("goto"))
    assert statuses[403] >= 1 and statuses[429] >= 1
    assert "skipping stream" not in run.stderr
    assert all(run.records(s) for s in STREAMS)


def test_attendee_answers_can_be_left_out(small: SandboxProcess) -> None:
    run = run_tap(goto_config(small, goto_attendee_answers=False))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("survey_responses") == []
    assert run.records("registrant_sessions")
    assert not [r for r in small.requests("goto") if r["path"].endswith(("/polls", "/surveys"))]


def test_drifted_fields_are_kept_or_nulled_never_dropped(small: SandboxProcess) -> None:
    small.configure(goto={"drift": ["added", "dropped", "nulled"]})
    run = run_tap(goto_config(small))
    assert run.returncode == 0, run.stderr[-2000:]
    registrants = run.records("registrants")
    assert registrants
    assert all(r["first_name"] is None and r["last_name"] is None for r in registrants)
    assert all(r["extra"].get("marketingConsent") is True for r in registrants)


def test_a_float_key_is_a_payload_error_naming_the_endpoint(small: SandboxProcess) -> None:
    small.scenarios(
        {
            "platform": "goto",
            "path": "/registrants$",
            "kind": "body",
            "text": '[{"registrantKey": 4.611686018427388e18, "email": "x@example.com"}]',
        }
    )
    run = run_tap(goto_config(small))
    line = one_error_line(run)
    assert "registrants" in line and "registrantKey" in line


# ---------------------------------------------------------------- resume


@pytest.mark.parametrize("after_records", [2, 45, 100])
def test_killed_run_resumed_from_its_last_state_loses_nothing(
    small: SandboxProcess, after_records: int
) -> None:
    want = expected(small.dataset("goto"))
    config = goto_config(small)
    small.configure(latency_ms=5)  # slow enough that the kill lands mid-run
    first = killed_run(config, after_records)
    assert sum(m["type"] == "RECORD" for m in first) >= after_records
    states = [m["value"] for m in first if m["type"] == "STATE"]
    resumed = run_tap(config, state=states[-1] if states else None)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    got = actual(TapRun(0, "", "", first)), actual(resumed)
    for stream in STREAMS:
        assert want[stream], stream
        assert set(got[0][stream]) | set(got[1][stream]) == set(want[stream]), stream
