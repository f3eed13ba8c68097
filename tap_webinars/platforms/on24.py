"""ON24 (reference: on24-rest-api-overview.txt, on24-openapi.json, on24-act-on-integration.txt).

The ON24 part of reference/README.md settles the envelopes, keys and the rate-limit signal.

Hosts: `https://api.on24.com` (NA) and `https://api.eu.on24.com` (EU), or `api_url`; every path is
`/v2/client/{clientId}/...`, authenticated by the `accessTokenKey` / `accessTokenSecret` headers.

Endpoints, as data (below): the event listing, one event, and per event its registrants,
attendees (with their questions, polls, surveys and resources nested), viewing sessions, and the
survey and poll catalogs. Paging: `pageOffset` from 0 and `itemsPerPage`, until the envelope's
total is reached. Limits: date ranges span at most six months; no published call limit, and a
rate limit comes back as HTTP 403 "You have reached the maximum number of calls" (or 429).

Change detection: an event's `lastupdated` moves with every registration, view and answer (2-12 h
late). The first run lists `dateFilterMode=updated` in six-month windows from `start_date`;
later runs list only from the latest bookmark minus the lookback. The engine reads events
oldest activity first, so that window always covers any event a killed run did not finish.

Per changed event: registrants and attendees in full (status and totals need all of them), the
viewing sessions since the event's bookmark minus the lookback (sessions never change once
over), and the survey / poll catalogs only when answers need their question types. One attendee
read feeds viewers, survey_responses and questions.

Permissions: an API token may be refused single analytics operations (403 "You do not have
permission", never the rate-limit text). Each read's role is stated below as data, named by
the OpenAPI file's operation id. A 404 means "the event doesn't exist" for the listing, the
event, its registrants, attendees and sessions (not a permission); for the poll and survey
catalogs, read after the same event's attendees answered, it means the account lacks them.

Offset paging is not a snapshot: a registration or deletion between two page reads shifts
the rows. A listing is used only when one read of all its pages saw one total, no row twice
and as many rows as that total; otherwise it is read again (up to three times), then the run
fails naming it. Nothing from an inconsistent read is emitted, so no bookmark passes it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi, OffsetTotalPaginator
from tap_webinars.errors import PayloadError, RequestFailedError, TapWebinarsError
from tap_webinars.http import HttpPolicy, submit_here
from tap_webinars.permissions import Core, Enrichment, is_refusal
from tap_webinars.platforms.base import (
    CHILD_STREAMS,
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Viewing,
    Window,
    map_fields,
    viewer_totals,
)
from tap_webinars.raw_pages import PageSpool, decode, fields

REGION_HOSTS = {"na": "https://api.on24.com", "eu": "https://api.eu.on24.com"}
MAX_RANGE_MONTHS = 6  # overview: "the data can only be pulled 6 months at a time"
PAGE_PARAM, SIZE_PARAM = "pageOffset", "itemsPerPage"  # pageOffset counts pages from 0
PAGE_SIZE = 100  # the documented default of itemsPerPage
# The API's dates are days in Pacific time ("All dates and times are in Pacific Time"); a day
# of margin on either side covers any doubt about the zone a query day is read in.
T = t.TypeVar("T")
PACIFIC_ZONE = "America/Los_Angeles"
PACIFIC = ZoneInfo(PACIFIC_ZONE)
DAY_MARGIN = timedelta(days=1)
RATE_LIMIT_TEXT = "maximum number of calls"
MAX_PAGES = 100_000  # a guard against an envelope whose total never comes
MAX_LISTING_WINDOWS_AT_ONCE = 24  # six-month windows read at once: twelve years
MAX_READS = 3  # reads of one listing before its changing under the pager is an error


@dataclass(frozen=True)
class Collection:
    """A paged ON24 envelope: where its items and their total are."""

    path: str  # under /v2/client/{clientId}
    items: str
    total: str
    key: str  # what tells two items apart, to notice rows seen twice

    def pages(self) -> OffsetTotalPaginator:
        """A walk of its pages, from offset 0 until the items seen reach the total."""
        return OffsetTotalPaginator(
            self.items,
            self.total,
            page_size=PAGE_SIZE,
            page_param=PAGE_PARAM,
            size_param=SIZE_PARAM,
            max_pages=MAX_PAGES,
        )


EVENTS = Collection("/event", "events", "totalevents", "eventid")
REGISTRANTS = Collection(
    "/event/{event_id}/registrant", "registrants", "totalregistrants", "eventuserid"
)
ATTENDEES = Collection("/event/{event_id}/attendee", "attendees", "totalattendees", "eventuserid")
SESSIONS = Collection(
    "/event/{event_id}/attendeesession", "attendeesession", "totalattendeesessions", "id"
)
EVENT_PATH = "/event/{event_id}"
SURVEYS_PATH = "/event/{event_id}/survey"
POLLS_PATH = "/event/{event_id}/poll"
# Deleted and forgotten users are returned only when asked for; the tap keeps them.
EVERY_USER = {"userStatus": "any"}

# What each read is for, and the analytics operation (on24-openapi.json) a token needs for it.
ATTENDEE_STREAMS = ("viewers", "survey_responses", "questions")
LISTING_ROLE = Core(("events", *CHILD_STREAMS), "AnalyticsClientLevel.Events (GET /event)")
REGISTRANTS_ROLE = Core(
    ("registrants",), "AnalyticsEventLevel.Registrants (GET /event/{eventId}/registrant)"
)
ATTENDEES_ROLE = Core(
    ATTENDEE_STREAMS, "AnalyticsEventLevel.Attendees (GET /event/{eventId}/attendee)"
)
SESSIONS_ROLE = Core(
    ("registrant_sessions",),
    "AnalyticsEventLevel.AttendeeViewingSessions (GET /event/{eventId}/attendeesession)",
)
# Without the attendee streams, attendees only tell registrants who attended.
ATTENDANCE_ROLE = Enrichment(
    "attendee list",
    ATTENDEES_ROLE.permission,
    ("registrants.attended", "registrants.status of active registrants"),
    refused_statuses=frozenset({403}),
)
SURVEYS_ROLE = Enrichment(
    "survey catalog",
    "AnalyticsEventLevel.Surveys (GET /event/{eventId}/survey)",
    ("survey_responses.survey_name", "survey_responses.question_type of surveys"),
)
POLLS_ROLE = Enrichment(
    "poll catalog",
    "AnalyticsEventLevel.Polls (GET /event/{eventId}/poll)",
    ("survey_responses.question_type of polls",),
)
# Read only for configured event_ids; refused, the events come from the listing instead.
DETAIL_ROLE = Enrichment(
    "event details",
    "AnalyticsEventLevel.MetadataAndUsage (GET /event/{eventId})",
    ("the events' detail-only fields in extra (the listing is read instead)",),
    refused_statuses=frozenset({403}),
)


def _time(value: t.Any) -> str | None:
    """ON24 writes Pacific time; a timestamp without an offset is read in it."""
    return n.timestamp(value, tz=PACIFIC_ZONE)


def _answer_list(value: t.Any) -> list[str] | None:
    """ON24 sends answers as a list; a single string counts as one answer."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    answers = [a for a in (n.text(i) for i in items) if a is not None]
    return answers or None


