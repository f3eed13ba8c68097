"""A bounded-memory queue of records, so one huge report does not have to fit in memory."""

from __future__ import annotations

import json
import tempfile
import typing as t

# Records beyond this many bytes go to a temporary file instead of memory.
SPOOL_MEMORY_BYTES = 4 * 1024 * 1024


class RecordSpool:
    """Append-then-read JSON-lines buffer: in memory while small, on disk when large."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES, mode="w+b")  # noqa: SIM115
        self._count = 0

    def append(self, record: t.Mapping[str, t.Any]) -> None:
        """Add one record at the end."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        self._file.write(line.encode("utf-8") + b"\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)
        self._file.seek(0, 2)

    def close(self) -> None:
        """Free the memory or delete the temporary file."""
        self._file.close()
