"""Zoom as real accounts are: scopes missing, plans without webinars, drifting fields, kills."""

from __future__ import annotations

import json
import subprocess
import typing as t
from pathlib import Path

import pytest

from tap_webinars.sandbox import zoom
from tests.harness import BIN, SandboxProcess, run_tap
from tests.test_resume import killed_run
from tests.test_zoom import KEYS, STREAMS, assert_matches, zoom_config
from tests.tools import event_bookmarks
from tests.zoom_expected import Expected

REPORT_STREAMS = ("registrant_sessions", "viewers", "survey_responses", "questions")


@pytest.fixture
def zoom_sandbox(sandbox: SandboxProcess) -> SandboxProcess:
    sandbox.reset(size="small")
    return sandbox


def summary_skips(run: t.Any) -> str:
    lines = [line for line in run.stderr.splitlines() if "zoom: skipped:" in line]
    assert len(lines) == 1, run.stderr[-3000:]
    return lines[0]


def test_missing_report_scope_skips_the_report_streams_naming_the_scope(
    zoom_sandbox: SandboxProcess,
) -> None:
    zoom_sandbox.configure(zoom={"missing_scopes": ["report:read:admin"]})
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("events")
    assert run.records("registrants")
    for stream in REPORT_STREAMS:
        assert run.records(stream) == [], stream
    skipped = summary_skips(run)
    for stream in REPORT_STREAMS:
        assert f"{stream}:" in skipped
    assert "report:read:admin" in skipped
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert any("report:read:admin" in line for line in warnings)
    assert "Traceback" not in run.stderr
    # Each refused stream is asked for once, not once per webinar.
    refused = [r for r in zoom_sandbox.requests("zoom") if r["status"] == 400]
    assert len(refused) <= 1 + len(REPORT_STREAMS) + 7 * 2  # + the listing's report windows
    # The listing's report windows, read side by side, still ask the refused role once.
    assert len([r for r in refused if r["path"].startswith("/report/users/")]) == 1


