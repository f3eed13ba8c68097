"""The ON24 plug-in's adapter: settings, access, the event listing, and one event's reads.

See the package's docstring for what is read and why; `listing` for how a listing is
proved consistent, `attendees` and `mapping` for how items become records.
"""

from __future__ import annotations

import functools
import threading
import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi
from tap_webinars.errors import PayloadError, RequestFailedError
from tap_webinars.http import HttpPolicy
from tap_webinars.platforms.base import (
    CHILD_STREAMS,
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Window,
)
from tap_webinars.platforms.on24.api import (
    ATTENDANCE_ROLE,
    ATTENDEE_STREAMS,
    ATTENDEES,
    ATTENDEES_ROLE,
    DAY_MARGIN,
    DETAIL_ROLE,
    EVENT_PATH,
    EVENTS,
    EVERY_USER,
    LISTING_ROLE,
    MAX_LISTING_WINDOWS_AT_ONCE,
    PACIFIC,
    PAGE_PARAM,
    POLLS_PATH,
    POLLS_ROLE,
    REGION_HOSTS,
    REGISTRANTS,
    REGISTRANTS_ROLE,
    SESSIONS,
    SESSIONS_ROLE,
    SIZE_PARAM,
    SURVEYS_PATH,
    SURVEYS_ROLE,
    date_windows,
    is_rate_limited,
    pacific_day,
)
from tap_webinars.platforms.on24.attendees import AttendeeReader
from tap_webinars.platforms.on24.listing import ListingReads, latest
from tap_webinars.platforms.on24.mapping import EventMapping, event_columns, pacific_time
from tap_webinars.platforms.on24.probes import AccessProbes
from tap_webinars.raw_pages import PageSpool


