"""Simulated Cvent REST platform API (reference: cvent-rest-openapi.yaml, reference/README.md).

Served under `/cvent/ea`, standing for `https://api-platform.cvent.com/ea`:
    POST /oauth2/token                         Basic client id/secret, client_credentials
    GET  /events, /sessions, /attendees, /attendees/{id}, /sessions/attendance,
         /attendance-durations, /events/surveys/responses, /events/{id}/surveys,
         /events/{id}/surveys/{surveyId}/questions, /events/{id}/surveys/{surveyId}/responses,
         /events/{id}/surveys/{surveyId}/respondents (a respondent names its attendee, or only
         its contact; responses name the respondent)
Each resource needs its OAuth scope (`SCOPES`, from the OpenAPI file); `withhold_scopes`
makes the app lack some: 403 with an `insufficient_scope` body, as RFC 6750 words it.
Paging `{paging: {nextToken, currentToken, limit, totalCount, _links}, data: [...]}`; `token`
(a UUID) overrides every other parameter; `limit` at most 200; `after`/`before` select records
by `lastModified` (exclusive bounds); `filter` supports `<field> eq '<value>'` joined by `and`.
Tokens last 3,600 s (configurable); tier limits answer 429 `{"code":429,"message":"Limit
Exceeded"}` (Free tier, 2 calls a second, by default). Drift options (`drift`, and the paging
ones `insert_between_pages`, `repeat_page`, `loop_token`) change the data or the paging as a
real account may: see `configure`. The Conference API is served under
`/cvent/conference` by `cvent_conference.py` (admin actions `conference_<hook>`, its data under
`conference` in the dataset dump).
"""

from __future__ import annotations

import base64
import email.utils
import re
import time
import typing as t
import uuid
from datetime import datetime, timedelta, timezone

from tap_webinars.sandbox.core import (
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    PlatformSimulator,
    Request,
    Response,
    SlidingWindowLimit,
)
from tap_webinars.sandbox.cvent_conference import ConferenceSimulator

CLIENT_ID = "cvent-sandbox-client"
CLIENT_SECRET = "cvent-sandbox-s3cret"  # noqa: S105 - the sandbox's own test secret
TOKEN_LIFETIME = 3600
MAX_LIMIT = 200
DEFAULT_LIMIT = 100
# Usage tiers of the reference (calls per second); the sandbox enforces Free unless told.
TIERS = {"free": 2, "standard": 10, "premium": 25}

