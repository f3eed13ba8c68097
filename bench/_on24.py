"""What the ON24 benchmarks share: the tap config reading every event of the sandbox."""

from __future__ import annotations

import typing as t

from tests.harness import SandboxProcess
from tests.platform_configs import CASES


def all_events_config(sandbox: SandboxProcess, **overrides: t.Any) -> dict[str, t.Any]:
    """The config of a first run over every event the ON24 sandbox holds (since 2015)."""
    return {
        **CASES["on24"].config(sandbox.api_url("on24")),
        "start_date": "2015-01-01T00:00:00Z",
        **overrides,
    }
