"""A run killed at any point and restarted from its last STATE loses nothing (SPEC §5)."""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest

from tests.harness import BIN, SandboxProcess, run_tap
from tests.test_webinarfuel import KEYS, wf_config


def killed_run(config: dict[str, t.Any], after_records: int) -> list[dict[str, t.Any]]:
    """Run the tap and SIGKILL it once it has printed *after_records* records."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        process = subprocess.Popen(
            [str(BIN / "tap-webinars"), "--config", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        messages: list[dict[str, t.Any]] = []
        seen = 0
        for line in process.stdout:
            message = json.loads(line)
            messages.append(message)
            seen += message["type"] == "RECORD"
            if seen >= after_records:
                break
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    return messages


def keys(messages: t.Iterable[dict[str, t.Any]], stream: str) -> set[tuple[t.Any, ...]]:
    return {
        tuple(m["record"][k] for k in KEYS[stream])
        for m in messages
        if m["type"] == "RECORD" and m["stream"] == stream
    }


@pytest.mark.parametrize("after_records", [5, 180, 600])
def test_killed_run_resumed_from_its_last_state_loses_nothing(
    sandbox: SandboxProcess, after_records: int
) -> None:
    config = wf_config(sandbox)
    full = run_tap(config)
    assert full.returncode == 0
    sandbox.configure(latency_ms=5)  # slow enough that the kill lands mid-run
    first = killed_run(config, after_records)
    states = [m["value"] for m in first if m["type"] == "STATE"]
    resumed = run_tap(config, state=states[-1] if states else None)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for stream in KEYS:
        expected = keys(full.messages, stream)
        assert expected, stream
        assert keys(first, stream) | keys(resumed.messages, stream) == expected, stream
