"""The demo: sandbox -> tap -> a real target, every platform the sandbox serves.

    make demo                                  # after make bootstrap (make demo runs it)
    .venv/bin/python scripts/demo.py [--target postgres|csv] [--size small|default|large]

Starts the sandbox and a throwaway PostgreSQL server (tests/pg.py: initdb into a temporary
folder, its own port on 127.0.0.1), creates the tables (scripts/pg_tables.py), then for each
platform pipes `tap-webinars | target-postgres` as separate processes, prints how many rows
landed per platform and stream next to what the sandbox holds, runs each platform once more
from the state the target emitted (incremental), and stops everything. `--target csv`
writes CSV files under demo-output/ with target-csv instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import SandboxProcess  # noqa: E402 - after the path set-up
from tests.pg import PostgresServer  # noqa: E402
from tests.platform_configs import CASES, STREAMS  # noqa: E402

BIN = ROOT / ".venv" / "bin"
TARGET_POSTGRES = ROOT / ".venv-targets" / "postgres" / "bin" / "target-postgres"
TARGET_CSV = ROOT / ".venv-targets" / "csv" / "bin" / "target-csv"
SCHEMA = "webinars"


def pipe(
    folder: Path,
    config: dict[str, t.Any],
    target: Path,
    target_config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
) -> tuple[int, dict[str, t.Any]]:
    """`tap-webinars | target` in bash; returns (records the tap emitted, the target's state)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tap.json").write_text(json.dumps(config))
    (folder / "target.json").write_text(json.dumps(target_config))
    state_arg = ""
    if state:
        (folder / "state.json").write_text(json.dumps(state))
        state_arg = " --state state.json"
    command = (
        f"set -o pipefail; '{BIN / 'tap-webinars'}' --config tap.json{state_arg} 2>tap.log"
        f" | tee tap-output.jsonl | '{target}' --config target.json"
        " > target-output.jsonl 2>target.log"
    )
    done = subprocess.run(  # noqa: S603 - our own command line
        ["bash", "-c", command],  # noqa: S607 - bash from PATH, as a user's shell
        cwd=folder,
        check=False,
        env={**os.environ, "PGTZ": "UTC"},
    )
    if done.returncode != 0:
        log = (folder / "tap.log").read_text()[-2000:] + (folder / "target.log").read_text()[-2000:]
        raise SystemExit(f"demo: the pipeline failed in {folder}:\n{log}")
    records = 0
    with (folder / "tap-output.jsonl").open() as output:
        records = sum(1 for line in output if line.startswith('{"type":"RECORD"'))
    states = [
        json.loads(line)
        for line in (folder / "target-output.jsonl").read_text().splitlines()
        if line.startswith("{")
    ]
    final = states[-1] if states else {}
    return records, final.get("value", final)


def csv_rows(folder: Path, stream: str) -> int:
    """Data rows in a stream's CSV file (0 when the target wrote none)."""
    path = folder / f"{stream}.csv"
    if not path.exists():
        return 0
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def landed_rows(platform: str, postgres: PostgresServer | None, output: Path) -> dict[str, int]:
    """Rows per stream of *platform* in the target."""
    if postgres is None:
        return {stream: csv_rows(output / platform, stream) for stream in STREAMS}
    return {
        stream: int(
            postgres.scalar(
                f'select count(*) from "{SCHEMA}"."{stream}" where platform = %s',  # noqa: S608
                platform,
            )
        )
        for stream in STREAMS
    }


def print_table(results: list[tuple[str, dict[str, int], dict[str, int]]]) -> int:
    """Print rows landed next to the sandbox's rows; return how many streams differ."""
    print(f"{'platform':<12} {'stream':<20} {'rows landed':>11} {'in sandbox':>11}")
    print(f"{'-' * 12} {'-' * 20} {'-' * 11} {'-' * 11}")
    mismatches = 0
    for platform, landed, expected in results:
        for stream in STREAMS:
            flag = "" if landed[stream] == expected[stream] else "  <- differs"
            mismatches += bool(flag)
            print(f"{platform:<12} {stream:<20} {landed[stream]:>11} {expected[stream]:>11}{flag}")
        print(
            f"{platform:<12} {'total':<20} {sum(landed.values()):>11} {sum(expected.values()):>11}"
        )
    print()
    return mismatches


def main() -> None:
    """Run the demo and print what landed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", choices=("postgres", "csv"), default="postgres")
    parser.add_argument("--size", default="default", help="sandbox dataset: small, default, large")
    options = parser.parse_args()
    target = TARGET_POSTGRES if options.target == "postgres" else TARGET_CSV
    for tool in (BIN / "tap-webinars", target):
        if not tool.exists():
            raise SystemExit(f"demo: {tool.relative_to(ROOT)} is missing: run make bootstrap")

    work = Path(tempfile.mkdtemp(prefix="tap-webinars-demo-"))
    output = ROOT / "demo-output"
    sandbox = SandboxProcess("--size", options.size)
    postgres: PostgresServer | None = None
    try:
        if options.target == "postgres":
            postgres = PostgresServer.start()
            ddl = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, str(ROOT / "scripts" / "pg_tables.py"), "--schema", SCHEMA],
                capture_output=True,
                text=True,
                check=True,
            )
            postgres.query(ddl.stdout)
            where = f"PostgreSQL on 127.0.0.1:{postgres.port}, schema {SCHEMA}"
        else:
            where = f"CSV files under {output.relative_to(ROOT)}/"
        print(
            f"tap-webinars demo: sandbox {sandbox.url} ({', '.join(sandbox.platforms)}) "
            f"-> {where}\n"
        )

        table: list[tuple[str, dict[str, int], dict[str, int]]] = []
        notes: list[str] = []
        for platform in sandbox.platforms:
            case = CASES.get(platform)
            if case is None:
                notes.append(
                    f"{platform}: served by the sandbox, but no demo config yet "
                    "(tests/platform_configs.py)"
                )
                continue
            config = case.config(sandbox.api_url(platform))
            if postgres is not None:
                target_config = postgres.target_config(SCHEMA)
            else:
                target_config = {"output_path": str(output / platform)}
                config |= {"flattening_enabled": True, "flattening_max_depth": 1}
            started = time.monotonic()
            emitted, state = pipe(work / platform / "first", config, target, target_config)
            seconds = time.monotonic() - started
            table.append(
                (
                    platform,
                    landed_rows(platform, postgres, output),
                    case.expected_rows(sandbox.dataset(platform)),
                )
            )
            again, _ = pipe(work / platform / "again", config, target, target_config, state)
            notes.insert(
                len(table) - 1,
                f"{platform}: {emitted} records in {seconds:.1f} s; "
                f"an incremental re-run from the target's state emitted {again}",
            )

        mismatches = print_table(table)
        print("\n".join(notes))
        if mismatches:
            raise SystemExit(f"demo: {mismatches} stream(s) differ from the sandbox's data")
        analytics_report(postgres, work)
    finally:
        sandbox.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


def analytics_report(postgres: PostgresServer | None, work: Path) -> None:
    """The final step: dbt over the demo's PostgreSQL, then the report page.

    dbt builds the analytics package (analytics/) over the demo's tables, and its funnel
    model becomes one HTML page (scripts/analytics_report.py). Not for `--target csv`.
    """
    if postgres is None:
        return
    from analytics_report import read_funnel, write_report  # noqa: PLC0415 - scripts/

    from tests.analytics_dbt import DBT, dbt_build, postgres_profile  # noqa: PLC0415

    if not DBT.exists():
        raise SystemExit("demo: .venv-dbt/bin/dbt is missing: run make bootstrap")
    print("\nanalytics: dbt build of analytics/ (tap_webinars_analytics) ...")
    build = dbt_build(work / "dbt", postgres_profile(postgres, "analytics"), source_schema=SCHEMA)
    if build.returncode != 0:
        raise SystemExit(f"demo: dbt build failed:\n{build.output[-3000:]}")
    print(f"analytics: {len(build.results)} models and tests passed; schema analytics")
    print_funnel(read_funnel(postgres.url, "analytics"))
    output = ROOT / "demo-output" / "analytics-report.html"
    output.parent.mkdir(exist_ok=True)
    write_report(postgres.url, "analytics", output)
    print(f"analytics report: {output}")


FUNNEL_COLUMNS = ("registrants", "attendees", "live_attendees", "on_demand_attendees")
FUNNEL_COLUMNS += ("no_shows", "engaged_viewers")


def print_funnel(rows: list[dict[str, t.Any]]) -> None:
    """The registration -> attendance -> engagement funnel per platform, from the model."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        platform = totals.setdefault(str(row["platform"]), dict.fromkeys(FUNNEL_COLUMNS, 0))
        for column in FUNNEL_COLUMNS:
            platform[column] += int(row[column] or 0)
    print("\nwebinar_event_funnel, per platform:")
    header = f"{'platform':<12} " + " ".join(f"{c.replace('_', ' '):>19}" for c in FUNNEL_COLUMNS)
    print(header + f" {'attendance rate':>16}")
    for name, figures in sorted(totals.items()):
        rate = figures["attendees"] / figures["registrants"] if figures["registrants"] else None
        cells = " ".join(f"{figures[c]:>19}" for c in FUNNEL_COLUMNS)
        print(f"{name:<12} {cells} {'' if rate is None else f'{rate:.0%}':>16}")


if __name__ == "__main__":
    main()
