"""Meltano: meltano.yml describes the tap as it is, and `meltano run tap-webinars
target-postgres` loads the sandbox, then loads only what changed from Meltano's stored state.

Meltano runs from its own virtualenv (.venv-meltano) in this project, with the plugins
`meltano install` put under .meltano/ (scripts/bootstrap.sh). Each test keeps Meltano's
system database (the default `systemdb` state backend, SQLite) in its own temporary folder,
so a test never reads or overwrites a developer's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.harness import ROOT, SandboxProcess
from tests.pg import PostgresServer, postgres_server
from tests.platform_configs import ID_COLUMN, PLATFORMS, SANDBOX_SIZE, STREAMS, case_for
from tests.tools import MELTANO, SDK_SETTINGS, TAP, event_bookmarks, require

STATE_ID = "dev:tap-webinars-to-target-postgres"
CAPABILITIES = {
    "catalog",
    "discover",
    "state",
    "about",
    "stream-maps",
    "schema-flattening",
    "batch",
}
KINDS = {
    "integer": {"integer"},
    "number": {"integer", "decimal"},
    "boolean": {"boolean"},
    "array": {"array"},
    "object": {"object"},
}


def meltano_project() -> dict[str, t.Any]:
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def plugin(kind: str, name: str) -> dict[str, t.Any]:
    return next(p for p in meltano_project()["plugins"][kind] if p["name"] == name)


def about() -> dict[str, t.Any]:
    done = subprocess.run(
        [str(TAP), "--about", "--format", "json"], capture_output=True, text=True, check=True
    )
    return t.cast(dict[str, t.Any], json.loads(done.stdout))


def test_meltano_yml_declares_the_tap_as_it_is() -> None:
    tap = plugin("extractors", "tap-webinars")
    assert tap["namespace"] == "tap_webinars"
    assert tap["pip_url"] == "-e ."
    assert tap["executable"] == "tap-webinars"
    info = about()
    assert set(tap["capabilities"]) == CAPABILITIES
    assert set(tap["capabilities"]) <= set(info["capabilities"])

    own = {k: v for k, v in info["settings"]["properties"].items() if k not in SDK_SETTINGS}
    declared = {s["name"]: s for s in tap["settings"]}
    assert list(declared) == list(own)  # every setting, in the tap's order
    for name, setting in declared.items():
        prop = own[name]
        assert setting.get("label") and setting.get("description"), name
        assert setting.get("sensitive", False) == bool(prop.get("secret")), name
        types = set(prop["type"] if isinstance(prop["type"], list) else [prop["type"]])
        types.discard("null")
        if "enum" in prop:
            assert setting["kind"] == "options", name
            assert [o["value"] for o in setting["options"]] == prop["enum"], name
        elif prop.get("format") == "date-time":
            assert setting["kind"] == "date_iso8601", name
        elif types & KINDS.keys():
            assert setting["kind"] in KINDS[next(iter(types & KINDS.keys()))], name
        else:
            assert setting["kind"] == "string", name
        if "default" in prop:
            assert setting.get("value") == prop["default"], name
    assert sum(1 for s in declared.values() if s.get("sensitive")) == 8


def test_meltano_yml_has_two_inherited_accounts_and_pinned_loaders() -> None:
    accounts = [
        p
        for p in meltano_project()["plugins"]["extractors"]
        if p.get("inherit_from") == "tap-webinars"
    ]
    assert len(accounts) >= 2
    assert len({a["config"]["platform"] for a in accounts}) >= 2
    assert len({a["config"]["account_id"] for a in accounts}) == len(accounts)

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    for name, variant in (
        ("target-postgres", "meltanolabs"),
        ("target-csv", "meltanolabs"),
        ("target-jsonl", "andyh1203"),
    ):
        loader = plugin("loaders", name)
        assert loader["variant"] == variant
        # The same pinned version as the virtualenv the shell-pipe tests use.
        assert [loader["pip_url"]] == groups[name]
        lock = json.loads((ROOT / "plugins" / "loaders" / f"{name}--{variant}.lock").read_text())
        assert lock["pip_url"] == loader["pip_url"]


def run_meltano(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [str(MELTANO), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


def meltano_env(folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Meltano's system database (and so its state) in *folder*, no usage stats."""
    return {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{folder / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra or {}),
    }


