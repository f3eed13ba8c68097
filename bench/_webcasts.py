"""What the Webcasts benchmarks share: one generated event of a given size, and its config."""

from __future__ import annotations

import typing as t

from tests.harness import SandboxProcess
from tests.test_webcasts import config


def large_event_config(sandbox: SandboxProcess, viewers: int) -> dict[str, t.Any]:
    """Create an event of *viewers* viewers in the sandbox; the tap config reading only it."""
    event_id = sandbox.admin("webcasts", "create_event", viewers=viewers)["event_id"]
    return config(sandbox, event_ids=[event_id])
