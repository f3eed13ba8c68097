"""WebinarFuel (reference: webinarfuel-api.txt, and the WebinarFuel part of reference/README.md).

Endpoints, as data:
    GET /webinars               webinars in ready state, with their sessions (paged)
    GET /registrants            every registrant of the account (paged; filter: email only)
    GET /registrants/{id}       one registrant, wrapped as {"registrant": {...}}
    GET /registrant_sessions    filters webinar_id, email, after_/before_scheduled_at (paged)
Paging: `page` from 1 and `per_page` (at most 50); `meta.total_pages` says when to stop.
Limit: 100 requests a minute; 429 carries Retry-After and RateLimit-Reset.

Per changed webinar, one windowed `registrant_sessions` read (sessions scheduled since the
webinar's bookmark minus the lookback, and every upcoming one) feeds registrant_sessions,
registrants and viewers. WebinarFuel has no surveys or Q&A in its API: those streams stay empty.
"""

from __future__ import annotations

import threading
import typing as t
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi, TotalPagesPaginator, json_body
from tap_webinars.errors import PayloadError, RequestFailedError
from tap_webinars.http import HttpPolicy, RateLimit
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Viewing,
    Window,
    map_fields,
    viewer_totals,
)

API_URL = "https://api.webinarfuel.com"
PER_PAGE = 50  # documented maximum for per_page and sessions_limit
RATE_LIMIT = RateLimit(calls=100, period=60.0)  # per account


@dataclass(frozen=True)
class Collection:
    """A paged WebinarFuel listing: its path and the key of its items."""

    path: str
    items: str

    def pages(self, start: int = 1) -> TotalPagesPaginator:
        """A walk of its pages (`page`, `per_page`) from *start* to `meta.total_pages`."""
        return TotalPagesPaginator(self.items, page_size=PER_PAGE, start=start)


WEBINARS = Collection("/webinars", "webinars")
REGISTRANTS = Collection("/registrants", "registrants")
SESSIONS = Collection("/registrant_sessions", "sessions")
REGISTRANT_PATH = "/registrants/{registrant_id}"  # wrapped as {"registrant": {...}}

WEBINAR_FIELDS: n.FieldMap = {
    "id": ("event_id", n.identifier),
    "name": ("title", n.text),
    "description": ("description", n.text),
    "time_zone": ("time_zone", n.text),
}
REGISTRANT_FIELDS: n.FieldMap = {
    "id": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "first_name": ("first_name", n.text),
    "last_name": ("last_name", n.text),
    "phone": ("phone", n.text),
    "tags": ("tags", n.string_list),
    "custom_fields": ("custom_fields", lambda v: dict(v) if v else None),
    "created_at": ("registered_at", n.timestamp),
    "updated_at": ("updated_at", n.timestamp),
}
# Registration attribution lives on the session; registrants take it from their first one.
ATTRIBUTION_FIELDS: n.FieldMap = {
    "source": ("source", n.text),
    "referrer": ("referrer", n.text),
    "utm_source": ("utm_source", n.text),
    "utm_medium": ("utm_medium", n.text),
    "utm_campaign": ("utm_campaign", n.text),
    "utm_term": ("utm_term", n.text),
    "utm_content": ("utm_content", n.text),
    "city": ("city", n.text),
    "country": ("country", n.text),
}
SESSION_FIELDS: n.FieldMap = {
    "cid": ("session_id", n.identifier),
    "registrant_id": ("registrant_id", n.identifier),
    "webinar_session_id": ("webinar_session_id", n.identifier),
    "scheduled_at": ("scheduled_at", n.timestamp),
    "attended": ("attended", n.boolean),
    "attended_time": ("duration_seconds", n.integer),
    "watched": ("watched", n.boolean),
    "join_url": ("join_url", n.text),
    "replay_url": ("replay_url", n.text),
    "device": ("device", n.text),
    "os": ("os", n.text),
    "browser": ("browser", n.text),
    "country": ("country", n.text),
    "city": ("city", n.text),
    "time_zone": ("time_zone", n.text),
}


