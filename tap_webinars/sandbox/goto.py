"""Simulated GoTo Webinar REST API v2 (reference: goto-webinar-openapi.yml, goto-docs-excerpts.txt).

Served under `/goto`, with the token host too (`goto_auth_url` = `<sandbox>/goto`):
    POST /oauth/token                        Basic client id/secret, grant_type=refresh_token
    GET  /organizers/{o}/webinars            fromTime/toTime required, page from 0, size <= 200
    GET  /accounts/{a}/webinars              the same, every organizer of the account
    GET  /organizers/{o}/sessions            completed sessions, windowed and paged alike
    GET  /organizers/{o}/webinars/{w}/registrants               bare array; with page/limit
                                             a {data, total, page, limit, pageSize} object
    GET  .../webinars/{w}/sessions/{s}/attendees                 bare array, attendance[]
    GET  .../webinars/{w}/sessions/{s}/questions                 bare array (Q&A)
    GET  .../sessions/{s}/attendees/{r}/polls | /surveys         bare arrays, per attendee
Paged envelopes leave `_embedded` out when empty. Every key is a 19-digit number beyond a
float's precision, a JSON number or a string where the spec says so (a webinar's key is a
number in the webinar listing and a string in the session listing). An
expired or unknown access token is a 403 `InvalidToken`; past 10 requests a second, 429.

Options (`sandbox.configure(goto={...})`):
    token_lifetime    seconds an access token lives (default 3600)
    token_requests    requests an access token serves before it expires early (mid-run)
    rotate_refresh    every token answer carries a new refresh token; the old one dies
    omit_keys         the token answer carries no organizer_key / account_key
    withhold          resources refused with 403 not-allowed: webinars, sessions,
                      registrants, attendees, questions, polls, surveys
    drift             any of "added", "dropped", "nulled": a field added to, dropped from,
                      or nulled in every registrant and attendee
    rate_limit        requests a second (default 10)
    max_window_days   the largest fromTime..toTime span accepted (default: none)
    registrant_paging False: the registrants read ignores page/limit (a bare array)
    page_cap          pages hold at most this many items, whatever size/limit asks
Admin: expire_tokens, add_registrant, add_attendee, complete_session, add_answer.
"""

from __future__ import annotations

import base64
import itertools
import time as clock
import typing as t
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
    utc,
)

CLIENT_ID = "goto-sandbox-client"
CLIENT_SECRET = "goto-sandbox-secret"  # noqa: S105 - sandbox credential
REFRESH_TOKEN = "goto-sandbox-refresh"  # noqa: S105 - sandbox credential
MAX_SIZE = 200
DEFAULT_SIZE = 20

# Per webinar: (registrants, completed sessions, hours before now its last session ended;
# negative: upcoming, with no completed session). Small stays small: the tests' data.
SIZES: dict[str, list[tuple[int, int, float]]] = {
    "small": [(6, 1, 24 * 30), (5, 3, 24 * 200), (4, 1, 2), (3, 0, -24 * 7), (0, 0, 24 * 60)],
    "default": [
        (6, 1, 24 * 30),
        (25, 3, 24 * 200),
        (14, 1, 2),
        (9, 0, -24 * 7),
        (0, 0, 24 * 60),
        (40, 2, 24 * 400),
        (3, 1, 24 * 5),
        (12, 4, 24 * 90),
    ],
    "large": [(20, 2, 24 * (10 + i * 7)) for i in range(40)],
}
STATUSES = ("APPROVED", "APPROVED", "APPROVED", "WAITING", "DENIED")
QUESTIONS = ["Will the slides be shared?", "Is there a recording?", "How does pricing work?"]
POLLS = [("How did you hear about us?", ["Email", "Social", "Partner"]), ("Rate us", ["4", "5"])]
SURVEYS = [("Would you recommend this?", ["Yes", "No"]), ("Topics wanted", ["API", "Pricing"])]
RESOURCES = ("webinars", "sessions", "registrants", "attendees", "questions", "polls", "surveys")
NOT_ALLOWED = {
    "int_err_code": "AccessDenied",
    "msg": "The user is not allowed to access {name}",
}
INVALID_TOKEN = {"int_err_code": "InvalidToken", "msg": "Invalid token passed"}


