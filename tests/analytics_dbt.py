"""Run the analytics dbt package (analytics/) as users do: the `dbt` of .venv-dbt, a process.

    run = dbt_build(folder, postgres_profile(server, "analytics"), source_schema="webinars")
    run.failures                           # tests and models that did not pass

Everything dbt writes (profiles.yml, target/, logs/) goes under *folder*, never into
analytics/. Used by tests/test_analytics_dbt.py and scripts/demo.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "analytics"
DBT = ROOT / ".venv-dbt" / "bin" / "dbt"
DBT_PYTHON = ROOT / ".venv-dbt" / "bin" / "python"
PROFILE = "tap_webinars_analytics"  # analytics/dbt_project.yml's profile

if t.TYPE_CHECKING:
    from tests.pg import PostgresServer


@dataclass
class DbtRun:
    """One `dbt build` and its run_results.json."""

    returncode: int
    output: str
    results: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def statuses(self) -> dict[str, str]:
        """unique_id -> status (success, pass, warn, error, fail, skipped)."""
        return {r["unique_id"]: r["status"] for r in self.results}

    @property
    def failures(self) -> dict[str, str]:
        """What did not succeed or pass, with dbt's message."""
        return {
            r["unique_id"]: f"{r['status']}: {r.get('message')}"
            for r in self.results
            if r["status"] not in ("success", "pass")
        }


def postgres_profile(server: PostgresServer, schema: str) -> dict[str, t.Any]:
    """A dbt-postgres target writing the models into *schema* of *server*."""
    return {
        "type": "postgres",
        "host": server.host,
        "port": server.port,
        "user": server.user,
        "password": server.password,
        "dbname": server.database,
        "schema": schema,
        "threads": 2,
    }


def duckdb_profile(path: Path, schema: str) -> dict[str, t.Any]:
    """A dbt-duckdb target writing the models into *schema* of the DuckDB file *path*."""
    return {"type": "duckdb", "path": str(path), "schema": schema, "threads": 2}


class DbtBuild:
    """A `dbt build` running in the background; `wait()` gives its DbtRun."""

    def __init__(self, folder: Path, command: list[str], env: dict[str, str]) -> None:
        self.folder = folder
        self.output = (folder / "dbt-output.log").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command, stdout=self.output, stderr=subprocess.STDOUT, env=env, cwd=folder
        )

    def wait(self, timeout: float = 300) -> DbtRun:
        """Wait for dbt to finish; read its output and run_results.json."""
        try:
            returncode = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.output.close()
        results_path = self.folder / "target" / "run_results.json"
        results = []
        if results_path.exists():
            results = json.loads(results_path.read_text(encoding="utf-8"))["results"]
        output = (self.folder / "dbt-output.log").read_text(encoding="utf-8")
        return DbtRun(returncode, output, results)


def start_dbt_build(
    folder: Path,
    target: dict[str, t.Any],
    *,
    source_schema: str,
    variables: dict[str, t.Any] | None = None,
) -> DbtBuild:
    """Start `dbt build` of the package against *target*, reading the tap's tables in
    *source_schema*. A second build in the same *folder* reuses dbt's partial parse."""
    folder.mkdir(parents=True, exist_ok=True)
    profiles = {PROFILE: {"target": "run", "outputs": {"run": target}}}
    (folder / "profiles.yml").write_text(json.dumps(profiles), encoding="utf-8")  # JSON is YAML
    (folder / "target" / "run_results.json").unlink(missing_ok=True)
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_PROFILES_DIR": str(folder),
    }
    command = [
        str(DBT),
        "build",
        "--project-dir",
        str(PROJECT),
        "--vars",
        json.dumps({"tap_webinars_schema": source_schema, **(variables or {})}),
    ]
    return DbtBuild(folder, command, env)


def dbt_build(
    folder: Path,
    target: dict[str, t.Any],
    *,
    source_schema: str,
    variables: dict[str, t.Any] | None = None,
    timeout: float = 300,
) -> DbtRun:
    """`dbt build` of the package against *target* (see start_dbt_build), to the end."""
    build = start_dbt_build(folder, target, source_schema=source_schema, variables=variables)
    return build.wait(timeout)


DUCKDB_ROWS = """
import json, sys
import duckdb
path, table = sys.argv[1], sys.argv[2]
connection = duckdb.connect(path, read_only=True)
connection.execute("set TimeZone = 'UTC'")
columns = connection.execute(f"select * from {table} limit 0").description
names = [c[0] for c in columns]
# Instants as ISO text: the test compares them with PostgreSQL's.
select = ", ".join(
    f'cast("{n}" as varchar) as "{n}"' if "TIME" in str(c[1]).upper() else f'"{n}"'
    for n, c in zip(names, columns)
)
rows = connection.execute(f"select {select} from {table}").fetchall()
print(json.dumps([dict(zip(names, row)) for row in rows], default=float))
"""


def duckdb_rows(path: Path, table: str) -> list[dict[str, t.Any]]:
    """The rows of *table* (schema.name) in the DuckDB file *path*, read with .venv-dbt's duckdb."""
    done = subprocess.run(
        [str(DBT_PYTHON), "-c", DUCKDB_ROWS, str(path), table],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return t.cast(list[dict[str, t.Any]], json.loads(done.stdout))
