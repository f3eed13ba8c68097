"""`source-webinars`: the tap as an Airbyte source (Airbyte protocol: spec, check, discover, read).

    source-webinars spec
    source-webinars check    --config config.json
    source-webinars discover --config config.json
    source-webinars read     --config config.json --catalog catalog.json [--state state.json]

The same `TapWebinars` runs underneath; this module only translates between the protocols:

* spec: the tap's own settings as JSON Schema (draft-07), secrets marked `airbyte_secret`.
  singer-sdk's built-in settings (stream maps, flattening, BATCH) are left out: their schema
  is not valid JSON Schema, and Airbyte has its own mappers.
* catalog: each Singer stream becomes an Airbyte stream with its JSON schema, its primary key
  and a source-defined cursor. `events` is incremental on `last_activity_at`. The child
  streams are re-read when their event changes, never on a cursor of their own; they are
  declared incremental too, so that a destination merges (or appends) the re-read records
  instead of replacing its table with the changed events' rows. Their declared cursor is
  the column in their schema that best tells a newer version of a row (`CHILD_CURSORS`).
* records: Singer RECORD -> Airbyte RECORD.
* state: one bookmark, the per-event `last_activity_at` partitions of `events`, decides
  what every stream re-reads. Each configured stream's Airbyte STREAM state is the Singer
  state that covers it (`{"bookmarks": {"events": {...}}}`), emitted whenever the tap emits
  STATE. On `read`, the streams' states are merged back into one Singer state, event by event
  taking the earliest bookmark; a stream without state (new in the connection) or a stream
  in full_refresh mode makes the tap read every event, so no stream misses history.
  Per-stream state is what PyAirbyte stores and resumes (its cache rejects GLOBAL state).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import signal
import sys
import threading
import time
import typing as t
from copy import deepcopy
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib.encoding.base import GenericSingerWriter

from tap_webinars import redaction
from tap_webinars.access import access_report, describe
from tap_webinars.errors import AuthenticationError, PermissionDeniedError, SettingsError
from tap_webinars.platforms import config_schema, registry, secret_keys
from tap_webinars.settings import sdk_builtin_settings
from tap_webinars.tap import TapWebinars

PARENT_STREAM = "events"
PARENT_CURSOR = "last_activity_at"
# The column that tells a newer version of a child row, for destinations that deduplicate.
CHILD_CURSORS = {
    "registrants": "updated_at",
    "registrant_sessions": "scheduled_at",
    "viewers": "updated_at",
    "survey_responses": "submitted_at",
    "questions": "asked_at",
}
# Words spelled specially in setting titles (platform names come from their plug-ins).
_TITLE_WORDS = {"api": "API", "url": "URL", "id": "ID", "ids": "IDs"}

Message = dict[str, t.Any]


# ------------------------------------------------------------------------------- spec


def _title(name: str) -> str:
    special = {**_TITLE_WORDS, **{key: plugin.title for key, plugin in registry().items()}}
    words = [special.get(word, word) for word in name.split("_")]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def _plain_type(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """Drop `null` from type lists (an absent key is how a form leaves a setting unset)."""
    out = dict(schema)
    types = out.get("type")
    if isinstance(types, list):
        kept = [kind for kind in types if kind != "null"]
        out["type"] = kept[0] if len(kept) == 1 else kept
    if isinstance(out.get("items"), dict):
        out["items"] = _plain_type(out["items"])
    return out


def spec() -> dict[str, t.Any]:
    """The connector specification: the tap's settings, without singer-sdk's built-ins."""
    builtin = sdk_builtin_settings()
    settings_schema = config_schema()
    secrets = secret_keys()
    properties: dict[str, t.Any] = {}
    for order, (name, schema) in enumerate(
        (name, schema)
        for name, schema in settings_schema["properties"].items()
        if name not in builtin
    ):
        prop = _plain_type(deepcopy(schema))
        secret = bool(prop.pop("secret", False)) or name in secrets
        prop.pop("writeOnly", None)
        prop = {"title": _title(name), **prop, "order": order}
        if secret:
            prop["airbyte_secret"] = True
        properties[name] = prop
    return {
        "connectionSpecification": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Webinars Source Spec",
            "type": "object",
            "required": [k for k in settings_schema.get("required", []) if k in properties],
            "additionalProperties": True,
            "properties": properties,
        },
        "supportsIncremental": True,
    }


# ---------------------------------------------------------------------------- catalog


def _annotate_timestamps(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """Tell Airbyte destinations that date-time strings are timestamps with a time zone."""
    out = dict(schema)
    if out.get("format") == "date-time":
        out["airbyte_type"] = "timestamp_with_timezone"
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _annotate_timestamps(v) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = _annotate_timestamps(out["items"])
    return out


def airbyte_stream(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Translate one Singer catalog entry into an AirbyteStream."""
    name = entry["tap_stream_id"]
    properties = entry["schema"].get("properties", {})
    cursor = entry.get("replication_key") or CHILD_CURSORS.get(name)
    if cursor not in properties:
        raise ValueError(f"{name}: cursor column {cursor!r} is not in the stream's schema")
    schema = _annotate_timestamps(entry["schema"])
    schema.setdefault("type", "object")
    return {
        "name": name,
        "json_schema": schema,
        "supported_sync_modes": ["full_refresh", "incremental"],
        "source_defined_cursor": True,
        "default_cursor_field": [cursor],
        "source_defined_primary_key": [[key] for key in entry.get("key_properties") or []],
        "is_resumable": True,
    }