EVENT_FIELDS: n.FieldMap = {
    "eventid": ("event_id", n.identifier),
    "description": ("title", n.text),  # ON24 calls the event's title "description"
    "promotionalsummary": ("description", n.text),
    "eventtype": ("event_type", n.text),
    "displaytimezonecd": ("time_zone", n.text),
    "goodafter": ("scheduled_start_at", _time),
    "livestart": ("live_start_at", _time),
    "liveend": ("live_end_at", _time),
    "archivestart": ("on_demand_start_at", _time),
    "archiveend": ("on_demand_end_at", _time),
    "createtimestamp": ("created_at", _time),
    "lastmodified": ("updated_at", _time),
    "lastupdated": ("last_activity_at", _time),
    "iseliteexpired": ("is_expired", n.boolean),
    "audienceurl": ("registration_url", n.text),
    "category": ("category", n.text),
    "tags": ("tags", n.string_list),
}
EVENT_ANALYTICS_FIELDS: n.FieldMap = {
    "totalregistrants": ("registrant_count", n.integer),
    "totalattendees": ("attendee_count", n.integer),
    "liveattendees": ("live_attendee_count", n.integer),
    "ondemandattendees": ("on_demand_attendee_count", n.integer),
    "noshowcount": ("no_show_count", n.integer),
}
# Act-On integration: partner ref is the lead source; std1..std10 are the custom questions.
REGISTRANT_FIELDS: n.FieldMap = {
    "eventuserid": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "firstname": ("first_name", n.text),
    "lastname": ("last_name", n.text),
    "company": ("company", n.text),
    "jobtitle": ("job_title", n.text),
    "workphone": ("phone", n.text),
    "addressstreet1": ("address_1", n.text),
    "addressstreet2": ("address_2", n.text),
    "city": ("city", n.text),
    "state": ("state", n.text),
    "zip": ("postal_code", n.text),
    "country": ("country", n.text),
    "companysize": ("company_size", n.text),
    "companyindustry": ("industry", n.text),
    "jobfunction": ("job_function", n.text),
    "partnerref": ("source", n.text),
    "utmsource": ("utm_source", n.text),
    "utmmedium": ("utm_medium", n.text),
    "utmcampaign": ("utm_campaign", n.text),
    "utmterm": ("utm_term", n.text),
    "utmcontent": ("utm_content", n.text),
    "createtimestamp": ("registered_at", _time),
    "lastactivity": ("updated_at", _time),
}
CUSTOM_FIELDS = tuple(f"std{i}" for i in range(1, 11))
REGISTRANT_CONSUMED = ("eventid", "userstatus", *CUSTOM_FIELDS)  # read apart, not extra
# Act-On: live and archive duration, engagement score, poll / question / survey counts,
# resources viewed. Minutes become seconds.
VIEWER_FIELDS: n.FieldMap = {
    "eventuserid": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "engagementscore": ("engagement_score", n.number),
    "liveminutes": ("live_seconds", n.seconds_from_minutes),
    "archiveminutes": ("on_demand_seconds", n.seconds_from_minutes),
    "liveviewed": ("live_session_count", n.integer),
    "archiveviewed": ("on_demand_session_count", n.integer),
    "askedquestions": ("question_count", n.integer),
    "answeredpolls": ("poll_response_count", n.integer),
    "answeredsurveys": ("survey_response_count", n.integer),
    "resourcesdownloaded": ("resource_view_count", n.integer),
}
# When each kind of viewing began and ended; ON24 has no simulated-live kind (left null).
VIEWING_ACTIVITY = {
    "live": ("firstliveactivity", "lastliveactivity"),
    "on_demand": ("firstarchiveactivity", "lastarchiveactivity"),
}
# Nested lists of an attendee that other streams take.
ATTENDEE_CHILDREN = ("questions", "polls", "surveys")
QUESTION_FIELDS: n.FieldMap = {
    "questionid": ("question_id", n.identifier),
    "createtimestamp": ("asked_at", _time),
    "content": ("question", n.text),
}
PRESENTER_ANSWER_FIELDS: n.FieldMap = {
    "createtimestamp": ("answered_at", _time),
    "content": ("answer", n.text),
}
SURVEY_ANSWER_FIELDS: n.FieldMap = {
    "surveyquestionid": ("question_id", n.identifier),
    "surveyquestion": ("question", n.text),
    "surveyanswers": ("answers", _answer_list),
}
POLL_ANSWER_FIELDS: n.FieldMap = {
    "pollid": ("survey_id", n.identifier),
    "pollquestionid": ("question_id", n.identifier),
    "pollquestion": ("question", n.text),
    "pollanswers": ("answers", _answer_list),
    "pollsubmittedtimestamp": ("submitted_at", _time),
}
SESSION_FIELDS: n.FieldMap = {
    "id": ("session_id", n.identifier),
    "email": ("email", n.text),
    "duration": ("duration_seconds", n.seconds_from_clock),
    "starttime": ("started_at", _time),
    "endtime": ("ended_at", _time),
    "mediastream": ("media", n.text),
    "os": ("os", n.text),
    "browser": ("browser", n.text),
}
SESSION_TYPES = {
    "live": "live",
    "archived": "on_demand",
    "ondemand": "on_demand",
    "on demand": "on_demand",
    "simulive": "simlive",
}
# `answer` is the platform's answer list as one string; `answers` keeps the list itself.
ANSWER_SEPARATOR = "; "


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
        return list(_latest(self.list_events_in_parts(bookmarks)).values())

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
        return _latest(self._listing_windows(start, end))

    def _listing_windows(self, start: datetime, end: datetime) -> t.Iterator[list[EventRef]]:
        """The listing's six-month windows, oldest first, each as soon as it is read.

        Up to `MAX_LISTING_WINDOWS_AT_ONCE` are read at once, the next started as one is used;
        each is handed on once it and those before it are read, so the events of the first
        windows can be read while the later windows still are.
        """
        windows = date_windows(_pacific_day(start) - DAY_MARGIN, _pacific_day(end) + DAY_MARGIN)
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
            marker = _time(event.get("lastupdated"))
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
        reader = AttendeeReader(self, event_id, wanted)
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
                    params["startDate"] = str(_pacific_day(window.start) - DAY_MARGIN)
                sessions = reads.start(SESSIONS, params, SESSIONS_ROLE, event_id=event_id)

            if wanted & set(ATTENDEE_STREAMS):
                assert attendees is not None
                for attendee in reads.items(attendees):
                    reader.read(attendee, bundle)
            else:  # registrants' attendance and sessions' viewers still come from attendees

                def attendance() -> bool:
                    started = attendees or reads.start(
                        ATTENDEES, EVERY_USER, None, event_id=event_id
                    )
                    for attendee in reads.items(started):
                        reader.read(attendee, bundle)
                    return True

                reader.attendance_known = bool(
                    self.permissions.optional(ATTENDANCE_ROLE, attendance)
                )
            if registrants is not None:
                listed: set[str] = set()
                attended = reader.attended if reader.attendance_known else None
                for registrant in reads.items(registrants):
                    record = self.registrant_record(event_id, registrant, attended)
                    listed.add(record["registrant_id"])
                    reader.know_registrant(registrant, record)
                    bundle.add("registrants", record)
                for record in reader.unlisted_registrants(listed):
                    bundle.add("registrants", record)
            if sessions is not None:
                for session in reads.items(sessions):
                    record = self.session_record(event_id, session, reader)
                    bundle.add("registrant_sessions", record)

    # ------------------------------------------------------------------------ HTTP

    def items(
        self,
        collection: Collection,
        params: t.Mapping[str, t.Any],
        role: Core | None,
        **path_args: str,
    ) -> t.Iterator[dict[str, t.Any]]:
        """Every item of an envelope, from one read of its pages that did not change under it.

        A refusal is the *role*'s (None: the caller's to handle). An inconsistent read is
        read again; after MAX_READS the listing fails, naming its endpoint and what changed.
        """
        spool = self.read_listing(collection, params, role, seen=None, **path_args)
        try:
            yield from spool
        finally:
            spool.close()

    def read_listing(
        self,
        collection: Collection,
        params: t.Mapping[str, t.Any],
        role: Core | None,
        *,
        seen: t.Callable[[bytes], None] | None = None,
        **path_args: str,
    ) -> PageSpool:
        """`items`, read in full before it is used: a spool the caller closes.

        *seen* is shown each item (its JSON bytes) as its page arrives (of every read, even
        one read again).
        """
        path = collection.path.format(**path_args)
        problem = ""
        for attempt in range(1, MAX_READS + 1):
            spool = PageSpool()
            try:
                problem = self._read_once(collection, path, params, role, spool, seen=seen)
            except BaseException:
                spool.close()
                raise
            if not problem:
                return spool
            spool.close()
            if attempt < MAX_READS:
                self.logger.warning(
                    "on24: %s changed while it was paged (%s); reading it again", path, problem
                )
        raise PayloadError(
            self.api.url(path),
            f"the listing changed while it was paged in {MAX_READS} reads in a row (last: "
            f"{problem}); nothing from it was emitted and its event keeps its bookmark",
        )

    def _read_once(
        self,
        collection: Collection,
        path: str,
        params: t.Mapping[str, t.Any],
        role: Core | None,
        spool: PageSpool,
        *,
        seen: t.Callable[[bytes], None] | None = None,
    ) -> str:
        """Read every page into *spool*; return what made the read inconsistent, or "".

        The pages stay JSON until they are used: the check reads only each item's key.
        """
        pages = collection.pages()
        check = ListingCheck(collection.key)
        reads: t.Iterable[tuple[requests.Response, list[bytes]]] = self.api.pages(
            path, params, pages, concurrent_pages=True
        )
        if role is not None:
            reads = self.permissions.core_items(role, reads)
        try:
            for _response, items in reads:
                for item in items:
                    check.see(item, pages.total)
                    if seen is not None:
                        seen(item)
                spool.append_page(items)
        except PayloadError:
            if pages.repeated_page is None:
                raise
            return f"page {pages.repeated_page} repeated page {pages.repeated_page - 1}"
        return check.problem(pages.total)

    # --------------------------------------------------------------------- mapping

    def event_record(self, event: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The unified events record of a listed (or directly read) event."""
        endpoint = self.base_url + EVENTS.path
        columns, extra = map_fields(endpoint, event, EVENT_FIELDS, consumed=("eventanalytics",))
        analytics = event.get("eventanalytics") or {}
        if not isinstance(analytics, dict):
            raise PayloadError(endpoint, "eventanalytics is not an object")
        counts, rest = map_fields(endpoint, analytics, EVENT_ANALYTICS_FIELDS)
        if rest:
            extra["eventanalytics"] = rest
        if counts.get("no_show_count") is None and counts.get("registrant_count") is not None:
            # ON24's own definition (/event/{id}): totalregistrants - totalattendees.
            counts["no_show_count"] = counts["registrant_count"] - (
                counts.get("attendee_count") or 0
            )
        start, minutes = (
            columns.get("scheduled_start_at"),
            n.number(event.get("scheduledeventduration")),
        )
        end = None
        if start and minutes is not None:
            end = n.format_timestamp(n.parse_timestamp(start) + timedelta(minutes=minutes))
        return self.record(
            str(columns.pop("event_id")), **columns, **counts, scheduled_end_at=end, extra=extra
        )

    def registrant_record(
        self, event_id: str, registrant: t.Mapping[str, t.Any], attended: set[str] | None
    ) -> dict[str, t.Any]:
        """A registrant with the Act-On fields, custom (std) answers and status.

        *attended* is None when the attendee list could not be read: attendance unknown.
        """
        endpoint = self.base_url + REGISTRANTS.path.format(event_id=event_id)
        columns, extra = map_fields(
            endpoint,
            registrant,
            REGISTRANT_FIELDS,
            consumed=REGISTRANT_CONSUMED,
        )
        if columns.get("registrant_id") is None:
            raise PayloadError(endpoint, "a registrant has no 'eventuserid'")
        custom = {k: v for k in CUSTOM_FIELDS if (v := n.text(registrant.get(k))) is not None}
        did_attend = None if attended is None else columns["registrant_id"] in attended
        return self.record(
            event_id,
            **columns,
            status=registrant_status(registrant.get("userstatus"), did_attend),
            attended=did_attend,
            custom_fields=custom or None,
            extra=extra,
        )

    def session_record(
        self, event_id: str, session: t.Mapping[str, t.Any], reader: AttendeeReader
    ) -> dict[str, t.Any]:
        """A viewing session; ON24 names its viewer by email, so the id comes from attendees."""
        endpoint = self.base_url + SESSIONS.path.format(event_id=event_id)
        columns, extra = map_fields(endpoint, session, SESSION_FIELDS, consumed=("usage",))
        usage = n.text(session.get("usage"))
        session_type = SESSION_TYPES.get((usage or "").lower(), "other")
        if session_type == "other":
            extra["usage"] = session.get("usage")
        if columns.get("session_id") is None:
            columns["session_id"] = n.stable_id(
                event_id, columns.get("email"), columns.get("started_at")
            )
        return self.record(
            event_id,
            **columns,
            registrant_id=reader.registrant_of(session),
            session_type=session_type,
            attended=True,
            extra=extra,
        )


class ListingReads:
    """Listings read at once, each on its own thread, and used in the order the caller asks.

    Every request still goes through the HTTP client, whose one cap bounds the requests in
    flight. On leaving the block, reads nobody used are waited for and their spools freed,
    so no request of a failed event outlives it.
    """

    def __init__(self, adapter: On24Adapter) -> None:
        self.adapter = adapter
        self._started: list[Future[PageSpool]] = []

    def __enter__(self) -> ListingReads:
        return self

    def __exit__(self, *_exc: object) -> None:
        for read in self._started:
            if read.cancel():
                continue
            with contextlib.suppress(Exception):  # unused: the caller's error wins
                read.result().close()

    def start(
        self,
        collection: Collection,
        params: t.Mapping[str, t.Any],
        role: Core | None,
        *,
        seen: t.Callable[[bytes], None] | None = None,
        **path_args: str,
    ) -> Future[PageSpool]:
        """Begin reading a listing (see `On24Adapter.read_listing`)."""
        read = submit_here(
            self.adapter.listing_threads(),
            self.adapter.read_listing,
            collection,
            params,
            role,
            seen=seen,
            **path_args,
        )
        self._started.append(read)
        return read

    def items(self, read: Future[PageSpool]) -> t.Iterator[dict[str, t.Any]]:
        """The listing's items, once it is read (its refusal or failure raised here)."""
        self._started.remove(read)
        spool = read.result()
        try:
            yield from spool
        finally:
            spool.close()


@dataclass
class SurveyCatalog:
    """What /survey adds to an attendee's answers: survey codes and question types."""

    codes: dict[str, str | None] = field(default_factory=dict)  # surveyid -> surveycode
    types: dict[str, str | None] = field(default_factory=dict)  # questionid -> questiontype


class AttendeeReader:
    """Turns each attendee of one event into its viewer, answers and questions as it is read.

    Attendees come one at a time (from a verified read of their listing, spooled to disk when
    large); what later reads need (who attended, whose email is whose) is kept as ids only.
    The survey and poll catalogs, which add question types, are read once, at the first
    answer that needs them.
    """

    def __init__(self, adapter: On24Adapter, event_id: str, wanted: frozenset[str]) -> None:
        self.adapter = adapter
        self.event_id = event_id
        self.wanted = wanted
        self.endpoint = adapter.base_url + ATTENDEES.path.format(event_id=event_id)
        self.attended: set[str] = set()
        self.attendance_known = True
        self.known_emails: dict[str, str] = {}
        # What a registrants record needs of each attendee, should the registrant list lack it.
        self._people: dict[str, tuple[t.Any, t.Any, t.Any]] = {}
        self._external_ids: dict[str, str | None] = {}
        self._registrant_external_ids: dict[str, str | None] = {}  # where attendees have none
        self._surveys: SurveyCatalog | None = None
        self._polls: dict[str, dict[str, t.Any]] | None = None
        # The catalog reads begun (by path), from the attendees' pages as they arrive.
        self._catalog_reads: dict[str, Future[dict[str, t.Any] | None]] = {}
        self._catalog_lock = threading.Lock()

    def __enter__(self) -> AttendeeReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Catalog reads nobody used are waited for: no request outlives its event."""
        with self._catalog_lock:
            reads = list(self._catalog_reads.values())
        for read in reads:
            if not read.cancel():
                with contextlib.suppress(Exception):  # unused: the caller's error wins
                    read.result()

    def saw(self, item: bytes) -> None:
        """An attendee as its page arrives: begin the catalog reads its answers will need.

        They are the reads mapping its answers would make (`answers`), only sooner: at
        the first survey question answered and the first poll answered, side by side.
        Only its answers are read of the item (its JSON bytes), until both reads began.
        """
        if "survey_responses" not in self.wanted or len(self._catalog_reads) == 2:
            return
        attendee = fields(item, ("surveys", "polls"))
        surveys = attendee.get("surveys")
        if isinstance(surveys, list) and any(
            isinstance(survey, dict) and survey.get("surveyquestions") for survey in surveys
        ):
            self._catalog_read(SURVEYS_PATH, SURVEYS_ROLE)
        polls = attendee.get("polls")
        if isinstance(polls, list) and polls:
            self._catalog_read(POLLS_PATH, POLLS_ROLE)

    def _catalog_read(self, path: str, role: Enrichment) -> Future[dict[str, t.Any] | None]:
        """The read of a catalog (None: refused), begun on first asking."""
        with self._catalog_lock:
            read = self._catalog_reads.get(path)
            if read is None:
                adapter = self.adapter
                url = path.format(event_id=self.event_id)
                read = submit_here(
                    adapter.listing_threads(),
                    adapter.permissions.optional,
                    role,
                    lambda: adapter.api.get(url),
                )
                self._catalog_reads[path] = read
            return read

    def read(self, attendee: dict[str, t.Any], bundle: EventBundle) -> None:
        """Add the records one attendee yields to *bundle*."""
        adapter = self.adapter
        columns, extra = map_fields(
            self.endpoint, attendee, VIEWER_FIELDS, consumed=ATTENDEE_CHILDREN
        )
        registrant_id = columns.get("registrant_id")
        if registrant_id is None:
            raise PayloadError(self.endpoint, "an attendee has no 'eventuserid'")
        self.attended.add(registrant_id)
        self._people[registrant_id] = (
            attendee.get("email"),
            attendee.get("userstatus"),
            attendee.get("partnerref"),
        )
        email = columns.get("email")
        if email:
            self.known_emails[email.lower()] = registrant_id
        _note_external(self._external_ids, attendee, registrant_id)
        if "viewers" in self.wanted:
            bundle.add(
                "viewers",
                adapter.record(
                    self.event_id, **self.viewer_columns(attendee, columns), extra=extra
                ),
            )
        if "survey_responses" in self.wanted:
            for record in self.answers(attendee, registrant_id, email):
                bundle.add("survey_responses", record)
        if "questions" in self.wanted:
            for question in _list(self.endpoint, attendee, "questions"):
                bundle.add("questions", self.question_record(question, registrant_id, email))

    def viewer_columns(
        self, attendee: t.Mapping[str, t.Any], columns: dict[str, t.Any]
    ) -> dict[str, t.Any]:
        """Viewing totals: ON24 splits live and archive (on-demand) viewing."""
        viewings = []
        for kind, (first, last) in VIEWING_ACTIVITY.items():
            try:
                started, ended = _time(attendee.get(first)), _time(attendee.get(last))
            except ValueError as error:
                raise PayloadError(self.endpoint, f"attendee activity: {error}") from None
            seconds, count = columns.get(f"{kind}_seconds"), columns.get(f"{kind}_session_count")
            viewings.append(Viewing(kind, seconds, started, ended, count))
        totals = viewer_totals(viewings, kinds=tuple(VIEWING_ACTIVITY))
        return {**columns, **_unified(totals), "updated_at": totals["last_viewed_at"]}

    def answers(
        self, attendee: t.Mapping[str, t.Any], registrant_id: str, email: str | None
    ) -> t.Iterator[dict[str, t.Any]]:
        """One record per survey question answered and per poll answered."""
        for survey in _list(self.endpoint, attendee, "surveys"):
            survey_id = n.identifier(survey.get("surveyid"))
            submitted = _timestamp(self.endpoint, survey.get("surveysubmittedtimestamp"))
            survey_extra = {
                k: v
                for k, v in survey.items()
                if k not in ("surveyid", "surveysubmittedtimestamp", "surveyquestions")
            }
            for answer in _list(self.endpoint, survey, "surveyquestions"):
                columns, extra = map_fields(self.endpoint, answer, SURVEY_ANSWER_FIELDS)
                catalog = self.survey_catalog()
                yield self.answer_record(
                    "survey",
                    columns,
                    {**survey_extra, **extra},
                    registrant_id,
                    email,
                    survey_id=survey_id,
                    submitted_at=submitted,
                    survey_name=catalog.codes.get(survey_id or ""),
                    question_type=catalog.types.get(columns.get("question_id") or ""),
                )
        for poll in _list(self.endpoint, attendee, "polls"):
            columns, extra = map_fields(self.endpoint, poll, POLL_ANSWER_FIELDS)
            poll_type = n.text(self.poll(columns.get("survey_id")).get("polltype"))
            yield self.answer_record(
                "poll", columns, extra, registrant_id, email, question_type=poll_type
            )

    def answer_record(
        self,
        kind: str,
        columns: dict[str, t.Any],
        extra: dict[str, t.Any],
        registrant_id: str,
        email: str | None,
        **more: t.Any,
    ) -> dict[str, t.Any]:
        """A survey_responses record; ON24 gives answers no id, so the id is their key's hash."""
        columns = {**columns, **more}
        answers = columns.get("answers")
        return self.adapter.record(
            self.event_id,
            **columns,
            response_id=n.stable_id(
                self.event_id,
                registrant_id,
                kind,
                columns.get("survey_id"),
                columns.get("question_id"),
                None if columns.get("question_id") else columns.get("question"),
            ),
            registrant_id=registrant_id,
            email=email,
            kind=kind,
            answer=ANSWER_SEPARATOR.join(answers) if answers else None,
            extra=extra,
        )

    def question_record(
        self, question: dict[str, t.Any], registrant_id: str, email: str | None
    ) -> dict[str, t.Any]:
        """A Q&A question with the presenter's answer, when there is one."""
        columns, extra = map_fields(self.endpoint, question, QUESTION_FIELDS, consumed=("answer",))
        answer = question.get("answer") or {}
        if not isinstance(answer, dict):
            raise PayloadError(self.endpoint, "a question's 'answer' is not an object")
        answered, answer_extra = map_fields(self.endpoint, answer, PRESENTER_ANSWER_FIELDS)
        if answer_extra:
            extra["answer"] = answer_extra
        if columns.get("question_id") is None:
            columns["question_id"] = n.stable_id(
                self.event_id, registrant_id, columns.get("asked_at"), columns.get("question")
            )
        return self.adapter.record(
            self.event_id,
            **columns,
            answer=answered.get("answer"),
            answered_at=answered.get("answered_at"),
            registrant_id=registrant_id,
            email=email,
            extra=extra,
        )

    def unlisted_registrants(self, listed: set[str]) -> t.Iterator[dict[str, t.Any]]:
        """Registrants records for attendees the registrant list lacks (built from them).

        An attendee is a registrant who viewed; every viewer, answer, question and session
        of theirs refers to this record, marked `extra.built_from = "attendee"`.
        """
        missing = sorted(set(self._people) - listed)
        if not missing:
            return
        self.adapter.logger.warning(
            "on24: event %s: %d attendees are not in the registrant list; their registrants "
            "records are built from the attendee records (extra.built_from = attendee)",
            self.event_id,
            len(missing),
        )
        attended = self.attended if self.attendance_known else None
        for registrant_id in missing:
            email, status, source = self._people[registrant_id]
            person = {
                "eventuserid": registrant_id,
                "email": email,
                "userstatus": status,
                "partnerref": source,
            }
            record = self.adapter.registrant_record(self.event_id, person, attended)
            record["extra"]["built_from"] = "attendee"
            yield record

    def survey_catalog(self) -> SurveyCatalog:
        """Question types and survey codes of this event's surveys; read once, when needed."""
        if self._surveys is None:
            path = SURVEYS_PATH.format(event_id=self.event_id)
            endpoint = self.adapter.api.url(path)
            self._surveys = SurveyCatalog()
            body = self._catalog_read(SURVEYS_PATH, SURVEYS_ROLE).result()
            for survey in _list(endpoint, body or {}, "surveys"):
                survey_id = n.identifier(survey.get("surveyid"))
                if survey_id is not None:
                    self._surveys.codes[survey_id] = n.text(survey.get("surveycode"))
                for entry in _list(endpoint, survey, "surveyquestions"):
                    question_id = n.identifier(entry.get("questionid"))
                    if question_id is not None:
                        self._surveys.types[question_id] = n.text(entry.get("questiontype"))
        return self._surveys

    def poll(self, poll_id: str | None) -> dict[str, t.Any]:
        """The catalog entry of a poll (its type); read once per event."""
        if self._polls is None:
            path = POLLS_PATH.format(event_id=self.event_id)
            body = self._catalog_read(POLLS_PATH, POLLS_ROLE).result()
            polls = _list(self.adapter.api.url(path), body or {}, "polls")
            self._polls = {str(n.identifier(p.get("pollid"))): p for p in polls}
        return self._polls.get(poll_id or "", {})

    def registrant_of(self, session: t.Mapping[str, t.Any]) -> str | None:
        """The registrant a viewing session belongs to: by email, else by external id."""
        email = n.text(session.get("email"))
        if email and email.lower() in self.known_emails:
            return self.known_emails[email.lower()]
        external = n.text(session.get("exteventusercd"))
        if not external:
            return None
        if external in self._external_ids:
            return self._external_ids[external]
        return self._registrant_external_ids.get(external)

    def know_registrant(
        self, registrant: t.Mapping[str, t.Any], record: t.Mapping[str, t.Any]
    ) -> None:
        """Remember how sessions may name a listed registrant (attendees' keys come first)."""
        if record["email"]:  # forgotten users have none
            self.known_emails.setdefault(record["email"].lower(), record["registrant_id"])
        _note_external(self._registrant_external_ids, registrant, record["registrant_id"])


def _note_external(known: dict[str, str | None], person: t.Mapping[str, t.Any], key: str) -> None:
    """An external id is a fallback key for sessions, used only while it is unambiguous."""
    external = n.text(person.get("exteventusercd"))
    if external:
        clash = known.get(external, key) != key
        known[external] = None if clash else key


@dataclass
class ListingCheck:
    """Whether one read of a paged listing is a consistent picture of it.

    Offset paging shifts when rows come or go between page reads: a row is then seen twice,
    or skipped, and the envelope's total moves. One total throughout, no row twice and as
    many rows as that total is a read that missed nothing.
    """

    key: str
    keys: set[str] = field(default_factory=set)
    totals: list[int] = field(default_factory=list)
    twice: int = 0

    def see(self, item: bytes, total: int | None) -> None:
        """Note one item (its JSON bytes) and the total its page announced."""
        self._total(total)
        key = n.identifier(fields(item, (self.key,)).get(self.key))
        if key is None:
            key = json.dumps(decode(item), sort_keys=True, default=str)
        if key in self.keys:
            self.twice += 1
        self.keys.add(key)

    def problem(self, last_total: int | None) -> str:
        """What makes the read incomplete, in words; "" when it is complete."""
        self._total(last_total)
        if len(self.totals) > 1:
            return f"its total went {' -> '.join(str(total) for total in self.totals)}"
        if self.twice:
            return f"{self.twice} items came twice"
        total = self.totals[0] if self.totals else 0
        if len(self.keys) < total:
            return f"{total - len(self.keys)} of the {total} items it announced never came"
        return ""

    def _total(self, total: int | None) -> None:
        if total is not None and (not self.totals or self.totals[-1] != total):
            self.totals.append(total)


class AccessProbes:
    """The reads `tap-webinars-access` makes: one item of each resource of one event.

    The event is a configured one, else the latest with activity (found with one listing
    request per six-month window, newest first). Each resource is read once, whichever
    probes ask for it.
    """

    def __init__(self, adapter: On24Adapter) -> None:
        self.adapter = adapter
        self._event: str | None = None
        self._outcomes: dict[str, TapWebinarsError | None] = {}

    def of(self, resource: Collection | str) -> t.Callable[[], None]:
        """The probe of *resource* (a collection, or a catalog path)."""
        path = resource.path if isinstance(resource, Collection) else resource
        return lambda: self._read(path)

    def _read(self, path: str) -> None:
        if path not in self._outcomes:
            self._outcomes[path] = self._attempt(path)
        outcome = self._outcomes[path]
        if outcome is not None:
            raise outcome

    def _attempt(self, path: str) -> TapWebinarsError | None:
        try:
            event_id = self.event_id()
        except RequestFailedError as error:
            if is_refusal(error, LISTING_ROLE.refused_statuses):
                return None  # the listing's own probe reports it
            raise
        if event_id is None:
            self.adapter.logger.warning(
                "on24: no event to probe %s with; set event_ids to check it", path
            )
            return None
        try:
            self.adapter.api.get(path.format(event_id=event_id), {PAGE_PARAM: 0, SIZE_PARAM: 1})
        except RequestFailedError as error:
            return error
        return None

    def event_id(self) -> str | None:
        """A configured event, or the one with the latest activity since `start_date`."""
        settings = self.adapter.settings
        if settings.event_ids:
            return sorted(settings.event_ids)[0]
        if self._event is None:
            today = n.utc_now().astimezone(PACIFIC).date()
            windows = list(date_windows(_pacific_day(settings.start_date) - DAY_MARGIN, today))
            for first, last in reversed(windows):
                params = {
                    "dateFilterMode": "updated",
                    "filterOrder": "desc",
                    "startDate": str(first),
                    "endDate": str(last + DAY_MARGIN),
                    PAGE_PARAM: 0,
                    SIZE_PARAM: 1,
                }
                events = self.adapter.api.get(EVENTS.path, params).get("events") or []
                if events and isinstance(events[0], dict):
                    self._event = n.identifier(events[0].get("eventid"))
                    break
        return self._event


def is_rate_limited(response: requests.Response) -> bool:
    """ON24 signals its rate limit as HTTP 403 "You have reached the maximum number of calls"."""
    return response.status_code == 403 and RATE_LIMIT_TEXT in response.text.lower()


def registrant_status(user_status: t.Any, attended: bool | None) -> str | None:
    """Act-On's registered / attended; soft-deleted and forgotten users keep that status."""
    status = (n.text(user_status) or "active").lower()
    if status != "active":
        return status
    if attended is None:
        return None
    return "attended" if attended else "registered"


def date_windows(first: date, last: date) -> t.Iterator[tuple[date, date]]:
    """Consecutive inclusive day ranges covering first..last, none longer than six months."""
    while first <= last:
        stop = min(_add_months(first, MAX_RANGE_MONTHS) - timedelta(days=1), last)
        yield first, stop
        first = stop + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _pacific_day(moment: datetime) -> date:
    return n.parse_timestamp(moment).astimezone(PACIFIC).date()


def _latest(parts: t.Iterable[list[EventRef]]) -> dict[str, EventRef]:
    """The events of a listing's parts by id; activity during the walk: the later part wins."""
    listed: dict[str, EventRef] = {}
    for part in parts:
        for ref in part:
            listed[ref.event_id] = ref
    return listed


def _unified(totals: dict[str, t.Any]) -> dict[str, t.Any]:
    """The viewer totals the unified schema has columns for (ON24 reports no `other`)."""
    return {k: v for k, v in totals.items() if not k.startswith("other_")}


def _list(endpoint: str, source: t.Mapping[str, t.Any], key: str) -> list[dict[str, t.Any]]:
    items = source.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PayloadError(endpoint, f"'{key}' is not a list of objects")
    return items


def _timestamp(endpoint: str, value: t.Any) -> str | None:
    try:
        return _time(value)
    except ValueError as error:
        raise PayloadError(endpoint, str(error)) from None