class WebinarFuelAdapter(PlatformAdapter):
    """WebinarFuel: webinars, registrants and their (automated) sessions."""

    name = "webinarfuel"
    title = "WebinarFuel"
    config_properties = (
        th.Property(
            "webinarfuel_api_key",
            th.StringType,
            secret=True,
            description="WebinarFuel API key (Bearer token).",
        ),
    )
    required_keys = ("webinarfuel_api_key",)
    simulator = "tap_webinars.sandbox.webinarfuel:WebinarFuelSimulator"
    account_label = "'webinarfuel'"
    filled_streams = frozenset({"registrants", "registrant_sessions", "viewers"})
    # 100 requests a minute for the whole account: more parallel readers only queue.
    max_parallel_events = 4

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = self.settings.api_url or API_URL
        self.api = JsonApi(self.http, self.base_url)
        self.directory = RegistrantDirectory(self)

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        key = self.settings.get("webinarfuel_api_key")
        return HttpPolicy(
            platform=self.name,
            credential_keys=("webinarfuel_api_key",),
            rate_limit=RATE_LIMIT,
            default_headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        )

    def check(self) -> None:  # noqa: D102
        response = self.api.request(WEBINARS.path, {"page": 1, "per_page": 1, "sessions_limit": 1})
        WEBINARS.pages().items(response)

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:  # noqa: D102
        params = {"sessions_limit": PER_PAGE, "exact_recurring_dates": "true"}
        return [
            EventRef(str(webinar["id"]), marker=None, listing=webinar, marker_known=False)
            for webinar in self.api.paged(WEBINARS.path, params, WEBINARS.pages())
        ]

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        bundle = EventBundle(event=self.event_record(ref.listing))
        if not wanted:  # only events selected: the listing had everything
            return bundle
        params: dict[str, t.Any] = {
            "webinar_id": ref.event_id,
            "after_scheduled_at": _iso(window.start),
        }
        if window.end is not None:
            params["before_scheduled_at"] = _iso(window.end)
        sessions = list(self.api.paged(SESSIONS.path, params, SESSIONS.pages()))
        if not sessions:
            return bundle
        registrants = self.directory.lookup({str(s["registrant_id"]) for s in sessions})
        by_registrant: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
        for session in sessions:
            by_registrant[str(session["registrant_id"])].append(session)
        self._complete_history(ref.event_id, by_registrant, registrants, window)
        for registrant_id, own in by_registrant.items():
            own.sort(key=lambda s: (s.get("scheduled_at") or "", s["cid"]))
            registrant = registrants.get(registrant_id)
            if registrant is None:
                self.logger.warning(
                    "webinarfuel: registrant %s of webinar %s is no longer listed; its "
                    "sessions are emitted without registrant details",
                    registrant_id,
                    ref.event_id,
                )
            for session in own:
                bundle.add(
                    "registrant_sessions", self.session_record(ref.event_id, session, registrant)
                )
            if registrant is not None:
                bundle.add("registrants", self.registrant_record(ref.event_id, registrant, own))
                if any(s.get("attended") for s in own):
                    bundle.add("viewers", self.viewer_record(ref.event_id, registrant, own))
        return bundle

    def _complete_history(
        self,
        webinar_id: str,
        by_registrant: dict[str, list[dict[str, t.Any]]],
        registrants: t.Mapping[str, dict[str, t.Any]],
        window: Window,
    ) -> None:
        """Give registrants older than the window all their sessions in this webinar.

        Registrant status and viewer totals must never be computed from part of a
        registrant's sessions. A registrant created inside the window has all their sessions
        in it; for older ones the tap reads either each one's sessions (`email` filter) or
        the whole webinar's, whichever takes fewer requests.
        """
        older = sorted(
            rid
            for rid in by_registrant
            if rid in registrants and _registered_before(registrants[rid], window.start)
        )
        if not older:
            return
        history: dict[str, dict[int, dict[str, t.Any]]] = {rid: {} for rid in older}
        for session in self._history_sessions(webinar_id, [registrants[r] for r in older]):
            rid = str(session.get("registrant_id"))
            if rid in history:
                history[rid][session["cid"]] = session
        for rid in older:
            history[rid].update({s["cid"]: s for s in by_registrant[rid]})
            by_registrant[rid] = list(history[rid].values())

    def _history_sessions(
        self, webinar_id: str, older: list[dict[str, t.Any]]
    ) -> t.Iterator[dict[str, t.Any]]:
        """Sessions of *older* registrants, read the cheaper way.

        One `email` read each, or the whole webinar when its page count is smaller (a probe
        of page 1 decides, and is reused).
        """
        params = {"webinar_id": webinar_id}
        if len(older) > 2:
            pages = SESSIONS.pages()
            first = self.api.request(SESSIONS.path, {**params, **pages.params()})
            pages.items(first)  # the probe must be a page of sessions, whichever way is cheaper
            if pages.total_pages(first) - 1 <= len(older):
                yield from self.api.paged(SESSIONS.path, params, pages, first=first)
                return
        for registrant in older:
            yield from self.api.paged(
                SESSIONS.path, {**params, "email": registrant.get("email") or ""}, SESSIONS.pages()
            )

    # --------------------------------------------------------------------- mapping

    def event_record(self, webinar: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The unified events record of a webinar.

        Its `last_activity_at` is left to the sync engine: the listing reports no activity,
        so the bookmark is the time the webinar's sessions were read through.
        """
        columns, extra = map_fields(
            self.api.url(WEBINARS.path), webinar, WEBINAR_FIELDS, consumed=("sessions",)
        )
        slots = [
            {
                "session_id": n.identifier(slot.get("id")),
                "scheduled_at": n.timestamp(slot.get("scheduled_at")),
            }
            for slot in webinar.get("sessions") or []
        ]
        extra["sessions"] = webinar.get("sessions")
        starts = sorted(s["scheduled_at"] for s in slots if s["scheduled_at"])
        return self.record(
            str(columns.pop("event_id")),
            **columns,
            sessions=slots,
            scheduled_start_at=starts[0] if starts else None,
            extra=extra,
        )

    def session_record(
        self, event_id: str, session: dict[str, t.Any], registrant: dict[str, t.Any] | None
    ) -> dict[str, t.Any]:
        """A registrant session: WebinarFuel plays recorded webinars at scheduled times."""
        columns, extra = map_fields(
            self.api.url(SESSIONS.path),
            session,
            SESSION_FIELDS,
            consumed=("webinar_id",),
        )
        duration = columns.get("duration_seconds")
        started = columns["scheduled_at"] if columns.get("attended") else None
        ended = None
        if started and duration:
            ended = n.format_timestamp(n.parse_timestamp(started) + _seconds(duration))
        return self.record(
            event_id,
            **columns,
            email=n.text(registrant.get("email")) if registrant else None,
            session_type="simlive",
            started_at=started,
            ended_at=ended,
            media=None,
            extra=extra,
        )

    def registrant_record(
        self, event_id: str, registrant: dict[str, t.Any], sessions: list[dict[str, t.Any]]
    ) -> dict[str, t.Any]:
        """A registrant, with attribution from their first session and status from all."""
        columns, extra = map_fields(
            self.api.url(REGISTRANTS.path), registrant, REGISTRANT_FIELDS, consumed=("webinar_id",)
        )
        first = sessions[0] if sessions else {}
        attribution, _ = n.apply_field_map(
            {k: first.get(k) for k in ATTRIBUTION_FIELDS}, ATTRIBUTION_FIELDS
        )
        attended = any(s.get("attended") for s in sessions)
        if attended:
            status = "attended"
        elif sessions and all(s.get("canceled") for s in sessions):
            status = "canceled"
        else:
            status = "registered"
        return self.record(
            event_id, **columns, **attribution, status=status, attended=attended, extra=extra
        )

    def viewer_record(
        self, event_id: str, registrant: dict[str, t.Any], sessions: list[dict[str, t.Any]]
    ) -> dict[str, t.Any]:
        """Viewing totals from the attended sessions (all count as simulated-live)."""
        attended = [s for s in sessions if s.get("attended")]
        totals = viewer_totals(
            (_viewing(session) for session in attended), kinds=("live", "on_demand", "simlive")
        )
        return self.record(
            event_id,
            registrant_id=str(registrant["id"]),
            email=n.text(registrant.get("email")),
            **_unified(totals),
            updated_at=totals["last_viewed_at"],
            extra={"watched_session_count": sum(1 for s in attended if s.get("watched"))},
        )


class RegistrantDirectory:
    """Registrant details for the sessions being read, fetched the cheaper way.

    The API cannot filter registrants by webinar: the tap either asks for each by id, or
    reads the account's listing (50 a request). Not knowing how many a run will need, it
    asks by id until those requests plus the ones at hand would pay for the rest of the
    listing, then reads the listing (rent or buy): never more than about twice the cheaper
    choice, and a run that needs a few registrants never reads the whole account.
    """

    def __init__(self, adapter: WebinarFuelAdapter) -> None:
        self.adapter = adapter
        self.known: dict[str, dict[str, t.Any]] = {}
        self._total_pages: int | None = None
        self._next_page = 1
        self._read_by_id = 0
        self._lock = threading.Lock()

    def lookup(self, ids: set[str]) -> dict[str, dict[str, t.Any]]:
        """Return the registrants among *ids* that exist, fetching those not yet known."""
        with self._lock:
            if ids - self.known.keys() and self._total_pages is None:
                self._read_listing_page()
            missing = ids - self.known.keys()
            remaining_pages = (self._total_pages or 0) - self._next_page + 1
            if missing and self._read_by_id + len(missing) > remaining_pages:
                while self._next_page <= (self._total_pages or 0):
                    self._read_listing_page()
            for registrant_id in sorted(ids - self.known.keys()):
                self._read_one(registrant_id)
            return {i: self.known[i] for i in ids if i in self.known}

    def _read_listing_page(self) -> None:
        pages = REGISTRANTS.pages(start=self._next_page)
        response = self.adapter.api.request(REGISTRANTS.path, pages.params())
        registrants = pages.items(response)
        self._total_pages = pages.total_pages(response)
        self._next_page += 1
        for registrant in registrants:
            self.known[str(registrant["id"])] = registrant

    def _read_one(self, registrant_id: str) -> None:
        self._read_by_id += 1
        path = REGISTRANT_PATH.format(registrant_id=registrant_id)
        try:
            body = json_body(self.adapter.api.request(path))
        except RequestFailedError as error:
            if error.status == 404:  # deleted since its session was listed
                return
            raise
        registrant = body.get("registrant") if isinstance(body, dict) else None
        if not isinstance(registrant, dict):
            raise PayloadError(
                self.adapter.api.url(path), "expected an object with a 'registrant' object"
            )
        self.known[registrant_id] = registrant


def _viewing(session: t.Mapping[str, t.Any]) -> Viewing:
    """An attended session: its scheduled time played for `attended_time` seconds."""
    start = n.parse_timestamp(session["scheduled_at"])
    seconds = n.integer(session.get("attended_time")) or 0
    return Viewing(
        "simlive",
        seconds,
        started_at=n.format_timestamp(start),
        ended_at=n.format_timestamp(start + _seconds(seconds)),
    )


def _unified(totals: dict[str, t.Any]) -> dict[str, t.Any]:
    """The viewer totals the unified schema has columns for (WebinarFuel has no `other`)."""
    return {k: v for k, v in totals.items() if not k.startswith("other_")}


def _registered_before(registrant: t.Mapping[str, t.Any], moment: datetime) -> bool:
    created = registrant.get("created_at")
    return not created or n.parse_timestamp(created) < moment


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(value: int) -> timedelta:
    return timedelta(seconds=value)
