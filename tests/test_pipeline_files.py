"""`tap-webinars --config c.json | target-csv --config t.json`, and the same into target-jsonl.

Real bash pipelines, as the README shows them, with each target from its own virtualenv;
the tests read the files the targets wrote and compare them with the sandbox's data.
"""

from __future__ import annotations

import csv
import json
import typing as t
from datetime import datetime
from pathlib import Path

import pytest

from tests.harness import SandboxProcess
from tests.platform_configs import (
    KEY,
    PLATFORMS,
    SANDBOX_SIZE,
    STREAMS,
    case_for,
    missing_cases,
)
from tests.tools import (
    TARGET_CSV,
    TARGET_JSONL,
    PipeRun,
    event_bookmarks,
    require,
    shell_pipe,
)


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


def date_time_columns(run: PipeRun, stream: str) -> set[str]:
    schema = next(
        m["schema"] for m in run.tap_messages if m["type"] == "SCHEMA" and m["stream"] == stream
    )
    return {k for k, v in schema["properties"].items() if v.get("format") == "date-time"}


def csv_rows(folder: Path, stream: str) -> list[dict[str, str]]:
    """The rows target-csv wrote for *stream* (none where it wrote no file)."""
    path = folder / f"{stream}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_shell_pipe_into_target_csv(
    platform: str, small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    require(TARGET_CSV)
    case = case_for(small_sandbox, platform)
    output = tmp_path / "csv"
    # The README's CSV config: flattening writes nested values (extra, custom_fields, tags)
    # as JSON text; without it target-csv writes Python reprs.
    config = {
        **case.config(small_sandbox.api_url(platform)),
        "flattening_enabled": True,
        "flattening_max_depth": 1,
    }
    run = shell_pipe(tmp_path, config, TARGET_CSV, {"output_path": str(output)})
    assert run.returncode == 0, run.stderr
    expected = case.expected_rows(small_sandbox.dataset(platform))

    for stream in STREAMS:
        path = output / f"{stream}.csv"
        emitted = run.records(stream)
        if not path.exists():  # a stream without records may leave no file
            assert expected[stream] == 0, stream
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
        assert len(rows) == expected[stream], stream
        assert len({tuple(r[k] for k in KEY[stream]) for r in rows}) == len(rows), stream
        if emitted:
            # Every column of the unified schema, and the records' values as text.
            assert set(header) >= set(emitted[0]), stream
            by_key = {tuple(r[k] for k in KEY[stream]): r for r in rows}
            timestamps = date_time_columns(run, stream)
            for record in emitted:
                row = by_key[tuple(record[k] for k in KEY[stream])]
                assert json.loads(row["extra"]) == json.loads(record["extra"]), stream
                for column, value in record.items():
                    if column in timestamps and value:
                        assert instant(row[column]) == instant(value), (stream, column)
                    elif isinstance(value, str):
                        assert row[column] == value, (stream, column)

    # Referential integrity, every platform, as landed: each registrant id a child row names
    # is a registrants row of the same event.
    registrants = {(r["event_id"], r["registrant_id"]) for r in csv_rows(output, "registrants")}
    assert registrants or expected["registrants"] == 0
    for stream in ("registrant_sessions", "viewers", "survey_responses", "questions"):
        for row in csv_rows(output, stream):
            if row["registrant_id"]:
                assert (row["event_id"], row["registrant_id"]) in registrants, (stream, row)

    # The state comes out of the target, for the next run.
    assert len(event_bookmarks(run.target_state)) == expected["events"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_shell_pipe_into_target_jsonl(
    platform: str, small_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    require(TARGET_JSONL)
    case = case_for(small_sandbox, platform)
    output = tmp_path / "jsonl"
    run = shell_pipe(
        tmp_path,
        case.config(small_sandbox.api_url(platform)),
        TARGET_JSONL,
        {"destination_path": str(output), "do_timestamp_file": False},
    )
    assert run.returncode == 0, run.stderr
    expected = case.expected_rows(small_sandbox.dataset(platform))

    for stream in STREAMS:
        path = output / f"{stream}.jsonl"
        lines: list[dict[str, t.Any]] = []
        if path.exists():
            lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        assert len(lines) == expected[stream], stream
        assert lines == run.records(stream), stream
        assert len({tuple(r[k] for k in KEY[stream]) for r in lines}) == len(lines), stream

    assert len(event_bookmarks(run.target_state)) == expected["events"]


def test_every_served_platform_has_a_pipeline_case(sandbox_process: SandboxProcess) -> None:
    """The pipeline tests cover every platform the sandbox serves: none may lack a case."""
    missing = missing_cases(sandbox_process.platforms)
    assert not missing, (
        f"the sandbox serves {missing} but tests/platform_configs.py has no PlatformCase for "
        "them: fill their slots so the pipeline tests cover them"
    )
