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
of reading each event, the adapter reads each activity collection once per run, account-wide,
for records changed since the earliest window of the run (`after`), and hands each event the
records of its own window: an unchanged run costs the token, the listings and four empty
reads, however many events there are. The REST API has no Q&A: `questions` stays empty.

The Conference API (`cvent_api: conference`) is not supported by this version.
"""

from __future__ import annotations

import threading
import time
import typing as t
from collections import defaultdict
from datetime import datetime, timedelta

import requests
from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars import redaction
from tap_webinars.errors import (
    AuthenticationError,
    PayloadError,
    RequestFailedError,
    SettingsError,
)
from tap_webinars.http import HttpPolicy, RateLimit
from tap_webinars.platforms.base import (
    EventBundle,
    EventRef,
    PlatformAdapter,
    Window,
    map_fields,
    require_key,
)
from tap_webinars.settings import Settings

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
# Paced for the lowest documented usage tier (Free: 2 calls a second, max burst 1): one
# call every 0.55 s, a 10% margin for network jitter. The tap cannot know an account's tier
# without spending calls; on a faster tier it only loses speed, never gets a 429 storm.
RATE_LIMIT = RateLimit(calls=1, period=0.55)
# Renew the access token this long before it expires (it lasts 3,600 s).
TOKEN_MARGIN_SECONDS = 60.0
# `after` is exclusive and timestamps are read at second precision: start one second early.
AFTER_SLACK = timedelta(seconds=1)

# Which account-wide collection each child stream needs.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "registrants": (ATTENDEES_PATH,),
    "registrant_sessions": (ATTENDANCE_PATH, ATTENDEES_PATH),
    "viewers": (DURATIONS_PATH, ATTENDEES_PATH),
    "survey_responses": (RESPONSES_PATH, ATTENDEES_PATH),
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
# Attendance-duration type -> viewer column; in-person and edited time counts in the total only.
DURATION_COLUMNS = {"LIVE": "live", "ON_DEMAND": "on_demand"}
# A reference such as {"id": "..."} is consumed by the mapping that reads it.
REFERENCES = ("event", "session", "attendee", "respondent", "question", "survey")


class CventAdapter(PlatformAdapter):
    """Cvent REST: events, attendees, session attendance, durations and survey responses."""

    name = "cvent"
    title = "Cvent"
    config_properties = (
        th.Property(
            "cvent_api",
            th.StringType,
            default="rest",
            allowed_values=["rest", "conference"],
            description="Cvent API: rest (platform API) or conference (smarteventscloud.com).",
        ),
        th.Property(
            "cvent_event_url",
            th.StringType,
            description="Cvent Conference event site URL (https://EVENT.smarteventscloud.com).",
        ),
        th.Property(
            "cvent_api_token",
            th.StringType,
            secret=True,
            description="Cvent Conference API token.",
        ),
        th.Property("cvent_client_id", th.StringType, description="Cvent REST OAuth2 client id."),
        th.Property(
            "cvent_client_secret",
            th.StringType,
            secret=True,
            description="Cvent REST OAuth2 client secret.",
        ),
        th.Property(
            "cvent_region",
            th.StringType,
            default="na",
            allowed_values=["na", "eu"],
            description="Cvent REST region: na or eu.",
        ),
    )
    url_keys = ("cvent_event_url",)
    simulator = "tap_webinars.sandbox.cvent:CventSimulator"
    account_label = "the REST client id, or the Conference event site's host"
    filled_streams = frozenset(
        {"registrants", "registrant_sessions", "viewers", "survey_responses"}
    )
    # The Free tier allows a burst of one: parallel readers would only queue.
    max_parallel_events = 1

    def __init__(self, settings: Settings, **kwargs: t.Any) -> None:
        # settings.py already refused cvent_api 'conference' before any request.
        super().__init__(settings, **kwargs)
        region = settings.get("cvent_region", "na")
        self.base_url = settings.api_url or API_URLS.get(region, API_URLS["na"])
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._activity_lock = threading.Lock()
        self._activity: Activity | None = None
        self._earliest: datetime | None = None
        self._sessions: dict[str, list[dict[str, t.Any]]] | None = None

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None:
        """REST needs the OAuth client; the Conference API is not supported yet."""
        super().check_config(config)
        api = config.get("cvent_api") or "rest"
        if api == "conference":
            raise SettingsError(
                "cvent_api",
                "'conference' is not supported by this version; set cvent_api to 'rest'",
            )
        require_key(config, "cvent_client_id")
        require_key(config, "cvent_client_secret")

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        """The OAuth client id."""
        return str(config["cvent_client_id"])

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        return HttpPolicy(
            platform=self.name,
            credential_keys=("cvent_client_id", "cvent_client_secret"),
            rate_limit=RATE_LIMIT,
            default_headers={"Accept": "application/json"},
        )

    def check(self) -> None:  # noqa: D102
        self.get(EVENTS_PATH, {"limit": 1})

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:  # noqa: D102
        return [
            EventRef(str(event["id"]), marker=None, listing=event, marker_known=False)
            for event in self.paged(EVENTS_PATH, {})
        ]

    def prepare(self, windows: t.Mapping[str, Window]) -> None:
        """Read each activity collection from the earliest window of the run on."""
        self._earliest = min((w.start for w in windows.values()), default=None)

    def fetch_event(  # noqa: D102
        self, ref: EventRef, window: Window, wanted: frozenset[str]
    ) -> EventBundle:
        bundle = EventBundle(event=self.event_record(ref.listing, self.sessions(ref.event_id)))
        if not wanted:
            return bundle
        activity = self.activity(wanted)
        since = window.start - AFTER_SLACK
        changed = activity.of(ref.event_id, since)
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
            by_viewer: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
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

    def sessions(self, event_id: str) -> list[dict[str, t.Any]]:
        """The event's sessions, from one account-wide read per run."""
        with self._activity_lock:
            if self._sessions is None:
                grouped: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
                for session in self.paged(SESSIONS_PATH, {}):
                    grouped[str(_ref_id(session, "event"))].append(session)
                self._sessions = grouped
            return self._sessions.get(event_id, [])

    def activity(self, wanted: frozenset[str]) -> Activity:
        """Every record changed since the run's earliest window, read once per run."""
        with self._activity_lock:
            if self._activity is None:
                paths = sorted({p for stream in wanted for p in COLLECTIONS.get(stream, ())})
                params: dict[str, t.Any] = {}
                if self._earliest is not None:
                    params["after"] = _iso(self._earliest - AFTER_SLACK)
                if self.settings.end_date is not None:
                    params["before"] = _iso(self.settings.end_date)
                self._activity = Activity(self, {p: list(self.paged(p, params)) for p in paths})
            return self._activity

    def surveys(
        self, event_id: str, responses: list[dict[str, t.Any]]
    ) -> dict[str, dict[str, t.Any]]:
        """Survey and question details by id, for the surveys that *responses* answer."""
        details: dict[str, dict[str, t.Any]] = {}
        for survey in self.paged(SURVEYS_PATH.format(event_id=event_id), {}):
            details[str(survey["id"])] = survey
        for survey_id in sorted({str(_ref_id(r, "survey")) for r in responses}):
            path = QUESTIONS_PATH.format(event_id=event_id, survey_id=survey_id)
            for question in self.paged(path, {}):
                details[str(question["id"])] = question
        return details

    # ------------------------------------------------------------------------ HTTP

    def _access_token(self, *, renew: bool = False) -> str:
        """A valid access token: fetched on first use, renewed before it expires."""
        with self._token_lock:
            if renew or self._token is None or time.monotonic() >= self._token_expires:
                url = self.base_url + TOKEN_PATH
                auth = (
                    str(self.settings.get("cvent_client_id")),
                    str(self.settings.get("cvent_client_secret")),
                )
                try:
                    response = self.http.request(
                        "POST", url, data={"grant_type": "client_credentials"}, auth=auth
                    )
                except RequestFailedError as error:  # OAuth servers may say 400 invalid_client
                    if "invalid_client" in str(error) or "unauthorized_client" in str(error):
                        raise AuthenticationError(
                            f"cvent: credentials refused at {url}; check the settings "
                            "cvent_client_id, cvent_client_secret"
                        ) from None
                    raise
                body = _json(url, response)
                token = body.get("access_token") if isinstance(body, dict) else None
                if not isinstance(token, str) or not token:
                    raise PayloadError(url, "no access_token in the token response")
                redaction.register_secret(token)
                lifetime = float(body.get("expires_in") or 3600)
                margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
                self._token = token
                self._token_expires = time.monotonic() + lifetime - margin
            return self._token

    def get(self, path: str, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """GET one page; on 401 renew the token once (it may have expired early) and retry."""
        url = self.base_url + path
        for attempt in range(2):
            token = self._access_token(renew=attempt > 0)
            try:
                response = self.http.request(
                    "GET", url, params=dict(params), headers={"Authorization": f"Bearer {token}"}
                )
            except AuthenticationError:
                if attempt:
                    raise
                self.logger.info("cvent: access token refused at %s; renewing it", path)
                continue
            body = _json(url, response)
            if not isinstance(body, dict):
                raise PayloadError(url, "expected a JSON object")
            return body
        raise AssertionError("unreachable")

    def paged(self, path: str, params: t.Mapping[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
        """Every record of a collection, following `paging.nextToken`."""
        url = self.base_url + path
        page: t.Mapping[str, t.Any] = {**params, "limit": PAGE_LIMIT}
        while True:
            body = self.get(path, page)
            data, paging = body.get("data"), body.get("paging")
            if not isinstance(data, list) or not isinstance(paging, dict):
                raise PayloadError(url, "expected 'paging' and a 'data' list")
            for item in data:
                if not isinstance(item, dict):
                    raise PayloadError(url, "a 'data' item is not an object")
                yield item
            next_token = paging.get("nextToken")
            if not next_token or not data:
                return
            page = {"token": next_token}

    # --------------------------------------------------------------------- mapping

    def event_record(
        self, event: t.Mapping[str, t.Any], sessions: list[dict[str, t.Any]]
    ) -> dict[str, t.Any]:
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
        return self.record(
            str(columns.pop("event_id")),
            **columns,
            category=n.text(category.get("name")) if isinstance(category, dict) else None,
            registration_url=n.text((links.get("registration") or {}).get("href")),
            is_expired=status in ("Completed", "Cancelled", "Archived") if status else None,
            sessions=slots,
            extra=extra,
        )

    def registrant_record(self, event_id: str, attendee: dict[str, t.Any]) -> dict[str, t.Any]:
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
        return self.record(
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
        row: dict[str, t.Any],
        attendees: t.Mapping[str, dict[str, t.Any]],
        schedule: t.Mapping[str, dict[str, t.Any]],
    ) -> dict[str, t.Any]:
        """A registrant's check-in to one session (in person or virtual)."""
        columns, extra = map_fields(
            self.base_url + ATTENDANCE_PATH, row, ATTENDANCE_FIELDS, consumed=REFERENCES
        )
        registrant_id = n.identifier(_ref_id(row, "attendee"))
        session_id = n.identifier(_ref_id(row, "session"))
        session = schedule.get(str(session_id)) or {}
        attended = not row.get("deleted")
        return self.record(
            event_id,
            **columns,
            registrant_id=registrant_id,
            email=_email(attendees.get(str(registrant_id))),
            session_type="live" if session.get("virtual") else "other",
            webinar_session_id=session_id,
            scheduled_at=n.timestamp(session.get("start")),
            attended=attended,
            time_zone=n.text(session.get("timezone")),
            extra=extra,
        )

    def viewer_record(
        self,
        event_id: str,
        viewer_id: str,
        rows: list[dict[str, t.Any]],
        attendees: t.Mapping[str, dict[str, t.Any]],
    ) -> dict[str, t.Any]:
        """Engagement totals over all of an attendee's duration records in the event."""
        seconds: dict[str, int] = defaultdict(int)
        counts: dict[str, int] = defaultdict(int)
        total = 0
        for row in rows:
            spent = n.seconds_from_milliseconds(row.get("duration")) or 0
            total += spent
            column = DURATION_COLUMNS.get(str(row.get("type")), "other")
            seconds[column] += spent
            counts[column] += 1
        first = [n.parse_timestamp(r["firstSeen"]) for r in rows if r.get("firstSeen")]
        last = [n.parse_timestamp(r["lastSeen"]) for r in rows if r.get("lastSeen")]
        modified = [n.parse_timestamp(r["lastModified"]) for r in rows if r.get("lastModified")]
        return self.record(
            event_id,
            registrant_id=viewer_id,
            email=_email(attendees.get(viewer_id)),
            first_viewed_at=n.format_timestamp(min(first)) if first else None,
            last_viewed_at=n.format_timestamp(max(last)) if last else None,
            live_seconds=seconds["live"],
            on_demand_seconds=seconds["on_demand"],
            simlive_seconds=0,
            total_seconds=total,
            live_session_count=counts["live"],
            on_demand_session_count=counts["on_demand"],
            simlive_session_count=0,
            updated_at=n.format_timestamp(max(modified)) if modified else None,
            extra={
                "other_seconds": seconds["other"],
                "other_count": counts["other"],
                "duration_ids": sorted(str(r.get("id")) for r in rows),
            },
        )

    def response_record(
        self,
        event_id: str,
        row: dict[str, t.Any],
        details: t.Mapping[str, dict[str, t.Any]],
        attendees: t.Mapping[str, dict[str, t.Any]],
    ) -> dict[str, t.Any]:
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
        return self.record(
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

    def __init__(
        self, adapter: CventAdapter, collections: dict[str, list[dict[str, t.Any]]]
    ) -> None:
        self.adapter = adapter
        self.by_event: dict[str, dict[str, list[dict[str, t.Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for path, rows in collections.items():
            for row in rows:
                self.by_event[str(_ref_id(row, "event"))][path].append(row)
        self._attendees: dict[str, dict[str, dict[str, t.Any]]] = {}
        self._lock = threading.Lock()

    def of(self, event_id: str, since: datetime) -> dict[str, list[dict[str, t.Any]]]:
        """The event's records changed after *since*, per collection."""
        grouped = self.by_event.get(event_id, {})
        return {
            path: [r for r in grouped.get(path, []) if _modified_after(r, since)]
            for path in COLLECTIONS_ALL
        }

    def attendees_of(self, event_id: str) -> dict[str, dict[str, t.Any]]:
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
                known = {str(a["id"]): a for a in self.adapter.paged(ATTENDEES_PATH, params)}
            self._attendees[event_id] = known
            return known


COLLECTIONS_ALL = (ATTENDEES_PATH, ATTENDANCE_PATH, DURATIONS_PATH, RESPONSES_PATH)


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


def _json(url: str, response: requests.Response) -> t.Any:
    try:
        return response.json()
    except ValueError:
        raise PayloadError(url, "not JSON") from None


def _iso(moment: datetime) -> str:
    return n.parse_timestamp(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