def test_inherited_accounts_resolve_in_meltano(tmp_path: Path) -> None:
    require(MELTANO)
    env = meltano_env(tmp_path, {"TAP_WEBINARS__ACME_WEBINARFUEL_WEBINARFUEL_API_KEY": "k-123"})
    printed = json.loads(run_meltano("config", "print", "tap-webinars--acme-webinarfuel", env=env))
    assert printed["platform"] == "webinarfuel"
    assert printed["account_id"] == "acme-webinarfuel"
    assert printed["lookback_hours"] == 24  # inherited from tap-webinars
    assert printed["webinarfuel_api_key"] not in (None, "k-123")  # sensitive: masked
    unmasked = json.loads(
        run_meltano("config", "--unsafe", "print", "tap-webinars--acme-webinarfuel", env=env)
    )
    assert unmasked["webinarfuel_api_key"] == "k-123"  # read from the account's variable


@pytest.fixture(scope="module")
def postgres() -> t.Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


def tap_env(config: dict[str, t.Any]) -> dict[str, str]:
    """A tap config as Meltano's environment variables (TAP_WEBINARS_<SETTING>)."""
    return {
        f"TAP_WEBINARS_{key.upper()}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }


def rows(postgres: PostgresServer, schema: str, platform: str) -> dict[str, int]:
    present = postgres.tables(schema)
    return {
        stream: int(
            postgres.scalar(
                f'select count(*) from "{schema}"."{stream}" where platform = %s', platform
            )
        )
        if stream in present
        else 0
        for stream in STREAMS
    }


def rows_of_last_sync(postgres: PostgresServer, schema: str, platform: str) -> int:
    """Rows written by the latest sync (target-postgres stamps `_sdc_sync_started_at`)."""
    tables = sorted(postgres.tables(schema))
    latest = max(
        postgres.scalar(f'select max(_sdc_sync_started_at) from "{schema}"."{t}"') or 0
        for t in tables
    )
    return sum(
        int(
            postgres.scalar(
                f'select count(*) from "{schema}"."{t}" where platform = %s '
                "and _sdc_sync_started_at = %s",
                platform,
                latest,
            )
        )
        for t in tables
    )


def stored_state(env: dict[str, str]) -> dict[str, t.Any]:
    text = run_meltano("state", "get", STATE_ID, env=env)
    return t.cast(dict[str, t.Any], json.loads(text)["singer_state"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_meltano_run_twice_second_run_incremental(
    platform: str, small_sandbox: SandboxProcess, postgres: PostgresServer, tmp_path: Path
) -> None:
    require(MELTANO)
    case = case_for(small_sandbox, platform)
    schema = f"meltano_{platform}"
    env = meltano_env(
        tmp_path,
        {
            **tap_env(case.config(small_sandbox.api_url(platform))),
            **postgres.target_env(schema),
        },
    )

    run_meltano("run", "tap-webinars", "target-postgres", env=env)
    expected = case.expected_rows(small_sandbox.dataset(platform))
    assert rows(postgres, schema, platform) == expected
    first_total = sum(expected.values())
    assert rows_of_last_sync(postgres, schema, platform) == first_total

    # Meltano stored the tap's state: a bookmark for every event.
    state = stored_state(env)
    assert len(event_bookmarks(state)) == expected["events"]

    added = case.change(small_sandbox)
    run_meltano("run", "tap-webinars", "target-postgres", env=env)
    after = case.expected_rows(small_sandbox.dataset(platform))
    assert rows(postgres, schema, platform) == after
    # Incremental: the second run wrote the change and far from everything.
    touched = rows_of_last_sync(postgres, schema, platform)
    assert sum(len(ids) for ids in added.values()) <= touched < first_total
    for stream, ids in added.items():
        landed = {
            r[0]
            for r in postgres.query(
                f'select {ID_COLUMN[stream]} from "{schema}"."{stream}" where platform = %s',
                platform,
            )
        }
        assert ids <= landed, stream

    later = stored_state(env)
    assert set(event_bookmarks(later)) == set(event_bookmarks(state))
    assert all(event_bookmarks(later)[e] >= v for e, v in event_bookmarks(state).items())
