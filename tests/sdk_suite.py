"""singer-sdk's standard tap tests, pointed at a sandbox started for the test module.

`get_tap_test_class` needs its config when the module is imported, so each platform's SDK
test module starts its own sandbox process at import and stops it at exit.
"""

from __future__ import annotations

import atexit
import typing as t

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_webinars.tap import TapWebinars
from tests.harness import SandboxProcess

_servers: list[SandboxProcess] = []


def module_sandbox(*args: str) -> SandboxProcess:
    """A sandbox process that lives as long as the test session."""
    server = SandboxProcess(*args)
    _servers.append(server)
    atexit.register(server.stop)
    return server


def sdk_test_class(config: dict[str, t.Any], *, empty_streams: t.Sequence[str] = ()) -> type:
    """The SDK's built-in tap test class for *config*.

    *empty_streams* are the streams the platform's API has no data for (the README's
    matrix); only for those is the SDK's "stream returns records" test skipped.
    """
    return get_tap_test_class(
        tap_class=TapWebinars,
        config=config,
        suite_config=SuiteConfig(ignore_no_records_for_streams=list(empty_streams)),
    )
