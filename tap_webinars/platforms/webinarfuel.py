"""WebinarFuel (reference: webinarfuel-api.txt, and the WebinarFuel part of reference/README.md).

Endpoints, as data, and what each one's refusal costs (API keys are account-wide, but a plan
may leave a collection out: 403; an `api_url` without the account's path prefix: 404):
    GET /webinars               webinars in ready state, with their sessions (paged)
                                core for every stream: refused, the run cannot list anything
    GET /registrant_sessions    filters webinar_id, email, after_/before_scheduled_at (paged)
                                core for registrant_sessions, registrants and viewers
    GET /registrants            every registrant of the account (paged; filter: email only)
    GET /registrants/{id}       one registrant, wrapped as {"registrant": {...}}
                                core for registrants (they are its records); for
                                registrant_sessions and viewers only their `email`
Paging: `page` from 1 and `per_page` (at most 50); `meta.total_pages` says when to stop, and
a listing that changes while paged is read again (webinarfuel_listing.py).
Limit: 100 requests a minute; 429 carries Retry-After and RateLimit-Reset.

Per changed webinar, one windowed `registrant_sessions` read (sessions scheduled since the
webinar's bookmark minus the lookback, and every upcoming one) feeds registrant_sessions,
registrants and viewers; on a webinar's first run, when its listing shows no slot before the
window, one read of the whole webinar instead (`_whole_webinar`). WebinarFuel has no surveys
or Q&A in its API: those streams stay empty.
A session whose registrant the account no longer has is emitted with `registrant_id` null
and the id in `extra.registrant_id`, so every `registrant_id` names an emitted registrant.
"""

from __future__ import annotations

import re
import typing as t
from collections import defaultdict
from datetime import datetime, timedelta

import requests
from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi
from tap_webinars.errors import PayloadError, TapWebinarsError
from tap_webinars.http import HttpPolicy, RateLimit
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Viewing,
    Window,
    map_fields,
    viewer_totals,
)
from tap_webinars.platforms.webinarfuel_listing import PER_PAGE, Collection, read_listing
from tap_webinars.platforms.webinarfuel_registrants import REGISTRANTS, RegistrantDirectory

API_URL = "https://api.webinarfuel.com"
RATE_LIMIT = RateLimit(calls=100, period=60.0)  # per account

WEBINARS = Collection("/webinars", "webinars")
SESSIONS = Collection("/registrant_sessions", "sessions", key="cid")

_REFUSED = frozenset({403, 404})
_PREFIX = "; a 404 means api_url lacks the account's API path prefix"
WEBINARS_ROLE = Core(
    ("events", "registrants", "registrant_sessions", "viewers"),
    f"API access to webinars (GET /webinars{_PREFIX})",
    _REFUSED,
)
SESSIONS_ROLE = Core(
    ("registrant_sessions", "registrants", "viewers"),
    f"API access to registrant sessions (GET /registrant_sessions{_PREFIX})",
    _REFUSED,
)
REGISTRANTS_ROLE = Core(
    ("registrants",), f"API access to registrants (GET /registrants{_PREFIX})", _REFUSED
)
REGISTRANT_EMAILS = Enrichment(
    "registrant details",
    REGISTRANTS_ROLE.permission,
    columns=("email of registrant_sessions and viewers",),
)

_RAILS_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.\d+)? (UTC|[+-]\d{2}:?\d{2})"
)


