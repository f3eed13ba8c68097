"""Cvent REST platform API (reference: cvent-rest-openapi.yaml, reference/README.md).

Endpoints, as data (all under `https://api-platform.cvent.com/ea`, EU `-eur`):
    POST /oauth2/token                 Basic client id/secret, grant_type=client_credentials
    GET  /events                       every event of the account
    GET  /sessions                     every session (agenda item), for the events' schedules
    GET  /attendees                    registrants, `after`/`before` on lastModified
    GET  /sessions/attendance          session check-in/out          -> registrant_sessions
    GET  /attendance-durations         live / on-demand engagement   -> viewers
    GET  /events/surveys/responses     survey answers of all events  -> survey_responses
    GET  /events/{id}/surveys, /events/{id}/surveys/{surveyId}/questions   survey and question text
Paging: `{paging: {nextToken, limit, totalCount}, data: [...]}`; the next page is asked with
`token=<nextToken>` alone (it overrides every other parameter); `limit` at most 200.
Limits: tiers allow 2, 10 or 25 calls a second; 429 `{"code":429,"message":"Limit Exceeded"}`.

Change detection: an event's `lastModified` moves with edits of the event, not with its
attendees, so the listing cannot tell activity (`marker_known=False`, as WebinarFuel). Instead
of reading each event, the reader reads each activity collection once per run, account-wide,
for records changed since the earliest window of the run (`after`), and hands each event the
records of its own window: an unchanged run costs the token, the listings and four empty
reads, however many events there are. The REST API has no Q&A: `questions` stays empty.
"""

from __future__ import annotations

import threading
import typing as t
from collections import defaultdict
from datetime import datetime, timedelta

from tap_webinars import normalize as n
from tap_webinars.client import ClientCredentialsToken, JsonApi, NextTokenPaginator
from tap_webinars.http import RateLimit
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
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

