"""GoTo Webinar REST API v2 (reference: goto-webinar-openapi.yml, goto-docs-excerpts.txt).

Endpoints, and what each one's refusal (403 not-allowed) costs:
    POST <goto_auth_url>/oauth/token             refresh token -> access token (an hour)
    GET /organizers/{o}/webinars                 the organizer's webinars, in time windows
    GET /accounts/{a}/webinars                   the account's, with goto_account_key
                                                 core for every stream
    GET /organizers/{o}/sessions                 completed sessions, in time windows
                                                 core for every child stream
    GET .../webinars/{w}/registrants             core for every child stream (they join it)
    GET .../webinars/{w}/sessions/{s}/attendees  registrant_sessions, viewers
    GET .../sessions/{s}/questions               questions (Q&A)
    GET .../sessions/{s}/attendees/{r}/polls     survey_responses (kind poll)
    GET .../sessions/{s}/attendees/{r}/surveys   survey_responses (kind survey)
The two listings require `fromTime`/`toTime`: they are read in windows of
`goto_window_days` from start_date to end_date (or a year ahead, for upcoming webinars).

How GoTo fits the engine's change detection. GoTo reports no modification time, but a
completed session's end is the moment its activity starts to settle. So:
* `EventRef.marker` of a webinar is the end of its latest completed session, and its
  events record reports that as `last_activity_at`, the event's bookmark. The engine reads
  a webinar whose marker passed its bookmark (a session newly completed) or lies within
  `lookback_hours` of now (its data may still arrive), and never again after that.
* A webinar with a time still ahead lists with `marker_known=False`: the engine reads it on
  every run (its registrants change: WAITING, APPROVED, DENIED), bookmarking the run start.
* A read's `Window.start` (the bookmark minus the lookback, or start_date) says which
  completed sessions to read in full: Q&A and per-attendee answers only for sessions that
  ended since then. Registrants, and the attendees of every completed session, are read
  on each read of the webinar: viewer totals and `attended` sum over all its sessions.
An unchanged re-run thus costs the listings, plus the webinars inside the lookback and the
upcoming ones.

Keys are 64-bit numbers: JSON is decoded by Python's json (integers stay exact) and every
key passes through `mapping.key`, which keeps the digits and refuses a float. Attendees,
answers and questions join a registrant of the same webinar through `registrantKey` or
`askerKey`; one the registrants read lacks gets a registrant record made from its row.
"""

from __future__ import annotations

import threading
import typing as t
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from singer_sdk import typing as th
from typing_extensions import override

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError, SettingsError, StreamUnavailableError
from tap_webinars.http import HttpPolicy, RateLimit
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Window,
    map_fields,
)
from tap_webinars.platforms.goto.api import GoToApi
from tap_webinars.platforms.goto.auth import CREDENTIAL_KEYS, RefreshToken, is_expired_token
from tap_webinars.platforms.goto.mapping import Mapper, key, session_key

API_URL = "https://api.getgo.com/G2W/rest/v2"
AUTH_URL = "https://authentication.logmeininc.com"
AHEAD = timedelta(days=366)  # how far ahead upcoming webinars are listed

_ALL = ("registrants", "registrant_sessions", "viewers", "survey_responses", "questions")
WEBINARS_ROLE = Core(("events", *_ALL), "GoTo Webinar read access to the organizer's webinars")
SESSIONS_ROLE = Core(_ALL, "GoTo Webinar read access to completed sessions (reports)")
REGISTRANTS_ROLE = Core(_ALL, "GoTo Webinar read access to registrants")
ATTENDEES_ROLE = Core(
    ("registrant_sessions", "viewers", "survey_responses"),
    "GoTo Webinar read access to session attendees",
)
# Read for registrants alone, attendees only say who attended.
ATTENDED = Enrichment(
    "session attendees",
    ATTENDEES_ROLE.permission,
    columns=("registrants.attended", "events.attendee_count"),
)
QUESTIONS_ROLE = Core(("questions",), "GoTo Webinar read access to session Q&A")
ANSWERS_ROLE = Core(
    ("survey_responses",), "GoTo Webinar read access to attendee poll and survey answers"
)


