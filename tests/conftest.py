"""Shared fixtures: one sandbox process per test session, reset before each test."""

from __future__ import annotations

import typing as t

import pytest

from tests.harness import SandboxProcess


@pytest.fixture(scope="session")
def sandbox_process() -> t.Iterator[SandboxProcess]:
    server = SandboxProcess()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    """A sandbox with fresh default data, no faults, no latency and an empty request log."""
    sandbox_process.reset()
    return sandbox_process
