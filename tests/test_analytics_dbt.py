"""The analytics dbt package (analytics/) over real loads of every platform.

One sandbox, one throwaway PostgreSQL and one load per platform for the whole module: the
four platforms go through `tap-webinars | target-postgres` into one schema (keys include
`platform`), then one `dbt build` (dbt-postgres, from .venv-dbt) covers them all. Meanwhile
PyAirbyte reads the same sandbox into DuckDB, and the same package builds there with
dbt-duckdb. The figures are compared with values computed from the sandbox's raw dataset
(tests/analytics_expected.py), never from the tap's output or the models; the few that are
impractical to derive from raw payloads (first / last activity, latest company and job
title) are computed in plain Python from the rows loaded in PostgreSQL. Then every platform
changes upstream, the tap runs incrementally from the target's state, dbt builds again and
the changed figures must follow.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests import analytics_expected as expected
from tests.analytics_dbt import (
    DBT,
    DbtRun,
    dbt_build,
    duckdb_profile,
    duckdb_rows,
    postgres_profile,
    start_dbt_build,
)
from tests.harness import ROOT, SandboxProcess
from tests.pg import PostgresServer, postgres_server
from tests.platform_configs import CASES, PLATFORMS, SANDBOX_SIZE
from tests.test_pipeline_postgres import create_tables, load
from tests.tools import AIRBYTE_PYTHON, SOURCE, TARGET_POSTGRES, PipeRun, require, write_json

SOURCE_SCHEMA = "webinars"
MODEL_SCHEMA = "analytics"
FUNNEL_KEY = ("platform", "event_id")
# One person on two platforms: a Cvent attendee gets the email of a Webcasts registrant of
# the guide's sample event, in other case and with spaces (normalised by the package).
SHARED_EMAIL = "awilliams@yourco.com"
SHARED_EMAIL_AS_SENT = "  AWilliams@YourCo.COM "


@dataclass
class Phase:
    """The models after one load of every platform, and the sandbox data they came from."""

    build: DbtRun
    funnel: dict[tuple[str, str], dict[str, t.Any]]
    people: dict[str, dict[str, t.Any]]
    answers: list[dict[str, t.Any]]
    datasets: dict[str, expected.Dataset]
    runs: dict[str, PipeRun]
    added: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # the upstream change


@dataclass
class Warehouse:
    """The module's one PostgreSQL, its two phases, and the DuckDB build over PyAirbyte's load."""

    postgres: PostgresServer
    first: Phase
    second: Phase
    duckdb_build: DbtRun
    duckdb_funnel: list[dict[str, t.Any]]


def query(postgres: PostgresServer, sql: str) -> list[dict[str, t.Any]]:
    import psycopg

    with psycopg.connect(postgres.url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        names = [c.name for c in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_phase(
    postgres: PostgresServer, sandbox: SandboxProcess, build: DbtRun, runs: dict[str, PipeRun]
) -> Phase:
    funnel = {
        (r["platform"], r["event_id"]): r
        for r in query(postgres, f"select * from {MODEL_SCHEMA}.webinar_event_funnel")
    }
    people = {
        r["email"]: r for r in query(postgres, f"select * from {MODEL_SCHEMA}.webinar_people")
    }
    answers = query(postgres, f"select * from {MODEL_SCHEMA}.webinar_survey_answers")
    datasets = {p: expected.READERS[p](sandbox.dataset(p)) for p in PLATFORMS}
    return Phase(build, funnel, people, answers, datasets, runs)


def pyairbyte_read(sandbox: SandboxProcess, folder: Path) -> subprocess.Popen[str]:
    """Start PyAirbyte reading every platform into folder/pyairbyte.duckdb (in the background)."""
    folder.mkdir(parents=True, exist_ok=True)
    configs = write_json(
        folder / "configs.json", {p: CASES[p].config(sandbox.api_url(p)) for p in PLATFORMS}
    )
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "AIRBYTE_OFFLINE_MODE": "1",
        "NO_LIVE_PROGRESS": "1",
        "PYTHONWARNINGS": "ignore",
        "AIRBYTE_PROJECT_DIR": str(folder),
        "AIRBYTE_LOGGING_ROOT": str(folder / "logs"),
    }
    with (folder / "pyairbyte.log").open("w") as log:
        return subprocess.Popen(
            [
                str(AIRBYTE_PYTHON),
                str(ROOT / "tests" / "analytics_pyairbyte.py"),
                "--executable",
                str(SOURCE),
                "--configs",
                str(configs),
                "--db-path",
                str(folder / "pyairbyte.duckdb"),
                "--schema",
                SOURCE_SCHEMA,
            ],
            stdout=subprocess.PIPE,
            stderr=log,  # the child keeps its own copy of the file
            text=True,
            env=env,
        )


def load_all(
    sandbox: SandboxProcess,
    postgres: PostgresServer,
    folder: Path,
    states: dict[str, dict[str, t.Any]] | None = None,
) -> dict[str, PipeRun]:
    """`tap-webinars | target-postgres` for every platform into one schema, one at a time
    (two target-postgres processes would race to add their `_sdc_*` columns)."""
    return {
        platform: load(
            folder / platform,
            CASES[platform].config(sandbox.api_url(platform)),
            postgres,
            SOURCE_SCHEMA,
            state=states[platform] if states is not None else None,
        )
        for platform in PLATFORMS
    }


def build_postgres(postgres: PostgresServer, folder: Path) -> DbtRun:
    build = dbt_build(
        folder / "dbt-postgres",  # the same folder each phase: dbt parses partially
        postgres_profile(postgres, MODEL_SCHEMA),
        source_schema=SOURCE_SCHEMA,
    )
    assert build.returncode == 0, build.output[-5000:]
    return build


@pytest.fixture(scope="module")
def warehouse(
    sandbox_process: SandboxProcess, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[Warehouse]:
    """Both phases, arranged so the slow parts overlap: PyAirbyte reads while the PostgreSQL
    loads and dbt run; dbt-duckdb builds while the second phase loads."""
    require(TARGET_POSTGRES, AIRBYTE_PYTHON, DBT)
    folder = tmp_path_factory.mktemp("analytics")
    sandbox = sandbox_process
    sandbox.reset(size=SANDBOX_SIZE)
    cvent_attendee = sandbox.dataset("cvent")["attendees"][0]["id"]
    sandbox.admin(
        "cvent",
        "modify_attendee",
        attendee_id=cvent_attendee,
        contact={"email": SHARED_EMAIL_AS_SENT},
    )
    airbyte = pyairbyte_read(sandbox, folder / "airbyte")
    try:
        with postgres_server() as postgres:
            create_tables(postgres, SOURCE_SCHEMA)
            runs = load_all(sandbox, postgres, folder / "first")
            first = read_phase(postgres, sandbox, build_postgres(postgres, folder), runs)

            # PyAirbyte must have read the sandbox before it changes.
            output, _ = airbyte.communicate(timeout=300)
            log = (folder / "airbyte" / "pyairbyte.log").read_text()[-5000:]
            assert airbyte.returncode == 0 and output.strip(), log
            database = folder / "airbyte" / "pyairbyte.duckdb"
            duck = start_dbt_build(
                folder / "dbt-duckdb",
                duckdb_profile(database, MODEL_SCHEMA),
                source_schema=SOURCE_SCHEMA,
            )

            # Every platform changes upstream; incremental runs from the target's state.
            added = {p: CASES[p].change(sandbox) for p in PLATFORMS}
            states = {p: first.runs[p].target_state for p in PLATFORMS}
            runs = load_all(sandbox, postgres, folder / "second", states)
            for p in PLATFORMS:  # really incremental: fewer records than the first run
                assert 0 < len(runs[p].records()) < len(first.runs[p].records()), p
            second = read_phase(postgres, sandbox, build_postgres(postgres, folder), runs)
            second.added = added

            duck_run = duck.wait()
            assert duck_run.returncode == 0, duck_run.output[-5000:]
            duck_funnel = duckdb_rows(database, f"{MODEL_SCHEMA}.webinar_event_funnel")
            yield Warehouse(postgres, first, second, duck_run, duck_funnel)
    finally:
        if airbyte.poll() is None:
            airbyte.kill()
        airbyte.communicate()


# ---------------------------------------------------------------------------- comparing


def same(value: t.Any, other: t.Any) -> bool:
    if value is None or other is None:
        return value is None and other is None
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return math.isclose(float(value), float(other), rel_tol=1e-9, abs_tol=1e-9)
    return bool(value == other)


def differences(want: t.Mapping[str, t.Any], got: t.Mapping[str, t.Any], label: t.Any) -> list[str]:
    return [
        f"{label} {name}: expected {value!r}, model {got.get(name)!r}"
        for name, value in want.items()
        if not same(value, got.get(name))
    ]


def expected_funnel(phase: Phase, platform: str) -> dict[tuple[str, str], dict[str, t.Any]]:
    rows = expected.funnel(platform, phase.datasets[platform])
    return {(platform, event_id): figures for event_id, figures in rows.items()}


def model_funnel(phase: Phase, platform: str) -> dict[tuple[str, str], dict[str, t.Any]]:
    return {k: v for k, v in phase.funnel.items() if k[0] == platform}


def assert_funnel_matches(phase: Phase, platform: str) -> None:
    want, got = expected_funnel(phase, platform), model_funnel(phase, platform)
    assert set(got) == set(want)
    assert sum(f["registrants"] for f in want.values()) > 0
    problems = [p for key, figures in want.items() for p in differences(figures, got[key], key)]
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------- tests


def test_dbt_build_runs_every_model_and_test(warehouse: Warehouse) -> None:
    build = warehouse.first.build
    assert build.failures == {}
    kinds = defaultdict(int)
    for unique_id in build.statuses:
        kinds[unique_id.split(".")[0]] += 1
    assert kinds["model"] == 10
    assert kinds["test"] >= 50  # keys unique and not null, relationships, funnel adds up
    relationships = [u for u in build.statuses if "relationships_by_key" in u]
    assert len(relationships) == 9  # 4 children -> registrants, 5 tables -> events


@pytest.mark.parametrize("platform", PLATFORMS)
def test_funnel_equals_the_sandbox_dataset(warehouse: Warehouse, platform: str) -> None:
    assert_funnel_matches(warehouse.first, platform)


def test_people_equal_the_sandbox_dataset(warehouse: Warehouse) -> None:
    phase = warehouse.first
    want = expected.people(phase.datasets)
    assert len(want) > 100
    assert set(phase.people) == set(want)
    problems = [p for email, f in want.items() for p in differences(f, phase.people[email], email)]
    assert not problems, "\n".join(problems[:20])

    # One person across platforms, matched on the normalised email.
    shared = phase.people[SHARED_EMAIL]
    assert shared["platforms"] == "cvent, webcasts"
    assert shared["platform_count"] == 2
    assert shared["events_registered"] == 2


def test_activity_and_latest_profile_match_the_loaded_rows(warehouse: Warehouse) -> None:
    """First / last activity, first / last seen and latest company / job title, computed in
    plain Python from the rows target-postgres loaded (the raw payloads carry them in four
    time formats). The tables hold the second phase's load by now."""
    postgres, phase = warehouse.postgres, warehouse.second
    table = f'"{SOURCE_SCHEMA}"'
    registrants = query(postgres, f"select * from {table}.registrants")
    viewers = query(postgres, f"select * from {table}.viewers")
    answers = query(postgres, f"select * from {table}.survey_responses")
    questions = query(postgres, f"select * from {table}.questions")

    def key(row: dict[str, t.Any]) -> tuple[str, str, str]:
        return row["platform"], row["account_id"], row["event_id"]

    by_event: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for rows, columns in (
        (registrants, ("registered_at",)),
        (viewers, ("first_viewed_at", "last_viewed_at")),
        (answers, ("submitted_at",)),
        (questions, ("asked_at",)),
    ):
        for row in rows:
            by_event[(row["platform"], row["event_id"])] += [
                row[c] for c in columns if row[c] is not None
            ]
    for event, figures in phase.funnel.items():
        moments = by_event.get(event) or [None]
        assert figures["first_activity_at"] == min(moments, key=_order), event
        assert figures["last_activity_at"] == max(moments, key=_order), event
    assert any(f["first_activity_at"] for f in phase.funnel.values())

    viewer_of = {(*key(v), v["registrant_id"]): v for v in viewers}
    interactions: dict[tuple[str, ...], list[datetime]] = defaultdict(list)
    for row in questions:
        if row["registrant_id"] and row["asked_at"]:
            interactions[(*key(row), row["registrant_id"])].append(row["asked_at"])
    for row in answers:
        if row["registrant_id"] and row["submitted_at"] and row["kind"] in ("survey", "poll"):
            interactions[(*key(row), row["registrant_id"])].append(row["submitted_at"])
    seen: dict[str, list[datetime]] = defaultdict(list)
    profiles: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
    for row in registrants:
        email = expected.email(row["email"])
        if email is None:
            continue
        registration = (*key(row), row["registrant_id"])
        viewer = viewer_of.get(registration) or {}
        seen[email] += [
            m
            for m in (
                row["registered_at"],
                viewer.get("first_viewed_at"),
                viewer.get("last_viewed_at"),
            )
            if m is not None
        ]
        seen[email] += interactions.get(registration, [])
        profiles[email].append(row)
    assert set(seen) == set(phase.people)
    for email, person in phase.people.items():
        moments = seen[email] or [None]
        assert person["first_seen_at"] == min(moments, key=_order), email
        assert person["last_seen_at"] == max(moments, key=_order), email
        for column in ("company", "job_title"):
            named = [r for r in profiles[email] if (r[column] or "").strip()]
            named.sort(
                key=lambda r: (r["platform"], r["account_id"], r["event_id"], r["registrant_id"])
            )
            named.sort(key=lambda r: _newest_first(r["updated_at"]))
            named.sort(key=lambda r: _newest_first(r["registered_at"]))
            want = named[0][column].strip() if named else None
            assert person[f"latest_{column}"] == want, (email, column)
    assert sum(p["latest_company"] is not None for p in phase.people.values()) > 50


