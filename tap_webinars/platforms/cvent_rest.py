"""Cvent REST platform API (reference: cvent-rest-openapi.yaml, reference/README.md).

Endpoints, as data (all under `https://api-platform.cvent.com/ea`, EU `-eur`), each with the
OAuth scope its `security` section names (`SCOPES`):
    POST /oauth2/token                 Basic client id/secret, grant_type=client_credentials
    GET  /events                       every event of the account
    GET  /sessions                     every session (agenda item), for the events' schedules
    GET  /attendees                    registrants, `after`/`before` on lastModified
    GET  /sessions/attendance          session check-in/out          -> registrant_sessions
    GET  /attendance-durations         live / on-demand engagement   -> viewers
    GET  /events/surveys/responses     survey answers of all events  -> survey_responses
    GET  /events/{id}/surveys, /events/{id}/surveys/{surveyId}/questions   survey and question text
    GET  /events/{id}/surveys/{surveyId}/respondents   who answered: respondent -> attendee
Paging: `{paging: {nextToken, limit, totalCount}, data: [...]}`; the next page is asked with
`token=<nextToken>` alone (it overrides every other parameter); `limit` at most 200.
Limits: tiers allow 2, 10 or 25 calls a second; 429 `{"code":429,"message":"Limit Exceeded"}`.
Scopes are granted per app, resource by resource; a missing one answers 403.

Change detection: an event's `lastModified` moves with edits of the event, not with its
attendees, so the listing cannot tell activity (`marker_known=False`, as WebinarFuel). Instead
of reading each event, the reader reads each activity collection once per run, account-wide,
for records changed since the earliest window of the run (`after`), and hands each event the
records of its own window: an unchanged run costs the token, the listings and four empty
reads, however many events there are. The REST API has no Q&A: `questions` stays empty.

Integrity: a survey response names its respondent, not the attendee; the survey's respondent
list says which attendee (or contact) each respondent is. Every registrant id a child record
carries is one of the event's attendees, and that attendee is emitted with the registrants;
an id the attendee list does not have becomes null (the original stays in `extra`).
"""

from __future__ import annotations

import threading
import typing as t
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import requests
from typing_extensions import override

from tap_webinars import normalize as n
from tap_webinars.client import ClientCredentialsToken, JsonApi, NextTokenPaginator, endpoint_of
from tap_webinars.errors import PayloadError, StreamUnavailableError
from tap_webinars.http import RateLimit
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    Probe,
    Viewing,
    Window,
    map_fields,
    viewer_totals,
)

if t.TYPE_CHECKING:
    from tap_webinars.platforms.base import PlatformAdapter

API_URLS = {
    "na": "https://api-platform.cvent.com/ea",
    "eu": "https://api-platform-eur.cvent.com/ea",
}
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
EVENTS_PATH = "/events"
SESSIONS_PATH = "/sessions"
ATTENDEES_PATH = "/attendees"
ATTENDANCE_PATH = "/sessions/attendance"
DURATIONS_PATH = "/attendance-durations"
RESPONSES_PATH = "/events/surveys/responses"
SURVEYS_PATH = "/events/{event_id}/surveys"
QUESTIONS_PATH = "/events/{event_id}/surveys/{survey_id}/questions"
RESPONDENTS_PATH = "/events/{event_id}/surveys/{survey_id}/respondents"
PAGE_LIMIT = 200  # documented maximum of `limit`
# The paging cursor, and the parameter that asks for the next page with it alone.
CURSOR_PATH, CURSOR_PARAM = "$.paging.nextToken", "token"
CREDENTIAL_KEYS = ("cvent_client_id", "cvent_client_secret")
# Paced for the lowest documented usage tier (Free: 2 calls a second, max burst 1): one
# call every 0.55 s, a 10% margin for network jitter. The tap cannot know an account's tier
# without spending calls; on a faster tier it only loses speed, never gets a 429 storm.
RATE_LIMIT = RateLimit(calls=1, period=0.55)
TOKEN_LIFETIME_SECONDS = 3600.0  # when the token response gives no expires_in
# `after` is exclusive and timestamps are read at second precision: start one second early.
AFTER_SLACK = timedelta(seconds=1)