def _tap(config: dict[str, t.Any], **kwargs: t.Any) -> TapWebinars:
    for key in secret_keys():  # before validation, so even a type error cannot echo a secret
        redaction.register_secret(config.get(key))
    return TapWebinars(config=config, **kwargs)


def discover(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Airbyte catalog of the tap's streams (no request is made)."""
    tap = _tap(config)
    return {"streams": [airbyte_stream(entry) for entry in tap.catalog_dict["streams"]]}


def singer_catalog(
    config: dict[str, t.Any], configured: t.Mapping[str, dict[str, t.Any]]
) -> dict[str, t.Any]:
    """The tap's Singer catalog with exactly the configured streams selected."""
    catalog = _tap(config).catalog_dict
    unknown = set(configured) - {entry["tap_stream_id"] for entry in catalog["streams"]}
    if unknown:
        raise SettingsError("catalog", f"unknown streams {sorted(unknown)}")
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in configured
    return catalog


# ------------------------------------------------------------------------------ state


def singer_state(
    airbyte_state: t.Any, configured: t.Mapping[str, dict[str, t.Any]]
) -> dict[str, t.Any]:
    """Merge the Airbyte state of the configured streams into the tap's Singer state.

    Accepts per-stream state messages (what this source emits), a GLOBAL message (its
    `shared_state`) or a legacy state object. Every configured stream must have state for an
    event to keep its bookmark; the earliest of the streams' bookmarks wins.
    """
    per_stream: dict[str, dict[str, t.Any]] = {}
    shared: dict[str, t.Any] | None = None
    if isinstance(airbyte_state, dict) and airbyte_state:
        if "bookmarks" in airbyte_state:  # legacy: a Singer state as it is
            shared = airbyte_state
        elif airbyte_state.get("type") == "LEGACY":
            shared = airbyte_state.get("data") or {}
    elif isinstance(airbyte_state, list):
        for message in airbyte_state:
            kind = message.get("type")
            if kind == "STREAM":
                stream = message.get("stream") or {}
                name = (stream.get("stream_descriptor") or {}).get("name")
                if name:
                    per_stream[name] = stream.get("stream_state") or {}
            elif kind == "GLOBAL":
                shared = (message.get("global") or {}).get("shared_state") or {}
            elif kind == "LEGACY":
                shared = message.get("data") or {}
    if shared is not None:
        return shared if "bookmarks" in shared else {}
    incremental = [n for n, s in configured.items() if s.get("sync_mode") != "full_refresh"]
    if len(incremental) < len(configured) or any(n not in per_stream for n in configured):
        return {}  # a stream needs everything: read every event
    merged: dict[str, str] | None = None
    for name in configured:
        marks = _event_bookmarks(per_stream[name])
        if merged is None:
            merged = marks
        else:
            merged = {
                event: min(value, marks[event], key=_instant)
                for event, value in merged.items()
                if event in marks
            }
    if not merged:
        return {}
    partitions = [
        {
            "context": {"event_id": event},
            "replication_key": PARENT_CURSOR,
            "replication_key_value": value,
        }
        for event, value in sorted(merged.items())
    ]
    return {"bookmarks": {PARENT_STREAM: {"partitions": partitions}}}


def _event_bookmarks(state: dict[str, t.Any]) -> dict[str, str]:
    partitions = state.get("bookmarks", {}).get(PARENT_STREAM, {}).get("partitions", [])
    return {
        str(p["context"]["event_id"]): str(p["replication_key_value"])
        for p in partitions
        if p.get("context", {}).get("event_id") and p.get("replication_key_value")
    }


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _covering_state(state: dict[str, t.Any]) -> dict[str, t.Any]:
    """The part of a Singer state that decides what every stream re-reads."""
    events = state.get("bookmarks", {}).get(PARENT_STREAM) or {}
    partitions = [
        {k: p[k] for k in ("context", "replication_key", "replication_key_value") if k in p}
        for p in events.get("partitions", [])
        if p.get("replication_key_value")
    ]
    return {"bookmarks": {PARENT_STREAM: {"partitions": partitions}}}


# ----------------------------------------------------------------------------- output


def _json_default(value: t.Any) -> t.Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class Output:
    """stdout for Airbyte messages, shared by the message writer and the log handler."""

    def __init__(self, stream: t.TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def emit(self, message: Message) -> None:
        """Write one Airbyte message as a line of JSON."""
        line = json.dumps(message, default=_json_default, ensure_ascii=False)
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _trace_status(name: str, status: str) -> Message:
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": _now_ms(),
            "stream_status": {"stream_descriptor": {"name": name}, "status": status},
        },
    }