def test_access_report_and_airbyte_check_name_the_missing_scope(
    zoom_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    zoom_sandbox.configure(zoom={"missing_scopes": ["report:read:admin"]})
    path = tmp_path / "config.json"
    path.write_text(json.dumps(zoom_config(zoom_sandbox)))
    report = subprocess.run(
        [str(BIN / "tap-webinars-access"), "--config", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    rows = {row["stream"]: row for row in json.loads(report.stdout)}
    assert rows["events"]["readable"]
    assert rows["registrants"]["readable"]
    for stream in REPORT_STREAMS:
        assert not rows[stream]["readable"], stream
        assert any("report:read:admin" in p for p in rows[stream]["missing"]), rows[stream]
    check = subprocess.run(
        [str(BIN / "source-webinars"), "check", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    status = next(
        json.loads(line)["connectionStatus"]
        for line in check.stdout.splitlines()
        if '"CONNECTION_STATUS"' in line
    )
    assert "report:read:admin" in status["message"], status


def test_plan_without_webinars_is_one_warning_not_a_failure(zoom_sandbox: SandboxProcess) -> None:
    zoom_sandbox.configure(zoom={"no_webinar_plan": True})
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.records("events") == []
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert warnings and all("Webinar add-on" in line for line in warnings), warnings
    assert "Traceback" not in run.stderr


def test_drifting_fields_land_in_extra_or_as_null(zoom_sandbox: SandboxProcess) -> None:
    zoom_sandbox.configure(zoom={"drift": ["field_added", "field_dropped", "field_nulled"]})
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    listed = [r for r in run.records("registrants") if r["registered_at"]]
    assert listed
    assert all(r["extra"].get("zoom_new_field") == {"added": True} for r in listed)
    assert all(r["job_title"] is None and r["company"] is None for r in listed)
    sessions = run.records("registrant_sessions")
    assert sessions and all("zoom_new_field" in r["extra"] for r in sessions)


def test_heavy_requests_are_counted_in_the_summary(zoom_sandbox: SandboxProcess) -> None:
    run = run_tap(zoom_config(zoom_sandbox))
    assert run.returncode == 0, run.stderr[-3000:]
    heavy = [
        r
        for r in zoom_sandbox.requests("zoom")
        if r["path"].startswith("/report/") or r["path"].endswith("/absentees")
    ]
    line = next(line for line in run.stderr.splitlines() if "zoom: quotas:" in line)
    assert f"Heavy requests (daily cap 30,000 on pro) {len(heavy)}" in line


def keys(messages: t.Iterable[dict[str, t.Any]], stream: str) -> set[tuple[t.Any, ...]]:
    return {
        tuple(m["record"][k] for k in KEYS[stream])
        for m in messages
        if m["type"] == "RECORD" and m["stream"] == stream
    }


@pytest.mark.parametrize("after_records", [5, 200])
def test_killed_run_resumed_from_its_last_state_loses_nothing(
    zoom_sandbox: SandboxProcess, after_records: int
) -> None:
    config = zoom_config(zoom_sandbox, max_concurrency=2)
    full = run_tap(config)
    assert full.returncode == 0, full.stderr[-2000:]
    zoom_sandbox.configure(latency_ms=5)  # slow enough that the kill lands mid-run
    first = killed_run(config, after_records)
    states = [m["value"] for m in first if m["type"] == "STATE"]
    resumed = run_tap(config, state=states[-1] if states else None)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for stream in STREAMS:
        expected = keys(full.messages, stream)
        assert expected, stream
        assert keys(first, stream) | keys(resumed.messages, stream) == expected, stream


def test_token_is_renewed_as_it_lapses(zoom_sandbox: SandboxProcess) -> None:
    data = zoom_sandbox.dataset("zoom")
    zoom_sandbox.configure(latency_ms=20, zoom={"token_seconds": 2})
    run = run_tap(zoom_config(zoom_sandbox, max_concurrency=2))
    assert run.returncode == 0, run.stderr[-3000:]
    tokens = [r for r in zoom_sandbox.requests("zoom") if r["path"] == "/oauth/token"]
    assert len(tokens) >= 2
    assert_matches(run, Expected(data))


def test_zoom_user_ids_read_only_those_hosts(zoom_sandbox: SandboxProcess) -> None:
    data = zoom_sandbox.dataset("zoom")
    host = data["users"][1]
    run = run_tap(zoom_config(zoom_sandbox, zoom_user_ids=[host["email"]]))
    assert run.returncode == 0, run.stderr[-3000:]
    events = {r["event_id"] for r in run.records("events")}
    assert events == {str(w["id"]) for w in data["webinars"] if w["host_id"] == host["id"]}
    assert not [r for r in zoom_sandbox.requests("zoom") if r["path"] == "/users"]


def test_missing_webinar_scope_stops_in_one_line_naming_it(zoom_sandbox: SandboxProcess) -> None:
    zoom_sandbox.configure(zoom={"missing_scopes": ["webinar:read:admin"]})
    run = run_tap(zoom_config(zoom_sandbox))
    assert "Traceback" not in run.stderr
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(lines) == 1, run.stderr[-2000:]
    assert "webinar:read:admin" in lines[0]
    assert run.records("events") == []


def assert_one_error(run: t.Any, *parts: str) -> None:
    """One `tap-webinars:` line naming every one of *parts*; no traceback."""
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(errors) == 1, run.stderr[-3000:]
    for part in parts:
        assert part in errors[0], errors[0]


@pytest.mark.parametrize(
    ("scenario", "named"),
    [
        ({"kind": "truncate", "keep": 0.5}, "not JSON"),
        ({"kind": "html"}, "not JSON"),
        ({"kind": "body", "text": '{"participants": "nope", "next_page_token": ""}'}, "list"),
    ],
)
def test_a_bad_report_payload_fails_naming_the_endpoint_and_keeps_what_was_emitted(
    zoom_sandbox: SandboxProcess, scenario: dict[str, t.Any], named: str
) -> None:
    zoom_sandbox.scenarios({"platform": "zoom", "path": "/participants$", **scenario})
    run = run_tap(zoom_config(zoom_sandbox))
    assert_one_error(run, "/participants", named)
    assert zoom.CLIENT_SECRET not in run.stderr
    # No bookmark for an event whose records were not all emitted.
    bookmarked = {e for state in run.states for e in event_bookmarks(state)}
    emitted = {r["event_id"] for r in run.records("events")}
    assert bookmarked <= emitted
