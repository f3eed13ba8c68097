"""The one small interface every platform plug-in implements.

A platform is a plug-in: an adapter class that declares everything about itself (its name,
its settings and their checks, its default `account_id`, its sandbox simulator) and answers
two questions: which events exist and how recently each saw activity (`list_events`), and
everything one changed event yields (`fetch_event`): its unified events record plus the
records of every child stream, from as few requests as the API allows. The sync engine
decides which events changed, hands the adapter their read windows (`prepare`), fetches them
in parallel and feeds the streams in order; platform modules never import the engine, and
never touch Singer or state.
"""

from __future__ import annotations

import abc
import logging
import typing as t
from dataclasses import dataclass, field
from datetime import datetime

from singer_sdk import typing as th

from tap_webinars import normalize
from tap_webinars.errors import PayloadError, SettingsError
from tap_webinars.http import HttpClient, HttpPolicy
from tap_webinars.permissions import Permissions
from tap_webinars.records import RecordLines
from tap_webinars.redaction import redact_url
from tap_webinars.settings import Settings
from tap_webinars.urls import url_problem

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
class Probe:
    """One cheap read that tells whether *streams* can be read, and what to ask for if not."""

    streams: tuple[str, ...]
    permission: str
    read: t.Callable[[], object]
    enrichment: bool = False  # refused, it costs columns only, not the streams


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
    records: dict[str, RecordLines] = field(default_factory=dict)

    def add(self, stream: str, record: dict[str, t.Any]) -> None:
        """Queue *record* for *stream* (encoded now: the adapter may reuse the dict)."""
        self.lines(stream).append(record)

    def lines(self, stream: str, keys: t.Mapping[str, t.Any] | None = None) -> RecordLines:
        """The queue of *stream*'s records.

        *keys*, on the first call for a stream, are columns every record of it shares (the
        event's key columns, `PlatformAdapter.record`): a hot loop then appends only the
        rest of each record.
        """
        lines = self.records.get(stream)
        if lines is None:
            lines = self.records[stream] = RecordLines(stream, keys)
        return lines

    def close(self) -> None:
        """Release the spooled records (temporary files for large events)."""
        for spool in self.records.values():
            spool.close()
        self.records.clear()


class PlatformAdapter(abc.ABC):
    """Base of every platform plug-in.

    A subclass states, as class attributes, what the rest of the tap derives from the
    registry (`tap_webinars.platforms`): the config schema and `--about`, the README
    settings table, the Airbyte spec, Meltano's settings check and the sandbox's platforms.
    """

    # The `platform` setting's value, and the platform's name as its vendor writes it.
    name: t.ClassVar[str]
    title: t.ClassVar[str]
    # This platform's own settings (`<name>_...`), with defaults, descriptions and
    # `secret=True` where they are secrets.
    config_properties: t.ClassVar[tuple[th.Property[t.Any], ...]] = ()
    # Keys it cannot run without, checked in this order (the message names the first).
    required_keys: t.ClassVar[tuple[str, ...]] = ()
    # Keys holding base URLs: http(s) only, plain http only to loopback.
    url_keys: t.ClassVar[tuple[str, ...]] = ()
    # What `account_id` defaults to, in words (the settings table says it).
    account_label: t.ClassVar[str] = "the platform's name"
    # Its sandbox simulator, "module:Class", served under `/<name>` (None: not simulated).
    simulator: t.ClassVar[str | None] = None
    # The child streams this platform can fill; the others are empty for it (README matrix).
    filled_streams: t.ClassVar[frozenset[str]] = frozenset(CHILD_STREAMS)
    # The platform's own cap on per-event work in parallel; max_concurrency cannot exceed it.
    max_parallel_events: t.ClassVar[int] = 8

    @classmethod
    def secret_keys(cls) -> tuple[str, ...]:
        """The settings declared secret, to be masked everywhere."""
        # `to_dict()` is {name: schema}: the flag is in the schema.
        return tuple(p.name for p in cls.config_properties if p.to_dict()[p.name].get("secret"))

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None:
        """Check what a JSON Schema cannot say; raise a SettingsError naming the key.

        The default checks `required_keys` and `url_keys`; a platform with more rules
        (keys that depend on another key) extends it.
        """
        for key in cls.required_keys:
            require_key(config, key)
        for key in cls.url_keys:
            if config.get(key):
                problem = url_problem(str(config[key]))
                if problem:
                    raise SettingsError(key, problem)

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        """The `account_id` label when the user sets none."""
        return cls.name

    def __init__(self, settings: Settings, *, logger: logging.Logger | None = None) -> None:
        self.settings = settings
        self.logger = logger or logging.getLogger(f"tap_webinars.{self.name}")
        self.http = HttpClient(
            self.http_policy(),
            timeout=settings.request_timeout,
            max_concurrency=settings.max_concurrency,
            max_retry_seconds=settings.max_retry_seconds,
        )
        self.permissions = Permissions(self.name, self.logger)

    def prepare(self, windows: t.Mapping[str, Window]) -> None:  # noqa: B027 - optional hook
        """Learn the read window of every event this run will fetch, before the first fetch.

        An adapter that reads account-wide collections once per run (rather than per event)
        uses it to ask for exactly the span the run needs.
        """

    @abc.abstractmethod
    def http_policy(self) -> HttpPolicy:
        """Describe this API's limits, rate-limit signals and credentials to the HTTP layer."""

    def access_probes(self) -> list[Probe]:
        """One small read per resource, to tell which streams these credentials can read.

        The default probes the connection check for every stream; a platform whose
        permissions are granted per resource lists one probe per resource.
        """
        streams = ("events", *sorted(self.filled_streams))
        return [Probe(streams, "API access for these credentials", self.check)]

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


