"""WebinarFuel on real accounts: refused collections, referential integrity, drift.

Every case runs the tap process against the sandbox over loopback and ends one of two ways,
which its test asserts: complete output, or one clear error line naming the endpoint.
"""

from __future__ import annotations

import json
import re
import subprocess
import typing as t
from collections import Counter
from datetime import datetime, timezone

import pytest

from tests.harness import BIN, SandboxProcess, TapRun, assert_unique_keys, run_tap
from tests.test_selection import catalog_selecting
from tests.test_webinarfuel import KEYS, wf_config

TIMEOUT = 300  # no case may hang
CHILDREN = ("registrants", "registrant_sessions", "viewers")
PERMISSION = {
    "registrants": "API access to registrants (GET /registrants",
    "registrant_sessions": "API access to registrant sessions (GET /registrant_sessions",
    "webinars": "API access to webinars (GET /webinars",
}


# ------------------------------------------------------------------------------ helpers


def run(sandbox: SandboxProcess, **overrides: t.Any) -> TapRun:
    return run_tap(wf_config(sandbox, **overrides), timeout=TIMEOUT)


def baseline(sandbox: SandboxProcess) -> TapRun:
    """A normal run, before any option is switched on."""
    result = run(sandbox)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def strip(record: dict[str, t.Any], *drop: str) -> dict[str, t.Any]:
    """A record without its bookmark column (the time of the read) and *drop*."""
    return {k: v for k, v in record.items() if k not in ("last_activity_at", *drop)}


def keyed(result: TapRun, stream: str, *drop: str) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """A stream's records by primary key (asserting the key is unique)."""
    assert_unique_keys(result, stream, KEYS[stream])
    return {tuple(r[k] for k in KEYS[stream]): strip(r, *drop) for r in result.records(stream)}


def assert_same(got: TapRun, want: TapRun, stream: str, *drop: str) -> None:
    assert keyed(got, stream, *drop) == keyed(want, stream, *drop), stream


def assert_complete(result: TapRun) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