# The OAuth scope of each resource (cvent-rest-openapi.yaml, the `security` of its GET).
SCOPES = {
    EVENTS_PATH: "event/events:read",
    SESSIONS_PATH: "event/sessions:read",
    ATTENDEES_PATH: "event/attendees:read",
    ATTENDANCE_PATH: "event/session-attendance:read",
    DURATIONS_PATH: "event/attendance-durations:read",
    RESPONSES_PATH: "survey/survey-responses:read",
    SURVEYS_PATH: "survey/surveys:read",
    QUESTIONS_PATH: "survey/survey-questions:read",
    RESPONDENTS_PATH: "survey/survey-respondents:read",
}
# Which account-wide collection each child stream needs, and the stream each is core for.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "registrants": (ATTENDEES_PATH,),
    "registrant_sessions": (ATTENDANCE_PATH, ATTENDEES_PATH),
    "viewers": (DURATIONS_PATH, ATTENDEES_PATH),
    "survey_responses": (RESPONSES_PATH, ATTENDEES_PATH),
}
CORE_OF = {
    ATTENDEES_PATH: "registrants",
    ATTENDANCE_PATH: "registrant_sessions",
    DURATIONS_PATH: "viewers",
    RESPONSES_PATH: "survey_responses",
}
COLLECTIONS_ALL = tuple(CORE_OF)
# Reads that only fill columns: refused, they cost those columns and one warning.
ENRICHMENTS = {
    SESSIONS_PATH: Enrichment(
        "session schedule",
        SCOPES[SESSIONS_PATH],
        ("events.sessions", "registrant_sessions scheduled_at, session_type, time_zone"),
    ),
    ATTENDEES_PATH: Enrichment(
        "attendee details", SCOPES[ATTENDEES_PATH], ("email of the activity streams",)
    ),
    SURVEYS_PATH: Enrichment(
        "survey catalog", SCOPES[SURVEYS_PATH], ("survey_name", "survey_type")
    ),
    QUESTIONS_PATH: Enrichment(
        "survey questions",
        SCOPES[QUESTIONS_PATH],
        ("question", "question_type", "answer of choice questions"),
    ),
    RESPONDENTS_PATH: Enrichment(
        "survey respondents",
        SCOPES[RESPONDENTS_PATH],
        ("survey_responses registrant_id and email",),
    ),
}

EVENT_FIELDS: n.FieldMap = {
    "id": ("event_id", n.identifier),
    "title": ("title", n.text),
    "description": ("description", n.text),
    "type": ("event_type", n.text),
    "timezone": ("time_zone", n.text),
    "start": ("scheduled_start_at", n.timestamp),
    "end": ("scheduled_end_at", n.timestamp),
    "created": ("created_at", n.timestamp),
    "lastModified": ("updated_at", n.timestamp),
}
ATTENDEE_FIELDS: n.FieldMap = {
    "id": ("registrant_id", n.identifier),
    "registeredAt": ("registered_at", n.timestamp),
    "lastModified": ("updated_at", n.timestamp),
    "checkedIn": ("attended", n.boolean),
}
CONTACT_FIELDS: n.FieldMap = {
    "email": ("email", n.text),
    "firstName": ("first_name", n.text),
    "lastName": ("last_name", n.text),
    "company": ("company", n.text),
    "title": ("job_title", n.text),
    "workPhone": ("phone", n.text),
}
ADDRESS_FIELDS: n.FieldMap = {
    "address1": ("address_1", n.text),
    "address2": ("address_2", n.text),
    "city": ("city", n.text),
    "region": ("state", n.text),
    "postalCode": ("postal_code", n.text),
    "country": ("country", n.text),
}
ATTENDANCE_FIELDS: n.FieldMap = {
    "id": ("session_id", n.identifier),
    "checkIn": ("started_at", n.timestamp),
    "checkOut": ("ended_at", n.timestamp),
    "duration": ("duration_seconds", n.seconds_from_milliseconds),
}
RESPONSE_FIELDS: n.FieldMap = {
    "id": ("response_id", n.identifier),
    "created": ("submitted_at", n.timestamp),
}
# Attendee status -> the unified registrant status (checked-in attendees are "attended").
STATUSES = {"Accepted": "registered", "Cancelled": "canceled", "Declined": "declined"}
# Attendance-duration type -> viewing kind; in-person and edited time counts in the total only.
DURATION_KINDS = {"LIVE": "live", "ON_DEMAND": "on_demand"}
# A reference such as {"id": "..."} is consumed by the mapping that reads it.
REFERENCES = ("event", "session", "attendee", "respondent", "question", "survey")

