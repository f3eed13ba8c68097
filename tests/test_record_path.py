"""The fast record path: every record still fits its schema, and nothing changed.

The tap emits records without the SDK's type conformance (they are typed by construction),
encoded by msgspec as they are added, with hand-written timestamp parsers. These tests hold
that to account on every platform's default sandbox dataset:
- every record validates against the schema the tap discovers (JSON Schema Draft 7, with a
  date-time format check of our own, since jsonschema checks none without an extra package);
- the records equal, per stream and in order, those of the slow path
  (`TAP_WEBINARS_SAFE_RECORD_PATH=1`: the SDK's writer and conformance, strptime, a JSON
  spool), at max_concurrency 1 and 8.
"""

from __future__ import annotations

import json
import re
import typing as t
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from tap_webinars.columns import stream_columns
from tap_webinars.records import (
    LINES_BLOCK_BYTES,
    LINES_MEMORY_BYTES,
    SAFE_RECORD_PATH_VARIABLE,
    RecordLines,
)
from tests.harness import SandboxProcess, run_tap
from tests.platform_configs import CASES, STREAMS

# RFC 3339 `date-time`, as JSON Schema defines the format: full date, `T`, full time with
# seconds, optional fraction, and a mandatory offset.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def is_rfc3339(value: object) -> bool:
    """True for a valid RFC 3339 date-time string (non-strings are not ours to judge)."""
    if not isinstance(value, str):
        return True
    if RFC3339.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time")(is_rfc3339)


def discovered_schemas(config: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """Each stream's schema as the tap's catalog states it."""
    run = run_tap(config, args=["--discover"])
    assert run.returncode == 0, run.stderr[-2000:]
    catalog = json.loads(run.stdout)
    return {entry["tap_stream_id"]: entry["schema"] for entry in catalog["streams"]}


def sync(
    sandbox: SandboxProcess, platform: str, *, safe: bool, concurrency: int
) -> list[dict[str, t.Any]]:
    """One full sync of *platform*: every message it wrote, in order, `time_extracted` aside.

    `time_extracted` is when the tap read the record: different in every run.
    """
    sandbox.configure(**{platform: {"reset_rate_limit": True}})
    config = {**CASES[platform].config(sandbox.api_url(platform)), "max_concurrency": concurrency}
    env = {SAFE_RECORD_PATH_VARIABLE: "1" if safe else "0"}
    run = run_tap(config, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in run.messages]


def records_by_stream(messages: list[dict[str, t.Any]]) -> dict[str, list[dict[str, t.Any]]]:
    return {
        stream: [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]
        for stream in STREAMS
    }


def test_the_date_time_check_can_fail() -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    validator = jsonschema.Draft7Validator(schema, format_checker=FORMATS)
    assert validator.is_valid({"at": "2014-11-04T20:04:01+00:00"})
    for bad in ("2014-11-04 20:04:01", "2014-11-04T20:04:01", "11/04/2014 08:04:01 PM", "x"):
        assert not validator.is_valid({"at": bad}), bad
    assert not validator.is_valid({"at": "2014-02-30T00:00:00Z"})


@pytest.mark.parametrize("platform", sorted(CASES))
def test_every_record_fits_its_discovered_schema(sandbox: SandboxProcess, platform: str) -> None:
    schemas = discovered_schemas(CASES[platform].config(sandbox.api_url(platform)))
    records = records_by_stream(sync(sandbox, platform, safe=False, concurrency=8))
    assert sum(map(len, records.values())) > 0
    for stream, rows in records.items():
        validator = jsonschema.Draft7Validator(schemas[stream], format_checker=FORMATS)
        for row in rows:
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(row)]
            assert not errors, f"{platform} {stream}: {errors[:5]} in {row}"


READ_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p",)  # the Webcasts report's own clock