def assert_one_error(result: TapRun, *parts: str) -> str:
    """One `tap-webinars:` line, the last one, naming every one of *parts*; no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == errors[0]
    for part in parts:
        assert part in errors[0], errors[0]
    return errors[0]


def assert_integrity(result: TapRun, earlier: t.Sequence[TapRun] = ()) -> None:
    """Every registrant_id of a child names a registrants record of its event, or is null.

    On an incremental run the registrant may have been emitted by an earlier run.
    """
    known = {
        (r["event_id"], r["registrant_id"])
        for previous in [*earlier, result]
        for r in previous.records("registrants")
    }
    for stream in ("registrant_sessions", "viewers"):
        for record in result.records(stream):
            if record["registrant_id"] is not None:
                assert (record["event_id"], record["registrant_id"]) in known, (stream, record)


def summary_skips(result: TapRun) -> str:
    lines = [line for line in result.stderr.splitlines() if "webinarfuel: skipped:" in line]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def busiest_webinar(sandbox: SandboxProcess) -> int:
    """The webinar with the most sessions: its listing spans pages."""
    sessions = sandbox.dataset("webinarfuel")["sessions"]
    webinar_id, count = Counter(s["webinar_id"] for s in sessions).most_common(1)[0]
    assert count > 100  # three pages of 50
    return int(webinar_id)


def session_ids(result: TapRun, webinar_id: int) -> set[str]:
    return {
        r["session_id"]
        for r in result.records("registrant_sessions")
        if r["event_id"] == str(webinar_id)
    }


def dataset_session_ids(sandbox: SandboxProcess, webinar_id: int) -> set[str]:
    return {
        str(s["cid"])
        for s in sandbox.dataset("webinarfuel")["sessions"]
        if s["webinar_id"] == webinar_id
    }


# -------------------------------------------------------------------------- permissions


def test_registrants_refused_as_enrichment_costs_only_emails(sandbox: SandboxProcess) -> None:
    """registrants not selected: a refused /registrants nulls emails, with one warning."""
    normal = baseline(sandbox)
    config = wf_config(sandbox)
    catalog = catalog_selecting(config, "events", "registrant_sessions", "viewers")
    sandbox.configure(webinarfuel={"withhold": ["registrants"]})
    sandbox.clear_requests()
    refused = run_tap(config, catalog=catalog, timeout=TIMEOUT)

    assert_complete(refused)
    assert refused.records("registrants") == []
    assert_same(refused, normal, "events")
    for stream in ("registrant_sessions", "viewers"):
        assert_same(refused, normal, stream, "email")
        assert all(r["email"] is None for r in refused.records(stream))
    warnings = [
        line
        for line in refused.stderr.splitlines()
        if "WARNING" in line and "registrant details refused" in line
    ]
    assert len(warnings) == 1, refused.stderr[-3000:]
    assert PERMISSION["registrants"] in warnings[0]
    assert "HTTP 403" in warnings[0]
    assert "registrant details" in summary_skips(refused)
    # Refused once, then never asked again.
    statuses = [r["status"] for r in sandbox.requests("webinarfuel") if r["path"] == "/registrants"]
    assert statuses == [403]


def test_registrants_refused_skips_that_stream_and_the_others_complete(
    sandbox: SandboxProcess,
) -> None:
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"withhold": ["registrants"]})
    refused = run(sandbox)

    assert_complete(refused)
    assert refused.records("registrants") == []
    assert_same(refused, normal, "events")
    for stream in ("registrant_sessions", "viewers"):
        assert_same(refused, normal, stream, "email")  # emails come from registrants
        assert all(r["email"] is None for r in refused.records(stream))
    skipping = [line for line in refused.stderr.splitlines() if "skipping stream" in line]
    assert len(skipping) == 1, refused.stderr[-3000:]
    assert "WARNING" in skipping[0]
    assert "registrants" in skipping[0]
    assert PERMISSION["registrants"] in skipping[0]
    assert "registrants:" in summary_skips(refused)
    assert "registrant_sessions:" not in summary_skips(refused)
    # Bookmarks move as in a normal run: one per webinar, none behind the normal run's.
    normal_marks = _bookmarks(normal)
    refused_marks = _bookmarks(refused)
    assert refused_marks.keys() == normal_marks.keys()
    assert all(refused_marks[k] >= normal_marks[k] for k in normal_marks)


def _bookmarks(result: TapRun) -> dict[str, str]:
    partitions = result.final_state["bookmarks"]["events"]["partitions"]
    return {p["context"]["event_id"]: p["replication_key_value"] for p in partitions}


@pytest.mark.parametrize(("option", "status"), [("withhold", 403), ("missing", 404)])
def test_sessions_refused_or_missing_skips_its_three_streams(
    sandbox: SandboxProcess, option: str, status: int
) -> None:
    """403 (the plan leaves it out) or 404 (an older API prefix): events still complete."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={option: ["registrant_sessions"]})
    refused = run(sandbox)

    assert_complete(refused)
    assert_same(refused, normal, "events")
    for stream in CHILDREN:
        assert refused.records(stream) == []
    skipped = summary_skips(refused)
    for stream in CHILDREN:
        assert f"{stream}:" in skipped
        assert f"HTTP {status}" in skipped
    assert PERMISSION["registrant_sessions"] in refused.stderr
    assert _bookmarks(refused).keys() == _bookmarks(normal).keys()


def test_strict_permissions_turn_a_refusal_into_one_line(sandbox: SandboxProcess) -> None:
    sandbox.configure(webinarfuel={"withhold": ["registrants"]})
    strict = run(sandbox, strict_permissions=True)
    line = assert_one_error(strict, "registrants", "HTTP 403", PERMISSION["registrants"])
    assert "strict_permissions" in line


def test_webinars_refused_is_one_line_even_without_strict(sandbox: SandboxProcess) -> None:
    """Without the webinars listing nothing can be read: the run fails, saying why."""
    sandbox.configure(webinarfuel={"withhold": ["webinars"]})
    refused = run(sandbox)
    assert_one_error(refused, "/webinars", "HTTP 403", PERMISSION["webinars"])


def test_rate_limits_are_never_taken_for_refusals_nor_the_other_way(
    sandbox: SandboxProcess,
) -> None:
    """429s on every collection and a 403 on one, in one run: only the 403 skips."""
    normal = baseline(sandbox)
    sandbox.configure(
        webinarfuel={"withhold": ["registrants"], "rate_limit": [8, 2], "reset_rate_limit": True}
    )
    sandbox.clear_requests()
    mixed = run(sandbox)

    assert_complete(mixed)
    log = sandbox.requests("webinarfuel")
    limited = {r["path"] for r in log if r["status"] == 429}
    assert "/registrant_sessions" in limited or "/webinars" in limited
    assert [r["status"] for r in log if r["path"] == "/registrants" and r["status"] != 429] == [403]
    assert mixed.records("registrants") == []
    for stream in ("registrant_sessions", "viewers"):
        assert_same(mixed, normal, stream, "email")
    skipped = summary_skips(mixed)
    assert "registrants:" in skipped
    assert "registrant_sessions:" not in skipped
    assert "viewers:" not in skipped