class AirbyteLogHandler(logging.Handler):
    """Log records as Airbyte LOG messages (already scrubbed of secrets by `redaction`)."""

    LEVELS: t.ClassVar[dict[int, str]] = {
        logging.DEBUG: "DEBUG",
        logging.INFO: "INFO",
        logging.WARNING: "WARN",
        logging.ERROR: "ERROR",
        logging.CRITICAL: "FATAL",
    }

    def __init__(self, output: Output) -> None:
        super().__init__()
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102
        level = self.LEVELS.get(record.levelno, "INFO")
        message = redaction.redact(f"{record.name}: {record.getMessage()}")
        self.output.emit({"type": "LOG", "log": {"level": level, "message": message}})


class AirbyteMessageWriter(GenericSingerWriter[str, t.Any]):
    """Takes the tap's Singer messages and writes their Airbyte translation."""

    def __init__(self, output: Output, configured: t.Mapping[str, dict[str, t.Any]]) -> None:
        self.output = output
        self.streams = list(configured)
        self.stateful = [n for n, s in configured.items() if s.get("sync_mode") != "full_refresh"]
        self.record_counts = dict.fromkeys(self.streams, 0)  # since the stream's last STATE
        self.records_read = dict.fromkeys(self.streams, 0)
        self._last_state: dict[str, str] = {}
        self._singer_state: dict[str, t.Any] = {}
        self._running: set[str] = set()

    def serialize_message(self, message: t.Any) -> str:  # noqa: D102
        return json.dumps(message.to_dict(), default=_json_default)

    def write_message(self, message: t.Any) -> None:
        """Translate one Singer message (RECORD and STATE; the rest has no Airbyte twin)."""
        payload = message.to_dict()
        kind = payload.get("type")
        if kind == "RECORD":
            self._record(payload)
        elif kind == "STATE":
            self._singer_state = payload.get("value") or {}
            self.write_states()

    def _record(self, payload: dict[str, t.Any]) -> None:
        name = payload["stream"]
        if name not in self.record_counts:
            return  # a parent read only for its children
        if name not in self._running:
            self._running.add(name)
            self.output.emit(_trace_status(name, "RUNNING"))
        self.record_counts[name] += 1
        self.records_read[name] += 1
        self.output.emit(
            {
                "type": "RECORD",
                "record": {"stream": name, "data": payload["record"], "emitted_at": _now_ms()},
            }
        )

    def write_states(self, *, final: bool = False) -> None:
        """Emit a STREAM state for every incremental stream whose state changed (or all)."""
        covering = _covering_state(self._singer_state)
        text = json.dumps(covering, sort_keys=True)
        for name in self.stateful:
            changed = self._last_state.get(name) != text
            unsettled = name not in self._last_state or self.record_counts[name] > 0
            if not (changed or (final and unsettled)):
                continue
            self._last_state[name] = text
            self.output.emit(
                {
                    "type": "STATE",
                    "state": {
                        "type": "STREAM",
                        "stream": {
                            "stream_descriptor": {"name": name},
                            "stream_state": covering,
                        },
                        "sourceStats": {"recordCount": float(self.record_counts[name])},
                    },
                }
            )
            self.record_counts[name] = 0

    def start(self) -> None:
        """Announce every configured stream."""
        for name in self.streams:
            self.output.emit(_trace_status(name, "STARTED"))

    def finish(self, *, complete: bool) -> None:
        """Final states (complete runs only) and the streams' last status."""
        if complete:
            self.write_states(final=True)
        for name in self.streams:
            self.output.emit(_trace_status(name, "COMPLETE" if complete else "INCOMPLETE"))


