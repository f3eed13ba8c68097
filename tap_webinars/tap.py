"""The Singer tap: settings, the six streams, and the command-line entry point."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
import typing as t
from functools import cached_property

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, TapCapabilities
from typing_extensions import override

from tap_webinars import redaction
from tap_webinars.errors import SettingsError, TapWebinarsError
from tap_webinars.platforms import adapter_class, config_schema, load_settings, unknown_settings
from tap_webinars.platforms.base import PlatformAdapter
from tap_webinars.records import SAFE_RECORD_PATH
from tap_webinars.settings import Settings
from tap_webinars.streams import STREAM_TYPES
from tap_webinars.sync import SyncRun
from tap_webinars.writer import ChangedStateWriter, writer_class

# Objects allocated between two collections of the youngest generation (Python's default is
# 700). A page of a listing decoded at once is thousands of objects that live until it is
# mapped: at 700 each of them is walked by several collections first, 3% of the CPU of a
# large event of a JSON platform; the garbage cycles a run leaves (few) wait a little longer.
YOUNG_OBJECTS_PER_COLLECTION = 10_000


class TapWebinars(Tap):
    """Webinar and virtual-event data from every registered platform, in one schema."""

    name = "tap-webinars"
    package_name = "tap-webinars"
    config_jsonschema = config_schema()
    message_writer_class = writer_class()
    # The SDK's list minus activate-version: children send only changed events, so a table
    # version switch would make targets delete every other event's rows; it is never emitted.
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        c for c in Tap.capabilities if c != TapCapabilities.ACTIVATE_VERSION
    ]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        redaction.install()
        try:
            super().__init__(*args, **kwargs)
        except ConfigValidationError:
            # The SDK's schema pass lists every problem; ours names the first key in one
            # line, and knows what each platform requires.
            load_settings(self.config)
            raise
        for warning in unknown_settings(self.config):
            self.logger.warning("config: %s", warning)
        if kwargs.get("validate_config", True):
            _ = self.settings  # fail on a bad config before any request
        if not SAFE_RECORD_PATH:
            # The SDK creates its StateWriter in __init__ and offers no hook to choose it.
            self._state_writer = ChangedStateWriter(self.message_writer)

    @cached_property
    def settings(self) -> Settings:
        """The validated settings (raises SettingsError naming the bad key)."""
        return load_settings(self.config)

    @property
    def adapter_type(self) -> type[PlatformAdapter]:
        """The configured platform's plug-in."""
        return adapter_class(self.settings.platform)

    @cached_property
    def run(self) -> SyncRun:
        """The sync run of this invocation, against the configured platform.

        It is made as the sync starts, so what start-up built (singer-sdk, jsonschema, the
        catalog: a few hundred thousand objects that live as long as the run) is first
        moved out of the cyclic garbage collector's sight (`gc.freeze`): else every full
        collection walks it again while a large report allocates millions of short-lived
        objects, a fifth of the CPU of a 40,000-viewer report. Later objects are collected
        as before, only less often (`YOUNG_OBJECTS_PER_COLLECTION`).
        """
        gc.freeze()
        gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, *gc.get_threshold()[1:])
        adapter = self.adapter_type(self.settings, logger=self.logger)
        partitions = self.state.get("bookmarks", {}).get("events", {}).get("partitions", [])
        bookmarks = {
            str(p["context"]["event_id"]): p["replication_key_value"]
            for p in partitions
            if p.get("context", {}).get("event_id") and p.get("replication_key_value")
        }
        wanted = frozenset(name for name, stream in self.streams.items() if stream.selected)
        return SyncRun(adapter, bookmarks=bookmarks, wanted=wanted)

    @override
    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    def check_connection(self) -> None:
        """Authenticate and make one cheap read (Airbyte `check`); raise if that fails."""
        adapter = self.adapter_type(self.settings, logger=self.logger)
        adapter.check()
        self.logger.info("Connection check passed for platform %s", self.settings.platform)


def main() -> None:
    """`tap-webinars`: the SDK's CLI, with one-line errors instead of tracebacks."""
    redaction.install()
    debug = logging.getLogger().isEnabledFor(logging.DEBUG) or _debug_requested()
    try:
        TapWebinars.cli()
    except SettingsError as error:
        _fail(f"config error: {error}", 2, debug)
    except ConfigValidationError as error:
        detail = "; ".join(getattr(error, "errors", []) or []) or str(error)
        _fail(f"config error: {detail}", 2, debug)
    except TapWebinarsError as error:
        _fail(str(error), 1, debug)


def _debug_requested() -> bool:
    level = os.environ.get("TAP_WEBINARS_LOGLEVEL") or os.environ.get("LOGLEVEL") or ""
    return level.upper() == "DEBUG"


def _fail(message: str, code: int, debug: bool) -> t.NoReturn:
    if debug:
        sys.stderr.write(redaction.redact(traceback.format_exc()))
    # Requests still under way on other threads (retries, pages fetched ahead) log no more:
    # the error stays the run's last line.
    logging.disable(logging.CRITICAL)
    sys.stderr.write(f"tap-webinars: {redaction.redact(message)}\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
