"""The record path's switches, and a bounded-memory queue of records.

`RecordSpool` keeps one event's records of one stream between the adapter and the stream,
so one huge report does not have to fit in memory: the first records stay as Python objects,
the rest go to a temporary file in MessagePack batches (msgspec), read back in order.

`TAP_WEBINARS_SAFE_RECORD_PATH=1` restores the slow path everywhere it was made fast (the
SDK's default writer, its full type conformance and deselection pass, strptime-only
timestamps, a JSON spool): the tests compare the two, and it is a fallback should the fast
path ever be in doubt.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import typing as t

import msgspec

SAFE_RECORD_PATH_VARIABLE = "TAP_WEBINARS_SAFE_RECORD_PATH"
SAFE_RECORD_PATH = os.environ.get(SAFE_RECORD_PATH_VARIABLE, "").strip() not in ("", "0")

# Records kept in memory before the spool starts writing batches to disk; a record of the
# widest stream is a few kilobytes as Python objects, so this is a few megabytes per stream.
SPOOL_MEMORY_RECORDS = 1000
# Records written together: big enough that the per-call cost vanishes, small enough that
# one batch read back stays a few megabytes.
SPOOL_BATCH_RECORDS = 1000

# A batch on disk: one tag byte, its length (8 bytes, little-endian), then the batch.
# MessagePack (msgspec) writes and reads a batch of records in a third of pickle's CPU; a
# batch it cannot hold (an integer beyond 64 bits, a value of another type) is pickled.
_MSGPACK, _PICKLE = b"m", b"p"
_encode_batch = msgspec.msgpack.Encoder().encode
_decode_batch = msgspec.msgpack.Decoder().decode


class RecordSpool:
    """Append-then-read record queue: objects in memory while few, batches on disk beyond.

    The spool keeps the record objects it is given (no JSON round trip): an adapter must not
    change a record after adding it. A record read back from disk is equal as JSON to the
    one added (a tuple comes back a list). On the safe path each record is kept as its JSON
    text instead, as the spool always did before.
    """

    def __init__(self) -> None:
        self._as_json = SAFE_RECORD_PATH
        self._file: t.IO[bytes] | None = None
        self._batches = 0
        self._pending: list[t.Any] = []
        self._count = 0

    def append(self, record: t.Mapping[str, t.Any]) -> None:
        """Add one record at the end."""
        if self._as_json:
            self._pending.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        else:
            self._pending.append(record)
        self._count += 1
        limit = SPOOL_BATCH_RECORDS if self._file is not None else SPOOL_MEMORY_RECORDS
        if len(self._pending) >= limit:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        try:
            tag, blob = _MSGPACK, _encode_batch(self._pending)
        except (TypeError, OverflowError):
            tag, blob = _PICKLE, pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, os.SEEK_END)
        self._file.write(tag + len(blob).to_bytes(8, "little"))
        self._file.write(blob)
        self._batches += 1
        self._pending = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        if self._as_json:
            return (json.loads(line) for line in self._items())
        return self._items()

    def _items(self) -> t.Iterator[t.Any]:
        if self._file is not None:
            self._file.seek(0)
            for _ in range(self._batches):
                head = self._file.read(9)
                blob = self._file.read(int.from_bytes(head[1:], "little"))
                # Batches this spool itself wrote to its own temporary file.
                yield from (
                    _decode_batch(blob) if head[:1] == _MSGPACK else pickle.loads(blob)  # noqa: S301
                )
        yield from self._pending

    def close(self) -> None:
        """Free the memory and delete the temporary file."""
        self._pending = []
        if self._file is not None:
            self._file.close()
            self._file = None