class On24Adapter(PlatformAdapter):
    """ON24 Elite: events, registrants, attendees with engagement, viewing sessions."""

    name = "on24"
    title = "ON24"
    config_properties = (
        th.Property("on24_client_id", th.StringType, description="ON24 client id."),
        th.Property(
            "on24_access_token_key",
            th.StringType,
            secret=True,
            description="ON24 API access token key.",
        ),
        th.Property(
            "on24_access_token_secret",
            th.StringType,
            secret=True,
            description="ON24 API access token secret.",
        ),
        th.Property(
            "on24_region",
            th.StringType,
            default="na",
            allowed_values=["na", "eu"],
            description="ON24 region: na (api.on24.com) or eu (api.eu.on24.com).",
        ),
    )
    required_keys = ("on24_client_id", "on24_access_token_key", "on24_access_token_secret")
    simulator = "tap_webinars.sandbox.on24:On24Simulator"
    account_label = "the client id"
    # No published limit: let max_concurrency govern, the 403 signal paces us down.
    max_parallel_events = 8

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        region = str(self.settings.get("on24_region", "na")).lower()
        host = self.settings.api_url or REGION_HOSTS.get(region, REGION_HOSTS["na"])
        self.client_id = str(self.settings.get("on24_client_id")).strip()
        self.base_url = f"{host}/v2/client/{self.client_id}"
        self.api = JsonApi(self.http, self.base_url)
        self._listing_threads: ThreadPoolExecutor | None = None
        self._threads_lock = threading.Lock()

    def listing_threads(self) -> ThreadPoolExecutor:
        """Threads that each read one listing (its pages go to the HTTP client's workers).

        Five per event read at once, so an event's listings and catalogs are read side by
        side, plus the event listing's windows read at once (events are read while it goes
        on); the requests themselves are bounded by the HTTP client, not by these threads.
        """
        with self._threads_lock:
            if self._listing_threads is None:
                size = 5 * min(self.http.max_concurrency, self.max_parallel_events)
                self._listing_threads = ThreadPoolExecutor(
                    size + MAX_LISTING_WINDOWS_AT_ONCE, thread_name_prefix="on24-listing"
                )
            return self._listing_threads

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        """The ON24 client id."""
        return str(config["on24_client_id"]).strip()

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        return HttpPolicy(
            platform=self.name,
            credential_keys=(
                "on24_client_id",
                "on24_access_token_key",
                "on24_access_token_secret",
            ),
            is_rate_limited=is_rate_limited,
            credential_headers=("accessTokenKey", "accessTokenSecret"),
            default_headers={
                "accessTokenKey": str(self.settings.get("on24_access_token_key")),
                "accessTokenSecret": str(self.settings.get("on24_access_token_secret")),
                "Accept": "application/json",
            },
        )

    def check(self) -> None:  # noqa: D102
        today = n.utc_now().astimezone(PACIFIC).date()
        self.api.get(
            EVENTS.path,
            {
                "startDate": str(today - timedelta(days=7)),
                "endDate": str(today),
                PAGE_PARAM: 0,
                SIZE_PARAM: 1,
            },
        )

    def access_probes(self) -> list[Probe]:
        """One read of one item per analytics operation the tap uses, on the latest event."""
        probes = AccessProbes(self)
        return [
            Probe(LISTING_ROLE.streams, LISTING_ROLE.permission, self.check),
            Probe(REGISTRANTS_ROLE.streams, REGISTRANTS_ROLE.permission, probes.of(REGISTRANTS)),
            Probe(ATTENDEES_ROLE.streams, ATTENDEES_ROLE.permission, probes.of(ATTENDEES)),
            Probe(("registrants",), ATTENDANCE_ROLE.permission, probes.of(ATTENDEES), True),
            Probe(SESSIONS_ROLE.streams, SESSIONS_ROLE.permission, probes.of(SESSIONS)),
            Probe(("survey_responses",), SURVEYS_ROLE.permission, probes.of(SURVEYS_PATH), True),
            Probe(("survey_responses",), POLLS_ROLE.permission, probes.of(POLLS_PATH), True),
        ]

    # ------------------------------------------------------------------ the listing

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:
        """Events with activity since `start_date` (first run) or the latest bookmark."""
        return list(latest(self.list_events_in_parts(bookmarks)).values())

    def list_events_in_parts(
        self, bookmarks: t.Mapping[str, datetime]
    ) -> t.Iterator[list[EventRef]]:
        """`list_events` one six-month window at a time, oldest first, as each is read.

        The windows filter on `lastupdated`, so each window's events were active before the
        next window's; one whose activity moved while the walk went on is listed again by a
        later window, which wins. Configured `event_ids` come as one part.
        """
        now = n.utc_now()
        end = min(self.settings.end_date or now, now)
        if self.settings.event_ids is not None:
            yield self._events_by_id(sorted(self.settings.event_ids), end)
            return
        start = self.settings.start_date
        if bookmarks:
            start = max(start, max(bookmarks.values()) - self.settings.lookback)
        yield from self._listing_windows(start, end)

    def _listing(self, start: datetime, end: datetime) -> dict[str, EventRef]:
        return latest(self._listing_windows(start, end))

    def _listing_windows(self, start: datetime, end: datetime) -> t.Iterator[list[EventRef]]:
        """The listing's six-month windows, oldest first, each as soon as it is read.

        Up to `MAX_LISTING_WINDOWS_AT_ONCE` are read at once, the next started as one is used;
        each is handed on once it and those before it are read, so the events of the first
        windows can be read while the later windows still are.
        """
        windows = date_windows(pacific_day(start) - DAY_MARGIN, pacific_day(end) + DAY_MARGIN)
        with ListingReads(self) as reads:
            started: deque[Future[PageSpool]] = deque()

            def start_next() -> None:
                window = next(windows, None)
                if window is not None:
                    first, last = window
                    params = {
                        "dateFilterMode": "updated",
                        "startDate": str(first),
                        "endDate": str(last),
                    }
                    started.append(reads.start(EVENTS, params, LISTING_ROLE))

            for _ in range(MAX_LISTING_WINDOWS_AT_ONCE):
                start_next()
            while started:
                refs = [self._ref(event) for event in reads.items(started.popleft())]
                start_next()
                yield refs

    def _events_by_id(self, event_ids: list[str], end: datetime) -> list[EventRef]:
        """Each event read by id; where that read is refused, found in the listing instead."""
        refs: list[EventRef] = []
        refused: list[str] = []
        for event_id in event_ids:
            found = self.permissions.optional(DETAIL_ROLE, functools.partial(self._event, event_id))
            if found is None:
                refused.append(event_id)
            else:
                refs.extend(found)
        if refused:
            listed = self._listing(self.settings.start_date, end)
            for event_id in refused:
                if event_id in listed:
                    refs.append(listed[event_id])
                else:
                    self.logger.warning("on24: event %s is not listed; skipping it", event_id)
        return refs

    def _event(self, event_id: str) -> list[EventRef]:
        """The event read by id: one ref, or none when it does not exist (404)."""
        try:
            event = self.api.get(EVENT_PATH.format(event_id=event_id))
        except RequestFailedError as error:
            if error.status != 404:
                raise
            self.logger.warning("on24: event %s does not exist; skipping it", event_id)
            return []
        return [self._ref(event)]

    def _ref(self, event: dict[str, t.Any]) -> EventRef:
        endpoint = self.base_url + EVENTS.path
        if n.identifier(event.get("eventid")) is None:
            raise PayloadError(endpoint, "an event has no 'eventid'")
        try:
            marker = pacific_time(event.get("lastupdated"))
        except ValueError as error:
            raise PayloadError(
                endpoint, f"event {event['eventid']}: lastupdated: {error}"
            ) from None
        return EventRef(
            str(n.identifier(event["eventid"])),
            marker=n.parse_timestamp(marker) if marker else None,
            listing=event,
        )

    # ------------------------------------------------------------------- one event

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        bundle = EventBundle(event=self.event_record(ref.listing))
        if wanted:
            try:
                self._read_event(ref.event_id, window, wanted, bundle)
            except BaseException:
                bundle.close()  # the engine reads the event again, or the run stops
                raise
        return bundle

    def _read_event(
        self, event_id: str, window: Window, wanted: frozenset[str], bundle: EventBundle
    ) -> None:
        """Read the event's listings at once; map them in order (attendees, registrants, sessions).

        Mapping needs that order: registrants take attendance from attendees, sessions find
        their viewer among both. The survey and poll catalogs are read as soon as an
        attendee's page shows answers that need them, side by side (an enrichment not yet
        granted is read alone: a refusal then costs one request for the run).
        """
        keys = self.record(event_id)  # filled in by the lines: records hold their own columns
        lines = {stream: bundle.lines(stream, keys) for stream in CHILD_STREAMS if stream in wanted}
        mapping = EventMapping(self.base_url, event_id)
        reader = AttendeeReader(self, mapping, wanted, lines)
        with reader, ListingReads(self) as reads:  # the listings end first: no new catalog read
            attendees = registrants = sessions = None
            if wanted & set(ATTENDEE_STREAMS):
                attendees = reads.start(
                    ATTENDEES, EVERY_USER, ATTENDEES_ROLE, seen=reader.saw, event_id=event_id
                )
            elif self.permissions.granted(ATTENDANCE_ROLE):
                attendees = reads.start(ATTENDEES, EVERY_USER, None, event_id=event_id)
            if "registrants" in wanted:
                registrants = reads.start(
                    REGISTRANTS, EVERY_USER, REGISTRANTS_ROLE, event_id=event_id
                )
            if "registrant_sessions" in wanted:
                params: dict[str, t.Any] = {}
                if window.since is not None:  # sessions never change once over: new ones only
                    params["startDate"] = str(pacific_day(window.start) - DAY_MARGIN)
                sessions = reads.start(SESSIONS, params, SESSIONS_ROLE, event_id=event_id)

            if wanted & set(ATTENDEE_STREAMS):
                assert attendees is not None
                for attendee in reads.items(attendees):
                    reader.read(attendee)
            else:  # registrants' attendance and sessions' viewers still come from attendees

                def attendance() -> bool:
                    started = attendees or reads.start(
                        ATTENDEES, EVERY_USER, None, event_id=event_id
                    )
                    for attendee in reads.items(started):
                        reader.read(attendee)
                    return True

                reader.attendance_known = bool(
                    self.permissions.optional(ATTENDANCE_ROLE, attendance)
                )
            if registrants is not None:
                listed: set[str] = set()
                attended = reader.attended if reader.attendance_known else None
                out = lines["registrants"]
                for registrant in reads.items(registrants):
                    record = mapping.registrant(registrant, attended)
                    listed.add(record["registrant_id"])
                    reader.know_registrant(registrant, record)
                    out.append(record)
                reader.add_unlisted_registrants(listed)
            if sessions is not None:
                out = lines["registrant_sessions"]
                for session in reads.items(sessions):
                    out.append(mapping.session(session, reader.registrant_of(session)))

    # --------------------------------------------------------------------- mapping

    def event_record(self, event: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The unified events record of a listed (or directly read) event."""
        event_id, columns = event_columns(self.base_url + EVENTS.path, event)
        return self.record(event_id, **columns)