def _access(sandbox: SandboxProcess, tmp_path: t.Any) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(wf_config(sandbox)))
    return subprocess.run(
        [str(BIN / "tap-webinars-access"), "--config", str(config), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_access_report_names_the_missing_permission_one_request_each(
    sandbox: SandboxProcess, tmp_path: t.Any
) -> None:
    sandbox.configure(webinarfuel={"withhold": ["registrants"]})
    sandbox.clear_requests()
    report = _access(sandbox, tmp_path)
    assert report.returncode == 0, report.stderr
    rows = {row["stream"]: row for row in json.loads(report.stdout)}
    assert rows["events"]["readable"] and not rows["events"]["partial"]
    assert not rows["registrants"]["readable"]
    assert any(PERMISSION["registrants"] in p for p in rows["registrants"]["missing"])
    for stream in ("registrant_sessions", "viewers"):
        assert rows[stream]["readable"]
        assert any(PERMISSION["registrants"] in p for p in rows[stream]["partial"])
    log = sandbox.requests("webinarfuel")
    assert sorted(r["path"] for r in log) == ["/registrant_sessions", "/registrants", "/webinars"]
    assert all(r["query"]["per_page"] == "1" for r in log)


def test_access_report_all_readable(sandbox: SandboxProcess, tmp_path: t.Any) -> None:
    report = _access(sandbox, tmp_path)
    assert report.returncode == 0, report.stderr
    rows = {row["stream"]: row for row in json.loads(report.stdout)}
    for stream in ("events", *CHILDREN):
        assert rows[stream]["readable"] and not rows[stream]["partial"], rows[stream]


# ---------------------------------------------------------------------------- integrity


def test_integrity_on_full_and_incremental_runs(sandbox: SandboxProcess) -> None:
    """Registrants deleted before each run: their sessions keep only `extra.registrant_id`."""
    data = sandbox.dataset("webinarfuel")
    now = datetime.now(timezone.utc)
    upcoming = [s for s in data["sessions"] if _when(s["scheduled_at"]) > now]
    # One registrant gone before the first run, one (with an upcoming session, so the
    # second run's window reads it again) before the second.
    first_gone = data["sessions"][0]["registrant_id"]
    second_gone = next(s["registrant_id"] for s in upcoming if s["registrant_id"] != first_gone)
    sandbox.admin("webinarfuel", "delete_registrant", registrant_id=first_gone)

    full = run(sandbox)
    assert_complete(full)
    assert_integrity(full)
    _assert_orphans(full, data, first_gone)

    busiest = busiest_webinar(sandbox)
    sandbox.admin("webinarfuel", "add_registrations", webinar_id=busiest, count=3, attended=True)
    sandbox.admin("webinarfuel", "delete_registrant", registrant_id=second_gone)
    incremental = run_tap(wf_config(sandbox), state=full.final_state, timeout=TIMEOUT)
    assert_complete(incremental)
    assert incremental.records("registrant_sessions")
    assert len(incremental.records("registrant_sessions")) < len(
        full.records("registrant_sessions")
    )
    assert_integrity(incremental, earlier=[full])
    _assert_orphans(incremental, data, second_gone)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assert_orphans(result: TapRun, data: dict[str, t.Any], gone: int) -> None:
    own = {str(s["cid"]) for s in data["sessions"] if s["registrant_id"] == gone}
    orphans = [r for r in result.records("registrant_sessions") if r["extra"].get("registrant_id")]
    assert {r["session_id"] for r in orphans} == own
    assert all(str(r["extra"]["registrant_id"]) == str(gone) for r in orphans)
    assert all(r["registrant_id"] is None and r["email"] is None for r in orphans)
    assert str(gone) not in {r["registrant_id"] for r in result.records("viewers")}


# -------------------------------------------------------------------- field-level drift


def test_drift_new_fields_land_in_extra(sandbox: SandboxProcess) -> None:
    """Outcome: complete; every column as before, the new fields in `extra`."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"drift": ["new_fields"]})
    drifted = run(sandbox)
    assert_complete(drifted)
    new = {
        "events": {"language": "en", "registration_page": {"theme": "dark", "fields": 4}},
        "registrants": {"lead_score": 42, "consent": {"gdpr": True, "source": "form"}},
        "registrant_sessions": {
            "engagement": {"chat_messages": 3, "reactions": 1},
            "ip_country": "DE",
        },
    }
    for stream, fields in new.items():
        assert_same(drifted, normal, stream, "extra")
        before = keyed(normal, stream)
        for key, record in keyed(drifted, stream).items():
            assert record["extra"] == {**before[key]["extra"], **fields}, stream
    assert_same(drifted, normal, "viewers")


def test_drift_missing_or_null_optional_fields_become_null_columns(
    sandbox: SandboxProcess,
) -> None:
    """Outcome: complete; absent and null fields are null columns, nothing else moves."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"drift": ["missing_optional"]})
    drifted = run(sandbox)
    assert_complete(drifted)
    nulls = {
        "events": ("description", "time_zone"),
        "registrants": (
            "phone",
            "tags",
            "custom_fields",
            "last_name",
            "registered_at",
            "updated_at",
            "utm_source",
            "utm_medium",
            "referrer",
            "city",
        ),
        "registrant_sessions": (
            "device",
            "os",
            "browser",
            "replay_url",
            "webinar_session_id",
            "duration_seconds",
            "watched",
            "city",
            "ended_at",
        ),
    }
    for stream, columns in nulls.items():
        assert_same(drifted, normal, stream, "extra", *columns)
        for record in drifted.records(stream):
            assert all(record[c] is None for c in columns), (stream, record)
    # Watch time is unknown, not zero; the rest of the viewer is as before.
    unknown = ("simlive_seconds", "total_seconds", "last_viewed_at", "updated_at", "extra")
    assert_same(drifted, normal, "viewers", *unknown)
    for record in drifted.records("viewers"):
        assert record["simlive_seconds"] is None and record["total_seconds"] is None
        assert record["last_viewed_at"] is not None


def test_drift_numbers_as_strings_change_no_column(sandbox: SandboxProcess) -> None:
    """Ids, counts, flags and paging meta as strings. Outcome: complete, columns identical."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"drift": ["numbers_as_strings"]})
    drifted = run(sandbox)
    assert_complete(drifted)
    for stream in KEYS:
        assert_same(drifted, normal, stream, "extra")
        assert {k: sorted(r["extra"]) for k, r in keyed(drifted, stream).items()} == {
            k: sorted(r["extra"]) for k, r in keyed(normal, stream).items()
        }


def test_drift_strings_as_numbers_become_text(sandbox: SandboxProcess) -> None:
    """A phone and a source sent as numbers. Outcome: complete, as text."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"drift": ["strings_as_numbers"]})
    drifted = run(sandbox)
    assert_complete(drifted)
    before = keyed(normal, "registrants")
    for key, record in keyed(drifted, "registrants").items():
        phone = before[key]["phone"]
        assert record["phone"] == (re.sub(r"\D", "", phone) if phone else None)
        source = before[key]["source"]
        assert record["source"] == ("42" if source == "partner-42" else source)
    assert_same(drifted, normal, "registrants", "phone", "source")
    assert_same(drifted, normal, "registrant_sessions", "extra")
    assert_same(drifted, normal, "viewers")
    assert any(r["source"] == "42" for r in drifted.records("registrants"))


def test_drift_empty_and_blank_strings_become_null(sandbox: SandboxProcess) -> None:
    """Outcome: complete; blank text is null, and registrants without email still complete."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"drift": ["blanks"]})
    drifted = run(sandbox)
    assert_complete(drifted)
    assert_integrity(drifted)
    no_email = {r["id"] for r in sandbox.dataset("webinarfuel")["registrants"] if r["id"] % 7 == 0}
    assert no_email
    for stream, columns in {
        "events": ("description",),
        "registrants": ("first_name", "email", "city", "country"),
        "registrant_sessions": ("device", "city", "country", "email"),
        "viewers": ("email",),
    }.items():
        assert_same(drifted, normal, stream, "extra", *columns)
        before = keyed(normal, stream)
        for key, record in keyed(drifted, stream).items():
            for column in columns:
                blank = column != "email" or int(record["registrant_id"]) in no_email
                assert record[column] == (None if blank else before[key][column]), column


@pytest.mark.parametrize("style", ["offset_millis", "rails"])
def test_drift_new_timestamp_format_is_read_the_same(sandbox: SandboxProcess, style: str) -> None:
    """Milliseconds with a New York offset; Rails' `... UTC`. Outcome: complete, identical."""
    normal = baseline(sandbox)
    sandbox.configure(webinarfuel={"timestamp_format": style})
    drifted = run(sandbox)
    assert_complete(drifted)
    for stream in KEYS:
        assert_same(drifted, normal, stream, "extra")


def test_drift_epoch_timestamp_is_one_clear_error(sandbox: SandboxProcess) -> None:
    """A bare number: seconds or milliseconds would be a guess. Outcome: one error line."""
    sandbox.configure(webinarfuel={"timestamp_format": "epoch"})
    drifted = run(sandbox)
    assert_one_error(drifted, "unexpected payload from", "scheduled_at", "bare number")
    assert "/webinars" in drifted.stderr.splitlines()[-1]


# ----------------------------------------------------------------------- paging drift


@pytest.mark.parametrize("kind", ["insert", "delete"])
def test_records_added_or_deleted_between_pages_are_read_again(
    sandbox: SandboxProcess, kind: str
) -> None:
    """The listing shifts under the tap. Outcome: complete, as the data stands afterwards."""
    webinar_id = busiest_webinar(sandbox)
    before = dataset_session_ids(sandbox, webinar_id)
    sandbox.configure(webinarfuel={"paging": {"kind": kind, "webinar_id": webinar_id, "times": 1}})
    shifted = run(sandbox)
    assert_complete(shifted)
    after = dataset_session_ids(sandbox, webinar_id)
    assert after != before  # the listing really changed mid-read
    assert session_ids(shifted, webinar_id) == after
    assert_integrity(shifted)
    assert "changed while it was paged" in shifted.stderr


def test_a_listing_that_never_holds_still_is_one_clear_error(sandbox: SandboxProcess) -> None:
    webinar_id = busiest_webinar(sandbox)
    sandbox.configure(webinarfuel={"paging": {"kind": "insert", "webinar_id": webinar_id}})
    churning = run(sandbox)
    assert_one_error(churning, "/registrant_sessions", "kept changing while it was paged")


@pytest.mark.parametrize("kind", ["repeat", "total_pages"])
def test_a_page_glitch_once_is_read_again(sandbox: SandboxProcess, kind: str) -> None:
    """A page repeating its predecessor / total_pages changing mid-listing, once: complete."""
    normal = baseline(sandbox)
    webinar_id = busiest_webinar(sandbox)
    sandbox.configure(webinarfuel={"paging": {"kind": kind, "webinar_id": webinar_id, "times": 1}})
    glitched = run(sandbox)
    assert_complete(glitched)
    for stream in KEYS:
        assert_same(glitched, normal, stream)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("repeat", "repeats page"), ("total_pages", "page 1 said")],
)
def test_a_page_glitch_every_time_is_one_clear_error(
    sandbox: SandboxProcess, kind: str, reason: str
) -> None:
    webinar_id = busiest_webinar(sandbox)
    sandbox.configure(webinarfuel={"paging": {"kind": kind, "webinar_id": webinar_id}})
    glitched = run(sandbox)
    assert_one_error(glitched, "/registrant_sessions", reason)


