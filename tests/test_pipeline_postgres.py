"""`tap-webinars | target-postgres` into a real, throwaway PostgreSQL, for every platform.

The tap and target-postgres (from its own virtualenv) run as separate processes in a bash
pipeline; the tests then query the tables: one per stream, the sandbox's row counts, keys
honoured on re-runs (upserts, no duplicates), JSON columns as jsonb, timestamps as
timestamptz with the instants the tap emitted, and an incremental second run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from datetime import datetime
from pathlib import Path

import pytest

from tests.harness import ROOT, SandboxProcess
from tests.pg import PostgresServer, postgres_server
from tests.platform_configs import ID_COLUMN, KEY, PLATFORMS, SANDBOX_SIZE, STREAMS, case_for
from tests.tools import TAP, TARGET_POSTGRES, PipeRun, event_bookmarks, require, shell_pipe

# target-postgres stages rows in a temporary table typed `timestamp without time zone`, so
# its session time zone must be UTC for instants to survive (the README says so; a session
# in America/New_York shifts the hour that the autumn clock change repeats).
TARGET_ENV = {"PGTZ": "UTC"}


@pytest.fixture(scope="module")
def postgres() -> t.Iterator[PostgresServer]:
    require(TARGET_POSTGRES)
    with postgres_server() as server:
        yield server


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, t.Any]]:
    """The tap's stream schemas, as it discovers them."""
    done = subprocess.run(
        [str(TAP), "--config", "ENV", "--discover"],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "TAP_WEBINARS_PLATFORM": "webinarfuel",
            "TAP_WEBINARS_WEBINARFUEL_API_KEY": "discovery-needs-no-request",
        },
    )
    return {s["tap_stream_id"]: s["schema"] for s in json.loads(done.stdout)["streams"]}


def create_tables(postgres: PostgresServer, schema: str) -> None:
    """What the README tells users to do once: the DDL of scripts/pg_tables.py."""
    ddl = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "pg_tables.py"), "--schema", schema],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    postgres.query(ddl)


def load(
    folder: Path,
    config: dict[str, t.Any],
    postgres: PostgresServer,
    schema: str,
    state: dict[str, t.Any] | None = None,
) -> PipeRun:
    run = shell_pipe(
        folder,
        config,
        TARGET_POSTGRES,
        postgres.target_config(schema),
        state=state,
        target_env=TARGET_ENV,
    )
    assert run.returncode == 0, run.stderr
    return run


def rows(postgres: PostgresServer, schema: str, stream: str, platform: str) -> int:
    return int(
        postgres.scalar(f'select count(*) from "{schema}"."{stream}" where platform = %s', platform)
    )


def row_counts(postgres: PostgresServer, schema: str, platform: str) -> dict[str, int]:
    return {stream: rows(postgres, schema, stream, platform) for stream in STREAMS}


def distinct_keys(postgres: PostgresServer, schema: str, stream: str) -> int:
    key = ", ".join(KEY[stream])
    return int(postgres.scalar(f'select count(distinct ({key})) from "{schema}"."{stream}"'))


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_tap_into_postgres(
    platform: str,
    small_sandbox: SandboxProcess,
    postgres: PostgresServer,
    catalog: dict[str, dict[str, t.Any]],
    tmp_path: Path,
) -> None:
    case = case_for(small_sandbox, platform)
    schema = f"pipe_{platform}"
    config = case.config(small_sandbox.api_url(platform))
    create_tables(postgres, schema)

    first = load(tmp_path / "first", config, postgres, schema)

    # One table per stream, holding exactly the sandbox's data.
    assert postgres.tables(schema) == set(STREAMS)
    expected = case.expected_rows(small_sandbox.dataset(platform))
    assert row_counts(postgres, schema, platform) == expected
    assert sum(expected.values()) > 0

    # Column types survive the target's own schema handling.
    for stream, stream_schema in catalog.items():
        types = postgres.column_types(schema, stream)
        for column, prop in stream_schema["properties"].items():
            kinds = prop.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if prop.get("format") == "date-time":
                assert types[column] == "timestamp with time zone", (stream, column)
            elif "object" in kinds:
                assert types[column] == "jsonb", (stream, column)
    assert postgres.column_types(schema, "registrants")["custom_fields"] == "jsonb"

    # Every value landed as the tap emitted it: instants, JSON objects, the rest.
    for stream in STREAMS:
        emitted = {tuple(r[k] for k in KEY[stream]): r for r in first.records(stream)}
        columns = list(catalog[stream]["properties"])
        stored = postgres.query(
            f'select {", ".join(columns)} from "{schema}"."{stream}" where platform = %s',
            platform,
        )
        assert len(stored) == len(emitted), stream
        for row in stored:
            record = dict(zip(columns, row, strict=True))
            source = emitted[tuple(record[k] for k in KEY[stream])]
            for column, prop in catalog[stream]["properties"].items():
                value, sent = record[column], source[column]
                if prop.get("format") == "date-time" and sent is not None:
                    assert value == instant(sent), (stream, column, sent, value)
                elif isinstance(sent, (dict, str, bool, int)) or sent is None:
                    assert value == sent, (stream, column, sent, value)

    # A full re-run (no state) upserts: same rows, no duplicate keys.
    again = load(tmp_path / "again", config, postgres, schema)
    assert len(again.records()) == len(first.records())
    assert row_counts(postgres, schema, platform) == expected
    for stream in STREAMS:
        total = int(postgres.scalar(f'select count(*) from "{schema}"."{stream}"'))
        assert distinct_keys(postgres, schema, stream) == total, stream

    # An upstream change, then a run from the state the target emitted: only what changed.
    added = case.change(small_sandbox)
    state = again.target_state
    assert set(event_bookmarks(state)) and len(event_bookmarks(state)) == expected["events"]
    second = load(tmp_path / "second", config, postgres, schema, state=state)
    after = case.expected_rows(small_sandbox.dataset(platform))
    assert row_counts(postgres, schema, platform) == after
    assert after != expected
    assert 0 < len(second.records()) < len(first.records())
    for stream, ids in added.items():
        column = ID_COLUMN[stream]
        landed = {
            row[0]
            for row in postgres.query(
                f'select {column} from "{schema}"."{stream}" where platform = %s', platform
            )
        }
        assert ids <= landed, (stream, ids - landed)
