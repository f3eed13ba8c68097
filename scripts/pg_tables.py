"""Print PostgreSQL DDL for the tap's six tables, with timestamps as `timestamptz`.

    python scripts/pg_tables.py --schema webinars | psql "$DATABASE_URL"

Run it once before the first load. target-postgres (MeltanoLabs, 0.8) creates `date-time`
columns as `timestamp without time zone`, and it keeps a compatible column that already
exists: tables created from this DDL hold every timestamp as an instant (`timestamptz`),
whatever the server's or session's time zone. The other types are the ones target-postgres
would choose itself (text, bigint, numeric, boolean, jsonb, arrays), so it never has to
alter a column; the primary keys are the streams' keys, which its upserts use.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing as t

from tap_webinars.columns import schema_directory
from tap_webinars.streams import STREAM_TYPES


def _types(schema: dict[str, t.Any]) -> list[str]:
    kinds = schema.get("type", "string")
    return [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"]


def column_type(schema: dict[str, t.Any]) -> str:
    """The SQL type of one JSON Schema property."""
    kinds = _types(schema)
    kind = kinds[0] if kinds else "string"
    if kind == "string":
        return "timestamptz" if schema.get("format") == "date-time" else "text"
    if kind == "integer":
        return "bigint"
    if kind == "number":
        return "numeric"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        items = schema.get("items") or {}
        item_kinds = _types(items) if isinstance(items, dict) else []
        if item_kinds[:1] == ["string"] and items.get("format") != "date-time":
            return "text[]"
        return "jsonb[]"
    return "jsonb"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ddl(
    schema_name: str, stream: str, stream_schema: dict[str, t.Any], key: list[str]
) -> str:
    """`CREATE TABLE IF NOT EXISTS` for one stream."""
    columns = [
        f"  {_quote(name)} {column_type(prop)}" + (" not null" if name in key else "")
        for name, prop in stream_schema["properties"].items()
    ]
    columns.append(f"  primary key ({', '.join(_quote(k) for k in key)})")
    body = ",\n".join(columns)
    return f"create table if not exists {_quote(schema_name)}.{_quote(stream)} (\n{body}\n);"


def ddl(schema_name: str) -> str:
    """DDL for the schema and the six tables, from the schemas shipped in the package."""
    keys = {cls.name: list(cls.primary_keys or []) for cls in STREAM_TYPES}
    folder = schema_directory()  # in the wheel, or schemas/ at the root of a checkout
    statements = [f"create schema if not exists {_quote(schema_name)};"]
    for stream, key in keys.items():
        stream_schema = json.loads(folder.joinpath(f"{stream}.json").read_text("utf-8"))
        statements.append(table_ddl(schema_name, stream, stream_schema, key))
    return "\n\n".join(statements) + "\n"


def main() -> None:
    """Print the DDL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schema", default="webinars", help="target schema (default webinars)")
    options = parser.parse_args()
    sys.stdout.write(ddl(options.schema))


if __name__ == "__main__":
    main()