# -------------------------------------------------------------------- transport drift


def test_html_behind_a_200_is_one_clear_error(sandbox: SandboxProcess) -> None:
    sandbox.scenarios({"platform": "webinarfuel", "path": "^/registrant_sessions$", "kind": "html"})
    proxied = run(sandbox)
    assert_one_error(proxied, "/registrant_sessions", "not JSON", "Bad Gateway")


def test_json_in_a_declared_latin_1_charset_reads_the_same(sandbox: SandboxProcess) -> None:
    """A body in the charset its Content-Type names is read in that charset, not as UTF-8."""
    want = baseline(sandbox)
    tags = [tag for r in want.records("registrants") for tag in r["tags"] or ()]
    assert any(ord(max(tag)) in range(0x80, 0x100) for tag in tags)  # é: not UTF-8 in Latin-1
    sandbox.scenarios({"platform": "webinarfuel", "path": "^/registrants$", "kind": "charset"})
    latin = run(sandbox)
    assert_complete(latin)
    assert want.records("registrants")
    assert_same(latin, want, "registrants")


def test_json_starting_with_a_byte_order_mark_reads_the_same(sandbox: SandboxProcess) -> None:
    want = baseline(sandbox)
    sandbox.scenarios(
        {
            "platform": "webinarfuel",
            "path": "^/registrants$",
            "kind": "charset",
            "charset": "utf-8",
            "bom": True,
        }
    )
    marked = run(sandbox)
    assert_complete(marked)
    assert want.records("registrants")
    assert_same(marked, want, "registrants")


def test_truncated_json_is_one_clear_error(sandbox: SandboxProcess) -> None:
    sandbox.scenarios(
        {"platform": "webinarfuel", "path": "^/registrants$", "kind": "truncate", "keep": 0.6}
    )
    cut = run(sandbox)
    assert_one_error(cut, "/registrants", "not JSON")
