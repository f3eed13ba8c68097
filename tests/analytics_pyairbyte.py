"""Read every platform with PyAirbyte into one DuckDB cache, for the analytics tests.

Runs in .venv-airbyte (PyAirbyte's dependencies do not fit beside the tap's), started by
tests/test_analytics_dbt.py as a separate process:

    .venv-airbyte/bin/python tests/analytics_pyairbyte.py --executable .venv/bin/source-webinars \
        --configs configs.json --db-path DIR/pyairbyte.duckdb --schema webinars

`configs.json` maps platform -> tap config. Each platform is read as a source of its own name
(`source-webinars-<platform>`, so PyAirbyte keeps one state per platform) into the same cache
schema: the streams' keys include `platform`, so the four loads merge into one table per
stream, as target-postgres's do. Prints one JSON line: records processed per platform.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executable", required=True)
    parser.add_argument("--configs", required=True, help="JSON file: platform -> tap config")
    parser.add_argument("--db-path", required=True)
    parser.add_argument("--schema", default="webinars")
    options = parser.parse_args()

    # PyAirbyte prints progress to stdout: keep stdout for this script's JSON line.
    out, sys.stdout = sys.stdout, sys.stderr
    import airbyte as ab
    from airbyte.caches import DuckDBCache

    configs = json.loads(Path(options.configs).read_text(encoding="utf-8"))
    cache = DuckDBCache(db_path=options.db_path, schema_name=options.schema)
    processed: dict[str, int] = {}
    for platform, config in configs.items():
        source = ab.get_source(
            f"source-webinars-{platform}",
            config=config,
            local_executable=options.executable,
            install_if_missing=False,
        )
        source.select_all_streams()
        processed[platform] = source.read(cache=cache).processed_records
    cache.close()
    out.write(json.dumps({"processed_records": processed}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