class GoToAdapter(PlatformAdapter):
    """GoTo Webinar: webinars, their completed sessions, and who registered, came and asked."""

    name = "goto"
    title = "GoTo Webinar"
    config_properties = (
        th.Property("goto_client_id", th.StringType, description="GoTo OAuth2 client id."),
        th.Property(
            "goto_client_secret", th.StringType, secret=True, description="GoTo client secret."
        ),
        th.Property(
            "goto_refresh_token",
            th.StringType,
            secret=True,
            description="GoTo refresh token from the authorization-code flow.",
        ),
        th.Property(
            "goto_organizer_key",
            th.StringType,
            description="Organizer whose webinars are read (default: from the token answer).",
        ),
        th.Property(
            "goto_account_key",
            th.StringType,
            description="Read every webinar of this account (default: from the token answer).",
        ),
        th.Property(
            "goto_auth_url",
            th.StringType,
            default=AUTH_URL,
            description="GoTo token host; the token is asked for at <goto_auth_url>/oauth/token.",
        ),
        th.Property(
            "goto_attendee_answers",
            th.BooleanType,
            default=True,
            description=(
                "Read each attendee's poll and survey answers (two requests per attendee "
                "and session); false leaves survey_responses empty."
            ),
        ),
        th.Property(
            "goto_rate_limit",
            th.IntegerType,
            default=10,
            description="Requests a second (GoTo's default is 10; it grants more on request).",
        ),
        th.Property(
            "goto_window_days",
            th.IntegerType,
            default=365,
            description="Days per fromTime/toTime window of the webinar and session listings.",
        ),
    )
    required_keys = CREDENTIAL_KEYS
    url_keys = ("goto_auth_url",)
    simulator = "tap_webinars.sandbox.goto:GoToSimulator"
    account_label = "the account key, else the organizer key"
    max_parallel_events = 8

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None:  # noqa: D102
        super().check_config(config)
        for name, least in (("goto_rate_limit", 1), ("goto_window_days", 1)):
            value = config.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < least
            ):
                raise SettingsError(name, f"must be a whole number of at least {least}")
        for name in ("goto_organizer_key", "goto_account_key"):
            value = config.get(name)
            if value is not None and not str(value).strip().isdigit():
                raise SettingsError(name, "must be the key's digits")

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:  # noqa: D102
        return str(config.get("goto_account_key") or config.get("goto_organizer_key") or "goto")

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        get = self.settings.get
        auth_url = str(get("goto_auth_url") or AUTH_URL).rstrip("/")
        self.token = RefreshToken(
            self.http,
            auth_url + "/oauth/token",
            str(get("goto_client_id")),
            str(get("goto_client_secret")),
            str(get("goto_refresh_token")),
            logger=self.logger,
        )
        self.api = GoToApi(self.http, self.settings.api_url or API_URL, self.token)
        self.mapper = Mapper(self.record, self.api.url)
        self.answers_wanted = get("goto_attendee_answers") is not False
        self.window_days = int(get("goto_window_days") or 365)
        self._keys: tuple[str | None, str | None] | None = None
        self._windows: list[tuple[str, str]] | None = None
        self._label: str | None = None  # account_id, when the config sets none
        self._sessions_refused: StreamUnavailableError | None = None
        self._keys_lock = threading.Lock()

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        calls = int(self.settings.get("goto_rate_limit") or 10)
        return HttpPolicy(
            platform=self.name,
            credential_keys=CREDENTIAL_KEYS,
            credential_fields=("refresh_token",),
            rate_limit=RateLimit(calls=calls, period=1.0),
            is_expired_session=is_expired_token,
            reauthenticate=self._reauthenticate,
        )

    def _reauthenticate(self) -> None:
        self.api.reauthenticate()  # the API is built after the policy

    # ------------------------------------------------------------------ whose webinars

    def keys(self) -> tuple[str | None, str | None]:
        """(organizer key, account key): config first, else what the token answer carried."""
        with self._keys_lock:
            if self._keys is None:
                self.token.current()
                organizer = n.text(self.settings.get("goto_organizer_key"))
                account = n.text(self.settings.get("goto_account_key"))
                organizer = organizer or self.token.organizer_key
                account = account or self.token.account_key
                if account is None and organizer is None:
                    raise SettingsError(
                        "goto_organizer_key",
                        "is required: the token answer carries no organizer_key",
                    )
                self._keys = (organizer, account)
                if not self.settings.get("account_id"):  # SPEC: the account key, else organizer
                    self._label = account or organizer
            return self._keys

    @override
    def record(self, event_id: str, **columns: t.Any) -> dict[str, t.Any]:
        """The key columns every stream shares.

        `account_id` is by default the account key, else the organizer key, from config or
        else from the token answer.
        """
        out = super().record(event_id, **columns)
        if self._label is not None:
            out["account_id"] = self._label
        return out

    def _listing_path(self) -> str:
        organizer, account = self.keys()
        if n.text(self.settings.get("goto_account_key")):
            return f"/accounts/{account}/webinars"
        return f"/organizers/{organizer}/webinars"

    def windows(self) -> list[tuple[str, str]]:
        """The fromTime/toTime windows from start_date to end_date (or a year ahead).

        Computed once per run, so every listing of the run asks for the same windows.
        """
        if self._windows is not None:
            return self._windows
        start = self.settings.start_date
        end = self.settings.end_date or n.utc_now() + AHEAD
        step = timedelta(days=self.window_days)
        spans = []
        while start < end:
            stop = min(start + step, end)
            spans.append((_iso(start), _iso(stop)))
            start = stop
        self._windows = spans
        return spans

    # ------------------------------------------------------------------ the adapter

    def check(self) -> None:  # noqa: D102
        start, stop = self.windows()[-1]
        self.api.get(self._listing_path(), {"fromTime": start, "toTime": stop, "size": 1})

    def access_probes(self) -> list[Probe]:
        """One read per resource: the listings, registrants, a session's parts.

        The two listings are read once however often asked; then the first webinar's
        registrants, and its first session's attendees, Q&A and one attendee's answers.
        """
        found: dict[str, t.Any] = {}

        def webinars() -> object:
            if "webinars" not in found:
                found["webinars"] = self._list_webinars()
            return found["webinars"]

        def sessions() -> object:
            if "sessions" not in found:
                found["sessions"] = self._list_sessions(t.cast(list[dict[str, t.Any]], webinars()))
            return found["sessions"]

        def first_session() -> tuple[str, str, dict[str, t.Any]] | None:
            for webinar in t.cast(list[dict[str, t.Any]], webinars()):
                for session in t.cast(dict[str, list[dict[str, t.Any]]], sessions()).get(
                    self._webinar_key(webinar), []
                ):
                    return self._organizer_of(webinar), self._webinar_key(webinar), session
            return None

        def registrants() -> object:
            listed = t.cast(list[dict[str, t.Any]], webinars())
            if not listed:
                return None
            webinar = listed[0]
            return self._registrants(self._organizer_of(webinar), self._webinar_key(webinar))

        def part(name: str) -> t.Callable[[], object]:
            def read() -> object:
                first = first_session()
                if first is None:
                    return None
                organizer, webinar, session = first
                base = f"/organizers/{organizer}/webinars/{webinar}/sessions/"
                base += session_key(self.api.url(base), session)
                if name in ("attendees", "questions"):
                    return self.api.read_list(f"{base}/{name}", name)
                people = self.api.read_list(f"{base}/attendees", "attendees")
                if not people:
                    return None
                rkey = registrant_key(self.api.url(base), people[0])
                return self.api.read_list(f"{base}/attendees/{rkey}/{name}", name)

            return read

        return [
            Probe(WEBINARS_ROLE.streams, WEBINARS_ROLE.permission, webinars),
            Probe(SESSIONS_ROLE.streams, SESSIONS_ROLE.permission, sessions),
            Probe(REGISTRANTS_ROLE.streams, REGISTRANTS_ROLE.permission, registrants),
            Probe(ATTENDEES_ROLE.streams, ATTENDEES_ROLE.permission, part("attendees")),
            Probe(QUESTIONS_ROLE.streams, QUESTIONS_ROLE.permission, part("questions")),
            Probe(ANSWERS_ROLE.streams, ANSWERS_ROLE.permission, part("polls")),
            Probe(ANSWERS_ROLE.streams, ANSWERS_ROLE.permission, part("surveys")),
        ]

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:  # noqa: D102
        del bookmarks  # the engine compares markers with them
        organizer, _ = self.keys()
        if n.text(self.settings.get("goto_account_key")) or not organizer:
            webinars = self._list_webinars()  # the organizers are known from the webinars
            sessions = self._list_sessions(webinars)
        else:  # one organizer: its webinars and sessions, every window, asked for at once
            pages = self._parallel(self._webinar_reads() | self._session_listing_reads([organizer]))
            webinars = self._webinars_from(pages)
            sessions = self._sessions_from(pages, {self._webinar_key(w) for w in webinars})
        now = n.utc_now()
        refs = []
        for webinar in webinars:
            webinar_key = self._webinar_key(webinar)
            held = sorted(sessions.get(webinar_key, []), key=lambda s: str(s.get("endTime")))
            ends = [
                n.parse_timestamp(e) for e in (n.timestamp(s.get("endTime")) for s in held) if e
            ]
            upcoming = any(
                (end := n.timestamp(time.get("endTime"))) and n.parse_timestamp(end) > now
                for time in webinar.get("times") or []
                if isinstance(time, dict)
            )
            refs.append(
                EventRef(
                    webinar_key,
                    marker=max(ends, default=None),
                    listing={"webinar": webinar, "sessions": held},
                    marker_known=not upcoming,
                )
            )
        return refs

    def _webinar_key(self, webinar: t.Mapping[str, t.Any]) -> str:
        endpoint = self.api.url(self._listing_path())
        columns, _ = map_fields(endpoint, {"webinarKey": webinar.get("webinarKey")}, _WEBINAR_KEY)
        value = columns.get("key")
        if value is None:
            raise PayloadError(endpoint, "a webinar without a webinarKey")
        return str(value)

    def _organizer_of(self, webinar: t.Mapping[str, t.Any]) -> str:
        """The organizer a webinar's paths go under (its own, in an account listing)."""
        endpoint = self.api.url(self._listing_path())
        columns, _ = map_fields(endpoint, {"organizerKey": webinar.get("organizerKey")}, _ORG_KEY)
        return str(columns.get("key") or self.keys()[0])

    def _list_webinars(self) -> list[dict[str, t.Any]]:
        """Every webinar with a time in a window, each once (a series spans windows)."""
        return self._webinars_from(self._parallel(self._webinar_reads()))

    def _webinar_reads(self) -> dict[tuple[str, ...], t.Callable[[], list[dict[str, t.Any]]]]:
        path = self._listing_path()
        return {
            ("webinars", start, stop): _lister(
                self, WEBINARS_ROLE, path, {"fromTime": start, "toTime": stop}, "webinars"
            )
            for start, stop in self.windows()
        }

    def _webinars_from(
        self, pages: t.Mapping[tuple[str, ...], list[dict[str, t.Any]]]
    ) -> list[dict[str, t.Any]]:
        seen: dict[str, dict[str, t.Any]] = {}
        for start, stop in self.windows():
            for webinar in pages[("webinars", start, stop)]:
                seen.setdefault(self._webinar_key(webinar), webinar)
        return list(seen.values())

    def _list_sessions(self, webinars: list[dict[str, t.Any]]) -> dict[str, list[dict[str, t.Any]]]:
        """Completed sessions per webinar key, from each organizer's windowed listing."""
        organizers = sorted({self._organizer_of(w) for w in webinars} or {self.keys()[0] or ""})
        pages = self._parallel(self._session_listing_reads(organizers))
        return self._sessions_from(pages, {self._webinar_key(w) for w in webinars})

    def _session_listing_reads(
        self, organizers: t.Iterable[str]
    ) -> dict[tuple[str, ...], t.Callable[[], list[dict[str, t.Any]]]]:
        return {
            ("sessions", organizer, start, stop): self._session_lister(
                f"/organizers/{organizer}/sessions", {"fromTime": start, "toTime": stop}
            )
            for organizer in organizers
            if organizer
            for start, stop in self.windows()
        }

    def _session_lister(
        self, path: str, params: dict[str, t.Any]
    ) -> t.Callable[[], list[dict[str, t.Any]]]:
        """A window of the sessions listing, whose refusal is remembered and reads as empty.

        The events then complete, and each event's read skips the streams it cannot fill.
        """
        read = _lister(self, SESSIONS_ROLE, path, params, "sessionInfoResources")

        def listed() -> list[dict[str, t.Any]]:
            try:
                return read()
            except StreamUnavailableError as refused:
                self._sessions_refused = refused
                return []

        return listed

    def _sessions_from(
        self, pages: t.Mapping[tuple[str, ...], list[dict[str, t.Any]]], wanted: set[str]
    ) -> dict[str, list[dict[str, t.Any]]]:
        """The listed sessions of the *wanted* webinars, by webinar key, each once."""
        found: dict[str, dict[str, dict[str, t.Any]]] = defaultdict(dict)
        for read, sessions in pages.items():
            if read[0] != "sessions":
                continue
            endpoint = self.api.url(f"/organizers/{read[1]}/sessions")
            for session in sessions:
                columns, _ = map_fields(
                    endpoint, {"webinarKey": session.get("webinarKey")}, _WEBINAR_KEY
                )
                owner = str(columns.get("key"))
                if owner in wanted:
                    found[owner][session_key(endpoint, session)] = session
        return {w: list(s.values()) for w, s in found.items()}

    def _registrants(self, organizer: str, webinar_key: str) -> list[dict[str, t.Any]]:
        path = f"/organizers/{organizer}/webinars/{webinar_key}/registrants"
        return self.api.read_all(path, {}, "registrants", size_param="limit")

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        webinar = ref.listing["webinar"]
        held: list[dict[str, t.Any]] = list(ref.listing["sessions"])
        organizer = self._organizer_of(webinar)
        base = f"/organizers/{organizer}/webinars/{ref.event_id}"
        counts: dict[str, int | None] = {"registrant_count": None, "attendee_count": None}
        if not wanted:
            return EventBundle(event=self.mapper.event(webinar, held, counts))
        recent = [s for s in held if self._in_window(s, window)]
        # Registrants, attendees and Q&A depend on nothing else: all asked for at once.
        calls: dict[tuple[str, str], t.Callable[[], list[dict[str, t.Any]] | None]] = {
            ("registrants", ""): lambda: self.permissions.core(
                REGISTRANTS_ROLE, lambda: self._registrants(organizer, ref.event_id)
            )
        }
        if self._sessions_refused is not None and wanted & set(SESSIONS_ROLE.streams):
            raise self._sessions_refused  # the engine skips them, and asks again without
        attended_only = not wanted & set(ATTENDEES_ROLE.streams)
        if not attended_only:
            calls |= self._session_reads(base, held, "attendees", ATTENDEES_ROLE)
        elif "registrants" in wanted:
            calls |= {
                key: _optional(self, ATTENDED, read)
                for key, read in self._session_reads(base, held, "attendees", None).items()
            }
        if "questions" in wanted:
            calls |= self._session_reads(base, recent, "questions", QUESTIONS_ROLE)
        read = self._parallel(calls)
        registrants = read.pop(("registrants", "")) or []
        seen = {k: v for (part, k), v in read.items() if part == "attendees"}
        # Refused (read for `attended` only): who attended is unknown.
        attendees = {k: v for k, v in seen.items() if v is not None}
        if len(attendees) < len(seen):
            attendees = {}
        questions = {k: v or [] for (part, k), v in read.items() if part == "questions"}
        answers = {}
        if "survey_responses" in wanted and self.answers_wanted:
            answers = self._answers(base, recent, attendees)
        endpoint = self.api.url(f"{base}/sessions/attendees")
        attended = {registrant_key(endpoint, a) for people in attendees.values() for a in people}
        came = len(attended) if attendees or not held else None
        counts = {"registrant_count": len(registrants), "attendee_count": came}
        bundle = EventBundle(
            event=self.mapper.event(webinar, held, counts | {"live_attendee_count": came})
        )
        self._fill(bundle, ref.event_id, Reads(held, registrants, attendees, questions, answers))
        return bundle

    def _in_window(self, session: t.Mapping[str, t.Any], window: Window) -> bool:
        """Whether this read covers a session's Q&A and answers (it ended in the window)."""
        end = n.timestamp(session.get("endTime")) or n.timestamp(session.get("startTime"))
        if end is None:
            return True
        moment = n.parse_timestamp(end)
        return moment >= window.start and (window.end is None or moment <= window.end)

    def _parallel(self, calls: dict[t.Any, t.Callable[[], T]]) -> dict[t.Any, T]:
        """Run *calls* on the HTTP client's request workers, up to max_concurrency at once."""
        futures: dict[t.Any, Future[T]] = {k: self.http.submit(c) for k, c in calls.items()}
        try:
            return {k: f.result() for k, f in futures.items()}
        finally:
            for future in futures.values():
                future.cancel()

    def _session_reads(
        self, base: str, sessions: list[dict[str, t.Any]], part: str, role: Core | None
    ) -> dict[tuple[str, str], t.Callable[[], list[dict[str, t.Any]]]]:
        """One read of *part* (attendees, questions) per session, keyed (part, session)."""
        keys = [session_key(self.api.url(base), s) for s in sessions]
        return {(part, k): _reader(self, role, f"{base}/sessions/{k}/{part}", part) for k in keys}

    def _answers(
        self,
        base: str,
        recent: list[dict[str, t.Any]],
        attendees: t.Mapping[str, list[dict[str, t.Any]]],
    ) -> dict[tuple[str, str, str], list[dict[str, t.Any]]]:
        """Each attendee's polls and surveys of each recent session: two requests apiece."""
        calls: dict[tuple[str, str, str], t.Callable[[], list[dict[str, t.Any]]]] = {}
        for session in recent:
            skey = session_key(self.api.url(base), session)
            endpoint = self.api.url(f"{base}/sessions/{skey}/attendees")
            for attendee in attendees.get(skey, []):
                rkey = registrant_key(endpoint, attendee)
                if rkey is None:
                    raise PayloadError(endpoint, "an attendee without a registrantKey")
                for kind in ("polls", "surveys"):
                    path = f"{base}/sessions/{skey}/attendees/{rkey}/{kind}"
                    calls[(skey, str(rkey), kind)] = _reader(self, ANSWERS_ROLE, path, kind)
        return self._parallel(calls)

    def _fill(self, bundle: EventBundle, event_id: str, reads: Reads) -> None:
        """Add every child record; a person the registrants read lacks gets one made."""
        sessions = {session_key(self.api.url(f"/webinars/{event_id}"), s): s for s in reads.held}
        people: dict[str, dict[str, t.Any]] = {}
        endpoint = self.api.url(f"/webinars/{event_id}/registrants")
        joined: dict[str, list[tuple[dict[str, t.Any], dict[str, t.Any]]]] = defaultdict(list)
        attendee_endpoint = self.api.url(f"/webinars/{event_id}/sessions/attendees")
        for skey, attendees in reads.attendees.items():
            for attendee in attendees:
                rkey = registrant_key(attendee_endpoint, attendee)
                if rkey is None:
                    raise PayloadError(attendee_endpoint, "an attendee without a registrantKey")
                joined[rkey].append((sessions[skey], attendee))
        known = bool(reads.attendees) or not reads.held  # `attended` is known
        time_zones: dict[str, str | None] = {}
        for registrant in reads.registrants:
            came = registrant_key(endpoint, registrant) in joined if known else None
            record = self.mapper.registrant(event_id, registrant, came, endpoint)
            if record["registrant_id"] is None:
                raise PayloadError(endpoint, "a registrant without a registrantKey")
            people[record["registrant_id"]] = record
            time_zones[record["registrant_id"]] = n.text(registrant.get("timeZone"))
        for rkey, visits in joined.items():
            if rkey not in people:
                people[rkey] = self.mapper.attendee_registrant(event_id, visits[0][1], endpoint)
            for session, attendee in visits:
                for record in self.mapper.intervals(
                    event_id, session, attendee, time_zones.get(rkey), attendee_endpoint
                ):
                    bundle.add("registrant_sessions", record)
            email = people[rkey].get("email")
            bundle.add("viewers", self.mapper.viewer(event_id, rkey, email, visits))
        question_endpoint = self.api.url(f"/webinars/{event_id}/sessions/questions")
        for skey, items in reads.questions.items():
            for item in items:
                record = self.mapper.question(event_id, sessions[skey], item, question_endpoint)
                asker = record["registrant_id"]
                if asker is not None and asker not in people:
                    people[asker] = self.mapper.asker_registrant(event_id, item, endpoint)
                bundle.add("questions", record)
        answer_endpoint = self.api.url(f"/webinars/{event_id}/sessions/attendees/answers")
        for (skey, rkey, kind), items in reads.answers.items():
            for record in self.mapper.answers(
                event_id,
                sessions[skey],
                items,
                registrant_id=rkey,
                email=people[rkey].get("email") if rkey in people else None,
                kind=kind.rstrip("s"),
                endpoint=answer_endpoint,
            ):
                bundle.add("survey_responses", record)
        for record in people.values():
            bundle.add("registrants", record)


