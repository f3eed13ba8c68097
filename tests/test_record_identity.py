"""Records are identical to those of the code at the start of issue 20 (commit af115e4).

Each platform's default sandbox dataset is synced and its records compared, as parsed JSON per
stream and in order, with `tests/data/record_identity.json` (count and SHA-256 of the
canonical JSON lines per stream), on a sandbox whose clock is stopped. How to regenerate the
reference (`python -m tests.record_identity --write tests/data/record_identity.json`, with the
code whose records you trust): `tests/record_identity.py`.
"""

from __future__ import annotations

import json
import typing as t

import pytest

from tests.frozen_sandbox import FrozenSandboxProcess
from tests.harness import SandboxProcess
from tests.record_identity import REFERENCE, TARGETS, sync


@pytest.fixture(scope="module")
def frozen() -> t.Iterator[SandboxProcess]:
    """A sandbox whose clock is stopped: its default dataset is the same on any day."""
    server = FrozenSandboxProcess()
    yield server
    server.stop()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_records_are_those_of_the_reference(frozen: SandboxProcess, target: str) -> None:
    reference = json.loads(REFERENCE.read_text())[target]
    assert sum(s["count"] for s in reference.values()) > 0, "an empty reference proves nothing"
    assert sync(frozen, target) == reference


def test_the_reference_covers_every_target() -> None:
    assert sorted(json.loads(REFERENCE.read_text())) == sorted(TARGETS)
