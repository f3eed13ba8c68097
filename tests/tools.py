"""The pipeline tools as the tests run them: real processes from their own virtualenvs.

scripts/bootstrap.sh installs each tool in a virtualenv of its own (.venv-meltano,
.venv-targets/<name>, .venv-airbyte), as a user would next to the tap; the tests run them as
separate processes, piping real Singer (or Airbyte) messages between them.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness import BIN, ROOT

TAP = BIN / "tap-webinars"
SOURCE = BIN / "source-webinars"
TARGETS = ROOT / ".venv-targets"
TARGET_POSTGRES = TARGETS / "postgres" / "bin" / "target-postgres"
TARGET_CSV = TARGETS / "csv" / "bin" / "target-csv"
TARGET_JSONL = TARGETS / "jsonl" / "bin" / "target-jsonl"
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
AIRBYTE_PYTHON = ROOT / ".venv-airbyte" / "bin" / "python"
# Settings singer-sdk adds to every tap: not ours to declare in meltano.yml (Meltano knows them
# from the capabilities) nor in the Airbyte spec (their schema is not valid JSON Schema).
SDK_SETTINGS = frozenset(
    {
        "stream_maps",
        "stream_map_config",
        "faker_config",
        "flattening_enabled",
        "flattening_max_depth",
        "flattening_max_key_length",
        "flattening_separator",
        "batch_config",
    }
)


def require(*tools: Path) -> None:
    """Fail (not skip: CI must not pass without them) when bootstrap has not run."""
    missing = [str(tool.relative_to(ROOT)) for tool in tools if not tool.exists()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/bootstrap.sh (make bootstrap)")


def write_json(path: Path, value: t.Any) -> Path:
    """Write *value* as JSON to *path* and return the path."""
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def read_messages(path: Path) -> list[dict[str, t.Any]]:
    """The JSON lines of a file (Singer or Airbyte messages), skipping anything else."""
    if not path.exists():
        return []
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]


@dataclass
class PipeRun:
    """One `tap | target` shell pipeline and what went through it."""

    returncode: int
    stderr: str
    tap_messages: list[dict[str, t.Any]] = field(default_factory=list)
    target_output: list[dict[str, t.Any]] = field(default_factory=list)

    def records(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        """The records the tap emitted (of one stream, or all)."""
        return [
            m["record"]
            for m in self.tap_messages
            if m["type"] == "RECORD" and (stream is None or m["stream"] == stream)
        ]

    @property
    def target_state(self) -> dict[str, t.Any]:
        """The last state the target emitted: what a scheduler stores for the next run."""
        states = [m for m in self.target_output if isinstance(m, dict) and "bookmarks" in m]
        states += [m["value"] for m in self.target_output if m.get("type") == "STATE"]
        return states[-1] if states else {}


def shell_pipe(
    folder: Path,
    tap_config: dict[str, t.Any],
    target: Path,
    target_config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    target_env: dict[str, str] | None = None,
    timeout: float = 300,
) -> PipeRun:
    """Run `tap-webinars --config c.json [--state s.json] | tee | target --config t.json`.

    A real bash pipeline of separate processes; `tee` keeps a copy of what the tap wrote so
    the test can compare the target's result with it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "tap.json", tap_config)
    write_json(folder / "target.json", target_config)
    state_arg = ""
    if state is not None:
        write_json(folder / "state.json", state)
        state_arg = " --state state.json"
    command = (
        f"set -o pipefail; '{TAP}' --config tap.json{state_arg} 2>tap.log"
        f" | tee tap-output.jsonl | '{target}' --config target.json > target-output.jsonl"
    )
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(target_env or {})},
        check=False,
    )
    stderr = done.stderr
    if done.returncode != 0 and (folder / "tap.log").exists():
        stderr = (folder / "tap.log").read_text(encoding="utf-8")[-3000:] + "\n" + stderr
    return PipeRun(
        done.returncode,
        stderr[-6000:],
        read_messages(folder / "tap-output.jsonl"),
        read_messages(folder / "target-output.jsonl"),
    )


def event_bookmarks(state: dict[str, t.Any]) -> dict[str, str]:
    """event_id -> bookmark in a Singer state of the tap."""
    partitions = state.get("bookmarks", {}).get("events", {}).get("partitions", [])
    return {
        str(p["context"]["event_id"]): p["replication_key_value"]
        for p in partitions
        if p.get("replication_key_value")
    }
