"""The six unified streams, identical for every platform (SPEC §4).

`events` is the parent: one state partition per event, bookmarked on `last_activity_at`.
The other five are its children; each reads its records from the bundle the sync engine
fetched for the event, so one platform response can feed several streams. Children keep no
state of their own: the event's bookmark, written after them, covers them.
"""

from __future__ import annotations

import typing as t

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.schema.source import SchemaDirectory, StreamSchema
from typing_extensions import override

from tap_webinars.columns import schema_directory
from tap_webinars.normalize import utc_now
from tap_webinars.records import SAFE_RECORD_PATH
from tap_webinars.sync import SyncRun
from tap_webinars.writer import SchemaOnceWriter

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib.catalog import SelectionMask


SCHEMAS = SchemaDirectory(schema_directory())


class HasRun(t.Protocol):
    """The tap as the streams see it: the source of this invocation's sync run."""

    @property
    def run(self) -> SyncRun: ...  # noqa: D102


class WebinarStream(Stream):
    """What all six streams share: the schema directory and the run they read from.

    Records are typed by construction (the adapters build every value with `normalize`, and
    tests/test_record_path.py validates every record against its schema on every platform),
    so the SDK's per-value type conformance is off; `TAP_WEBINARS_SAFE_RECORD_PATH=1` turns
    it back on.
    """

    schema = StreamSchema(SCHEMAS)  # type: ignore[assignment]
    TYPE_CONFORMANCE_LEVEL = (
        TypeConformanceLevel.RECURSIVE if SAFE_RECORD_PATH else TypeConformanceLevel.NONE
    )

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._blank: dict[str, None] = {}
        self._judged_mask: SelectionMask | None = None
        self._every_property_selected = False

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        """Give every record every unified column, in schema order, null where absent.

        A column the schema does not know is an adapter bug that would otherwise be dropped
        silently by the SDK, so it fails loudly instead.
        """
        blank = self._blank
        if not blank:  # the schema is the class's (`StreamSchema`): resolved once
            blank = self._blank = dict.fromkeys(self.schema["properties"])
        record = blank.copy()
        record.update(row)
        if len(record) != len(blank):
            unknown = sorted(row.keys() - blank.keys())
            msg = f"{self.name}: record has columns not in the schema: {unknown}"
            raise ValueError(msg)
        return record

    def _all_selected(self) -> bool:
        """Whether the catalog selects every property (the usual case)."""
        mask = self.mask
        if mask is not self._judged_mask:
            self._judged_mask = mask
            self._every_property_selected = all(mask.values())
        return self._every_property_selected

    @property
    def run(self) -> SyncRun:
        """The tap's sync run (created on first use, one per tap invocation)."""
        tap = t.cast("HasRun", self._tap)
        return tap.run


class EventsStream(WebinarStream):
    """One record per webinar / event; the unit of change detection."""

    name = "events"
    primary_keys = ("platform", "account_id", "event_id")
    replication_key = "last_activity_at"
    # One record per partition, emitted after the event's children: the bookmark is final
    # the moment it is written, so it need not wait for the end of the stream.
    is_sorted = True
    check_sorted = False

    @property
    @override
    def partitions(self) -> list[dict[str, t.Any]] | None:
        return [{"event_id": ref.event_id} for ref in self.run.plan()]

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        if not context:
            return
        event_id = context["event_id"]
        bundle = self.run.open_event(event_id)
        try:
            yield bundle.event
            if not self.selected:
                # Children were emitted; keep the bookmark even though events are not.
                self.state_manager.increment_state(
                    bundle.event, context=context, replication_key="last_activity_at"
                )
        finally:
            self.run.close_event(event_id)

    @override
    def get_child_context(
        self, record: dict[str, t.Any], context: Context | None
    ) -> dict[str, t.Any]:
        return {"event_id": record["event_id"]}

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        if state is None:
            self.run.close()


class EventChildStream(WebinarStream):
    """A stream filled per event from the event's bundle.

    The bundle holds its records already completed and encoded (`RecordLines`): they go to
    stdout as blocks of lines (`SchemaOnceWriter.write_blocks`) when nothing asks for the
    SDK's per-record work: every property selected, no stream map or flattening, no record
    limit, the tap's own writer. The SDK's loop costs several times a record's encoding per
    record (a message object, deselection, mapping, state and metric calls, a flush each).
    Anything else, and `TAP_WEBINARS_SAFE_RECORD_PATH=1`, takes the SDK's loop, over the
    records decoded again.
    """

    parent_stream_type = EventsStream
    # Stateless: the parent's per-event bookmark decides what is re-read.
    state_partitioning_keys: t.ClassVar[list[str]] = []  # type: ignore[misc]

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        # Each run sends only changed events' records; a table version switch would make
        # targets delete every other event's rows.
        return False

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        lines = self.run.records(context["event_id"], self.name) if context else None
        return iter(()) if lines is None else iter(lines)

    @override
    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict[str, t.Any], t.Any, t.Any]:
        """The SDK's record loop, or the block path when it would change nothing.

        singer-sdk 0.54 has no public hook for how a stream's records become messages;
        this is the one private method the tap overrides for that (see the class doc).
        """
        writer = self._tap.message_writer
        if not (
            write_messages
            and context is not None
            and isinstance(writer, SchemaOnceWriter)
            and self._writes_batches()
        ):
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        lines = self.run.records(context["event_id"], self.name)
        written = len(lines) if lines is not None else 0
        with self.get_record_counter() as counter, self.get_sync_timer() as timer:
            counter.with_context(context)
            timer.with_context(context)
            if lines is not None and written:
                writer.write_blocks(
                    self.name,
                    lines.blocks(),
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )
            counter.increment(written)
        # As the SDK's loop ends: its STATE after a child's records is what carries each
        # event's bookmark out promptly (the events stream writes its own only at the end).
        if written:
            self.state_manager.is_flushed = False
        self._write_state_message()

    def _writes_batches(self) -> bool:
        """Whether the batch path emits exactly what the SDK's loop would."""
        maps = self.stream_maps
        return (
            not SAFE_RECORD_PATH
            and self.selected
            and self.ABORT_AT_RECORD_COUNT is None
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == self.name
            and not maps[0].flattening_enabled
            and self._all_selected()
        )


class RegistrantsStream(EventChildStream):
    """A person registered for an event."""

    name = "registrants"
    primary_keys = ("platform", "account_id", "event_id", "registrant_id")


class RegistrantSessionsStream(EventChildStream):
    """A registrant's scheduled or viewing session."""

    name = "registrant_sessions"
    primary_keys = ("platform", "account_id", "event_id", "session_id")


class ViewersStream(EventChildStream):
    """A registrant who viewed, with engagement totals."""

    name = "viewers"
    primary_keys = ("platform", "account_id", "event_id", "registrant_id")


class SurveyResponsesStream(EventChildStream):
    """One answer to one survey or poll question."""

    name = "survey_responses"
    primary_keys = ("platform", "account_id", "event_id", "response_id")


class QuestionsStream(EventChildStream):
    """A Q&A question asked by a viewer, with its answer."""

    name = "questions"
    primary_keys = ("platform", "account_id", "event_id", "question_id")


STREAM_TYPES: tuple[type[WebinarStream], ...] = (
    EventsStream,
    RegistrantsStream,
    RegistrantSessionsStream,
    ViewersStream,
    SurveyResponsesStream,
    QuestionsStream,
)
