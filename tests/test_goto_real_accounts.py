"""GoTo Webinar against what real accounts send: other envelopes, small pages, refusals."""

from __future__ import annotations

import json
import subprocess
import typing as t
from collections import Counter
from pathlib import Path

import pytest

from tests.harness import BIN, SandboxProcess, TapRun, run_tap
from tests.test_goto import STREAMS, assert_matches, goto_config, one_error_line

__all__ = ["small"]  # the fixture, shared with test_goto
from tests.test_goto import small


def access_report(config: dict[str, t.Any], folder: Path, fmt: str = "table") -> str:
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [str(BIN / "tap-webinars-access"), "--config", str(path), "--format", fmt],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_registrants_as_a_bare_array_read_the_same(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"registrant_paging": False})
    run = run_tap(goto_config(small))
    assert_matches(run, data)


def test_small_pages_are_walked_to_the_envelope_total(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"page_cap": 2})
    run = run_tap(goto_config(small))
    assert_matches(run, data)
    pages = Counter(
        (r["path"], r["query"].get("fromTime"))
        for r in small.requests("goto")
        if r["path"].endswith(("/webinars", "/registrants"))
    )
    assert max(pages.values()) >= 3  # several pages of one listing, from page 0
    assert all(
        r["query"].get("page") in {"0", "1", "2", "3", "4"}
        for r in small.requests("goto")
        if r["path"].endswith("/webinars")
    )


def test_listings_are_asked_for_in_windows(small: SandboxProcess) -> None:
    small.configure(goto={"max_window_days": 100})
    refused = run_tap(goto_config(small))
    assert "bad range" in one_error_line(refused) or "400" in one_error_line(refused)
    data = small.dataset("goto")
    run = run_tap(goto_config(small, goto_window_days=90))
    assert_matches(run, data)
    listed = [r for r in small.requests("goto") if r["path"].endswith("/webinars")]
    assert all(r["query"]["fromTime"] and r["query"]["toTime"] for r in listed)


def test_the_access_report_names_each_missing_permission(
    small: SandboxProcess, tmp_path: Path
) -> None:
    small.configure(goto={"withhold": ["polls", "questions"]})
    table = access_report(goto_config(small), tmp_path)
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert "attendee poll and survey answers" in rows["survey_responses"]
    assert "session Q&A" in rows["questions"]
    for stream in ("events", "registrants", "registrant_sessions", "viewers"):
        assert rows[stream].split()[1] == "ok", rows[stream]


def test_withheld_webinars_stop_the_run_in_one_line(small: SandboxProcess) -> None:
    small.configure(goto={"withhold": ["webinars"]})
    run = run_tap(goto_config(small))
    line = one_error_line(run)
    assert "webinars" in line
    assert [r for r in small.requests("goto") if r["status"] == 403]
    assert not [r for r in small.requests("goto") if "/registrants" in r["path"]]


def test_withheld_attendees_skip_their_streams_and_leave_attended_null(
    small: SandboxProcess,
) -> None:
    small.configure(goto={"withhold": ["attendees"]})
    run = run_tap(goto_config(small), timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in ("registrant_sessions", "viewers", "survey_responses"):
        assert run.records(stream) == [], stream
    assert run.records("questions") and run.records("registrants")
    assert "session attendees" in run.stderr
    held = {s["webinarKey"] for s in small.dataset("goto")["sessions"]}
    assert all(r["attended"] is None for r in run.records("registrants") if r["event_id"] in held)


def test_a_withheld_session_listing_keeps_the_events(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(goto={"withhold": ["sessions"]})
    run = run_tap(goto_config(small), timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    organizer = data["organizer_key"]
    mine = {w["webinarKey"] for w in data["webinars"] if str(w["organizerKey"]) == organizer}
    assert {r["event_id"] for r in run.records("events")} == mine
    assert all(not run.records(s) for s in STREAMS[1:])
    assert "completed sessions" in run.stderr


BAD_PAYLOADS = [
    ("/attendees$", '[{"email": "x@example.com", "attendance": []}]', "registrantKey"),
    ("/registrants$", '{"items": []}', "registrants"),
    ("/webinars$", '{"_embedded": {"webinars": []}}', "webinars"),
    ("/questions$", '{"question": "not a list"}', "questions"),
]


@pytest.mark.parametrize(
    ("path", "body", "named"), BAD_PAYLOADS, ids=[p for p, _, _ in BAD_PAYLOADS]
)
def test_a_bad_payload_stops_the_run_naming_the_endpoint(
    small: SandboxProcess, path: str, body: str, named: str
) -> None:
    small.scenarios({"platform": "goto", "path": path, "kind": "body", "text": body})
    run = run_tap(goto_config(small), timeout=120)
    line = one_error_line(run)
    assert "unexpected payload from" in line and named in line, line
    assert "/goto/" in line


def test_the_connection_check_reads_one_listing_page(small: SandboxProcess) -> None:
    from tap_webinars.errors import AuthenticationError
    from tap_webinars.platforms import adapter_class, load_settings

    settings = load_settings(goto_config(small))
    small.clear_requests()
    adapter_class("goto")(settings).check()
    paths = [r["path"] for r in small.requests("goto")]
    assert paths[0] == "/oauth/token" and len(paths) == 2
    assert paths[1].endswith("/webinars") and small.requests("goto")[1]["status"] == 200
    refused = load_settings(goto_config(small, goto_refresh_token="revoked"))
    with pytest.raises(AuthenticationError, match="goto_refresh_token"):
        adapter_class("goto")(refused).check()


def test_a_short_lived_token_is_renewed_before_it_ends(small: SandboxProcess) -> None:
    data = small.dataset("goto")
    small.configure(latency_ms=100, goto={"token_lifetime": 4})
    run = run_tap(goto_config(small, max_concurrency=1), timeout=120)
    log = small.requests("goto")
    renewals = [r["at"] for r in log if r["path"] == "/oauth/token"][1:]
    refused = [r["at"] for r in log if r["status"] == 403]
    # renewed before it ends, not only once refused (a request paced past a token's end
    # can still meet the 403, and is renewed and repeated)
    assert renewals
    assert not refused or renewals[0] < refused[0]
    assert_matches(run, data)


def test_tokens_expired_by_the_platform_mid_run_are_renewed(
    small: SandboxProcess, tmp_path: Path
) -> None:
    data = small.dataset("goto")
    small.configure(latency_ms=20)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(goto_config(small, max_concurrency=2)))
    process = subprocess.Popen(
        [str(BIN / "tap-webinars"), "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    messages = []
    for line in process.stdout:
        messages.append(json.loads(line))
        if sum(m["type"] == "RECORD" for m in messages) == 10:
            small.admin("goto", "expire_tokens")  # every token dies while the run goes on
    assert process.wait(timeout=120) == 0
    process.stdout.close()
    assert [r for r in small.requests("goto") if r["status"] == 403]
    assert len([r for r in small.requests("goto") if r["path"] == "/oauth/token"]) >= 2
    assert_matches(TapRun(0, "", "", messages), data)