def _big_keys(seed: int) -> t.Iterator[int]:
    """19-digit keys a float cannot hold exactly (an odd offset past 2^62)."""
    for i in itertools.count():
        key = 4_611_686_018_427_387_904 + seed * 1_000_003 + i * 7_919 * 2 + 1
        if int(float(key)) != key:
            yield key


class GoToSimulator(PlatformSimulator):
    """GoTo Webinar: one account, two organizers, webinars with their sessions and people."""

    prefix = "goto"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self._keys = _big_keys(seed)
        self.organizer_key = self._key()
        self.other_organizer = self._key()
        self.account_key = self._key()
        self.webinars: list[dict[str, t.Any]] = []
        self.sessions: list[dict[str, t.Any]] = []
        self.registrants: dict[int, list[dict[str, t.Any]]] = {}
        self.attendees: dict[int, list[dict[str, t.Any]]] = {}
        self.questions: dict[int, list[dict[str, t.Any]]] = {}
        self.polls: dict[int, dict[int, list[dict[str, t.Any]]]] = {}
        self.surveys: dict[int, dict[int, list[dict[str, t.Any]]]] = {}
        self.refresh_tokens = {REFRESH_TOKEN}
        self.tokens: dict[str, float] = {}  # access token -> expiry (sandbox clock)
        self.token_uses: dict[str, int] = {}
        self._token_serial = itertools.count(1)
        self.options: dict[str, t.Any] = {}
        self.limit = SlidingWindowLimit(10, 1.0)
        plan = SIZES.get(size) or SIZES["small"]
        for index, (count, sessions, ended_hours) in enumerate(plan):
            self._webinar(index, count, sessions, ended_hours, self.organizer_key)
        # A webinar of the account's other organizer: read only with goto_account_key.
        self._webinar(len(plan), 2, 1, 24 * 10, self.other_organizer)

    def _key(self) -> int:
        return next(self._keys)

    def now(self) -> datetime:
        """The sandbox clock (real time: the tap compares against its own clock)."""
        return datetime.now(timezone.utc).replace(microsecond=0)

    # ------------------------------------------------------------------ data

    def _webinar(
        self, index: int, count: int, sessions: int, ended_hours: float, organizer: int
    ) -> None:
        key = self._key()
        last_end = self.started_at - timedelta(hours=ended_hours)
        times = []
        for n in range(max(sessions, 1)):
            end = last_end - timedelta(days=7 * (max(sessions, 1) - 1 - n))
            times.append({"startTime": utc(end - timedelta(hours=1)), "endTime": utc(end)})
        webinar = {
            "webinarKey": str(key),
            "webinarID": f"{100_000_000 + index}",
            "subject": f"GoTo webinar {index + 1}: {self.random.choice(QUESTIONS)[:-1]}",
            "description": "Product tour" if index % 2 else "",
            "organizerKey": organizer,
            "accountKey": self.account_key,
            "times": times,
            "timeZone": self.random.choice(["America/New_York", "Europe/Berlin", "UTC"]),
            "registrationUrl": f"https://attendee.gotowebinar.com/register/{key}",
            "type": "series" if len(times) > 1 else "single_session",
            "experienceType": "CLASSIC",
            "isPasswordProtected": False,
        }
        self.webinars.append(webinar)
        people = [self._registrant(webinar, n) for n in range(count)]
        self.registrants[key] = people
        for time in times[:sessions]:
            self._complete(webinar, time)

    def _registrant(self, webinar: dict[str, t.Any], n: int) -> dict[str, t.Any]:
        first = self.random.choice(FIRST_NAMES)
        last = self.random.choice(LAST_NAMES)
        key = self._key()
        city, country = self.random.choice(CITIES)
        registered = datetime.fromisoformat(webinar["times"][0]["startTime"].replace("Z", "+00:00"))
        return {
            "registrantKey": key,
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}.{key % 100_000}@example.com",
            "registrationDate": utc(registered - timedelta(days=3, minutes=n)),
            "status": STATUSES[n % len(STATUSES)],
            "joinUrl": f"https://global.gotowebinar.com/join/{webinar['webinarKey']}/{key}",
            "timeZone": webinar["timeZone"],
            "organization": self.random.choice(COMPANIES) or None,
            "city": city,
            "country": country,
        }

    def _complete(self, webinar: dict[str, t.Any], time: dict[str, str]) -> dict[str, t.Any]:
        """A held session: attendees (some joining twice), their answers, and Q&A."""
        wkey = int(webinar["webinarKey"])
        skey = self._key()
        start = datetime.fromisoformat(time["startTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(time["endTime"].replace("Z", "+00:00"))
        people = [r for r in self.registrants[wkey] if r["status"] == "APPROVED"]
        attendees = []
        self.polls[skey], self.surveys[skey] = {}, {}
        for n, person in enumerate(people):
            if n % 4 == 3:
                continue  # registered, did not come
            joins = []
            cursor = start + timedelta(minutes=n)
            for _ in range(1 + n % 3):  # repeated joins
                leave = min(cursor + timedelta(minutes=10 + n), end)
                joins.append({"joinTime": utc(cursor), "leaveTime": utc(leave)})
                cursor = leave + timedelta(minutes=2)
            seconds = sum(
                int((_parse(j["leaveTime"]) - _parse(j["joinTime"])).total_seconds()) for j in joins
            )
            attendees.append(
                {
                    "registrantKey": person["registrantKey"],
                    "firstName": person["firstName"],
                    "lastName": person["lastName"],
                    "email": person["email"],
                    "attendanceTimeInSeconds": seconds,
                    "sessionKey": skey,
                    "attendance": joins,
                }
            )
            self.polls[skey][person["registrantKey"]] = [
                {"question": q, "answers": [options[n % len(options)]]}
                for q, options in POLLS[: 1 + n % 2]
            ]
            self.surveys[skey][person["registrantKey"]] = (
                [{"question": q, "answers": options[: 1 + n % 2]} for q, options in SURVEYS]
                if n % 2 == 0
                else []
            )
        self.attendees[skey] = attendees
        self.questions[skey] = [
            {
                "question": QUESTIONS[n % len(QUESTIONS)],
                "askedBy": a["email"],
                "askerKey": str(a["registrantKey"]),
                "dateAsked": utc(start + timedelta(minutes=20 + n)),
                "answers": []
                if n % 2
                else [
                    {
                        "answer": "Yes, after the session.",
                        "answeredBy": str(webinar["organizerKey"]),
                        "answererRole": "ORGANIZER",
                        "answerTime": utc(start + timedelta(minutes=25 + n)),
                        "answererEmail": "host@example.com",
                    }
                ],
            }
            for n, a in enumerate(attendees[:3])
        ]
        session = {
            "sessionKey": str(skey),
            "webinarKey": webinar["webinarKey"],
            "webinarName": webinar["subject"],
            "webinarID": webinar["webinarID"],
            "startTime": utc(start),
            "endTime": utc(end),
            "registrantsAttended": len(attendees),
            "registrantCount": len(self.registrants[wkey]),
            "accountKey": str(self.account_key),
            "creatingOrganizerKey": str(webinar["organizerKey"]),
            "startingOrganizerKey": str(webinar["organizerKey"]),
            "totalPollCount": len(POLLS),
            "timeZone": webinar["timeZone"],
            "experienceType": "CLASSIC",
        }
        self.sessions.append(session)
        return session

    # ------------------------------------------------------------------ HTTP

    def handle(self, request: Request) -> Response:  # noqa: D102
        with self.lock:
            if request.path == "/oauth/token":
                return self._token(request)
            auth = request.header("Authorization") or ""
            token = auth.removeprefix("Bearer ").strip()
            expiry = self.tokens.get(token)
            if expiry is None or expiry <= clock.time():
                return Response.json(INVALID_TOKEN, status=403)
            used = self.token_uses[token] = self.token_uses.get(token, 0) + 1
            if self.options.get("token_requests") and used > int(self.options["token_requests"]):
                self.tokens[token] = 0.0  # expired early, as a revoked or rotated token is
                return Response.json(INVALID_TOKEN, status=403)
            self.limit.calls = int(self.options.get("rate_limit", 10))
            wait = self.limit.hit(CLIENT_ID)
            if wait is not None:
                return Response.json({"int_err_code": "TooManyRequests"}, status=429)
            return self._route(request)

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.header("Authorization") != f"Basic {expected}":
            return Response.json({"error": "invalid_client"}, status=401)
        if request.arg("grant_type") != "refresh_token":
            return Response.json({"error": "unsupported_grant_type"}, status=400)
        refresh = request.arg("refresh_token")
        if refresh not in self.refresh_tokens:
            return Response.json(
                {"error": "invalid_grant", "error_description": "refresh token invalid"}, 400
            )
        serial = next(self._token_serial)
        access = f"goto-access-{serial}"
        lifetime = float(self.options.get("token_lifetime", 3600))
        self.tokens[access] = clock.time() + lifetime
        body: dict[str, t.Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": "collab:",
            "principal": "organizer@example.com",
        }
        if not self.options.get("omit_keys"):
            body["organizer_key"] = str(self.organizer_key)
            body["account_key"] = str(self.account_key)
        if self.options.get("rotate_refresh"):
            new = f"{REFRESH_TOKEN}-{serial}"
            self.refresh_tokens = {new}
            body["refresh_token"] = new
        return Response.json(body)

    def _route(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if len(parts) == 3 and parts[0] in ("organizers", "accounts") and parts[2] == "webinars":
            return self._webinars(request, parts[0], parts[1])
        if len(parts) == 3 and parts[0] == "organizers" and parts[2] == "sessions":
            return self._sessions(request, parts[1])
        if len(parts) >= 5 and parts[0] == "organizers" and parts[2] == "webinars":
            webinar = self._find_webinar(parts[1], parts[3])
            if webinar is None:
                return Response.json({"int_err_code": "NotFound", "msg": "no webinar"}, 404)
            rest = parts[4:]
            if rest == ["registrants"]:
                return self._registrants(request, webinar)
            if len(rest) >= 3 and rest[0] == "sessions":
                return self._session_part(webinar, rest[1], rest[2:])
        return Response.json({"int_err_code": "NotFound", "msg": request.path}, status=404)

    def _refused(self, name: str) -> Response | None:
        if name in (self.options.get("withhold") or ()):
            body = {**NOT_ALLOWED, "msg": NOT_ALLOWED["msg"].format(name=name)}
            return Response.json(body, status=403)
        return None

    def _window(self, request: Request) -> tuple[datetime, datetime] | Response:
        values = []
        for name in ("fromTime", "toTime"):
            raw = request.arg(name)
            if not raw:
                return Response.json(
                    {"int_err_code": "InvalidRequest", "msg": f"{name} is required"}, 400
                )
            try:
                values.append(_parse(raw))
            except ValueError:
                return Response.json({"int_err_code": "InvalidRequest", "msg": f"bad {name}"}, 400)
        start, end = values
        limit = self.options.get("max_window_days")
        if end < start or (limit and end - start > timedelta(days=float(limit))):
            return Response.json({"int_err_code": "InvalidRequest", "msg": "bad range"}, 400)
        return start, end

    def _page(self, request: Request, name: str, rows: list[dict[str, t.Any]]) -> Response:
        page = int(request.arg("page") or 0)
        size = int(request.arg("size") or DEFAULT_SIZE)
        if size > MAX_SIZE or size < 1 or page < 0:
            return Response.json({"int_err_code": "InvalidRequest", "msg": "bad size"}, 400)
        size = min(size, int(self.options.get("page_cap") or size))
        chunk = rows[page * size : (page + 1) * size]
        body: dict[str, t.Any] = {
            "page": {
                "size": size,
                "totalElements": len(rows),
                "totalPages": -(-len(rows) // size),
                "number": page,
            }
        }
        if chunk:
            body["_embedded"] = {name: chunk}
        return Response.json(body)

    def _webinars(self, request: Request, scope: str, key: str) -> Response:
        refused = self._refused("webinars")
        if refused:
            return refused
        window = self._window(request)
        if isinstance(window, Response):
            return window
        start, end = window
        field = "organizerKey" if scope == "organizers" else "accountKey"
        rows = [
            {**w, "webinarKey": int(w["webinarKey"])}  # int64 here, a string in sessions
            for w in self.webinars
            if str(w[field]) == key
            and any(start <= _parse(time["startTime"]) < end for time in w["times"])
        ]
        return self._page(request, "webinars", rows)

    def _sessions(self, request: Request, organizer: str) -> Response:
        refused = self._refused("sessions")
        if refused:
            return refused
        window = self._window(request)
        if isinstance(window, Response):
            return window
        start, end = window
        owners = {w["webinarKey"]: str(w["organizerKey"]) for w in self.webinars}
        rows = [
            s
            for s in self.sessions
            if owners[s["webinarKey"]] == organizer and start <= _parse(s["startTime"]) < end
        ]
        return self._page(request, "sessionInfoResources", rows)

    def _find_webinar(self, organizer: str, key: str) -> dict[str, t.Any] | None:
        for webinar in self.webinars:
            if webinar["webinarKey"] == key and str(webinar["organizerKey"]) == organizer:
                return webinar
        return None

    def _registrants(self, request: Request, webinar: dict[str, t.Any]) -> Response:
        refused = self._refused("registrants")
        if refused:
            return refused
        rows = [self._drifted(r) for r in self.registrants[int(webinar["webinarKey"])]]
        page, limit = request.arg("page"), request.arg("limit")
        if page is None or limit is None or self.options.get("registrant_paging") is False:
            return Response.json(rows)
        number, size = int(page), int(limit)
        if size > MAX_SIZE or size < 1:
            return Response.json({"int_err_code": "InvalidRequest", "msg": "bad limit"}, 400)
        size = min(size, int(self.options.get("page_cap") or size))
        chunk = rows[number * size : (number + 1) * size]
        return Response.json(
            {
                "data": chunk,
                "total": len(rows),
                "page": number,
                "limit": size,
                "pageSize": len(chunk),
            }
        )

    def _session_part(self, webinar: dict[str, t.Any], session: str, rest: list[str]) -> Response:
        held = next(
            (
                s
                for s in self.sessions
                if s["sessionKey"] == session and s["webinarKey"] == webinar["webinarKey"]
            ),
            None,
        )
        if held is None:
            return Response.json({"int_err_code": "NotFound", "msg": "no session"}, 404)
        skey = int(session)
        if rest == ["attendees"]:
            return self._refused("attendees") or Response.json(
                [self._drifted(a) for a in self.attendees[skey]]
            )
        if rest == ["questions"]:
            return self._refused("questions") or Response.json(self.questions[skey])
        if len(rest) == 3 and rest[0] == "attendees" and rest[2] in ("polls", "surveys"):
            refused = self._refused(rest[2])
            if refused:
                return refused
            answers = (self.polls if rest[2] == "polls" else self.surveys)[skey]
            if not rest[1].isdigit() or int(rest[1]) not in answers:
                return Response.json({"int_err_code": "NotFound", "msg": "no attendee"}, 404)
            return Response.json(answers[int(rest[1])])
        return Response.json({"int_err_code": "NotFound", "msg": "unknown path"}, status=404)

    def _drifted(self, row: dict[str, t.Any]) -> dict[str, t.Any]:
        drift = self.options.get("drift") or ()
        out = dict(row)
        if "added" in drift:
            out["marketingConsent"] = True
        if "dropped" in drift:
            out.pop("firstName", None)
        if "nulled" in drift:
            out["lastName"] = None
        return out

    # ------------------------------------------------------------------ hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        with self.lock:
            self.options.update(options)
            if "rate_limit" in options:
                self.limit.reset()

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        if action == "expire_tokens":
            for token in self.tokens:
                self.tokens[token] = 0.0
            return {"expired": len(self.tokens)}
        if action == "add_registrant":
            webinar = self._upcoming()
            person = self._registrant(webinar, len(self.registrants[int(webinar["webinarKey"])]))
            person["status"] = payload.get("status", "APPROVED")
            person["registrationDate"] = utc(self.now())
            self.registrants[int(webinar["webinarKey"])].append(person)
            return {
                "webinar_key": webinar["webinarKey"],
                "registrant_key": str(person["registrantKey"]),
            }
        if action == "add_attendee":  # registers and attends the latest completed session
            session = max(self.sessions, key=lambda s: s["endTime"])
            webinar = next(w for w in self.webinars if w["webinarKey"] == session["webinarKey"])
            wkey, skey = int(webinar["webinarKey"]), int(session["sessionKey"])
            person = self._registrant(webinar, len(self.registrants[wkey]))
            person["status"] = "APPROVED"
            self.registrants[wkey].append(person)
            join = {"joinTime": session["startTime"], "leaveTime": session["endTime"]}
            seconds = int((_parse(join["leaveTime"]) - _parse(join["joinTime"])).total_seconds())
            self.attendees[skey].append(
                {
                    "registrantKey": person["registrantKey"],
                    "firstName": person["firstName"],
                    "lastName": person["lastName"],
                    "email": person["email"],
                    "attendanceTimeInSeconds": seconds,
                    "sessionKey": skey,
                    "attendance": [join],
                }
            )
            self.polls[skey][person["registrantKey"]] = []
            self.surveys[skey][person["registrantKey"]] = []
            added = str(person["registrantKey"])
            return {"webinar_key": webinar["webinarKey"], "registrant_key": added}
        if action == "complete_session":
            webinar = self._upcoming()
            end = self.now() - timedelta(minutes=5)
            time = {"startTime": utc(end - timedelta(hours=1)), "endTime": utc(end)}
            webinar["times"] = [time]
            for person in self.registrants[int(webinar["webinarKey"])]:
                person["status"] = "APPROVED"
            session = self._complete(webinar, time)
            return {"webinar_key": webinar["webinarKey"], "session_key": session["sessionKey"]}
        if action == "add_answer":
            recent = max(self.sessions, key=lambda s: s["endTime"])
            question = next(
                q for q in self.questions[int(recent["sessionKey"])] if not q["answers"]
            )
            question["answers"].append(
                {
                    "answer": "Answered late, after the session.",
                    "answeredBy": "1",
                    "answererRole": "ORGANIZER",
                    "answerTime": utc(self.now()),
                    "answererEmail": "host@example.com",
                }
            )
            return {"session_key": recent["sessionKey"], "asker_key": question["askerKey"]}
        raise KeyError(action)

    def _upcoming(self) -> dict[str, t.Any]:
        now = self.now()
        return next(w for w in self.webinars if _parse(w["times"][0]["endTime"]) > now)

    def dataset(self) -> dict[str, t.Any]:  # noqa: D102
        return {
            "organizer_key": str(self.organizer_key),
            "other_organizer_key": str(self.other_organizer),
            "account_key": str(self.account_key),
            "webinars": self.webinars,
            "sessions": self.sessions,
            "registrants": {str(k): v for k, v in self.registrants.items()},
            "attendees": {str(k): v for k, v in self.attendees.items()},
            "questions": {str(k): v for k, v in self.questions.items()},
            "polls": {str(s): {str(r): a for r, a in v.items()} for s, v in self.polls.items()},
            "surveys": {str(s): {str(r): a for r, a in v.items()} for s, v in self.surveys.items()},
        }


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment.astimezone(timezone.utc)