# ---------------------------------------------------------------------------- commands


def check(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """Validate the config and authenticate against the platform with one cheap read."""
    try:
        tap = _tap(config)
        tap.check_connection()
        report = access_report(tap.adapter_type(tap.settings, logger=tap.logger))
    except Exception as error:  # any failure is a FAILED status, not a crash
        return {"status": "FAILED", "message": _describe(error)}
    if not any(row.readable for row in report if row.stream == "events"):
        return {"status": "FAILED", "message": redaction.redact(describe(report))}
    return {"status": "SUCCEEDED", "message": redaction.redact(describe(report))}


def read(
    config: dict[str, t.Any],
    configured_catalog: dict[str, t.Any],
    state: t.Any,
    output: Output,
) -> None:
    """Sync the configured streams, writing Airbyte messages to *output*."""
    configured = {entry["stream"]["name"]: entry for entry in configured_catalog.get("streams", [])}
    writer = AirbyteMessageWriter(output, configured)
    tap_state = singer_state(state, configured)
    logger = logging.getLogger("source-webinars")
    if state and not tap_state:
        logger.info("a configured stream has no state or is full_refresh: reading every event")
    catalog = singer_catalog(config, configured)
    tap = _tap(config, catalog=catalog, state=tap_state, message_writer=writer)
    writer.start()
    try:
        tap.sync_all()
    except BaseException:
        _default_sigterm()
        writer.finish(complete=False)
        raise
    _default_sigterm()
    writer.finish(complete=True)
    logger.info("records read: %s", json.dumps(writer.records_read, sort_keys=True))


def _default_sigterm() -> None:
    """Let SIGTERM end the process again, once the answer is about to be written.

    singer-sdk's SIGTERM handler (installed with the tap) calls sys.exit() wherever it
    lands. Airbyte and PyAirbyte terminate a source as soon as they have its answer; landing
    in interpreter shutdown, that exit can leave the logging lock held and hang the process
    until it is killed.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _describe(error: BaseException) -> str:
    """A one-line, secret-free description of *error*."""
    errors = getattr(error, "errors", None)
    text = "; ".join(str(e) for e in errors) if errors else str(error)
    return redaction.redact(text or type(error).__name__)


def _failure_type(error: BaseException) -> str:
    config_errors = (
        SettingsError,
        ConfigValidationError,
        AuthenticationError,
        PermissionDeniedError,
    )
    return "config_error" if isinstance(error, config_errors) else "system_error"


def _read_json(path: str | None) -> t.Any:
    if not path:
        return None
    text = Path(path).read_text(encoding="utf-8").strip()
    return json.loads(text) if text else None


def main(argv: list[str] | None = None) -> None:
    """`source-webinars`: the Airbyte protocol's four commands."""
    redaction.install()
    parser = argparse.ArgumentParser(prog="source-webinars", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="print the connector specification")
    for name in ("check", "discover", "read"):
        command = commands.add_parser(name)
        command.add_argument("--config", required=True, help="path to the config JSON")
        if name == "read":
            command.add_argument("--catalog", required=True, help="configured catalog JSON")
            command.add_argument("--state", help="state JSON from the previous sync")
    options = parser.parse_args(argv)

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # messages are UTF-8 whatever the locale
    output = Output(sys.stdout)
    handler = AirbyteLogHandler(output)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("singer_sdk.metrics").setLevel(logging.WARNING)

    try:
        if options.command == "spec":
            answer = {"type": "SPEC", "spec": spec()}
        elif options.command == "check":
            answer = {
                "type": "CONNECTION_STATUS",
                "connectionStatus": check(_read_json(options.config) or {}),
            }
        elif options.command == "discover":
            answer = {"type": "CATALOG", "catalog": discover(_read_json(options.config) or {})}
        else:
            read(
                _read_json(options.config) or {},
                _read_json(options.catalog) or {},
                _read_json(options.state),
                output,
            )
            return
        _default_sigterm()
        output.emit(answer)
    except Exception as error:
        _default_sigterm()
        message = _describe(error)
        output.emit(
            {
                "type": "TRACE",
                "trace": {
                    "type": "ERROR",
                    "emitted_at": _now_ms(),
                    "error": {
                        "message": f"source-webinars {options.command} failed: {message}",
                        "internal_message": f"{type(error).__name__}: {message}",
                        "failure_type": _failure_type(error),
                    },
                },
            }
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