# Attendees per event: empty, single, and a total of 201 (one past a 200-record page).
SIZES = {"small": [0, 1, 5], "default": [0, 1, 3, 40, 157, 0], "large": [500] * 4 + [0, 1]}
TITLES = [
    "Cloud Summit",
    "Données & IA",
    "Kundenforum",
    "ウェビナー入門",
    "Partner Day",
    "Q&A Live",
]
TIME_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC"]
STATUSES = ["Accepted", "Accepted", "Accepted", "Cancelled", "Waitlisted"]
# The OAuth scope of each resource (cvent-rest-openapi.yaml, the `security` of its GET).
SCOPES = {
    "/events": "event/events:read",
    "/sessions": "event/sessions:read",
    "/attendees": "event/attendees:read",
    "/sessions/attendance": "event/session-attendance:read",
    "/attendance-durations": "event/attendance-durations:read",
    "/events/surveys/responses": "survey/survey-responses:read",
    "surveys": "survey/surveys:read",
    "questions": "survey/survey-questions:read",
    "responses": "survey/survey-responses:read",
    "respondents": "survey/survey-respondents:read",
}
DRIFTS = (
    "unknown_fields",
    "null_optional",
    "numbers_as_strings",
    "blank_strings",
    "offset_timestamps",
    "rfc1123_timestamps",
)
QUESTIONS = [
    ("How would you rate the event?", "SingleChoice", ["Excellent", "Good", "Fair", "Poor"]),
    ("Which topics interest you?", "MultiChoice", ["AI", "Data", "Security", "Café ☕"]),
    ("Any comments?", "OpenEndedText", []),
]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse(value: t.Any) -> datetime:
    """ISO 8601 (what Cvent sends), or the drifted formats the sandbox can switch to."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = email.utils.parsedate_to_datetime(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _audit(moment: datetime) -> dict[str, str]:
    return {
        "created": _iso(moment),
        "createdBy": "planner@example.com",
        "lastModified": _iso(moment),
        "lastModifiedBy": "planner@example.com",
    }


class CventSimulator(PlatformSimulator):
    """Cvent REST: events, sessions, attendees, attendance, durations, surveys."""

    prefix = "cvent"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.token_lifetime = float(TOKEN_LIFETIME)
        self.expire_tokens_every = 0  # test hook: invalidate all tokens every N data calls
        self.data_calls = 0
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.limit = SlidingWindowLimit(TIERS["free"], 1.0)
        # token -> (collection, its query, offset, limit)
        self.cursors: dict[str, tuple[list[dict[str, t.Any]], dict[str, t.Any], int, int]] = {}
        self.events: list[dict[str, t.Any]] = []
        self.sessions: list[dict[str, t.Any]] = []
        self.attendees: list[dict[str, t.Any]] = []
        self.attendance: list[dict[str, t.Any]] = []
        self.durations: list[dict[str, t.Any]] = []
        self.surveys: list[dict[str, t.Any]] = []
        self.questions: list[dict[str, t.Any]] = []
        self.responses: list[dict[str, t.Any]] = []
        self.respondents: list[dict[str, t.Any]] = []
        self.withheld: set[str] = set()  # scopes the app was not granted
        self.paging: dict[str, t.Any] = {}  # insert_between_pages, repeat_page, loop_token
        self._generate(SIZES.get(size) or [int(n) for n in size.split(",")])
        self.conference = ConferenceSimulator(seed, size, self.started_at)

    # ----------------------------------------------------------------- data generation

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def _generate(self, sizes: list[int]) -> None:
        now = self.started_at
        for index, count in enumerate(sizes):
            upcoming = index == len(sizes) - 1 and len(sizes) > 3
            start = (now + timedelta(days=10)) if upcoming else now - timedelta(days=5 + 7 * index)
            start = start.replace(minute=0, second=0)
            created = start - timedelta(days=30)
            event_id = self._uuid()
            event: dict[str, t.Any] = {
                "id": event_id,
                "title": f"{TITLES[index % len(TITLES)]} #{index + 1}",
                "code": f"EV{index + 1:04d}",
                "virtual": index % 2 == 0,
                "format": "Virtual" if index % 2 == 0 else "Hybrid",
                "description": "" if index % 3 == 0 else f"Day {index + 1} — talks & Q&A.\n",
                "start": _iso(start),
                "end": _iso(start + timedelta(hours=3)),
                "closeAfter": _iso(start + timedelta(hours=2)),
                "archiveAfter": _iso(start + timedelta(days=90)),
                "launchAfter": _iso(created),
                "timezone": TIME_ZONES[index % len(TIME_ZONES)],
                "defaultLocale": "en-US",
                "currency": "USD",
                "status": "Active" if upcoming else "Completed",
                "eventStatus": "Upcoming" if upcoming else "Completed",
                "testMode": False,
                "capacity": 500,
                "category": {"id": self._uuid(), "code": "WEB", "name": "Webinar"},
                "type": "CventWebinar",
                "customFields": [],
                "_links": {
                    "registration": {"href": f"https://cvent.me/r/{index + 1}"},
                    "summary": {"href": f"https://cvent.me/s/{index + 1}"},
                },
                **_audit(created),
            }
            self.events.append(event)
            slots = []
            for slot in range(1 + index % 2):
                begins = start + timedelta(hours=slot)
                session = {
                    "id": self._uuid(),
                    "virtual": True,
                    "event": {"id": event_id},
                    "title": f"Track {slot + 1}",
                    "code": f"S{index + 1}-{slot + 1}",
                    "description": "",
                    "start": _iso(begins),
                    "end": _iso(begins + timedelta(hours=1)),
                    "status": "Active",
                    "timezone": event["timezone"],
                    "capacity": 500,
                    **_audit(created),
                }
                self.sessions.append(session)
                slots.append(session)
            survey = None
            if count >= 3:
                survey = self._add_survey(event, created)
            for number in range(count):
                attended = None if number else not upcoming
                self._add_attendee(event, slots, survey, attended=attended, when=None)

    def _add_survey(self, event: dict[str, t.Any], created: datetime) -> dict[str, t.Any]:
        survey = {
            "id": self._uuid(),
            "title": f"Feedback: {event['title']}",
            "code": "FB",
            "type": "Event Feedback",
            "availableTo": "Event Participants",
            "audienceType": "Attendee",
            "event": {"id": event["id"]},
            **_audit(created),
        }
        self.surveys.append(survey)
        for order, (text, kind, choices) in enumerate(QUESTIONS):
            self.questions.append(
                {
                    "id": self._uuid(),
                    "text": text,
                    "shortText": text[:20],
                    "code": f"Q{order + 1}",
                    "type": kind,
                    "choices": [{"id": self._uuid(), "text": c} for c in choices],
                    "required": order == 0,
                    "survey": {"id": survey["id"]},
                    "event": {"id": event["id"]},
                    **_audit(created),
                }
            )
        return survey

    def _add_attendee(
        self,
        event: dict[str, t.Any],
        slots: list[dict[str, t.Any]],
        survey: dict[str, t.Any] | None,
        *,
        attended: bool | None,
        when: datetime | None,
    ) -> dict[str, t.Any]:
        rnd = self.random
        start = _parse(event["start"])
        past = start < self.started_at
        registered = when or start - timedelta(days=rnd.randint(1, 20), minutes=rnd.randint(0, 999))
        if attended is None:
            attended = past and rnd.random() < 0.6
        status = "Accepted" if attended else rnd.choice(STATUSES)
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        attendee_id = self._uuid()
        city, country = rnd.choice(CITIES)
        attendee = {
            "id": attendee_id,
            "event": {"id": event["id"]},
            "confirmationNumber": f"{rnd.randint(10**8, 10**9 - 1)}",
            "contact": {
                "id": self._uuid(),
                "firstName": first,
                "lastName": last if rnd.random() > 0.05 else "",
                "email": f"{attendee_id[:8]}@example.com",
                "company": rnd.choice(COMPANIES),
                "title": rnd.choice(["CTO", "Data Engineer", "", "Directrice marketing"]),
                "workPhone": rnd.choice(["+1 512 555 0100", "", "+49 30 1234567"]),
                "workAddress": {
                    "address1": rnd.choice(["1 Main St", "Königstraße 5", ""]),
                    "address2": "",
                    "city": city,
                    "region": rnd.choice(["TX", "", "Bayern"]),
                    "postalCode": rnd.choice(["78701", "", "10115"]),
                    "country": country,
                    "countryCode": country,
                },
                "type": "Attendee",
                **_audit(registered),
            },
            "checkedIn": bool(attended),
            "registrationType": {"id": self._uuid(), "code": "GEN", "name": "General"},
            "registrationPath": {"id": self._uuid(), "code": "DEF", "name": "Default"},
            "referenceId": rnd.choice(["", "crm-42", "linkedin"]),
            "guest": False,
            "unsubscribed": False,
            "status": status,
            "registeredAt": _iso(registered),
            "registrationLastModified": _iso(registered),
            "invitedBy": rnd.choice(["Weblink", "Planner-Invited", "API Invited"]),
            "responseMethod": "API-Responded",
            "questions": [
                {
                    "id": "2f8d4e8a-7c1b-4b7e-9a55-1c2d3e4f5a6b",
                    "name": "Dietary needs",
                    "value": [rnd.choice(["None", "Végétarien", ""])],
                    "order": 1,
                    "type": "SingleChoice",
                }
            ],
            "visibility": "Public",
            "testRecord": False,
            **_audit(registered),
        }
        self.attendees.append(attendee)
        if attended:
            self._attend(attendee, slots, survey, when=when)
        return attendee

    def _attend(
        self,
        attendee: dict[str, t.Any],
        slots: list[dict[str, t.Any]],
        survey: dict[str, t.Any] | None,
        *,
        when: datetime | None,
    ) -> None:
        rnd = self.random
        event_id = attendee["event"]["id"]
        latest = _parse(attendee["lastModified"])
        for session in slots[: rnd.randint(1, len(slots))]:
            begins = _parse(session["start"])
            check_in = begins + timedelta(minutes=rnd.randint(0, 10))
            stay = rnd.randint(5, 55)
            check_out = check_in + timedelta(minutes=stay)
            stamp = when or check_out + timedelta(minutes=5)
            latest = max(latest, stamp)
            self.attendance.append(
                {
                    "id": self._uuid(),
                    "session": {"id": session["id"]},
                    "event": {"id": event_id},
                    "attendee": {"id": attendee["id"]},
                    "deleted": False,
                    "checkIn": _iso(check_in),
                    "checkOut": _iso(check_out),
                    "duration": stay * 60_000,
                    **_audit(stamp),
                }
            )
            kinds = ["LIVE"] + (["ON_DEMAND"] if rnd.random() < 0.3 else [])
            for kind in kinds:
                seen = check_in if kind == "LIVE" else begins + timedelta(days=1)
                self.durations.append(
                    {
                        "id": self._uuid(),
                        "event": {"id": event_id},
                        "session": {"id": session["id"]},
                        "attendee": {"id": attendee["id"]},
                        "firstSeen": _iso(seen),
                        "lastSeen": _iso(seen + timedelta(minutes=stay)),
                        "deleted": False,
                        "type": kind,
                        "durationType": "session",
                        "duration": stay * 60_000 - rnd.randint(0, 59_000),
                        **_audit(when or seen + timedelta(minutes=stay + 5)),
                    }
                )
        attendee["checkedIn"] = True
        attendee["checkIn"] = min(a["checkIn"] for a in self._of(self.attendance, attendee))
        attendee.update({"lastModified": _iso(latest)})
        if survey is not None and (when is not None or rnd.random() < 0.5):
            self._respond(attendee, survey, when or latest + timedelta(hours=1))

    def _respond(
        self, attendee: dict[str, t.Any], survey: dict[str, t.Any], when: datetime
    ) -> None:
        rnd = self.random
        # A respondent names its attendee; one in five (a weblink answer) only its contact.
        respondent = {
            "id": self._uuid(),
            "responseCode": f"R{rnd.randint(10**6, 10**7 - 1)}",
            "localeId": "en-US",
            "respondedThrough": rnd.choice(["Weblink", "Email"]),
            "event": {"id": survey["event"]["id"]},
            "survey": {"id": survey["id"]},
            "contact": {"id": attendee["contact"]["id"]},
            **_audit(when),
        }
        if rnd.random() >= 0.2:
            respondent["attendee"] = {"id": attendee["id"]}
        self.respondents.append(respondent)
        for question in [q for q in self.questions if q["survey"]["id"] == survey["id"]]:
            if question["choices"]:
                picked = rnd.sample(
                    question["choices"], 1 if question["type"] == "SingleChoice" else 2
                )
                answers = [{"type": "Choice", "choice": {"id": c["id"]}} for c in picked]
            else:
                text = rnd.choice(["Great talks!", "", "Trop court — more please 🙏"])
                if not text:
                    continue
                answers = [{"type": "Text", "value": text}]
            self.responses.append(
                {
                    "id": self._uuid(),
                    "respondent": {"id": respondent["id"]},
                    "question": {"id": question["id"]},
                    "answers": answers,
                    "score": rnd.choice([None, 1.0, 4.5]),
                    "event": {"id": survey["event"]["id"]},
                    "survey": {"id": survey["id"]},
                    **_audit(when),
                }
            )

    @staticmethod
    def _of(rows: list[dict[str, t.Any]], attendee: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        return [r for r in rows if r["attendee"]["id"] == attendee["id"]]

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:  # noqa: D102
        path = request.path.rstrip("/")
        if path.startswith("/conference/"):
            request.path = path.removeprefix("/conference")
            with self.lock:
                return self.conference.handle(request)
        if not path.startswith("/ea/"):
            return _error(404, "Not found")
        path = path[3:]
        with self.lock:
            if path == "/oauth2/token":
                return self._token(request)
            token = (request.header("authorization") or "").removeprefix("Bearer ").strip()
            expiry = self.tokens.get(token)
            if expiry is None or expiry <= time.time():
                return _error(401, "Unauthorized")
            if self.limit.hit(CLIENT_ID) is not None:
                return _error(429, "Limit Exceeded")
            self.data_calls += 1
            if self.expire_tokens_every and self.data_calls % self.expire_tokens_every == 0:
                self.tokens.clear()
            if request.method != "GET":
                return _error(405, "Method Not Allowed")
            scope = _scope(path)
            if scope in self.withheld:
                return _insufficient_scope(scope)
            return self._route(path, request)

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "Method Not Allowed")
        scheme, _, encoded = (request.header("authorization") or "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id, secret = "", ""
        if scheme.lower() != "basic" or self.clients.get(client_id) != secret or not secret:
            return Response.json(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status=401,
            )
        if (request.arg("grant_type") or "") != "client_credentials":
            return Response.json(
                {"error": "unsupported_grant_type", "error_description": "grant_type"}, status=400
            )
        token = uuid.uuid4().hex + uuid.uuid4().hex
        self.tokens[token] = time.time() + self.token_lifetime
        granted = sorted(set(SCOPES.values()) - self.withheld)
        return Response.json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": int(self.token_lifetime),
                "scope": " ".join(granted),
            }
        )

    def _route(self, path: str, request: Request) -> Response:
        collections: dict[str, list[dict[str, t.Any]]] = {
            "/events": self.events,
            "/sessions": self.sessions,
            "/attendees": self.attendees,
            "/sessions/attendance": self.attendance,
            "/attendance-durations": self.durations,
            "/events/surveys/responses": self.responses,
        }
        if path in collections:
            return self._page(request, collections[path])
        if match := re.fullmatch(r"/attendees/([0-9a-f-]+)", path):
            found = next((a for a in self.attendees if a["id"] == match.group(1)), None)
            return Response.json(found) if found else _error(404, "Not found")
        if match := re.fullmatch(r"/events/([0-9a-f-]+)/surveys(?:/([0-9a-f-]+)/(\w+))?", path):
            event_id, survey_id, what = match.groups()
            if not any(e["id"] == event_id for e in self.events):
                return _error(404, "Not found")
            if survey_id is None:
                return self._page(
                    request, [s for s in self.surveys if s["event"]["id"] == event_id]
                )
            source = {
                "questions": self.questions,
                "responses": self.responses,
                "respondents": self.respondents,
            }.get(what)
            if source is None:
                return _error(404, "Not found")
            return self._page(request, [r for r in source if r["survey"]["id"] == survey_id])
        return _error(404, "Not found")

    def _page(self, request: Request, rows: list[dict[str, t.Any]]) -> Response:
        """One page of *rows*.

        A cursor selects again from the live data at its offset, so records inserted or
        deleted while paging shift the pages after them (as offsets do).
        """
        token = request.arg("token")
        if token:
            cursor = self.cursors.get(token)
            if cursor is None:
                return _error(400, "Invalid token")
            rows, query, offset, limit = cursor
            self._between_pages(request.path)
            selected = _select(rows, query)
        else:
            query = {k: request.arg(k) for k in ("after", "before", "filter")}
            try:
                limit = int(request.arg("limit") or DEFAULT_LIMIT)
                selected = _select(rows, query)
            except ValueError as error:
                return _error(400, f"Bad Request: {error}")
            if not 1 <= limit <= MAX_LIMIT:
                return _error(400, f"Bad Request: limit must be between 1 and {MAX_LIMIT}")
            offset = 0
            token = str(uuid.uuid4())
        paging: dict[str, t.Any] = {"currentToken": token, "limit": limit}
        paging["totalCount"] = len(selected)
        page = selected[offset : offset + limit]
        if offset and self.paging.get("repeat_page") == request.path:
            page = selected[offset - limit : offset]  # the page before, under a new token
        if offset and self.paging.get("loop_token") == request.path:
            paging["nextToken"] = token  # the cursor hands back the token it was asked with
        elif offset + limit < len(selected):
            next_token = str(uuid.uuid4())
            self.cursors[next_token] = (rows, query, offset + limit, limit)
            paging["nextToken"] = next_token
            paging["_links"] = {"next": {"href": f"{request.path}?token={next_token}"}}
        return Response.json({"paging": paging, "data": page})

    def _between_pages(self, path: str) -> None:
        """`insert_between_pages`: new attendees registered at the front while the tap pages."""
        insert = self.paging.get("insert_between_pages")
        if not insert or path != "/ea/attendees" or insert.get("done"):
            return
        insert["done"] = True
        event = next(e for e in self.events if e["id"] == insert["event_id"])
        slots = [s for s in self.sessions if s["event"]["id"] == event["id"]]
        survey = next((s for s in self.surveys if s["event"]["id"] == event["id"]), None)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        for _ in range(int(insert.get("count", 3))):
            attendee = self._add_attendee(event, slots, survey, attended=True, when=now)
            self.attendees.remove(attendee)
            self.attendees.insert(0, attendee)

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        if "tier" in options:
            self.limit = SlidingWindowLimit(TIERS[options["tier"]], 1.0)
        if "rate_limit" in options:
            calls, period = options["rate_limit"]
            self.limit = SlidingWindowLimit(int(calls), float(period))
        if "token_lifetime" in options:
            self.token_lifetime = float(options["token_lifetime"])
        if "expire_tokens_every" in options:
            self.expire_tokens_every = int(options["expire_tokens_every"])
        if options.get("reset_rate_limit"):
            self.limit.reset()
        if "withhold_scopes" in options:
            self.withheld = set(options["withhold_scopes"])
        for key in ("insert_between_pages", "repeat_page", "loop_token"):
            if key in options:
                self.paging[key] = options[key]
        for drift in options.get("drift") or []:
            self._drift(drift)
        if "conference" in options:
            self.conference.configure(options["conference"])

    def _drift(self, kind: str) -> None:
        """Change the data as a real account's answers may drift (`DRIFTS`)."""
        if kind not in DRIFTS:
            raise KeyError(kind)
        rows = [
            *self.events,
            *self.sessions,
            *self.attendees,
            *self.attendance,
            *self.durations,
            *self.responses,
        ]
        for index, row in enumerate(rows):
            _DRIFT[kind](row, index)

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        if action.startswith("conference_"):
            return self.conference.admin(action.removeprefix("conference_"), payload)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        if action == "add_attendees":
            event = next((e for e in self.events if e["id"] == payload["event_id"]), None)
            if event is None:
                raise KeyError(f"event {payload['event_id']}")
            slots = [s for s in self.sessions if s["event"]["id"] == event["id"]]
            survey = next((s for s in self.surveys if s["event"]["id"] == event["id"]), None)
            added = [
                self._add_attendee(
                    event, slots, survey, attended=bool(payload.get("attended")), when=now
                )
                for _ in range(int(payload.get("count", 1)))
            ]
            return {"attendee_ids": [a["id"] for a in added]}
        if action == "watch_replay":
            # An on-demand view: a new duration record; the attendee record does not change.
            attendee = next(a for a in self.attendees if a["id"] == payload["attendee_id"])
            first = next(d for d in self.durations if d["attendee"]["id"] == attendee["id"])
            seconds = int(payload.get("seconds", 900))
            replay = {
                **first,
                "id": self._uuid(),
                "firstSeen": _iso(now - timedelta(seconds=seconds)),
                "lastSeen": _iso(now),
                "type": "ON_DEMAND",
                "duration": seconds * 1000,
                **_audit(now),
            }
            self.durations.append(replay)
            return {"duration_id": replay["id"]}
        if action == "modify_attendee":
            attendee = next(a for a in self.attendees if a["id"] == payload["attendee_id"])
            attendee["contact"].update(payload.get("contact") or {})
            attendee["lastModified"] = _iso(now)
            return {"attendee_id": attendee["id"]}
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:  # noqa: D102
        return {
            "events": self.events,
            "sessions": self.sessions,
            "attendees": self.attendees,
            "attendance": self.attendance,
            "durations": self.durations,
            "surveys": self.surveys,
            "questions": self.questions,
            "responses": self.responses,
            "respondents": self.respondents,
            "conference": self.conference.dataset(),
        }


