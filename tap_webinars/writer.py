"""The tap's Singer message writer: singer-sdk's msgspec writer, sending each SCHEMA once."""

from __future__ import annotations

import sys
import typing as t
from datetime import datetime

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder, serialize_jsonl
from singer_sdk.helpers._state import StateWriter
from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import SchemaMessage, StateMessage
from typing_extensions import override

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

    def write_blocks(
        self,
        stream: str,
        blocks: t.Iterable[bytes | bytearray],
        *,
        version: int | None,
        time_extracted: datetime,
    ) -> None:
        """Write a RECORD message for each record of *blocks* (`RecordLines.blocks`).

        The lines are those `write_message` writes for each `RecordMessage`, byte for byte,
        but the envelope around the record is encoded once, and each block of encoded
        records reaches stdout in one write, with one flush at the end: a record costs one
        pass of C over its bytes here, not a message object, an encode and a flush.
        """
        head = encoder.encode({"type": "RECORD", "stream": stream})
        after: dict[str, t.Any] = {} if version is None else {"version": version}
        after["time_extracted"] = time_extracted
        tail = encoder.encode(after)
        prefix = head[:-1] + b',"record":'
        suffix = b"," + tail[1:] + b"\n"
        between = suffix + prefix  # JSON text holds no raw newline: `\n` parts records
        out = sys.stdout.buffer
        for block in blocks:
            out.write(prefix)
            out.write(block.replace(b"\n", between))
            out.write(suffix)
        out.flush()

    @override
    def serialize_message(self, message: t.Any) -> bytearray:
        """The SDK's serialisation, without deep-copying the state into each STATE message.

        The SDK's generic `to_dict` copies the whole bookmark tree (one partition per event)
        for every STATE it writes, which it does after every event: quadratic in events.
        """
        if isinstance(message, StateMessage):
            return serialize_jsonl({"type": "STATE", "value": message.value})
        return super().serialize_message(message)


class SafeSchemaOnceWriter(SchemaOnce, SingerWriter):
    """The safe record path's writer: the SDK's default (simplejson) encoding."""


class ChangedStateWriter(StateWriter):
    """The SDK's STATE deduplication, remembering the last state as its JSON encoding.

    The SDK keeps a deep copy of the whole state after every STATE it writes (after every
    event); encoding it with msgspec to compare is a fraction of that cost.
    """

    _last_encoded: bytes | None = None

    @override
    def write_state(self, state: t.Any) -> None:
        encoded = encoder.encode(state)
        if encoded != self._last_encoded:
            self._message_writer.write_message(StateMessage(value=state))
            self._last_encoded = encoded


def writer_class() -> type[SchemaOnceWriter | SafeSchemaOnceWriter]:
    """The writer the record path calls for (`TAP_WEBINARS_SAFE_RECORD_PATH`)."""
    return SafeSchemaOnceWriter if SAFE_RECORD_PATH else SchemaOnceWriter
