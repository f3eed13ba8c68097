"""What the Webcasts benchmarks share: one generated event of a given size, and its config."""

from __future__ import annotations

import typing as t

from tap_webinars.sandbox.webcasts import PASSWORD, USERNAME
from tests.harness import SandboxProcess


def large_event_config(sandbox: SandboxProcess, viewers: int) -> dict[str, t.Any]:
    """Create an event of *viewers* viewers in the sandbox; the tap config reading only it."""
    event_id = sandbox.admin("webcasts", "create_event", viewers=viewers)["event_id"]
    return {
        "platform": "webcasts",
        "webcasts_username": USERNAME,
        "webcasts_password": PASSWORD,
        "api_url": sandbox.api_url("webcasts"),
        "webcasts_reporting_url": sandbox.api_url("webcasts"),
        "start_date": "2014-01-01T00:00:00Z",
        "event_ids": [event_id],
    }