def _error(status: int, message: str) -> Response:
    return Response.json({"code": status, "message": message}, status=status)


def _scope(path: str) -> str | None:
    """The scope a data path needs (per-event survey paths by their last part)."""
    if path in SCOPES:
        return SCOPES[path]
    if path.startswith("/attendees/"):
        return SCOPES["/attendees"]
    return SCOPES.get(path.rsplit("/", 1)[-1]) if path.startswith("/events/") else None


def _insufficient_scope(scope: str) -> Response:
    """A scope the app was not granted: 403, in Cvent's error shape plus RFC 6750's words."""
    return Response.json(
        {
            "code": 403,
            "message": "Access Forbidden",
            "error": "insufficient_scope",
            "error_description": f"The access token does not grant the scope {scope}",
        },
        status=403,
        **{"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
    )


# ------------------------------------------------------------------------------ drift
# Each changes one record in place (its position in the dataset picks some variety).


def _unknown_fields(row: dict[str, t.Any], index: int) -> None:
    row["engagementTier"] = ["gold", "silver"][index % 2]
    row["x-cvent-trace"] = {"region": "us-east", "shards": [index, index + 1]}
    if isinstance(row.get("contact"), dict):
        row["contact"]["pronouns"] = "they/them"


def _null_optional(row: dict[str, t.Any], index: int) -> None:
    optional: tuple[str, ...] = ("description", "category", "_links", "timezone")
    optional += ("registeredAt", "checkOut", "duration", "lastSeen", "questions", "score")
    for number, name in enumerate(optional):
        if name in row:
            if (index + number) % 2:
                row[name] = None
            else:
                del row[name]
    contact = row.get("contact")
    if isinstance(contact, dict):
        for name in ("company", "title", "workPhone"):
            contact[name] = None
        if index % 2:
            contact["workAddress"] = None
        else:
            contact.pop("workAddress", None)


def _numbers_as_strings(row: dict[str, t.Any], index: int) -> None:
    for name in ("duration", "capacity", "score"):
        if isinstance(row.get(name), (int, float)):
            row[name] = str(row[name])
    for name in ("checkedIn", "virtual", "deleted"):
        if isinstance(row.get(name), bool):
            row[name] = str(row[name]).lower()
    if "confirmationNumber" in row:
        row["confirmationNumber"] = int(row["confirmationNumber"])
    address = (row.get("contact") or {}).get("workAddress") or {}
    if str(address.get("postalCode") or "").isdigit():
        address["postalCode"] = int(address["postalCode"])


def _blank_strings(row: dict[str, t.Any], index: int) -> None:
    blanks = ["", "   ", "\t\n", " "]
    for name in ("description", "timezone", "title"):
        if isinstance(row.get(name), str) and (index + len(name)) % 3 == 0:
            row[name] = blanks[index % len(blanks)]
    contact = row.get("contact")
    if isinstance(contact, dict):
        for name in ("company", "title", "workPhone", "lastName"):
            contact[name] = blanks[(index + len(name)) % len(blanks)]


def _offset_timestamps(row: dict[str, t.Any], index: int) -> None:
    """ISO 8601 with an offset and milliseconds: valid, but not the `Z` Cvent uses."""
    zone = timezone(timedelta(hours=[-5, 1, 9][index % 3]))
    for name in ("registeredAt", "checkIn", "checkOut", "firstSeen", "lastSeen", "created"):
        if isinstance(row.get(name), str):
            row[name] = _parse(row[name]).astimezone(zone).isoformat(timespec="milliseconds")


def _rfc1123_timestamps(row: dict[str, t.Any], index: int) -> None:
    """An HTTP-date (`Sat, 01 Mar 2025 10:00:00 GMT`): a format Cvent has never sent."""
    if isinstance(row.get("registeredAt"), str):
        row["registeredAt"] = email.utils.format_datetime(_parse(row["registeredAt"]), usegmt=True)


_DRIFT: dict[str, t.Callable[[dict[str, t.Any], int], None]] = {
    "unknown_fields": _unknown_fields,
    "null_optional": _null_optional,
    "numbers_as_strings": _numbers_as_strings,
    "blank_strings": _blank_strings,
    "offset_timestamps": _offset_timestamps,
    "rfc1123_timestamps": _rfc1123_timestamps,
}


_FILTER = re.compile(r"^\s*([\w.]+)\s+eq\s+'([^']*)'\s*$")


def _select(
    rows: list[dict[str, t.Any]], query: t.Mapping[str, str | None]
) -> list[dict[str, t.Any]]:
    """Apply `after`, `before` (on lastModified, exclusive) and `filter` (`eq`, `and`)."""
    after = _parse(query["after"]) if query.get("after") else None
    before = _parse(query["before"]) if query.get("before") else None
    conditions: list[tuple[list[str], str]] = []
    for clause in re.split(r"\s+and\s+", query.get("filter") or "") if query.get("filter") else []:
        match = _FILTER.match(clause)
        if match is None:
            raise ValueError(f"unsupported filter {clause!r}")
        conditions.append((match.group(1).split("."), match.group(2)))
    selected = []
    for row in rows:
        modified = _parse(row["lastModified"])
        if (after and modified <= after) or (before and modified >= before):
            continue
        if all(_field(row, path) == value for path, value in conditions):
            selected.append(row)
    return selected


def _field(row: t.Any, path: list[str]) -> str | None:
    for part in path:
        row = row.get(part) if isinstance(row, dict) else None
    return None if row is None else str(row)