def require_key(config: t.Mapping[str, t.Any], key: str) -> None:
    """Raise a SettingsError unless *key* is set to something other than blanks."""
    if not str(config.get(key) or "").strip():
        raise SettingsError(key, f"is required for platform '{config.get('platform')}'")


class Viewing(t.NamedTuple):
    """Some viewing of one kind by one viewer: a session, or a platform's per-kind total.

    A named tuple, not a frozen dataclass: one is made per session of every viewer, and a
    tuple is made in a fraction of the time.
    """

    kind: str  # live, on_demand, simlive or other
    seconds: int | None
    started_at: str | None = None  # unified timestamps (UTC ISO 8601)
    ended_at: str | None = None
    sessions: int | None = 1  # sessions this stands for; None where the platform gives none


VIEWING_KINDS = ("live", "on_demand", "simlive")
# Each kind's columns in the viewers stream: its seconds and its session count.
_KIND_COLUMNS = {kind: (f"{kind}_seconds", f"{kind}_session_count") for kind in VIEWING_KINDS}


def viewer_totals(
    viewings: t.Iterable[Viewing], kinds: tuple[str, ...] = VIEWING_KINDS
) -> dict[str, t.Any]:
    """The viewers stream's totals, computed one way for every platform.

    Seconds and session counts per kind, their total, and the first and last moment of
    viewing. A kind this platform does not report (not in *kinds*) is null, as is a sum of
    values the platform left unknown; `other` time counts in the total only.
    """
    seconds: dict[str, int | None] = {}
    counts: dict[str, int | None] = {}
    total: int | None = None
    first: str | None = None
    last: str | None = None
    for kind, spent, started_at, ended_at, sessions in viewings:  # unpacked: a hot loop
        if kind not in _KIND_COLUMNS:
            kind = "other"  # noqa: PLW2901 - the kind it counts as
        if spent is not None:
            seconds[kind] = (seconds.get(kind) or 0) + spent
            total = (total or 0) + spent
        else:
            seconds.setdefault(kind, None)
        if sessions is None or (kind in counts and counts[kind] is None):
            counts[kind] = None
        else:
            counts[kind] = (counts.get(kind) or 0) + sessions
        if started_at and (first is None or started_at < first):
            first = started_at
        ended = ended_at or started_at
        if ended and (last is None or ended > last):
            last = ended
    columns: dict[str, t.Any] = {
        "first_viewed_at": first,
        "last_viewed_at": last,
        "total_seconds": total,
        "other_seconds": seconds.get("other", 0),
        "other_session_count": counts.get("other", 0),
    }
    for kind, (seconds_column, count_column) in _KIND_COLUMNS.items():
        known = kind in kinds
        columns[seconds_column] = seconds.get(kind, 0) if known else None
        columns[count_column] = counts.get(kind, 0) if known else None
    return columns