Row = dict[str, t.Any]
T = t.TypeVar("T")


class CursorPaginator(NextTokenPaginator):
    """Cvent's cursor, guarded against paging forever.

    A token given before (a loop) or a page that repeats the page before it fails naming
    the endpoint.
    """

    def __init__(self) -> None:
        super().__init__(
            "data",
            jsonpath=CURSOR_PATH,
            token_param=CURSOR_PARAM,
            first_params={"limit": PAGE_LIMIT},
        )
        self.pages = 0
        self._tokens: set[str] = set()
        self._previous: list[t.Any] | None = None

    @override
    def has_more(self, response: requests.Response) -> bool:
        items = self.items(response)
        self.pages += 1
        if items and items == self._previous:
            raise PayloadError(
                endpoint_of(response),
                f"page {self.pages} repeats page {self.pages - 1} under a new token",
            )
        self._previous = items
        return bool(items)

    @override
    def get_next(self, response: requests.Response) -> str | None:
        token = super().get_next(response)
        if token is not None:
            if token in self._tokens:
                raise PayloadError(
                    endpoint_of(response),
                    f"page {self.pages} gives a nextToken given before: the listing loops",
                )
            self._tokens.add(token)
        return token


class RestReader:
    """Events, attendees, session attendance, durations and survey responses over REST."""

    def __init__(self, adapter: PlatformAdapter) -> None:
        self.adapter = adapter
        self.settings = adapter.settings
        region = self.settings.get("cvent_region", "na")
        self.base_url = self.settings.api_url or API_URLS.get(region, API_URLS["na"])
        token = ClientCredentialsToken(
            adapter.http,
            self.base_url + TOKEN_PATH,
            str(self.settings.get("cvent_client_id")),
            str(self.settings.get("cvent_client_secret")),
            credential_keys=CREDENTIAL_KEYS,
            default_lifetime=TOKEN_LIFETIME_SECONDS,
        )
        self.api = JsonApi(adapter.http, self.base_url, token=token)
        self.lock = threading.RLock()
        self._activity = Activity(self)
        self._earliest: datetime | None = None
        self._sessions: dict[str, list[Row]] | None = None
        self._respondents: dict[tuple[str, str], dict[str, Row] | None] = {}
        # Resources refused this run (by path template): not asked again.
        self._refused: set[str] = set()
        self._sample: tuple[str, str] | None = None

    # ------------------------------------------------------------------ requests, roles

    def paged(self, path: str, params: t.Mapping[str, t.Any]) -> t.Iterator[Row]:
        """Every record of a collection, following `paging.nextToken`."""
        return self.api.paged(path, params, CursorPaginator())

    def read_all(self, path: str, params: t.Mapping[str, t.Any]) -> list[Row]:
        """A whole collection, each record once.

        Records inserted while paging shift the pages after them: a record met twice keeps
        its later state.
        """
        unique: dict[str, Row] = {}
        for row in self.paged(path, params):
            unique.pop(_required_id(self.base_url + path, row), None)
            unique[str(row["id"])] = row
        return list(unique.values())

    def core(self, template: str, streams: tuple[str, ...], read: t.Callable[[], T]) -> T:
        """A read *streams* cannot do without; refused, those streams are skipped."""
        try:
            return self.adapter.permissions.core(Core(streams, SCOPES[template]), read)
        except StreamUnavailableError:
            self._refused.add(template)
            raise

    def optional(self, template: str, read: t.Callable[[], T]) -> T | None:
        """A read that only fills columns; refused once, `Permissions` asks it no more.

        Nor is a resource already refused as a stream's core read asked for again.
        """
        if template in self._refused:
            return None
        return self.adapter.permissions.optional(ENRICHMENTS[template], read)

    def check(self) -> None:
        """Get a token and read one event."""
        self.api.get(EVENTS_PATH, {"limit": 1})

    def access_probes(self) -> list[Probe]:
        """One `limit=1` read per resource, each naming its scope.

        The per-survey resources are probed on a survey that has a response (found by the
        responses probe); with no response anywhere, they are not asked.
        """
        everything = ("events", *COLLECTIONS)
        probes = [
            Probe(everything, SCOPES[EVENTS_PATH], partial(self._probe, EVENTS_PATH)),
            Probe(("events",), SCOPES[SESSIONS_PATH], partial(self._probe, SESSIONS_PATH), True),
        ]
        probes += [
            Probe((stream,), SCOPES[path], partial(self._probe, path))
            for path, stream in CORE_OF.items()
        ]
        probes += [
            Probe(("survey_responses",), SCOPES[path], partial(self._probe, path), True)
            for path in (SURVEYS_PATH, QUESTIONS_PATH, RESPONDENTS_PATH)
        ]
        return probes

    def _probe(self, template: str) -> None:
        if template == RESPONSES_PATH:
            rows = self.api.get(RESPONSES_PATH, {"limit": 1}).get("data") or []
            if rows and isinstance(rows[0], dict):
                event_id, survey_id = _ref_id(rows[0], "event"), _ref_id(rows[0], "survey")
                if event_id and survey_id:
                    self._sample = (str(event_id), str(survey_id))
            return
        if "{" not in template:
            self.api.get(template, {"limit": 1})
        elif self._sample is not None:
            event_id, survey_id = self._sample
            path = template.format(event_id=event_id, survey_id=survey_id)
            self.api.get(path, {"limit": 1})

    def list_events(self) -> list[EventRef]:
        """Every event; the listing cannot tell activity, so each is read every run."""
        streams = ("events", *COLLECTIONS)
        events = self.core(EVENTS_PATH, streams, partial(self.read_all, EVENTS_PATH, {}))
        return [
            EventRef(str(event["id"]), marker=None, listing=event, marker_known=False)
            for event in events
        ]

    def prepare(self, windows: t.Mapping[str, Window]) -> None:
        """Read each activity collection from the earliest window of the run on."""
        self._earliest = min((w.start for w in windows.values()), default=None)

    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        """The event and the records of its window, from the run's account-wide reads."""
        event_id = ref.event_id
        schedule = self.sessions(event_id)
        bundle = EventBundle(event=self.event_record(ref.listing, schedule))
        if not wanted:
            return bundle
        activity = self.activity(wanted)
        changed = activity.of(event_id, window.start - AFTER_SLACK)
        attendance = changed[ATTENDANCE_PATH] if "registrant_sessions" in wanted else []
        responses = changed[RESPONSES_PATH] if "survey_responses" in wanted else []
        viewed = durations = changed[DURATIONS_PATH] if "viewers" in wanted else []
        if viewed and window.since is not None:  # earlier durations count in the totals too
            durations = self.event_durations(event_id, viewed)
        respondents = self.respondents_of(event_id, responses)
        named = {_ref_id(r, "attendee") for r in attendance + durations}
        named |= {_ref_id(r, "attendee") for r in respondents.values() if r}
        contacts = {
            _ref_id(r, "contact") for r in respondents.values() if r and not _ref_id(r, "attendee")
        }
        people = activity.people_of(event_id, _ids(named), _ids(contacts))
        children: list[tuple[str, Row]] = []
        sessions = {str(s["id"]): s for s in schedule or []}
        for row in attendance:
            children.append(("registrant_sessions", self.session_record(row, people, sessions)))
        for record in self.viewer_records(event_id, viewed, durations, people):
            children.append(("viewers", record))
        if responses:
            details = self.surveys(event_id, responses)
            for row in responses:
                record = self.response_record(row, details, respondents, people)
                children.append(("survey_responses", record))
        if "registrants" in wanted:
            emitted = {str(a["id"]) for a in changed[ATTENDEES_PATH]}
            # Attendees whom activity names but who did not change are emitted too, so every
            # registrant id refers to a registrants record of this event.
            named_ids = sorted({str(r["registrant_id"]) for _, r in children} - emitted)
            extra = [people.by_id[i] for i in named_ids if i in people.by_id]
            for attendee in [*changed[ATTENDEES_PATH], *extra]:
                bundle.add("registrants", self.registrant_record(event_id, attendee))
        for stream, record in children:
            bundle.add(stream, self.adapter.record(event_id, **record))
        return bundle

    # ------------------------------------------------------------------ run-wide reads

    def sessions(self, event_id: str) -> list[Row] | None:
        """The event's sessions, from one account-wide read per run; None when refused."""
        with self.lock:
            if self._sessions is None:
                grouped: dict[str, list[Row]] = defaultdict(list)
                rows = self.optional(SESSIONS_PATH, partial(self.read_all, SESSIONS_PATH, {}))
                if rows is None:
                    return None
                for session in rows:
                    grouped[str(_ref_id(session, "event"))].append(session)
                self._sessions = grouped
            return self._sessions.get(event_id, [])

    def activity(self, wanted: frozenset[str]) -> Activity:
        """Every record changed since the run's earliest window, each collection read once."""
        with self.lock:
            paths = sorted({p for stream in wanted for p in COLLECTIONS.get(stream, ())})
            for path in paths:
                if path in self._activity.collections or path in self._refused:
                    continue
                read = partial(self.read_all, path, self._activity_params())
                if CORE_OF[path] in wanted:
                    rows: list[Row] | None = self.core(path, (CORE_OF[path],), read)
                else:
                    rows = self.optional(path, read)
                if rows is not None:
                    self._activity.add(path, rows)
            return self._activity

    def _activity_params(self) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {}
        if self._earliest is not None:
            params["after"] = _iso(self._earliest - AFTER_SLACK)
        if self.settings.end_date is not None:
            params["before"] = _iso(self.settings.end_date)
        return params

    def event_durations(self, event_id: str, changed: list[Row]) -> list[Row]:
        """All of an event's durations, read again in full for the viewers' totals."""
        read = partial(self.read_all, DURATIONS_PATH, {"filter": _event_filter(event_id)})
        rows = self.core(DURATIONS_PATH, ("viewers",), read)
        return rows or changed

    def respondents_of(self, event_id: str, responses: list[Row]) -> dict[str, Row | None]:
        """The respondent record of each response's respondent, by respondent id.

        One read of each answered survey's respondent list (200 a page), once per run.
        None for a respondent the list lacks, or for all when the scope is refused.
        """
        found: dict[str, Row | None] = {}
        for survey_id in _survey_ids(responses):
            listed = self.survey_respondents(event_id, survey_id)
            for row in responses:
                if str(_ref_id(row, "survey")) == survey_id:
                    respondent_id = str(_ref_id(row, "respondent"))
                    found[respondent_id] = (listed or {}).get(respondent_id)
        return found

    def survey_respondents(self, event_id: str, survey_id: str) -> dict[str, Row] | None:
        """One survey's respondents by id, read once per run; None when refused."""
        key = (event_id, survey_id)
        if key not in self._respondents:
            path = RESPONDENTS_PATH.format(event_id=event_id, survey_id=survey_id)
            rows = self.optional(RESPONDENTS_PATH, partial(self.read_all, path, {}))
            self._respondents[key] = None if rows is None else {str(r["id"]): r for r in rows}
        return self._respondents[key]

    def surveys(self, event_id: str, responses: list[Row]) -> dict[str, Row]:
        """Survey and question details by id, for the surveys that *responses* answer."""
        details: dict[str, Row] = {}
        path = SURVEYS_PATH.format(event_id=event_id)
        for survey in self.optional(SURVEYS_PATH, partial(self.read_all, path, {})) or []:
            details[str(survey["id"])] = survey
        for survey_id in _survey_ids(responses):
            path = QUESTIONS_PATH.format(event_id=event_id, survey_id=survey_id)
            for question in self.optional(QUESTIONS_PATH, partial(self.read_all, path, {})) or []:
                details[str(question["id"])] = question
        return details

    # --------------------------------------------------------------------- mapping

    def event_record(self, event: t.Mapping[str, t.Any], sessions: list[Row] | None) -> Row:
        """The unified events record; its bookmark is left to the sync engine."""
        url = self.base_url + EVENTS_PATH
        columns, extra = map_fields(url, event, EVENT_FIELDS)
        category = event.get("category")
        links = event.get("_links")
        registration = links.get("registration") if isinstance(links, dict) else None
        slots = None
        if sessions is not None:
            slots = sorted(
                (
                    {
                        "session_id": n.identifier(s.get("id")),
                        "scheduled_at": _timestamp(self.base_url + SESSIONS_PATH, s, "start"),
                    }
                    for s in sessions
                ),
                key=lambda s: (s["scheduled_at"] or "", s["session_id"] or ""),
            )
            extra["sessions"] = sessions
        status = n.text(event.get("eventStatus"))
        return self.adapter.record(
            str(columns.pop("event_id")),
            **columns,
            category=n.text(category.get("name")) if isinstance(category, dict) else None,
            registration_url=n.text(registration.get("href"))
            if isinstance(registration, dict)
            else None,
            is_expired=status in ("Completed", "Cancelled", "Archived") if status else None,
            sessions=slots,
            extra=extra,
        )

    def registrant_record(self, event_id: str, attendee: Row) -> Row:
        """A registrant: the attendee, its contact and work address flattened."""
        url = self.base_url + ATTENDEES_PATH
        columns, extra = map_fields(url, attendee, ATTENDEE_FIELDS, consumed=("event", "contact"))
        contact = _object(attendee.get("contact"))
        person, contact_extra = map_fields(url, contact, CONTACT_FIELDS, consumed=("workAddress",))
        address, address_extra = map_fields(
            url, _object(contact.get("workAddress")), ADDRESS_FIELDS
        )
        if address_extra:
            contact_extra["workAddress"] = address_extra
        extra["contact"] = contact_extra
        status = n.text(attendee.get("status")) or ""
        answers = {
            str(q.get("name")): _joined(q.get("value"))
            for q in attendee.get("questions") or []
            if isinstance(q, dict) and q.get("name")
        }
        return self.adapter.record(
            event_id,
            **columns,
            **person,
            **address,
            status="attended" if columns.get("attended") else STATUSES.get(status, status.lower()),
            custom_fields=answers or None,
            extra=extra,
        )

    def session_record(self, row: Row, people: People, schedule: t.Mapping[str, Row] | None) -> Row:
        """A registrant's check-in to one session (in person or virtual): its columns."""
        url = self.base_url + ATTENDANCE_PATH
        columns, extra = map_fields(url, row, ATTENDANCE_FIELDS, consumed=REFERENCES)
        session_id = n.identifier(_ref_id(row, "session"))
        session = (schedule or {}).get(str(session_id))
        registrant_id = people.registrant(_ref_id(row, "attendee"))
        if registrant_id is None:
            extra["attendee"] = row.get("attendee")  # an attendee the event does not list
        if session is None:
            kind = None
        else:
            kind = "live" if _flag(self.base_url + SESSIONS_PATH, session, "virtual") else "other"
        return {
            **columns,
            "registrant_id": registrant_id,
            "email": people.email(registrant_id),
            "session_type": kind,
            "webinar_session_id": session_id,
            "scheduled_at": _timestamp(url, session, "start") if session else None,
            "attended": not _flag(url, row, "deleted"),
            "time_zone": n.text(session.get("timezone")) if session else None,
            "extra": extra,
        }

    def viewer_records(
        self, event_id: str, changed: list[Row], durations: list[Row], people: People
    ) -> t.Iterator[Row]:
        """Per attendee with changed durations, totals over all their durations in the event."""
        url = self.base_url + DURATIONS_PATH
        viewers = {str(_ref_id(d, "attendee")) for d in changed}
        by_viewer: dict[str, list[Row]] = defaultdict(list)
        for row in durations:
            viewer = str(_ref_id(row, "attendee"))
            if viewer in viewers and not _flag(url, row, "deleted"):
                by_viewer[viewer].append(row)
        unknown = sorted(v for v in by_viewer if people.registrant(v) is None)
        if unknown:
            self.adapter.logger.warning(
                "cvent: %d viewer(s) of event %s are not among its attendees (%s): their "
                "attendance durations give no viewers record",
                len(unknown),
                event_id,
                ", ".join(unknown[:5]),
            )
        for viewer_id, rows in sorted(by_viewer.items()):
            if viewer_id not in unknown:
                yield self.viewer_record(viewer_id, rows, people)

    def viewer_record(self, viewer_id: str, rows: list[Row], people: People) -> Row:
        """Engagement totals over all of an attendee's duration records in the event."""
        url = self.base_url + DURATIONS_PATH
        totals = viewer_totals(
            Viewing(
                kind=DURATION_KINDS.get(str(row.get("type")), "other"),
                seconds=_milliseconds(url, row) or 0,
                started_at=_timestamp(url, row, "firstSeen"),
                ended_at=_timestamp(url, row, "lastSeen"),
            )
            for row in rows
        )
        # Time of other types counts in the total only; its sums stay in `extra`.
        extra = {
            "other_seconds": totals.pop("other_seconds"),
            "other_count": totals.pop("other_session_count"),
            "duration_ids": sorted(str(r.get("id")) for r in rows),
        }
        modified = [_timestamp(url, r, "lastModified") for r in rows]
        latest = max((m for m in modified if m), default=None)
        return {
            "registrant_id": viewer_id,
            "email": people.email(viewer_id),
            **totals,
            "updated_at": latest,
            "extra": extra,
        }

    def response_record(
        self,
        row: Row,
        details: t.Mapping[str, Row],
        respondents: t.Mapping[str, Row | None],
        people: People,
    ) -> Row:
        """One answer to one survey question; choices are given their text."""
        columns, extra = map_fields(
            self.base_url + RESPONSES_PATH, row, RESPONSE_FIELDS, consumed=(*REFERENCES, "answers")
        )
        survey_id = n.identifier(_ref_id(row, "survey"))
        question_id = n.identifier(_ref_id(row, "question"))
        survey = details.get(str(survey_id)) or {}
        question = details.get(str(question_id)) or {}
        choices = {str(c.get("id")): c.get("text") for c in _list(question.get("choices"))}
        answers = []
        for answer in _list(row.get("answers")):
            choice = _ref_id(answer, "choice")
            value = choices.get(str(choice)) if choice else answer.get("value")
            if n.text(value) is not None:
                answers.append(str(value).strip())
        extra["answers"] = row.get("answers")
        if row.get("session"):
            extra["session"] = row.get("session")
        # The respondent is not the attendee: its respondent record says which attendee (or
        # contact) it is; the original reference stays in `extra`.
        extra["respondent"] = row.get("respondent")
        respondent = respondents.get(str(_ref_id(row, "respondent")))
        registrant_id = None
        if respondent is not None:
            registrant_id = people.registrant(_ref_id(respondent, "attendee"))
            if registrant_id is None:
                registrant_id = people.registrant_of_contact(_ref_id(respondent, "contact"))
        return {
            **columns,
            "registrant_id": registrant_id,
            "email": people.email(registrant_id),
            "kind": "survey",
            "survey_id": survey_id,
            "survey_name": n.text(survey.get("title")),
            "survey_type": n.text(survey.get("type")),
            "question_id": question_id,
            "question": n.text(question.get("text")),
            "question_type": n.text(question.get("type")),
            "answer": "; ".join(answers) or None,
            "answers": answers,
            "extra": extra,
        }