@dataclass(frozen=True)
class Reads:
    """What one read of a webinar brought back, before mapping."""

    held: list[dict[str, t.Any]]  # its completed sessions
    registrants: list[dict[str, t.Any]]
    attendees: t.Mapping[str, list[dict[str, t.Any]]]  # by session key (every session)
    questions: t.Mapping[str, list[dict[str, t.Any]]]  # by session key (sessions in window)
    answers: t.Mapping[tuple[str, str, str], list[dict[str, t.Any]]]  # (session, person, kind)


T = t.TypeVar("T")
_WEBINAR_KEY = {"webinarKey": ("key", key)}
_ORG_KEY = {"organizerKey": ("key", key)}


def registrant_key(endpoint: str, registrant: t.Mapping[str, t.Any]) -> str | None:
    """A registrant's key, exact."""
    columns, _ = map_fields(endpoint, {"registrantKey": registrant.get("registrantKey")}, _REG_KEY)
    return columns.get("key")


_REG_KEY = {"registrantKey": ("key", key)}


def _reader(
    adapter: GoToAdapter, role: Core | None, path: str, name: str
) -> t.Callable[[], list[dict[str, t.Any]]]:
    if role is None:
        return lambda: adapter.api.read_list(path, name)
    return lambda: adapter.permissions.core(role, lambda: adapter.api.read_list(path, name))


def _optional(
    adapter: GoToAdapter, role: Enrichment, read: t.Callable[[], list[dict[str, t.Any]]]
) -> t.Callable[[], list[dict[str, t.Any]] | None]:
    return lambda: adapter.permissions.optional(role, read)


def _lister(
    adapter: GoToAdapter, role: Core, path: str, params: dict[str, t.Any], name: str
) -> t.Callable[[], list[dict[str, t.Any]]]:
    return lambda: adapter.permissions.core(role, lambda: adapter.api.read_all(path, params, name))


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