def _order(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")


def _newest_first(moment: datetime | None) -> tuple[int, float]:
    return (1, 0.0) if moment is None else (0, -moment.timestamp())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_survey_answers_equal_the_sandbox_dataset(warehouse: Warehouse, platform: str) -> None:
    phase = warehouse.first
    data = phase.datasets[platform]
    rows = [r for r in phase.answers if r["platform"] == platform]
    labels = sorted((label or "") for a in data.answers.values() for label in a.labels)
    assert sorted(r["question_label"] or "" for r in rows) == labels
    kinds = defaultdict(int)
    for row in rows:
        kinds[row["kind"]] += 1
    assert kinds == {
        kind: n
        for kind, n in (
            ("survey", sum(a.survey for a in data.answers.values())),
            ("poll", sum(a.poll for a in data.answers.values())),
            ("attendance", sum(a.attendance for a in data.answers.values())),
        )
        if n
    }
    titles = {(k[1]): f["title"] for k, f in phase.funnel.items() if k[0] == platform}
    assert all(r["event_title"] == titles[r["event_id"]] for r in rows)
    assert all(r["survey_label"] for r in rows)


def test_incremental_run_updates_the_figures(warehouse: Warehouse) -> None:
    first, second = warehouse.first, warehouse.second
    assert second.build.failures == {}
    for platform in PLATFORMS:
        assert_funnel_matches(second, platform)
        before, after = model_funnel(first, platform), model_funnel(second, platform)
        changed = {k for k in after if k not in before or after[k] != before[k]}
        assert changed, platform
        added = len(second.added[platform]["registrants"])
        grown = sum(
            after[k]["registrants"] - before.get(k, {}).get("registrants", 0) for k in after
        )
        came = sum(after[k]["attendees"] - before.get(k, {}).get("attendees", 0) for k in after)
        assert grown == added and came == added, (platform, grown, came, added)
    want = expected.people(second.datasets)
    assert set(second.people) == set(want)
    assert len(second.people) > len(first.people)
    problems = [p for email, f in want.items() for p in differences(f, second.people[email], email)]
    assert not problems, "\n".join(problems[:20])


def test_duckdb_loaded_by_pyairbyte_gives_the_same_funnel(warehouse: Warehouse) -> None:
    assert warehouse.duckdb_build.failures == {}
    duck = {(r["platform"], r["event_id"]): r for r in warehouse.duckdb_funnel}
    postgres = warehouse.first.funnel
    assert set(duck) == set(postgres)
    assert sum(r["registrants"] for r in duck.values()) > 0
    problems = []
    for key, row in postgres.items():
        for column, value in row.items():
            mine, other = value, duck[key][column]
            if isinstance(mine, datetime):  # DuckDB's instants come as ISO text
                mine = mine.astimezone(timezone.utc)
                other = datetime.fromisoformat(other).astimezone(timezone.utc)
            if not same(mine, other):
                problems.append(f"{key} {column}: postgres {mine!r}, duckdb {other!r}")
    assert not problems, "\n".join(problems)


def load_report_module() -> t.Any:
    spec = importlib.util.spec_from_file_location(
        "analytics_report", ROOT / "scripts" / "analytics_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_figures_equal_the_model(warehouse: Warehouse, tmp_path: Path) -> None:
    report = load_report_module()
    rows = list(warehouse.second.funnel.values())  # what PostgreSQL holds now
    page = report.render(rows)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    figures = {
        (m["platform"], m["stage"]): int(m["value"])
        for m in re.finditer(
            r'data-platform="(?P<platform>[^"]+)" data-stage="(?P<stage>[^"]+)" '
            r'data-value="(?P<value>\d+)"',
            page,
        )
    }
    for platform in PLATFORMS:
        own = [r for r in rows if r["platform"] == platform]
        assert figures[(platform, "registered")] == sum(r["registrants"] for r in own)
        assert figures[(platform, "attended")] == sum(r["attendees"] for r in own)
        assert figures[(platform, "engaged")] == sum(r["engaged_viewers"] for r in own)
    ranked = re.findall(
        r'data-top-event="(?P<platform>[^"]+)/(?P<event>[^"]+)" data-rate="(?P<rate>[\d.]+)"', page
    )
    assert ranked
    rates = [float(rate) for _, _, rate in ranked]
    assert rates == sorted(rates, reverse=True)
    for platform, event_id, rate in ranked:
        model = warehouse.second.funnel[(platform, event_id)]["attendance_rate"]
        assert math.isclose(float(rate), model, abs_tol=5e-5)
    best = max(r["attendance_rate"] for r in rows if r["attendance_rate"] is not None)
    assert math.isclose(rates[0], best, abs_tol=5e-5)

    # The CLI reads the model from PostgreSQL and writes the same page.
    out = tmp_path / "report.html"
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            str(ROOT / "scripts" / "analytics_report.py"),
            "--url",
            warehouse.postgres.url,
            "--schema",
            MODEL_SCHEMA,
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert out.read_text(encoding="utf-8") == page