@dataclass
class People:
    """One event's attendees, to check and resolve the registrant ids activity names.

    `known` is False when the attendee list could not be read (its scope refused): ids are
    then passed on as the platform gives them, unchecked.
    """

    by_id: dict[str, Row] = field(default_factory=dict)
    known: bool = True
    by_contact: dict[str, str] = field(default_factory=dict)
    whole: bool = False  # every attendee of the event, not only those changed

    @classmethod
    def of(cls, attendees: list[Row], *, whole: bool = False) -> People:
        """The attendees by id and by contact id."""
        by_id = {str(a["id"]): a for a in attendees}
        contacts = {
            str(_ref_id(a, "contact")): i for i, a in by_id.items() if _ref_id(a, "contact")
        }
        return cls(by_id, by_contact=contacts, whole=whole)

    def covers(self, attendee_ids: set[str], contact_ids: set[str]) -> bool:
        """Whether every one of these attendees and contacts is known here."""
        return attendee_ids <= self.by_id.keys() and contact_ids <= self.by_contact.keys()

    def registrant(self, attendee_id: t.Any) -> str | None:
        """The registrant id of *attendee_id*: itself if the event lists it, else None."""
        found = n.identifier(attendee_id)
        if found is None or not self.known:
            return found
        return found if found in self.by_id else None

    def registrant_of_contact(self, contact_id: t.Any) -> str | None:
        """The event's attendee who is *contact_id*, if any."""
        return self.by_contact.get(str(contact_id)) if contact_id is not None else None

    def email(self, registrant_id: str | None) -> str | None:
        """The registrant's email, when the attendee list was read."""
        attendee = self.by_id.get(str(registrant_id)) if registrant_id else None
        return n.text(_object(attendee.get("contact")).get("email")) if attendee else None


