"""The tap's Singer message writer: singer-sdk's msgspec writer, sending each SCHEMA once."""

from __future__ import annotations

import typing as t

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import SchemaMessage

from tap_webinars.records import SAFE_RECORD_PATH


class SchemaOnce:
    """Drops a SCHEMA message identical to the one already sent for its stream.

    The SDK syncs a child stream once per parent record and sends its SCHEMA each time;
    targets need it once per run (some re-inspect their tables on every one). The writer
    class is the SDK's public hook for what reaches stdout.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._sent: dict[str, t.Any] = {}

    def write_message(self, message: t.Any) -> None:
        """Write *message*, unless it repeats its stream's SCHEMA."""
        if isinstance(message, SchemaMessage):
            if self._sent.get(message.stream) == message.schema:
                return
            self._sent[message.stream] = message.schema
        super().write_message(message)  # type: ignore[misc]


class SchemaOnceWriter(SchemaOnce, MsgSpecWriter):
    """The tap's writer: msgspec encodes a record several times faster than simplejson."""


class SafeSchemaOnceWriter(SchemaOnce, SingerWriter):
    """The safe record path's writer: the SDK's default (simplejson) encoding."""


def writer_class() -> type[SchemaOnceWriter | SafeSchemaOnceWriter]:
    """The writer the record path calls for (`TAP_WEBINARS_SAFE_RECORD_PATH`)."""
    return SafeSchemaOnceWriter if SAFE_RECORD_PATH else SchemaOnceWriter
