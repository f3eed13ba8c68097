"""The tap's Singer message writer: singer-sdk's, sending each stream's SCHEMA once."""

from __future__ import annotations

import typing as t

from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import SchemaMessage
from typing_extensions import override


class SchemaOnceWriter(SingerWriter):
    """Drops a SCHEMA message identical to the one already sent for its stream.

    The SDK syncs a child stream once per parent record and sends its SCHEMA each time;
    targets need it once per run (some re-inspect their tables on every one). The writer
    class is the SDK's public hook for what reaches stdout.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._sent: dict[str, t.Any] = {}

    @override
    def write_message(self, message: t.Any) -> None:
        if isinstance(message, SchemaMessage):
            if self._sent.get(message.stream) == message.schema:
                return
            self._sent[message.stream] = message.schema
        super().write_message(message)
