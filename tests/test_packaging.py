"""`pip install .` into a new virtual environment gives a working tap (not only `-e .`)."""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

from tests.harness import ROOT, SandboxProcess


def test_wheel_install_gives_a_working_tap(tmp_path: Path, sandbox: SandboxProcess) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # A copy of the source, so no build artefact or editable link of the checkout is used.
    source = tmp_path / "src"
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], check=True, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    tap = env_dir / "bin" / "tap-webinars"
    about = subprocess.run(
        [str(tap), "--about", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert json.loads(about.stdout)["name"] == "tap-webinars"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "platform": "webinarfuel",
                "webinarfuel_api_key": "wf-sandbox-key",
                "api_url": sandbox.api_url("webinarfuel"),
                "start_date": "2020-01-01T00:00:00Z",
            }
        )
    )
    discover = subprocess.run(
        [str(tap), "--config", str(config), "--discover"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert streams == {
        "events",
        "registrants",
        "registrant_sessions",
        "viewers",
        "survey_responses",
        "questions",
    }
    sync = subprocess.run(
        [str(tap), "--config", str(config)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    records = [json.loads(line) for line in sync.stdout.splitlines()]
    assert sum(m["type"] == "RECORD" and m["stream"] == "registrants" for m in records) > 0
    # The installed package is the copy, not the checkout.
    where = subprocess.run(
        [str(python), "-c", "import tap_webinars; print(tap_webinars.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(ROOT) not in where
    assert str(env_dir) in where
    # schemas/ at the root is the single source; the wheel carries it inside the package.
    packaged = sorted(p.name for p in (Path(where.strip()).parent / "schemas").glob("*.json"))
    assert packaged == sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert len(packaged) == 6
    assert not (ROOT / "tap_webinars" / "schemas").exists()
