"""Each stream's unified columns, in schema order, read from the schema files.

The streams load their schemas from the same folder (`streams.SCHEMAS`); platform plug-ins
and the record queues need only the column names, without importing anything of Singer.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path


def schema_directory() -> Path:
    """Where the stream schemas are.

    Inside the package when installed from a wheel; else `schemas/` at the root of the source
    tree (an editable install), their single source.
    """
    package = Path(__file__).resolve().parent
    packaged = package / "schemas"
    return packaged if packaged.is_dir() else package.parent / "schemas"


@cache
def stream_columns(stream: str) -> tuple[str, ...]:
    """The columns of *stream*, in the order its schema declares them."""
    schema = json.loads((schema_directory() / f"{stream}.json").read_text(encoding="utf-8"))
    return tuple(schema["properties"])
