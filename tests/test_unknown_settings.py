"""A misspelt setting is named, with what was meant (SPEC §6, issue 17).

Without the warning, `lookback_hour: 48` leaves the default of 24 in force in silence. The
warning shows wherever the config is read: a plain run, a Meltano run, Airbyte `check`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.harness import ROOT, SandboxProcess, run_tap
from tests.platform_configs import CASES, SANDBOX_SIZE
from tests.test_airbyte import source
from tests.tools import MELTANO, require

TYPO = "lookback_hour"
MEANT = "lookback_hours"


def warnings_in(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if "unknown setting" in line or "belongs to platform" in line
    ]


@pytest.fixture
def config(sandbox_process: SandboxProcess) -> dict[str, t.Any]:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return CASES["webinarfuel"].config(sandbox_process.api_url("webinarfuel"))


def test_a_typo_is_named_with_its_closest_setting_and_the_run_goes_on(
    config: dict[str, t.Any],
) -> None:
    run = run_tap({**config, TYPO: 48})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("events")
    found = warnings_in(run.stderr)
    assert len(found) == 1, run.stderr[-3000:]
    assert "WARNING" in found[0]
    assert f"'{TYPO}'" in found[0] and f"did you mean '{MEANT}'" in found[0], found[0]


def test_a_config_without_typos_gives_no_such_warning(config: dict[str, t.Any]) -> None:
    run = run_tap(config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.records("events")
    assert warnings_in(run.stderr) == []


def test_a_setting_of_another_platform_is_named_as_such(config: dict[str, t.Any]) -> None:
    run = run_tap({**config, "on24_client_id": "22950"}, args=["--discover"])
    assert run.returncode == 0, run.stderr[-2000:]
    found = warnings_in(run.stderr)
    assert len(found) == 1, run.stderr[-3000:]
    assert "'on24_client_id' belongs to platform on24, not webinarfuel" in found[0], found[0]


def test_airbyte_check_names_the_typo(config: dict[str, t.Any], tmp_path: Path) -> None:
    messages, done = source(tmp_path, "check", {**config, TYPO: 48})
    status = [m for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status and status[0]["connectionStatus"]["status"] == "SUCCEEDED", done.stdout
    logged = [m["log"] for m in messages if m["type"] == "LOG" and warnings_in(m["log"]["message"])]
    assert len(logged) == 1, messages
    assert logged[0]["level"] == "WARN"
    assert TYPO in logged[0]["message"] and MEANT in logged[0]["message"]


def test_a_meltano_run_names_the_typo(config: dict[str, t.Any], tmp_path: Path) -> None:
    """A typo in meltano.yml's `config:` block (a copy of the project's, in a temporary
    project that shares the installed plugins) reaches the tap, which names it."""
    require(MELTANO)
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    tap = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-webinars")
    tap.setdefault("config", {})[TYPO] = 48
    (tmp_path / "meltano.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    shutil.copytree(ROOT / "plugins", tmp_path / "plugins")
    (tmp_path / ".meltano").symlink_to(ROOT / ".meltano")
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **{f"TAP_WEBINARS_{k.upper()}": str(v) for k, v in config.items()},
    }
    done = subprocess.run(
        [str(MELTANO), "invoke", "tap-webinars", "--discover"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["streams"]
    found = warnings_in(done.stderr)
    assert len(found) == 1, done.stderr[-3000:]
    assert TYPO in found[0] and f"did you mean '{MEANT}'" in found[0], found[0]