class Activity:
    """The run's account-wide reads of changed records, grouped by event."""

    def __init__(self, reader: RestReader) -> None:
        self.reader = reader
        self.collections: set[str] = set()
        self.by_event: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        self._people: dict[str, People] = {}

    def add(self, path: str, rows: list[Row]) -> None:
        """File one collection's records under their events."""
        for row in rows:
            event_id = n.identifier(_ref_id(row, "event"))
            if event_id is None:
                raise PayloadError(self.reader.base_url + path, "a record names no event.id")
            self.by_event[event_id][path].append(row)
        self.collections.add(path)

    def of(self, event_id: str, since: datetime) -> dict[str, list[Row]]:
        """The event's records changed after *since*, per collection."""
        grouped = self.by_event.get(event_id, {})
        return {
            path: [
                r
                for r in grouped.get(path, [])
                if _modified_after(self.reader.base_url + path, r, since)
            ]
            for path in COLLECTIONS_ALL
        }

    def people_of(self, event_id: str, named: set[str], contacts: set[str]) -> People:
        """The event's attendees as far as activity needs them.

        When activity names an attendee (or a respondent's contact) the run did not read,
        the event's attendees are read whole (`filter=event.id eq`): one request per 200
        people, instead of one per person.
        """
        reader = self.reader
        with reader.lock:
            if ATTENDEES_PATH not in self.collections:
                return People(known=False)
            people = self._people.get(event_id)
            if people is None or not (people.whole or people.covers(named, contacts)):
                changed = self.by_event.get(event_id, {}).get(ATTENDEES_PATH, [])
                people = People.of(changed)
                if not people.covers(named, contacts):
                    params = {"filter": _event_filter(event_id)}
                    read = partial(reader.read_all, ATTENDEES_PATH, params)
                    rows = reader.optional(ATTENDEES_PATH, read)
                    if rows is None:
                        return People(known=False)
                    people = People.of(rows, whole=True)
                self._people[event_id] = people
            return people