def timestamp(value: t.Any) -> str | None:
    """ISO 8601, as documented, or Rails' own `2025-03-01 14:00:00 UTC`.

    A bare number is refused rather than guessed at: seconds and milliseconds since the
    epoch would both be plausible, and a wrong guess moves every date silently.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a bare number {value!r} where an ISO 8601 timestamp belongs")
    if isinstance(value, str):
        if value.strip().isdigit():
            raise ValueError(f"a bare number {value!r} where an ISO 8601 timestamp belongs")
        if match := _RAILS_TIME.fullmatch(value.strip()):
            zone = "+00:00" if match[3] == "UTC" else match[3]
            value = f"{match[1]}T{match[2]}{zone}"
    return n.timestamp(value)


WEBINAR_FIELDS: n.FieldMap = {
    "id": ("event_id", n.identifier),
    "name": ("title", n.text),
    "description": ("description", n.text),
    "time_zone": ("time_zone", n.text),
}
SLOT_FIELDS: n.FieldMap = {
    "id": ("session_id", n.identifier),
    "scheduled_at": ("scheduled_at", timestamp),
}
SCHEDULED_FIELDS: n.FieldMap = {"scheduled_at": ("scheduled_at", timestamp)}  # of a session
REGISTRANT_FIELDS: n.FieldMap = {
    "id": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "first_name": ("first_name", n.text),
    "last_name": ("last_name", n.text),
    "phone": ("phone", n.text),
    "tags": ("tags", n.string_list),
    "custom_fields": ("custom_fields", lambda v: dict(v) if v else None),
    "created_at": ("registered_at", timestamp),
    "updated_at": ("updated_at", timestamp),
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
    "scheduled_at": ("scheduled_at", timestamp),
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
Registrants: t.TypeAlias = t.Mapping[str, dict[str, t.Any]] | None  # None: details refused


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
        self.directory = RegistrantDirectory(self.api)

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

    def access_probes(self) -> list[Probe]:
        """One page of one item from each collection; registrants answer two questions."""
        webinars = self._probe(WEBINARS, sessions_limit=1)
        sessions = self._probe(SESSIONS)
        registrants = self._probe(REGISTRANTS)
        return [
            Probe(WEBINARS_ROLE.streams, WEBINARS_ROLE.permission, webinars),
            Probe(SESSIONS_ROLE.streams, SESSIONS_ROLE.permission, sessions),
            Probe(REGISTRANTS_ROLE.streams, REGISTRANTS_ROLE.permission, registrants),
            Probe(
                ("registrant_sessions", "viewers"),
                REGISTRANT_EMAILS.permission,
                registrants,
                enrichment=True,
            ),
        ]

    def _probe(self, collection: Collection, **params: t.Any) -> t.Callable[[], object]:
        """A read of page 1 with one item, made once however often it is asked for."""
        outcome: list[t.Any] = []

        def read() -> object:
            if not outcome:
                try:
                    response = self.api.request(
                        collection.path, {**params, **collection.pages(per_page=1).params()}
                    )
                    outcome.append(collection.pages().items(response))
                except TapWebinarsError as error:
                    outcome.append(error)
            if isinstance(outcome[0], Exception):
                raise outcome[0]
            return outcome[0]

        return read

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:  # noqa: D102
        params = {"sessions_limit": PER_PAGE, "exact_recurring_dates": "true"}
        webinars = self.permissions.core(
            WEBINARS_ROLE, lambda: read_listing(self.api, WEBINARS, params)
        )
        endpoint = self.api.url(WEBINARS.path)
        return [
            EventRef(WEBINARS.identity(endpoint, w), marker=None, listing=w, marker_known=False)
            for w in webinars
        ]

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        bundle = EventBundle(event=self.event_record(ref.listing))
        if not wanted:  # only events selected: the listing had everything
            return bundle
        whole = self._whole_webinar(ref, window, bundle.event["sessions"])
        if whole is not None:  # every session of the webinar: the window's, then the rest
            sessions, before = whole
        else:
            params: dict[str, t.Any] = {
                "webinar_id": ref.event_id,
                "after_scheduled_at": _iso(window.start),
            }
            if window.end is not None:
                params["before_scheduled_at"] = _iso(window.end)
            sessions, before = self._sessions(params), []
        by_registrant: dict[str | None, list[dict[str, t.Any]]] = defaultdict(list)
        for session in sessions:
            by_registrant[self._registrant_of(session)].append(session)
        for session in before:  # earlier sessions of the window's registrants only
            rid = self._registrant_of(session)
            if rid is not None and rid in by_registrant:
                by_registrant[rid].append(session)
        registrants = self._registrants({r for r in by_registrant if r is not None}, wanted)
        if whole is None:
            self._complete_history(ref.event_id, by_registrant, registrants, window)
        for registrant_id, own in by_registrant.items():
            self._add_registrant(bundle, ref.event_id, registrant_id, own, registrants)
        return bundle

    def _whole_webinar(
        self, ref: EventRef, window: Window, slots: list[dict[str, t.Any]]
    ) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]]] | None:
        """A new webinar's sessions read whole, when that is the cheaper read: (window, rest).

        On a webinar's first run, when its listing shows every slot (*slots*, as the events
        record has them) at or after the window's start, the webinar should have no session
        before it: the whole webinar is then the window, and the one read also proves that
        its older registrants have no earlier sessions, which a windowed read must ask for
        again (a probe, or one read per email). The listing may not show past slots (a
        recurring webinar lists what is ahead), so page 1 checks the reading: if it holds a
        session before the window and there are more pages, the windowed read is made
        instead, one request spent. None: read the window. Sessions with no time are the
        rest: the window's read would not hold them.
        """
        if window.since is not None or window.end is not None or not slots:
            return None
        if any(
            not slot["scheduled_at"] or n.parse_timestamp(slot["scheduled_at"]) < window.start
            for slot in slots
        ):
            return None
        params = {"webinar_id": ref.event_id}
        pages = SESSIONS.pages()
        first = self.permissions.core(
            SESSIONS_ROLE, lambda: self.api.request(SESSIONS.path, {**params, **pages.params()})
        )
        if pages.total_pages(first) > 1 and any(
            not self._within(s, window) for s in pages.items(first)
        ):
            return None
        within: list[dict[str, t.Any]] = []
        before: list[dict[str, t.Any]] = []
        for session in self._sessions(params, first):
            (within if self._within(session, window) else before).append(session)
        return within, before

    def _within(self, session: t.Mapping[str, t.Any], window: Window) -> bool:
        """Whether a session is scheduled at or after the window's start (the API's bound)."""
        sent = {"scheduled_at": session.get("scheduled_at")}  # the one field, not a copy of all
        scheduled = map_fields(self.api.url(SESSIONS.path), sent, SCHEDULED_FIELDS)[0]
        return bool(scheduled["scheduled_at"]) and (
            n.parse_timestamp(scheduled["scheduled_at"]) >= window.start
        )

    def _sessions(
        self, params: t.Mapping[str, t.Any], first: requests.Response | None = None
    ) -> list[dict[str, t.Any]]:
        return self.permissions.core(
            SESSIONS_ROLE, lambda: read_listing(self.api, SESSIONS, params, first=first)
        )

    def _registrants(self, ids: set[str], wanted: frozenset[str]) -> Registrants:
        """Details of *ids*: the registrants stream needs them; the others only for emails."""
        if not ids:
            return {}
        if "registrants" in wanted:
            return self.permissions.core(REGISTRANTS_ROLE, lambda: self.directory.lookup(ids))
        return self.permissions.optional(REGISTRANT_EMAILS, lambda: self.directory.lookup(ids))

    def _add_registrant(
        self,
        bundle: EventBundle,
        event_id: str,
        registrant_id: str | None,
        own: list[dict[str, t.Any]],
        registrants: Registrants,
    ) -> None:
        """Add one registrant's sessions, and their registrants and viewers records."""
        registrant = (registrants or {}).get(registrant_id or "")
        gone = registrant_id is not None and registrants is not None and registrant is None
        if gone:
            self.logger.warning(
                "webinarfuel: registrant %s of webinar %s is no longer listed; its sessions "
                "are emitted with registrant_id null (the id is kept in extra.registrant_id)",
                registrant_id,
                event_id,
            )
        email = n.text(registrant.get("email")) if registrant else None
        rows = sorted(
            ((self.session_record(event_id, s, email, orphaned=gone), s) for s in own),
            key=lambda row: (row[0]["scheduled_at"] or "", _id_order(row[0]["session_id"])),
        )
        records = [record for record, _ in rows]
        for record in records:
            bundle.add("registrant_sessions", record)
        if registrant is not None:
            sessions = [session for _, session in rows]
            bundle.add("registrants", self.registrant_record(event_id, registrant, sessions))
        if registrant_id is not None and not gone and any(r["attended"] for r in records):
            bundle.add("viewers", self.viewer_record(event_id, registrant_id, email, records))

    def _complete_history(
        self,
        webinar_id: str,
        by_registrant: dict[str | None, list[dict[str, t.Any]]],
        registrants: Registrants,
        window: Window,
    ) -> None:
        """Give registrants older than the window all their sessions in this webinar.

        Registrant status and viewer totals must never be computed from part of a
        registrant's sessions. A registrant created inside the window has all their sessions
        in it; for older ones (and every one, when their details were refused) the tap reads
        only what the window's read could not hold (sessions scheduled up to its start), by
        each one's `email` or for the whole webinar, whichever takes fewer requests.
        """
        older = sorted(
            rid
            for rid in by_registrant
            if rid is not None
            and (
                registrants is None
                or (rid in registrants and self._registered_before(registrants[rid], window))
            )
        )
        if not older:
            return
        emails = None if registrants is None else [_filter_email(registrants[r]) for r in older]
        history: dict[str, dict[str, dict[str, t.Any]]] = {rid: {} for rid in older}
        for session in self._history_sessions(webinar_id, emails, window):
            rid = self._registrant_of(session)
            if rid in history:
                history[rid][self._cid(session)] = session
        for rid in older:
            history[rid].update({self._cid(s): s for s in by_registrant[rid]})
            by_registrant[rid] = list(history[rid].values())

    def _history_sessions(
        self, webinar_id: str, emails: list[str | None] | None, window: Window
    ) -> list[dict[str, t.Any]]:
        """Sessions of older registrants the window's read did not hold, read the cheaper way.

        Those scheduled up to the window's start (both bounds are inclusive, so the one at
        the start is read twice, and kept once); with an `end_date`, the whole webinar, as
        sessions after the end are theirs too. One `email` read each, or the whole webinar
        when its page count is smaller (a probe of page 1 decides, and is reused); the whole
        webinar too when some have no email to filter on (details refused, an empty email).
        The probe is made for two emails or more: a history that fits one page (often an
        empty one) then costs one request, not one per email; for a single email it could
        only cost more.
        """
        params = {"webinar_id": webinar_id}
        if window.end is None:
            params["before_scheduled_at"] = _iso(window.start)
        if emails is None or None in emails:
            return self._sessions(params)
        if len(emails) >= 2:
            pages = SESSIONS.pages()
            first = self.permissions.core(
                SESSIONS_ROLE, lambda: self.api.request(SESSIONS.path, {**params, **pages.params()})
            )
            pages.items(first)  # the probe must be a page of sessions, whichever way is cheaper
            if pages.total_pages(first) - 1 <= len(emails):
                return self._sessions(params, first)
        return [s for e in emails for s in self._sessions({**params, "email": e})]

    # --------------------------------------------------------------------- mapping

    def event_record(self, webinar: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """The unified events record of a webinar.

        Its `last_activity_at` is left to the sync engine: the listing reports no activity,
        so the bookmark is the time the webinar's sessions were read through.
        """
        endpoint = self.api.url(WEBINARS.path)
        columns, extra = map_fields(endpoint, webinar, WEBINAR_FIELDS, consumed=("sessions",))
        raw_slots = webinar.get("sessions") or []
        slots = [
            {"session_id": None, "scheduled_at": None, **map_fields(endpoint, s, SLOT_FIELDS)[0]}
            for s in raw_slots
            if isinstance(s, dict)
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
        self,
        event_id: str,
        session: dict[str, t.Any],
        email: str | None,
        *,
        orphaned: bool = False,
    ) -> dict[str, t.Any]:
        """A registrant session: WebinarFuel plays recorded webinars at scheduled times.

        *orphaned*: its registrant is gone from the account; the id moves to `extra`.
        """
        columns, extra = map_fields(
            self.api.url(SESSIONS.path), session, SESSION_FIELDS, consumed=("webinar_id",)
        )
        if orphaned:
            extra["registrant_id"] = session.get("registrant_id")
            columns["registrant_id"] = None
        duration = columns.get("duration_seconds")
        started = columns.get("scheduled_at") if columns.get("attended") else None
        ended = None
        if started and duration:
            ended = n.format_timestamp(n.parse_timestamp(started) + timedelta(seconds=duration))
        return self.record(
            event_id,
            **(_nulls(SESSION_FIELDS) | columns),
            email=email,
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
        attended = any(self._flag(s, "attended") for s in sessions)
        if attended:
            status = "attended"
        elif sessions and all(self._flag(s, "canceled") for s in sessions):
            status = "canceled"
        else:
            status = "registered"
        return self.record(
            event_id,
            **(_nulls(REGISTRANT_FIELDS) | columns | attribution),
            status=status,
            attended=attended,
            extra=extra,
        )

    def viewer_record(
        self,
        event_id: str,
        registrant_id: str,
        email: str | None,
        sessions: list[dict[str, t.Any]],
    ) -> dict[str, t.Any]:
        """Viewing totals from the attended session records (all simulated-live)."""
        attended = [s for s in sessions if s["attended"]]
        totals = viewer_totals(
            (_viewing(session) for session in attended), kinds=("live", "on_demand", "simlive")
        )
        return self.record(
            event_id,
            registrant_id=registrant_id,
            email=email,
            **_unified(totals),
            updated_at=totals["last_viewed_at"],
            extra={"watched_session_count": sum(1 for s in attended if s["watched"])},
        )

    # ------------------------------------------------------------- reading raw values

    def _registrant_of(self, session: t.Mapping[str, t.Any]) -> str | None:
        return n.identifier(session.get("registrant_id"))

    def _cid(self, session: t.Mapping[str, t.Any]) -> str:
        return SESSIONS.identity(self.api.url(SESSIONS.path), session)

    def _flag(self, session: t.Mapping[str, t.Any], name: str) -> bool:
        """A yes/no field of a session (`true`, `"true"`, `1`...); a stranger value fails."""
        try:
            return n.boolean(session.get(name)) is True
        except ValueError as error:
            raise PayloadError(self.api.url(SESSIONS.path), f"field {name!r}: {error}") from None

    def _registered_before(self, registrant: t.Mapping[str, t.Any], window: Window) -> bool:
        columns, _ = map_fields(
            self.api.url(REGISTRANTS.path),
            {"created_at": registrant.get("created_at")},
            REGISTRANT_FIELDS,
        )
        created = columns["registered_at"]
        return not created or n.parse_timestamp(created) < window.start


def _viewing(session: t.Mapping[str, t.Any]) -> Viewing:
    """An attended session record: its scheduled time played for its duration."""
    started = session["scheduled_at"]
    seconds = session["duration_seconds"]
    ended = None
    if started and seconds is not None:
        ended = n.format_timestamp(n.parse_timestamp(started) + timedelta(seconds=seconds))
    return Viewing("simlive", seconds, started_at=started, ended_at=ended)


def _nulls(fields: n.FieldMap) -> dict[str, None]:
    """Every column of a field map, null: a field the platform left out is a null column."""
    return {column: None for column, _ in fields.values()}


def _unified(totals: dict[str, t.Any]) -> dict[str, t.Any]:
    """The viewer totals the unified schema has columns for (WebinarFuel has no `other`)."""
    return {k: v for k, v in totals.items() if not k.startswith("other_")}


def _filter_email(registrant: t.Mapping[str, t.Any]) -> str | None:
    """The email exactly as stored (the API's filter is case-sensitive), if there is one."""
    email = registrant.get("email")
    return email if isinstance(email, str) and email.strip() else None


def _id_order(value: str | None) -> tuple[int, int, str]:
    """Numeric ids in numeric order, whether they came as numbers or strings."""
    text = value or ""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
