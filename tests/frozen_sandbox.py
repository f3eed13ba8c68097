"""`tap-webinars-sandbox` with its clock stopped, for tests that compare records across days.

The simulators date their data from the moment they are reset (`datetime.now`), so the same
seed yields other timestamps every second. Here every sandbox module's `datetime.now` answers
`FROZEN_AT` instead: the same seed yields the same bytes on any day. Only the sandbox's clock
is stopped; the tap under test runs on the real one (its first run reads everything since
`start_date` either way), and no HTTP is patched.

    python -m tests.frozen_sandbox --port 0      # the same arguments as the sandbox's
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import typing as t
from datetime import datetime, timezone

import pytest

import tap_webinars.sandbox
from tests.harness import SandboxProcess

# Well before any day the tests run on, and well after every `start_date` they use.
FROZEN_AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


class FrozenDatetime(datetime):
    """`datetime` whose `now` is `FROZEN_AT`."""

    @classmethod
    def now(cls, tz: t.Any = None) -> FrozenDatetime:  # type: ignore[override]
        moment = FROZEN_AT.astimezone(tz) if tz is not None else FROZEN_AT.replace(tzinfo=None)
        return cls.fromisoformat(moment.isoformat())


def freeze() -> None:
    """Point every sandbox module's `datetime` at `FrozenDatetime`."""
    for info in pkgutil.iter_modules(tap_webinars.sandbox.__path__):
        if info.name == "__main__":  # importing it would start a server on the real clock
            continue
        module = importlib.import_module(f"tap_webinars.sandbox.{info.name}")
        if getattr(module, "datetime", None) is datetime:
            module.datetime = FrozenDatetime  # type: ignore[attr-defined]


class FrozenSandboxProcess(SandboxProcess):
    """`SandboxProcess`, started through this module."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "tests.frozen_sandbox", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("sandbox did not start")
        self.url = json.loads(line)["url"]
        self.platforms = json.loads(line)["platforms"]


@pytest.fixture(scope="module")
def frozen_process() -> t.Iterator[SandboxProcess]:
    """One frozen sandbox for a test module (import this fixture and `frozen` to use them)."""
    server = FrozenSandboxProcess()
    yield server
    server.stop()


@pytest.fixture
def frozen(frozen_process: SandboxProcess) -> SandboxProcess:
    """A frozen sandbox with fresh default data and an empty request log."""
    frozen_process.reset()
    return frozen_process


if __name__ == "__main__":
    freeze()
    from tap_webinars.sandbox import server

    server.main()