def _ids(values: set[t.Any]) -> set[str]:
    return {str(v) for v in values if n.identifier(v) is not None}


def _survey_ids(responses: list[Row]) -> list[str]:
    return sorted({str(_ref_id(r, "survey")) for r in responses if _ref_id(r, "survey")})


def _event_filter(event_id: str) -> str:
    return f"event.id eq '{event_id}'"


def _ref_id(row: t.Mapping[str, t.Any] | None, key: str) -> t.Any:
    value = row.get(key) if isinstance(row, dict) else None
    return value.get("id") if isinstance(value, dict) else None


def _required_id(endpoint: str, row: Row) -> str:
    found = n.identifier(row.get("id"))
    if found is None:
        raise PayloadError(endpoint, "a record without its id")
    return found


def _object(value: t.Any) -> dict[str, t.Any]:
    return value if isinstance(value, dict) else {}


def _list(value: t.Any) -> list[t.Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _joined(value: t.Any) -> t.Any:
    if isinstance(value, list):
        items = [str(v) for v in value if n.text(v) is not None]
        return items[0] if len(items) == 1 else (items or None)
    return n.text(value)


def _flag(endpoint: str, row: t.Mapping[str, t.Any], key: str) -> bool:
    """A yes/no field (`"false"` is no); anything else fails naming the endpoint."""
    try:
        return bool(n.boolean(row.get(key)))
    except ValueError as error:
        raise PayloadError(endpoint, f"field {key!r}: {error}") from None


def _timestamp(endpoint: str, row: t.Mapping[str, t.Any], key: str) -> str | None:
    try:
        return n.timestamp(row.get(key))
    except (TypeError, ValueError) as error:
        raise PayloadError(endpoint, f"field {key!r}: {error}") from None


def _milliseconds(endpoint: str, row: t.Mapping[str, t.Any]) -> int | None:
    try:
        return n.seconds_from_milliseconds(row.get("duration"))
    except (TypeError, ValueError) as error:
        raise PayloadError(endpoint, f"field 'duration': {error}") from None


def _modified_after(endpoint: str, row: t.Mapping[str, t.Any], since: datetime) -> bool:
    modified = _timestamp(endpoint, row, "lastModified")
    return not modified or n.parse_timestamp(modified) > since


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
