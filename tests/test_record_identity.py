"""Records are identical to those of the code at the start of issue 20 (commit af115e4).

Each platform's default sandbox dataset is synced and its records compared, as parsed JSON per
stream and in order, with `tests/data/record_identity.json` (count and SHA-256 of the
canonical JSON lines per stream), on a sandbox whose clock is stopped. How to regenerate the
reference (`python -m tests.record_identity --write tests/data/record_identity.json`, with the
code whose records you trust): `tests/record_identity.py`.
"""

from __future__ import annotations

import json

import pytest

from tests import frozen_sandbox
from tests.harness import SandboxProcess
from tests.record_identity import REFERENCE, TARGETS, sync

# The sandbox with its clock stopped (`tests/frozen_sandbox.py`), as fixtures here.
frozen_process = frozen_sandbox.frozen_process
frozen = frozen_sandbox.frozen


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_records_are_those_of_the_reference(frozen: SandboxProcess, target: str) -> None:
    reference = json.loads(REFERENCE.read_text())[target]
    assert sum(s["count"] for s in reference.values()) > 0, "an empty reference proves nothing"
    assert sync(frozen, target) == reference


def test_the_reference_covers_every_target() -> None:
    assert sorted(json.loads(REFERENCE.read_text())) == sorted(TARGETS)
