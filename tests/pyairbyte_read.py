"""Read `source-webinars` with PyAirbyte into a DuckDB cache; print what landed as JSON.

Runs in .venv-airbyte (PyAirbyte's dependencies do not fit beside the tap's), started by
tests/test_airbyte.py as a separate process:

    .venv-airbyte/bin/python tests/pyairbyte_read.py --executable .venv/bin/source-webinars \
        --config config.json --cache-dir DIR --id-columns '{"registrants": "registrant_id"}' \
        --reads 2

PyAirbyte validates the config against the connector's spec, discovers the catalog, runs
`read` (with the state it stored in the cache on earlier reads), and merges the records into
DuckDB by primary key. After each read the script prints one JSON line — records processed
by that read, and per stream the rows in the cache, their ids and the state PyAirbyte
stored — then, if more reads are asked for, waits for a line on stdin (the test changes the
sandbox meanwhile) and reads again with a new cache object on the same DuckDB file. One
process for both reads: importing PyAirbyte takes longer than a read.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing as t
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executable", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--id-columns", required=True, help="JSON: stream -> id column")
    parser.add_argument("--reads", type=int, default=1)
    options = parser.parse_args()

    # PyAirbyte prints progress to stdout: keep stdout for this script's JSON lines.
    out, sys.stdout = sys.stdout, sys.stderr
    import airbyte as ab

    config = json.loads(Path(options.config).read_text(encoding="utf-8"))
    id_columns: dict[str, str] = json.loads(options.id_columns)
    for number in range(options.reads):
        if number:
            sys.stdin.readline()
        out.write(json.dumps(read_once(ab, config, id_columns, options)) + "\n")
        out.flush()


def read_once(
    ab: t.Any, config: dict[str, t.Any], id_columns: dict[str, str], options: t.Any
) -> dict[str, t.Any]:
    """One PyAirbyte read into the cache, and what the cache then holds."""
    from airbyte.caches import DuckDBCache
    from sqlalchemy import text

    cache = DuckDBCache(
        db_path=Path(options.cache_dir) / "pyairbyte.duckdb", schema_name="webinars"
    )
    source = ab.get_source(
        "source-webinars",
        config=config,
        local_executable=options.executable,
        install_if_missing=False,
    )
    source.select_all_streams()
    result = source.read(cache=cache)

    streams: dict[str, dict[str, t.Any]] = {}
    with cache.get_sql_engine().connect() as connection:
        tables = {
            row[0]
            for row in connection.execute(
                text(
                    "select table_name from information_schema.tables "
                    "where table_schema = 'webinars'"
                )
            )
        }
        for name, column in id_columns.items():
            table = cache.processor.get_sql_table_name(name)
            ids: list[str] = []
            if table in tables:
                ids = [
                    str(row[0])
                    for row in connection.execute(
                        text(f'select "{column}" from webinars."{table}"')
                    )
                ]
            streams[name] = {"rows": len(ids), "ids": ids}

    states = cache.get_state_provider(source_name=source.name)
    for message in states.state_message_artifacts:
        payload = json.loads(message.model_dump_json())
        name = payload["stream"]["stream_descriptor"]["name"]
        if name in streams:
            streams[name]["state"] = payload["stream"]["stream_state"]
    cache.close()
    return {"processed_records": result.processed_records, "streams": streams}


if __name__ == "__main__":
    main()
