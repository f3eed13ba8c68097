"""The one small interface every platform implements.

A platform answers two questions: which events exist and how recently each saw activity
(`list_events`), and everything one changed event yields (`fetch_event`): its unified events
record plus the records of every child stream, from as few requests as the API allows. The
sync engine (`tap_webinars.sync`) decides which events changed, fetches them in parallel and
feeds the streams in order; platform modules never touch Singer or state.
"""

from __future__ import annotations

import abc
import logging
import typing as t
from dataclasses import dataclass, field
from datetime import datetime

from tap_webinars import normalize
from tap_webinars.errors import PayloadError
from tap_webinars.http import HttpClient, HttpPolicy
from tap_webinars.records import RecordSpool
from tap_webinars.redaction import redact_url
from tap_webinars.settings import Settings

CHILD_STREAMS = (
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)


@dataclass(frozen=True)
class EventRef:
    """An event as the platform's listing shows it, before any per-event request."""

    event_id: str
    # Latest activity the listing reports (registration, viewing, answer); None when the
    # event has had none yet.
    marker: datetime | None
    listing: t.Mapping[str, t.Any] = field(default_factory=dict, compare=False)
    # False when the listing cannot tell activity at all (WebinarFuel): read every run.
    marker_known: bool = True


@dataclass(frozen=True)
class Window:
    """The span of activity to read for one event."""

    start: datetime  # the event's bookmark minus the lookback, or start_date for a new event
    end: datetime | None  # end_date, if configured
    since: datetime | None  # the event's bookmark; None for an event never synced


@dataclass
class EventBundle:
    """Everything one event yields, ready for the streams to emit."""

    event: dict[str, t.Any]
    records: dict[str, RecordSpool] = field(default_factory=dict)

    def add(self, stream: str, record: dict[str, t.Any]) -> None:
        """Queue *record* for *stream*."""
        spool = self.records.get(stream)
        if spool is None:
            spool = self.records[stream] = RecordSpool()
        spool.append(record)

    def close(self) -> None:
        """Release the spooled records (temporary files for large events)."""
        for spool in self.records.values():
            spool.close()
        self.records.clear()


class PlatformAdapter(abc.ABC):
    """Base of the four platform modules."""

    name: t.ClassVar[str]
    # The child streams this platform can fill; the others are empty for it (README matrix).
    filled_streams: t.ClassVar[frozenset[str]] = frozenset(CHILD_STREAMS)
    # The platform's own cap on per-event work in parallel; max_concurrency cannot exceed it.
    max_parallel_events: t.ClassVar[int] = 8

    def __init__(self, settings: Settings, *, logger: logging.Logger | None = None) -> None:
        self.settings = settings
        self.logger = logger or logging.getLogger(f"tap_webinars.{self.name}")
        self.http = HttpClient(
            self.http_policy(),
            timeout=settings.request_timeout,
            max_concurrency=settings.max_concurrency,
        )

    @abc.abstractmethod
    def http_policy(self) -> HttpPolicy:
        """Describe this API's limits, rate-limit signals and credentials to the HTTP layer."""

    @abc.abstractmethod
    def check(self) -> None:
        """Authenticate and make one cheap read; raise a TapWebinarsError if that fails."""

    @abc.abstractmethod
    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:
        """List the events to consider, given each synced event's bookmark."""

    @abc.abstractmethod
    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        """Read one event: its events record and the records of the *wanted* child streams."""

    def record(self, event_id: str, **columns: t.Any) -> dict[str, t.Any]:
        """Start a unified record: the key columns every stream shares."""
        return {
            "platform": self.name,
            "account_id": self.settings.account_id,
            "event_id": event_id,
            **columns,
        }


def map_fields(
    endpoint: str,
    source: t.Mapping[str, t.Any],
    fields: normalize.FieldMap,
    consumed: tuple[str, ...] = (),
) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """Map a platform object to unified columns and `extra`, as `normalize.apply_field_map`.

    A value a converter rejects is a bad payload: it fails naming the endpoint (secrets
    removed) and the field, never silently becoming null.
    """
    try:
        return normalize.apply_field_map(source, fields, consumed=consumed)
    except ValueError as error:
        raise PayloadError(redact_url(endpoint), str(error)) from None