def moment(text: str) -> datetime | None:
    """*text* as a UTC moment, if it is an ISO or report-style timestamp (naive is UTC)."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    for pattern in READ_TIME_FORMATS:
        if parsed is None:
            try:
                parsed = datetime.strptime(text, pattern)
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def read_times_marked(value: t.Any, span: tuple[datetime, datetime]) -> t.Any:
    """*value* with every timestamp that falls within the runs replaced by a marker.

    Such a value is the time of the read, which differs from run to run: the events
    bookmark where a listing cannot tell activity (SPEC: the run's start), or a platform
    stamping its response with its own clock. Every other value is compared as it is.
    """
    if isinstance(value, dict):
        return {k: read_times_marked(v, span) for k, v in value.items()}
    if isinstance(value, list):
        return [read_times_marked(v, span) for v in value]
    if isinstance(value, str) and len(value) >= 19:
        when = moment(value)
        if when is not None and span[0] <= when <= span[1]:
            return "<time of the read>"
    return value


@pytest.mark.parametrize("platform", sorted(CASES))
def test_fast_and_safe_record_paths_emit_the_same_records(
    sandbox: SandboxProcess, platform: str
) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    safe = sync(sandbox, platform, safe=True, concurrency=1)
    fast_serial = sync(sandbox, platform, safe=False, concurrency=1)
    fast_parallel = sync(sandbox, platform, safe=False, concurrency=8)
    span = (started, datetime.now(timezone.utc) + timedelta(seconds=1))
    safe, fast_serial, fast_parallel = (
        read_times_marked(run, span) for run in (safe, fast_serial, fast_parallel)
    )
    by_stream = records_by_stream(safe)
    assert by_stream["events"] and by_stream["registrants"], platform
    for stream in STREAMS:
        assert records_by_stream(fast_serial)[stream] == by_stream[stream], (platform, stream)
        assert records_by_stream(fast_parallel)[stream] == by_stream[stream], (platform, stream)
    # The whole output too: SCHEMA, RECORD envelopes (stream, version) and STATE, in order.
    assert [m["type"] for m in safe].count("STATE") > 0
    assert fast_serial == safe, platform
    assert fast_parallel == safe, platform


def test_record_lines_give_back_every_json_value_as_it_was_given() -> None:
    """What a platform can send: text in any script, floats to the last bit, integers past
    64 bits, nesting, empty containers; across blocks in memory and on disk. Compared as
    JSON text, key order included."""
    values: list[t.Any] = [
        "Zoë 👋 \u2028 \x00 \n",
        "",
        0.1 + 0.2,
        -0.0,
        1e308,
        5e-324,
        2**63,
        -(2**63),
        2**64 - 1,
        2**70,
        True,
        False,
        None,
        [],
        {},
        [[1, [2, {"k": [None]}]]],
    ]
    count = 3 * LINES_MEMORY_BYTES // 200
    records = [
        {"registrant_id": str(i), "extra": {"b": values[i % len(values)], "a": [i, "x" * 100]}}
        for i in range(count)
    ]
    lines = RecordLines("viewers")
    for record in records:
        lines.append(record)
    columns = stream_columns("viewers")
    expected = [json.dumps({c: r.get(c) for c in columns}) for r in records]
    assert [json.dumps(r) for r in lines] == expected
    lines.close()


def test_record_lines_complete_each_record_to_its_columns_in_schema_order() -> None:
    schema = json.loads((Path(__file__).parent.parent / "schemas" / "questions.json").read_text())
    columns = list(schema["properties"])
    assert list(stream_columns("questions")) == columns
    lines = RecordLines("questions")
    added = {"question": "Why?", "event_id": "7", "extra": {"b": 1, "a": [None]}}
    lines.append(added)
    added["question"] = "changed after adding"  # encoded when added: the dict is free again
    (record,) = list(lines)
    assert list(record) == columns
    assert record["question"] == "Why?" and record["event_id"] == "7"
    assert record["extra"] == {"b": 1, "a": [None]}
    assert all(record[c] is None for c in columns if c not in ("question", "event_id", "extra"))
    blocks = list(lines.blocks())
    assert len(blocks) == 1 and json.loads(bytes(blocks[0])) == record
    lines.close()


def test_record_lines_refuse_a_column_the_schema_does_not_know() -> None:
    lines = RecordLines("viewers")
    with pytest.raises(
        ValueError, match=r"viewers: record has columns not in the schema: \['nope'\]"
    ):
        lines.append({"registrant_id": "1", "nope": 1})


def test_record_lines_return_records_in_order_across_memory_and_disk() -> None:
    """Enough records for blocks kept in memory, blocks on disk and a block still filling."""
    text = "x" * 500
    records = [
        {"registrant_id": str(i), "email": f"{i}@example.com", "extra": {"t": text}}
        for i in range(3 * LINES_MEMORY_BYTES // 500)
    ]
    lines = RecordLines("viewers")
    for record in records:
        lines.append(record)
    assert len(lines) == len(records)
    blocks = [bytes(b) for b in lines.blocks()]
    assert len(blocks) > LINES_MEMORY_BYTES // LINES_BLOCK_BYTES + 1  # some came from disk
    decoded = [json.loads(line) for block in blocks for line in block.split(b"\n")]
    columns = stream_columns("viewers")
    expected = [{c: r.get(c) for c in columns} for r in records]
    assert decoded == expected
    assert list(lines) == expected
    assert list(lines) == expected  # read twice: the streams may ask again
    lines.close()
    assert list(lines) == []


def test_a_deselected_property_is_left_out_on_both_paths(sandbox: SandboxProcess) -> None:
    config = CASES["webcasts"].config(sandbox.api_url("webcasts"))
    discovered = run_tap(config, args=["--discover"])
    assert discovered.returncode == 0, discovered.stderr[-1000:]
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if stream["tap_stream_id"] == "registrants" and entry["breadcrumb"] in (
                ["properties", "email"],
                ["properties", "extra"],
            ):
                entry["metadata"]["selected"] = False
    runs = {
        safe: run_tap(config, catalog=catalog, env={SAFE_RECORD_PATH_VARIABLE: safe})
        for safe in ("0", "1")
    }
    for run in runs.values():
        assert run.returncode == 0, run.stderr[-2000:]
    registrants = runs["0"].records("registrants")
    assert registrants
    assert all("email" not in r and "extra" not in r and "registrant_id" in r for r in registrants)
    assert any(r["email"] for r in runs["0"].records("viewers"))  # other streams keep theirs
    assert registrants == runs["1"].records("registrants")


def test_stream_maps_and_flattening_still_apply_to_child_streams(sandbox: SandboxProcess) -> None:
    """A config that maps or flattens records takes the SDK's loop, which applies it."""
    base = CASES["webcasts"].config(sandbox.api_url("webcasts"))
    plain = run_tap(base).records("registrants")
    config = {
        **base,
        "stream_maps": {"registrants": {"__filter__": "attended", "email": "__NULL__"}},
        "flattening_enabled": True,
        "flattening_max_depth": 1,
    }
    runs = {safe: run_tap(config, env={SAFE_RECORD_PATH_VARIABLE: safe}) for safe in ("0", "1")}
    for run in runs.values():
        assert run.returncode == 0, run.stderr[-2000:]
    registrants = runs["0"].records("registrants")
    attended = [r for r in plain if r["attended"]]
    assert registrants and 0 < len(attended) < len(plain)
    assert [r["registrant_id"] for r in registrants] == [r["registrant_id"] for r in attended]
    assert all("email" not in r for r in registrants)
    viewers = runs["0"].records("viewers")
    # Flattened, `extra` (an object with no declared properties) becomes its JSON text.
    assert viewers and all(isinstance(r["extra"], str) for r in viewers)
    assert [json.loads(r["extra"]) for r in viewers] == [
        r["extra"] for r in run_tap(base).records("viewers")
    ]
    assert registrants == runs["1"].records("registrants")
    assert viewers == runs["1"].records("viewers")


def test_record_count_metrics_count_every_record(sandbox: SandboxProcess) -> None:
    """The batch path keeps the SDK's record_count metric per stream and event right."""
    run = run_tap(CASES["on24"].config(sandbox.api_url("on24")))
    assert run.returncode == 0, run.stderr[-2000:]
    counted: dict[str, int] = {}
    for line in run.stderr.splitlines():
        if "METRIC" in line and '"record_count"' in line:
            point = json.loads(line[line.index("{") :])
            stream = point["tags"]["stream"]
            counted[stream] = counted.get(stream, 0) + point["value"]
    emitted = {stream: len(run.records(stream)) for stream in STREAMS}
    assert emitted["registrants"] > 0 and emitted["registrant_sessions"] > 0
    for stream in STREAMS:
        assert counted.get(stream, 0) == emitted[stream], stream
