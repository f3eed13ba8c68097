"""The record path's switches, and the bounded-memory queue of a stream's records.

`RecordLines` keeps one event's records of one stream between the adapter and the writer as
the JSON the writer sends: each record is completed to its stream's columns (schema order,
null where absent) and encoded once, when the adapter adds it. The writer then sends whole
blocks of lines, and a record is never turned back into objects unless the SDK's own loop
asks for them (a deselected property, a stream map).

It keeps half a megabyte of each stream in memory and the rest in a temporary file, read back
in order, so one huge report does not have to fit in memory. (A listing read in full before
it is used keeps its pages as bytes: `raw_pages.PageSpool`.)

`TAP_WEBINARS_SAFE_RECORD_PATH=1` restores the slow path everywhere it was made fast (the
SDK's default writer, its full type conformance and deselection pass, strptime-only
timestamps, a JSON spool of the records as the adapter built them): the tests compare the
two, and it is a fallback should the fast path ever be in doubt.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import typing as t

import msgspec

from tap_webinars.columns import stream_columns

SAFE_RECORD_PATH_VARIABLE = "TAP_WEBINARS_SAFE_RECORD_PATH"
SAFE_RECORD_PATH = os.environ.get(SAFE_RECORD_PATH_VARIABLE, "").strip() not in ("", "0")

# Encoded lines gathered into one block (one write to disk, one to stdout), and the blocks
# kept in memory before the rest go to a temporary file: two blocks a stream, so the events
# read ahead hold a few megabytes between them, and a report's memory stops growing by the
# time it has a few thousand viewers (at 2 MB a stream it grew until tens of thousands).
LINES_BLOCK_BYTES = 1 << 18
LINES_MEMORY_BYTES = 1 << 19

# A block on disk: its length (8 bytes, little-endian), then the block.
_LENGTH_BYTES = 8


def _encoding_hook(value: t.Any) -> t.Any:
    """What the SDK's msgspec writer makes of a value JSON has no type for."""
    return value.isoformat(sep="T") if isinstance(value, datetime.datetime) else str(value)


# The encoding of singer-sdk's msgspec writer (`singer_sdk.contrib.msgspec.encoder`), so a
# line is byte for byte what that writer would send for the record.
_encode_into = msgspec.json.Encoder(enc_hook=_encoding_hook, decimal_format="number").encode_into
_decode_line = msgspec.json.Decoder().decode


class _Spill:
    """A temporary file of blocks, appended to and read back in order."""

    def __init__(self) -> None:
        self._file: t.IO[bytes] | None = None
        self._blocks = 0

    def write(self, block: bytes | bytearray) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._file.seek(0, os.SEEK_END)
        self._file.write(len(block).to_bytes(_LENGTH_BYTES, "little"))
        self._file.write(block)
        self._blocks += 1

    def read(self) -> t.Iterator[bytes]:
        if self._file is None:
            return
        self._file.seek(0)
        for _ in range(self._blocks):
            length = int.from_bytes(self._file.read(_LENGTH_BYTES), "little")
            yield self._file.read(length)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._blocks = 0


class RecordLines:
    """One stream's records of one event, as the JSON lines the writer sends.

    `append` completes a record to the stream's columns, in schema order (a column the
    adapter left out is null, or takes its value from *keys*, the key columns all records
    of the event share), and encodes it: an adapter may change or drop the record after
    adding it. A column the schema does not know is an adapter bug that would
    otherwise be dropped silently, so it fails loudly instead.

    `blocks` gives the lines as blocks of newline-separated JSON (JSON text never holds a
    raw newline), `__iter__` the records as objects again. On the safe path each record is
    kept as the adapter built it, as JSON text, and the stream's `post_process` completes it.
    """

    def __init__(self, stream: str, keys: t.Mapping[str, t.Any] | None = None) -> None:
        self.stream = stream
        self._blank: dict[str, t.Any] = dict.fromkeys(stream_columns(stream))
        if keys:  # the key columns every record of the event shares: added once, here
            self._check(keys)
            self._blank.update(keys)
        self._keys = dict(keys or {})
        self._safe: list[str] | None = [] if SAFE_RECORD_PATH else None
        self._buffer = bytearray()
        self._memory: list[bytes] = []
        self._memory_bytes = 0
        self._spill = _Spill()
        self._count = 0

    def append(self, record: t.Mapping[str, t.Any]) -> None:
        """Add one record at the end."""
        self._count += 1
        if self._safe is not None:
            full = {**self._keys, **record} if self._keys else record
            self._safe.append(json.dumps(full, ensure_ascii=False, separators=(",", ":")))
            return
        complete = {**self._blank, **record}  # one C call: the columns in schema order
        if len(complete) != len(self._blank):
            self._check(record)
        buffer = self._buffer
        if buffer:
            buffer += b"\n"
        _encode_into(complete, buffer, -1)
        if len(buffer) >= LINES_BLOCK_BYTES:
            self._seal()

    def _check(self, record: t.Mapping[str, t.Any]) -> None:
        """Fail on a column the schema does not know, naming it."""
        unknown = sorted(record.keys() - self._blank.keys())
        if unknown:
            raise ValueError(f"{self.stream}: record has columns not in the schema: {unknown}")

    def _seal(self) -> None:
        """The block being filled is full: keep it in memory, or on disk past the budget."""
        block = bytes(self._buffer)
        self._buffer.clear()
        if self._memory_bytes + len(block) <= LINES_MEMORY_BYTES:
            self._memory.append(block)
            self._memory_bytes += len(block)
        else:
            self._spill.write(block)

    def __len__(self) -> int:
        return self._count

    def blocks(self) -> t.Iterator[bytes | bytearray]:
        """The encoded records, in order, as blocks of lines separated by newlines."""
        if self._safe is not None:
            raise RuntimeError("the safe record path keeps records, not encoded lines")
        yield from self._memory
        yield from self._spill.read()
        if self._buffer:
            yield self._buffer

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        if self._safe is not None:
            return (json.loads(line) for line in self._safe)
        return (_decode_line(line) for block in self.blocks() for line in block.split(b"\n"))

    def close(self) -> None:
        """Free the memory and delete the temporary file."""
        self._safe = [] if self._safe is not None else None
        self._buffer = bytearray()
        self._memory = []
        self._memory_bytes = 0
        self._spill.close()