# Which account-wide collection each child stream needs.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "registrants": (ATTENDEES_PATH,),
    "registrant_sessions": (ATTENDANCE_PATH, ATTENDEES_PATH),
    "viewers": (DURATIONS_PATH, ATTENDEES_PATH),
    "survey_responses": (RESPONSES_PATH, ATTENDEES_PATH),
}
COLLECTIONS_ALL = (ATTENDEES_PATH, ATTENDANCE_PATH, DURATIONS_PATH, RESPONSES_PATH)

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
        self._lock = threading.Lock()
        self._activity: Activity | None = None
        self._earliest: datetime | None = None
        self._sessions: dict[str, list[Row]] | None = None

    def paged(self, path: str, params: t.Mapping[str, t.Any]) -> t.Iterator[Row]:
        """Every record of a collection, following `paging.nextToken`."""
        paginator = NextTokenPaginator(
            "data",
            jsonpath=CURSOR_PATH,
            token_param=CURSOR_PARAM,
            first_params={"limit": PAGE_LIMIT},
        )
        return self.api.paged(path, params, paginator)

    def check(self) -> None:
        """Get a token and read one event."""
        self.api.get(EVENTS_PATH, {"limit": 1})

    def list_events(self) -> list[EventRef]:
        """Every event; the listing cannot tell activity, so each is read every run."""
        return [
            EventRef(str(event["id"]), marker=None, listing=event, marker_known=False)
            for event in self.paged(EVENTS_PATH, {})
        ]

    def prepare(self, windows: t.Mapping[str, Window]) -> None:
        """Read each activity collection from the earliest window of the run on."""
        self._earliest = min((w.start for w in windows.values()), default=None)

    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        """The event and the records of its window, from the run's account-wide reads."""
        bundle = EventBundle(event=self.event_record(ref.listing, self.sessions(ref.event_id)))
        if not wanted:
            return bundle
        activity = self.activity(wanted)
        changed = activity.of(ref.event_id, window.start - AFTER_SLACK)
        attendees = activity.attendees_of(ref.event_id)
        if "registrants" in wanted:
            for attendee in changed[ATTENDEES_PATH]:
                bundle.add("registrants", self.registrant_record(ref.event_id, attendee))
        if "registrant_sessions" in wanted:
            schedule = {s["id"]: s for s in self.sessions(ref.event_id)}
            for row in changed[ATTENDANCE_PATH]:
                bundle.add(
                    "registrant_sessions",
                    self.session_record(ref.event_id, row, attendees, schedule),
                )
        if "viewers" in wanted and changed[DURATIONS_PATH]:
            durations = changed[DURATIONS_PATH]
            if window.since is not None:  # earlier durations count in the totals too
                durations = list(self.paged(DURATIONS_PATH, {"filter": _event_filter(ref)}))
            viewers = {_ref_id(d, "attendee") for d in changed[DURATIONS_PATH]}
            by_viewer: dict[str, list[Row]] = defaultdict(list)
            for row in durations:
                if _ref_id(row, "attendee") in viewers and not row.get("deleted"):
                    by_viewer[str(_ref_id(row, "attendee"))].append(row)
            for viewer_id, rows in sorted(by_viewer.items()):
                bundle.add("viewers", self.viewer_record(ref.event_id, viewer_id, rows, attendees))
        if "survey_responses" in wanted and changed[RESPONSES_PATH]:
            surveys = self.surveys(ref.event_id, changed[RESPONSES_PATH])
            for row in changed[RESPONSES_PATH]:
                bundle.add(
                    "survey_responses", self.response_record(ref.event_id, row, surveys, attendees)
                )
        return bundle

    # ------------------------------------------------------------------ run-wide reads

    def sessions(self, event_id: str) -> list[Row]:
        """The event's sessions, from one account-wide read per run."""
        with self._lock:
            if self._sessions is None:
                grouped: dict[str, list[Row]] = defaultdict(list)
                for session in self.paged(SESSIONS_PATH, {}):
                    grouped[str(_ref_id(session, "event"))].append(session)
                self._sessions = grouped
            return self._sessions.get(event_id, [])

    def activity(self, wanted: frozenset[str]) -> Activity:
        """Every record changed since the run's earliest window, read once per run."""
        with self._lock:
            if self._activity is None:
                paths = sorted({p for stream in wanted for p in COLLECTIONS.get(stream, ())})
                params: dict[str, t.Any] = {}
                if self._earliest is not None:
                    params["after"] = _iso(self._earliest - AFTER_SLACK)
                if self.settings.end_date is not None:
                    params["before"] = _iso(self.settings.end_date)
                self._activity = Activity(self, {p: list(self.paged(p, params)) for p in paths})
            return self._activity

    def surveys(self, event_id: str, responses: list[Row]) -> dict[str, Row]:
        """Survey and question details by id, for the surveys that *responses* answer."""
        details: dict[str, Row] = {}
        for survey in self.paged(SURVEYS_PATH.format(event_id=event_id), {}):
            details[str(survey["id"])] = survey
        for survey_id in sorted({str(_ref_id(r, "survey")) for r in responses}):
            path = QUESTIONS_PATH.format(event_id=event_id, survey_id=survey_id)
            for question in self.paged(path, {}):
                details[str(question["id"])] = question
        return details

    # --------------------------------------------------------------------- mapping

    def event_record(self, event: t.Mapping[str, t.Any], sessions: list[Row]) -> Row:
        """The unified events record; its bookmark is left to the sync engine."""
        columns, extra = map_fields(self.base_url + EVENTS_PATH, event, EVENT_FIELDS)
        category = event.get("category")
        links = event.get("_links") or {}
        slots = sorted(
            (
                {
                    "session_id": n.identifier(s.get("id")),
                    "scheduled_at": n.timestamp(s.get("start")),
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
            registration_url=n.text((links.get("registration") or {}).get("href")),
            is_expired=status in ("Completed", "Cancelled", "Archived") if status else None,
            sessions=slots,
            extra=extra,
        )

    def registrant_record(self, event_id: str, attendee: Row) -> Row:
        """A registrant: the attendee, its contact and work address flattened."""
        url = self.base_url + ATTENDEES_PATH
        columns, extra = map_fields(url, attendee, ATTENDEE_FIELDS, consumed=("event", "contact"))
        contact = attendee.get("contact") or {}
        person, contact_extra = map_fields(url, contact, CONTACT_FIELDS, consumed=("workAddress",))
        address, address_extra = map_fields(url, contact.get("workAddress") or {}, ADDRESS_FIELDS)
        if address_extra:
            contact_extra["workAddress"] = address_extra
        extra["contact"] = contact_extra
        status = str(attendee.get("status") or "")
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

    def session_record(
        self,
        event_id: str,
        row: Row,
        attendees: t.Mapping[str, Row],
        schedule: t.Mapping[str, Row],
    ) -> Row:
        """A registrant's check-in to one session (in person or virtual)."""
        columns, extra = map_fields(
            self.base_url + ATTENDANCE_PATH, row, ATTENDANCE_FIELDS, consumed=REFERENCES
        )
        registrant_id = n.identifier(_ref_id(row, "attendee"))
        session_id = n.identifier(_ref_id(row, "session"))
        session = schedule.get(str(session_id)) or {}
        return self.adapter.record(
            event_id,
            **columns,
            registrant_id=registrant_id,
            email=_email(attendees.get(str(registrant_id))),
            session_type="live" if session.get("virtual") else "other",
            webinar_session_id=session_id,
            scheduled_at=n.timestamp(session.get("start")),
            attended=not row.get("deleted"),
            time_zone=n.text(session.get("timezone")),
            extra=extra,
        )

    def viewer_record(
        self, event_id: str, viewer_id: str, rows: list[Row], attendees: t.Mapping[str, Row]
    ) -> Row:
        """Engagement totals over all of an attendee's duration records in the event."""
        totals = viewer_totals(
            Viewing(
                kind=DURATION_KINDS.get(str(row.get("type")), "other"),
                seconds=n.seconds_from_milliseconds(row.get("duration")) or 0,
                started_at=n.timestamp(row.get("firstSeen")),
                ended_at=n.timestamp(row.get("lastSeen")),
            )
            for row in rows
        )
        # Time of other types counts in the total only; its sums stay in `extra`.
        extra = {
            "other_seconds": totals.pop("other_seconds"),
            "other_count": totals.pop("other_session_count"),
            "duration_ids": sorted(str(r.get("id")) for r in rows),
        }
        modified = [n.parse_timestamp(r["lastModified"]) for r in rows if r.get("lastModified")]
        return self.adapter.record(
            event_id,
            registrant_id=viewer_id,
            email=_email(attendees.get(viewer_id)),
            **totals,
            updated_at=n.format_timestamp(max(modified)) if modified else None,
            extra=extra,
        )

    def response_record(
        self,
        event_id: str,
        row: Row,
        details: t.Mapping[str, Row],
        attendees: t.Mapping[str, Row],
    ) -> Row:
        """One answer to one survey question; choices are given their text."""
        columns, extra = map_fields(
            self.base_url + RESPONSES_PATH, row, RESPONSE_FIELDS, consumed=(*REFERENCES, "answers")
        )
        survey_id = n.identifier(_ref_id(row, "survey"))
        question_id = n.identifier(_ref_id(row, "question"))
        survey = details.get(str(survey_id)) or {}
        question = details.get(str(question_id)) or {}
        choices = {str(c.get("id")): c.get("text") for c in question.get("choices") or []}
        answers = []
        for answer in row.get("answers") or []:
            choice = _ref_id(answer, "choice")
            value = choices.get(str(choice)) if choice else answer.get("value")
            if n.text(value) is not None:
                answers.append(str(value).strip())
        extra["answers"] = row.get("answers")
        if row.get("session"):
            extra["session"] = row.get("session")
        registrant_id = n.identifier(_ref_id(row, "respondent"))
        return self.adapter.record(
            event_id,
            **columns,
            registrant_id=registrant_id,
            email=_email(attendees.get(str(registrant_id))),
            kind="survey",
            survey_id=survey_id,
            survey_name=n.text(survey.get("title")),
            survey_type=n.text(survey.get("type")),
            question_id=question_id,
            question=n.text(question.get("text")),
            question_type=n.text(question.get("type")),
            answer="; ".join(answers) or None,
            answers=answers,
            extra=extra,
        )


class Activity:
    """The run's account-wide reads of changed records, grouped by event."""

    def __init__(self, reader: RestReader, collections: dict[str, list[Row]]) -> None:
        self.reader = reader
        self.by_event: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
        for path, rows in collections.items():
            for row in rows:
                self.by_event[str(_ref_id(row, "event"))][path].append(row)
        self._attendees: dict[str, dict[str, Row]] = {}
        self._lock = threading.Lock()

    def of(self, event_id: str, since: datetime) -> dict[str, list[Row]]:
        """The event's records changed after *since*, per collection."""
        grouped = self.by_event.get(event_id, {})
        return {
            path: [r for r in grouped.get(path, []) if _modified_after(r, since)]
            for path in COLLECTIONS_ALL
        }

    def attendees_of(self, event_id: str) -> dict[str, Row]:
        """Attendees of the event by id, for emails of activity whose attendee did not change.

        When activity names an attendee the run did not read, the event's attendees are read
        whole (`filter=event.id eq`): one request per 200 people, instead of one per person.
        """
        with self._lock:
            if event_id in self._attendees:
                return self._attendees[event_id]
            grouped = self.by_event.get(event_id, {})
            known = {str(a["id"]): a for a in grouped.get(ATTENDEES_PATH, [])}
            named = {
                str(_ref_id(r, key))
                for path, key in ((ATTENDANCE_PATH, "attendee"), (DURATIONS_PATH, "attendee"))
                for r in grouped.get(path, [])
            } | {str(_ref_id(r, "respondent")) for r in grouped.get(RESPONSES_PATH, [])}
            if named - known.keys():
                params = {"filter": f"event.id eq '{event_id}'"}
                known = {str(a["id"]): a for a in self.reader.paged(ATTENDEES_PATH, params)}
            self._attendees[event_id] = known
            return known


def _event_filter(ref: EventRef) -> str:
    return f"event.id eq '{ref.event_id}'"


def _ref_id(row: t.Mapping[str, t.Any], key: str) -> t.Any:
    value = row.get(key)
    return value.get("id") if isinstance(value, dict) else None


def _email(attendee: t.Mapping[str, t.Any] | None) -> str | None:
    return n.text((attendee.get("contact") or {}).get("email")) if attendee else None


def _joined(value: t.Any) -> t.Any:
    if isinstance(value, list):
        items = [str(v) for v in value if n.text(v) is not None]
        return items[0] if len(items) == 1 else (items or None)
    return n.text(value)


def _modified_after(row: t.Mapping[str, t.Any], since: datetime) -> bool:
    modified = row.get("lastModified")
    return not modified or n.parse_timestamp(modified) > since


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
