"""Simulated Zoom Webinars API v2 (reference: zoom-api-openapi.json, zoom-docs-excerpts.txt).

Served under `/zoom`: the Server-to-Server OAuth token endpoint (`POST /oauth/token?
grant_type=account_credentials&account_id=...`, Basic client id and secret), so one prefix is
both `zoom_oauth_url` and `api_url`; then, with the Bearer token, `/users`,
`/users/{id}/webinars` (scheduled | upcoming; expired webinars omitted), `/webinars/{id}`,
`/webinars/{id}/registrants` (approved | pending | denied), `/past_webinars/{id}/instances`,
`/past_webinars/{uuid}/absentees`, `/report/users/{id}/meetings` (one-month windows within
6 months), `/report/webinars/{uuid}/participants|polls|qa|survey`.

What real accounts do and the sandbox does too: `next_page_token` paging (`page_size` capped
at 300); instance uuids with `/`, `//`, `+` and `=`, answered 404 unless encoded (double
encoded where they start with `/` or hold `//`); a deleted webinar (code 3001); an instance
past the 6-month report retention (400, code 3001 as Zoom answers old reports); a webinar
without registration (registrants: code 200; absentees: 400, code 3000); hidden emails;
people who join twice; per-label rate limits (429 with `X-RateLimit-*` and `Retry-After`)
and a Heavy daily cap.

Options (`sandbox.configure(zoom={...})`):
    rate_limits      {"Light": n, "Medium": n, "Heavy": n} requests a second (Pro: 30/20/10)
    heavy_daily      the Heavy daily cap (30,000)
    missing_scopes   scopes the app lacks (`report:read:admin`...): 400 with code 4711
    no_webinar_plan  true: webinar endpoints answer code 200 (no Webinar add-on)
    token_seconds    how long a token lasts (3,599 s, as Zoom's)
    drift            any of DRIFTS: a field added, dropped or nulled in registrants and
                     participants
    reset_rate_limit true: forget the rate-limit windows
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
import typing as t
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

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

ACCOUNT_ID = "zoom-sandbox-account"
CLIENT_ID = "zoom-sandbox-client"
CLIENT_SECRET = "zoom-sandbox-secret/+="  # noqa: S105 - the sandbox's own
MAX_PAGE_SIZE = 300
RETENTION = timedelta(days=183)
LABELS = {"Light": 30, "Medium": 20, "Heavy": 10}
DRIFTS = ("field_added", "field_dropped", "field_nulled")
# Uuids that break naive clients: a leading `/`, a `//`, `+` and `=`.
HOSTILE_UUIDS = ("/zA+b//Qw9r=xY+kLm3T==", "ab//cd+EFgh/ij==", "Kp3+x/yZq8W=")
SCOPES = {  # by the path's first segment (a host's webinar listing: the webinar scope)
    "users": "user:read:admin",
    "webinars": "webinar:read:admin",
    "past_webinars": "webinar:read:admin",
    "report": "report:read:admin",
}
SIZES = {"small": 0, "default": 3, "large": 40}


def _error(code: int, message: str, status: int) -> Response:
    return Response.json({"code": code, "message": message}, status=status)


class ZoomSimulator(PlatformSimulator):
    """Zoom: hosts, webinars with occurrences and ended instances, registrants, reports."""

    prefix = "zoom"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self.tokens: dict[str, float] = {}  # token -> when it lapses (time.monotonic)
        self.token_seconds = 3599
        self.limits = {label: SlidingWindowLimit(calls, 1.0) for label, calls in LABELS.items()}
        self.heavy_daily = 30_000
        self.heavy_used = 0
        self.missing_scopes: set[str] = set()
        self.no_webinar_plan = False
        self.drift: set[str] = set()
        self.users: list[dict[str, t.Any]] = []
        self.webinars: list[dict[str, t.Any]] = []
        self._serial = 0
        self._generate(SIZES.get(size, 0))

    # ----------------------------------------------------------------- data generation

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _uuid(self) -> str:
        raw = bytes(self.random.randrange(256) for _ in range(16))
        return base64.b64encode(raw).decode("ascii")

    def _generate(self, extra: int) -> None:
        now = self.started_at
        self.users = [
            {"id": "u1AcTiVe", "email": "host.one@example.com", "status": "active"},
            {"id": "u2InAcTiVe", "email": "host.two@example.com", "status": "inactive"},
            {"id": "u3PeNdInG", "email": "host.three@example.com", "status": "pending"},
        ]
        day = timedelta(days=1)
        # 1: one-time, ended 10 days ago, a uuid needing double encoding, joins twice.
        w1 = self._webinar("u1AcTiVe", "Pipelines at Scale", now - 10 * day, registrants=12)
        self._end(w1, None, HOSTILE_UUIDS[0])
        # 2: recurring; one instance 20 days ago, one 2 hours ago, one upcoming.
        w2 = self._webinar(
            "u1AcTiVe",
            "Office Hours",
            now - 20 * day,
            registrants=8,
            occurrences=[now - 20 * day, now - timedelta(hours=3), now + 7 * day],
        )
        self._end(w2, w2["occurrences"][0], HOSTILE_UUIDS[1])
        self._end(w2, w2["occurrences"][1], HOSTILE_UUIDS[2])
        # 3: no registration, hidden emails: registrants come from participants.
        w3 = self._webinar("u1AcTiVe", "Open Q&A — ohne Anmeldung", now - 5 * day, registrants=0)
        w3["settings"]["approval_type"] = 2
        self._end(w3, None, self._uuid(), walk_ins=6)
        # 4: upcoming, more than 300 registrants (next_page_token paging).
        keynote = self._webinar("u2InAcTiVe", "Launch Keynote", now + 14 * day, registrants=3)
        for _ in range(MAX_PAGE_SIZE + 5):
            self._register(keynote)
        # 5: ended 2 months ago and since deleted (code 3001): found by the report only.
        w5 = self._webinar("u2InAcTiVe", "Deleted Briefing", now - 60 * day, registrants=5)
        self._end(w5, None, self._uuid())
        w5["deleted"] = True
        # 6: recurring, expired; one instance past the 6-month retention.
        w6 = self._webinar(
            "u1AcTiVe",
            "Quarterly Review",
            now - 220 * day,
            registrants=4,
            occurrences=[now - 220 * day, now - 30 * day],
        )
        self._end(w6, w6["occurrences"][0], self._uuid())
        self._end(w6, w6["occurrences"][1], self._uuid())
        w6["listed"] = False
        for index in range(extra):
            start = now - (40 + 3 * index) * day
            webinar = self._webinar("u1AcTiVe", f"Series #{index + 1}", start, registrants=40)
            self._end(webinar, None, self._uuid())

    def _webinar(
        self,
        host: str,
        topic: str,
        start: datetime,
        *,
        registrants: int,
        occurrences: list[datetime] | None = None,
    ) -> dict[str, t.Any]:
        number = 81_000_000_000 + self._next() * 7919
        times = occurrences or [start]
        webinar: dict[str, t.Any] = {
            "id": number,
            "uuid": self._uuid(),
            "host_id": host,
            "topic": topic,
            "type": 9 if occurrences else 5,
            "start_time": utc(times[0]),
            "duration": 60,
            "timezone": "Europe/Berlin",
            "agenda": f"{topic}: agenda",
            "created_at": utc(times[0] - timedelta(days=30)),
            "join_url": f"https://zoom.us/j/{number}",
            "settings": {"approval_type": 0, "registration_type": 1},
            "occurrences": [
                {
                    "occurrence_id": str(int(when.timestamp() * 1000)),
                    "start_time": utc(when),
                    "duration": 60,
                    "status": "available",
                }
                for when in times
            ]
            if occurrences
            else [],
            "deleted": False,
            "listed": True,
            "registrants": [],
            "instances": [],
        }
        if not occurrences:  # a one-time webinar: its own start is its one occurrence
            webinar["_single"] = {"start_time": utc(start), "duration": 60}
        self.webinars.append(webinar)
        for index in range(registrants):
            self._register(webinar, ("approved", "approved", "pending", "denied")[index % 4])
        return webinar

    def _register(self, webinar: dict[str, t.Any], status: str = "approved") -> dict[str, t.Any]:
        rnd = self.random
        serial = self._next()
        city, country = rnd.choice(CITIES)
        created = min(self.started_at, _parse(webinar["start_time"]) - timedelta(days=2))
        registrant = {
            "id": f"reg{serial:05d}Zx",
            "email": f"person{serial}@example.com",
            "first_name": rnd.choice(FIRST_NAMES),
            "last_name": rnd.choice(LAST_NAMES),
            "org": rnd.choice(COMPANIES),
            "job_title": rnd.choice(["Data Engineer", "", "CMO"]),
            "city": city,
            "country": country,
            "zip": "",
            "phone": rnd.choice(["", "+49 30 1234567"]),
            "industry": rnd.choice(["Software", ""]),
            "status": status,
            "create_time": utc(created - timedelta(minutes=serial)),
            "join_url": f"https://zoom.us/w/{webinar['id']}?tk={serial}",
            "custom_questions": [{"title": "Why attend?", "value": rnd.choice(["Learn", ""])}],
        }
        webinar["registrants"].append(registrant)
        return registrant

    def _slot(
        self, webinar: dict[str, t.Any], occurrence: dict[str, t.Any] | None
    ) -> dict[str, t.Any]:
        return occurrence or webinar["_single"]

    def _end(
        self,
        webinar: dict[str, t.Any],
        occurrence: dict[str, t.Any] | None,
        uuid: str,
        *,
        walk_ins: int = 0,
    ) -> dict[str, t.Any]:
        """Hold an occurrence: participants (some join twice), absentees, polls, Q&A, survey."""
        rnd = self.random
        slot = self._slot(webinar, occurrence)
        start = _parse(slot["start_time"])
        end = start + timedelta(minutes=int(slot["duration"]))
        if occurrence is not None:
            occurrence["status"] = "ended"
        instance: dict[str, t.Any] = {
            "uuid": uuid,
            "start_time": utc(start),
            "end_time": utc(end),
            "duration": int(slot["duration"]),
            "participants": [],
            "polls": [],
            "qa": [],
            "survey": [],
        }
        approved = [r for r in webinar["registrants"] if r["status"] == "approved"]
        people: list[dict[str, t.Any]] = []
        for index, registrant in enumerate(approved):
            if index % 3 == 2:
                continue  # an absentee
            hidden = index % 5 == 4
            people.append(
                {
                    "name": f"{registrant['first_name']} {registrant['last_name']}",
                    "email": "" if hidden else registrant["email"],
                    "registrant_id": registrant["id"],
                }
            )
        for index in range(walk_ins):
            name = f"{rnd.choice(FIRST_NAMES)} Walk-in {index}"
            hidden = index % 2 == 1
            people.append({"name": name, "email": "" if hidden else f"walkin{index}@example.org"})
        people.append({"name": "Hana Host", "email": "host.one@example.com", "panelist": True})
        for index, person in enumerate(people):
            joins = 2 if index % 4 == 1 else 1  # rejoined after a dropped connection
            moment = start + timedelta(minutes=rnd.randint(0, 5))
            for _ in range(joins):
                seconds = rnd.randint(120, 1500)
                leave = moment + timedelta(seconds=seconds)
                row = {
                    "id": "" if index % 3 == 0 else f"zu{index}{uuid[:3]}",
                    "user_id": str(16_000_000 + self._next()),
                    "name": person["name"],
                    "user_email": person["email"],
                    "join_time": utc(moment),
                    "leave_time": utc(leave),
                    "duration": seconds,
                    "status": "in_meeting",
                    "failover": False,
                    "customer_key": "",
                }
                if "registrant_id" in person:
                    row["registrant_id"] = person["registrant_id"]
                instance["participants"].append(row)
                moment = leave + timedelta(seconds=rnd.randint(30, 300))
            if person.get("panelist"):
                continue
            if index % 2 == 0:
                instance["polls"].append(
                    {
                        "email": person["email"],
                        "name": person["name"],
                        "question_details": [
                            {
                                "question": "How did you hear about us?",
                                "answer": rnd.choice(["LinkedIn", "Newsletter;Friend"]),
                                "date_time": utc(start + timedelta(minutes=20)),
                                "polling_id": "PollA1",
                            }
                        ],
                    }
                )
            if index % 3 == 1:
                instance["qa"].append(
                    {
                        "email": person["email"],
                        "name": person["name"],
                        "question_details": [
                            {
                                "question": f"Question {index} about {webinar['topic']}?",
                                "answer": rnd.choice(["live answered", "See the docs", ""]),
                            }
                        ],
                    }
                )
            if index % 4 == 0:
                instance["survey"].append(
                    {
                        "email": person["email"],
                        "name": person["name"],
                        "answer_details": [
                            {
                                "question_id": "S1",
                                "question": "Rate the session",
                                "answer": str(rnd.randint(1, 5)),
                                "date_time": utc(end + timedelta(minutes=5)),
                            }
                        ],
                    }
                )
        webinar["instances"].append(instance)
        return instance

    # --------------------------------------------------------------------- helpers

    def _now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)

    def _slots(self, webinar: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        return webinar["occurrences"] or [webinar["_single"]]

    def _upcoming(self, webinar: dict[str, t.Any]) -> bool:
        now = self._now()
        ended = {i["start_time"] for i in webinar["instances"]}
        return any(
            s["start_time"] not in ended
            and _parse(s["start_time"]) + timedelta(minutes=int(s["duration"])) >= now
            for s in self._slots(webinar)
        )

    def _find(self, webinar_id: str) -> dict[str, t.Any] | None:
        return next((w for w in self.webinars if str(w["id"]) == webinar_id), None)

    def _instance(self, segment: str) -> tuple[dict[str, t.Any], dict[str, t.Any]] | None:
        """The instance a path segment names, if it is encoded as Zoom requires."""
        if "+" in segment or "=" in segment:
            return None  # a raw `+` reads as a space, a raw `=` is not a uuid character
        once = unquote(segment)
        uuid = unquote(once) if "%" in once else once
        for webinar in self.webinars:
            for instance in webinar["instances"]:
                if instance["uuid"] == uuid:
                    needs_double = uuid.startswith("/") or "//" in uuid
                    if needs_double and "%" not in once:
                        return None  # single-encoded: Zoom's gateway decodes it into a path
                    return webinar, instance
        return None

    def _present(self, kind: str, row: dict[str, t.Any]) -> dict[str, t.Any]:
        shown = {k: v for k, v in row.items() if not k.startswith("_")}
        if "field_added" in self.drift:
            shown["zoom_new_field"] = {"added": True}
        if "field_dropped" in self.drift:
            shown.pop("job_title" if kind == "registrant" else "status", None)
        if "field_nulled" in self.drift:
            shown["org" if kind == "registrant" else "customer_key"] = None
        return shown

    def _page(self, request: Request, name: str, rows: list[t.Any], **envelope: t.Any) -> Response:
        try:
            size = min(MAX_PAGE_SIZE, max(1, int(request.arg("page_size") or 30)))
        except ValueError:
            return _error(300, "Invalid page_size", 400)
        token = request.arg("next_page_token") or ""
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        except ValueError:
            return _error(300, "The next page token is invalid or expired.", 400)
        following = offset + size
        next_token = (
            base64.urlsafe_b64encode(str(following).encode()).decode()
            if following < len(rows)
            else ""
        )
        return Response.json(
            {
                **envelope,
                "page_size": size,
                "total_records": len(rows),
                "next_page_token": next_token,
                name: rows[offset:following],
            }
        )

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:  # noqa: D102
        if request.path.rstrip("/") == "/oauth/token":
            return self._token(request)
        token = (request.header("authorization") or "").removeprefix("Bearer ").strip()
        if token not in self.tokens:
            return _error(124, "Invalid access token.", 401)
        if time.monotonic() >= self.tokens[token]:
            return _error(124, "Access token is expired.", 401)
        if request.method != "GET":
            return _error(405, "Method not allowed", 405)
        label = self._label(request.path)
        limited = self._rate_limited(label)
        if limited is not None:
            return limited
        head = request.path.strip("/").split("/")[0]
        scope = SCOPES["webinars" if request.path.endswith("/webinars") else head]
        if scope in self.missing_scopes:
            return _error(4711, f"Invalid access token, does not contain scopes:[{scope}]", 400)
        if (self.no_webinar_plan and head in ("webinars", "past_webinars")) or (
            self.no_webinar_plan and request.path.endswith("/webinars")
        ):
            return _error(
                200, "Webinar plan is missing. You must subscribe to the webinar plan.", 400
            )
        with self.lock:
            return self._route(request)

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "Method not allowed", 405)
        auth = (request.header("authorization") or "").removeprefix("Basic ").strip()
        try:
            client_id, _, secret = base64.b64decode(auth).decode().partition(":")
        except ValueError:
            client_id, secret = "", ""
        if request.arg("grant_type") != "account_credentials":
            return Response.json(
                {"reason": "Unsupported grant type", "error": "invalid_request"}, 400
            )
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return Response.json(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 400
            )
        if request.arg("account_id") != ACCOUNT_ID:
            return Response.json({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        token = f"zoom-token-{self._next()}-{self.random.randrange(10**9)}"
        self.tokens[token] = time.monotonic() + self.token_seconds
        return Response.json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_seconds,
                "scope": " ".join(sorted(set(SCOPES.values()) - self.missing_scopes)),
            }
        )

    @staticmethod
    def _label(path: str) -> str:
        if path.startswith("/report") or path.endswith("/absentees"):
            return "Heavy"
        if re.fullmatch(r"/webinars/\d+|/past_webinars/\d+/instances", path.rstrip("/")):
            return "Light"
        return "Medium"

    def _rate_limited(self, label: str) -> Response | None:
        limit = self.limits[label]
        headers = {"X-RateLimit-Category": label, "X-RateLimit-Limit": str(limit.calls)}
        if label == "Heavy" and self.heavy_used >= self.heavy_daily:
            tomorrow = (self._now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
            wait = max(1, math.ceil((tomorrow - self._now()).total_seconds()))
            return Response.json(
                {"code": 429, "message": "You have reached the maximum daily rate limit"},
                status=429,
                **headers,
                **{
                    "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(wait),
                },
            )
        refused = limit.hit("account")
        if refused is not None:
            return Response.json(
                {"code": 429, "message": "You have exceeded the rate limit."},
                status=429,
                **headers,
                **{
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(max(1, math.ceil(refused))),
                },
            )
        if label == "Heavy":
            self.heavy_used += 1
        return None

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/users":
            status = request.arg("status") or "active"
            rows = [
                {"id": u["id"], "email": u["email"], "status": u["status"], "type": 2}
                for u in self.users
                if u["status"] == status
            ]
            return self._page(request, "users", rows)
        if match := re.fullmatch(r"/users/([^/]+)/webinars", path):
            user = self._user(unquote(match[1]))
            if user is None:
                return _error(1001, "User does not exist.", 404)
            kind = request.arg("type") or "scheduled"
            rows = [
                self._listed(w)
                for w in self.webinars
                if w["host_id"] == user["id"]
                and w["listed"]
                and not w["deleted"]
                and (kind == "scheduled" or self._upcoming(w))
            ]
            return self._page(request, "webinars", rows)
        if match := re.fullmatch(r"/report/users/([^/]+)/meetings", path):
            return self._report_meetings(request, unquote(match[1]))
        if match := re.fullmatch(r"/webinars/(\d+)", path):
            webinar = self._find(match[1])
            if webinar is None or webinar["deleted"]:
                return _error(3001, "Webinar does not exist.", 404)
            return Response.json(self._details(webinar))
        if match := re.fullmatch(r"/webinars/(\d+)/registrants", path):
            webinar = self._find(match[1])
            if webinar is None or webinar["deleted"]:
                return _error(3001, "Webinar does not exist.", 404)
            if webinar["settings"]["approval_type"] == 2:
                return _error(200, "Webinar registration has not been enabled.", 400)
            status = request.arg("status") or "approved"
            if status not in ("approved", "pending", "denied"):
                return _error(300, "Invalid status", 400)
            rows = [
                self._present("registrant", r)
                for r in webinar["registrants"]
                if r["status"] == status
            ]
            return self._page(request, "registrants", rows)
        if match := re.fullmatch(r"/past_webinars/(\d+)/instances", path):
            webinar = self._find(match[1])
            if webinar is None:
                return _error(3001, "Webinar does not exist.", 404)
            return Response.json(
                {
                    "webinars": [
                        {"uuid": i["uuid"], "start_time": i["start_time"]}
                        for i in webinar["instances"]
                    ]
                }
            )
        if match := re.fullmatch(r"/past_webinars/([^/]+)/absentees", path):
            found = self._instance(match[1])
            if found is None:
                return _error(3001, "Webinar does not exist.", 404)
            webinar, instance = found
            if (problem := self._retained(instance)) is not None:
                return problem
            if webinar["settings"]["approval_type"] == 2:
                return _error(3000, f"This Webinar has not registration required: {match[1]}", 400)
            joined = {p.get("registrant_id") for p in instance["participants"]}
            rows = [
                self._present("registrant", r)
                for r in webinar["registrants"]
                if r["status"] == "approved" and r["id"] not in joined
            ]
            return self._page(request, "registrants", rows)
        if match := re.fullmatch(r"/report/webinars/([^/]+)/(participants|polls|qa|survey)", path):
            found = self._instance(match[1])
            if found is None:
                return _error(3001, "Webinar does not exist.", 404)
            webinar, instance = found
            if (problem := self._retained(instance)) is not None:
                return problem
            kind = match[2]
            if kind == "participants":
                with_id = "registrant_id" in (request.arg("include_fields") or "")
                rows = [
                    self._present(
                        "participant",
                        p if with_id else {k: v for k, v in p.items() if k != "registrant_id"},
                    )
                    for p in instance["participants"]
                ]
                return self._page(request, "participants", rows)
            envelope = {
                "id": webinar["id"],
                "uuid": instance["uuid"],
                "start_time": instance["start_time"],
            }
            if kind == "survey":
                return Response.json(
                    {
                        **envelope,
                        "survey_id": "SV1",
                        "survey_name": "After the webinar",
                        "survey_answers": instance["survey"],
                    }
                )
            return Response.json({**envelope, "questions": instance[kind]})
        return _error(404, f"No route for {path}", 404)

    def _user(self, key: str) -> dict[str, t.Any] | None:
        if key == "me":  # the app's owner: the account's first user
            return self.users[0]
        return next((u for u in self.users if key in (u["id"], u["email"])), None)

    def _retained(self, instance: dict[str, t.Any]) -> Response | None:
        if _parse(instance["start_time"]) < self._now() - RETENTION:
            return _error(3001, "This webinar's report is older than 6 months.", 400)
        return None

    def _listed(self, webinar: dict[str, t.Any]) -> dict[str, t.Any]:
        return {
            "id": webinar["id"],
            "uuid": webinar["uuid"],
            "host_id": webinar["host_id"],
            "topic": webinar["topic"],
            "type": webinar["type"],
            "start_time": webinar["start_time"],
            "duration": webinar["duration"],
            "timezone": webinar["timezone"],
            "agenda": webinar["agenda"],
            "created_at": webinar["created_at"],
            "join_url": webinar["join_url"],
        }

    def _details(self, webinar: dict[str, t.Any]) -> dict[str, t.Any]:
        details = self._listed(webinar) | {"settings": dict(webinar["settings"])}
        if webinar["occurrences"]:
            details["occurrences"] = [dict(o) for o in webinar["occurrences"]]
        if webinar["settings"]["approval_type"] != 2:
            details["registration_url"] = f"https://zoom.us/webinar/register/{webinar['id']}"
        return details

    def _report_meetings(self, request: Request, user_key: str) -> Response:
        user = self._user(user_key)
        if user is None:
            return _error(1001, "User does not exist.", 404)
        try:
            first = datetime.strptime(request.arg("from") or "", "%Y-%m-%d")
            last = datetime.strptime(request.arg("to") or "", "%Y-%m-%d")
        except ValueError:
            return _error(300, "from and to must be yyyy-mm-dd", 400)
        first, last = first.replace(tzinfo=timezone.utc), last.replace(tzinfo=timezone.utc)
        if last - first > timedelta(days=31) or last < first:
            return _error(300, "The date range must be within one month.", 400)
        if first < self._now() - RETENTION - timedelta(days=1):
            return _error(300, "Reports are only available for the last 6 months.", 400)
        rows = []
        for webinar in self.webinars:
            if webinar["host_id"] != user["id"] or self.no_webinar_plan:
                continue
            for instance in webinar["instances"]:
                day = _parse(instance["start_time"]).replace(hour=0, minute=0, second=0)
                if first <= day <= last:
                    people = {p["name"] for p in instance["participants"]}
                    rows.append(
                        {
                            "uuid": instance["uuid"],
                            "id": webinar["id"],
                            "host_id": user["id"],
                            "type": webinar["type"],
                            "topic": webinar["topic"],
                            "user_name": "Hana Host",
                            "user_email": user["email"],
                            "start_time": instance["start_time"],
                            "end_time": instance["end_time"],
                            "duration": instance["duration"],
                            "total_minutes": sum(p["duration"] for p in instance["participants"])
                            // 60,
                            "participants_count": len(people),
                            "source": "Zoom",
                        }
                    )
        rows.sort(key=lambda r: r["start_time"])
        return self._page(
            request, "meetings", rows, **{"from": request.arg("from"), "to": request.arg("to")}
        )

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        if "rate_limits" in options:
            for label, calls in options["rate_limits"].items():
                self.limits[label] = SlidingWindowLimit(int(calls), 1.0)
        if options.get("reset_rate_limit"):
            for limit in self.limits.values():
                limit.reset()
        if "heavy_daily" in options:
            self.heavy_daily = int(options["heavy_daily"])
            self.heavy_used = 0
        if "missing_scopes" in options:
            self.missing_scopes = set(options["missing_scopes"])
        if "token_seconds" in options:
            self.token_seconds = int(options["token_seconds"])
        if "no_webinar_plan" in options:
            self.no_webinar_plan = bool(options["no_webinar_plan"])
        if "drift" in options:
            self.drift = set(options["drift"])
            if self.drift - set(DRIFTS):
                raise KeyError(f"unknown drift {sorted(self.drift - set(DRIFTS))}")

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        if action == "add_registrant":
            webinar = self._find(str(payload["webinar_id"]))
            if webinar is None:
                raise KeyError(f"webinar {payload['webinar_id']}")
            added = [
                self._register(webinar, str(payload.get("status", "approved")))
                for _ in range(int(payload.get("count", 1)))
            ]
            return {"registrant_ids": [r["id"] for r in added]}
        if action == "add_attendees":  # register and join the latest ended instance
            webinar = self._find(str(payload["webinar_id"]))
            if webinar is None or not webinar["instances"]:
                raise KeyError(f"webinar {payload['webinar_id']} with an ended instance")
            instance = max(webinar["instances"], key=lambda i: i["end_time"])
            added = [self._register(webinar) for _ in range(int(payload.get("count", 1)))]
            for registrant in added:
                joined = _parse(instance["start_time"]) + timedelta(minutes=5)
                instance["participants"].append(
                    {
                        "id": "",
                        "user_id": str(16_000_000 + self._next()),
                        "name": f"{registrant['first_name']} {registrant['last_name']}",
                        "user_email": registrant["email"],
                        "join_time": utc(joined),
                        "leave_time": utc(joined + timedelta(minutes=30)),
                        "duration": 1800,
                        "status": "in_meeting",
                        "failover": False,
                        "customer_key": "",
                        "registrant_id": registrant["id"],
                    }
                )
            return {"registrant_ids": [r["id"] for r in added], "uuid": instance["uuid"]}
        if action == "end_instance":
            webinar = self._find(str(payload["webinar_id"]))
            if webinar is None:
                raise KeyError(f"webinar {payload['webinar_id']}")
            ended = {i["start_time"] for i in webinar["instances"]}
            slot = next(s for s in self._slots(webinar) if s["start_time"] not in ended)
            start = self._now() - timedelta(minutes=int(slot["duration"]) + 10)
            slot["start_time"] = utc(start)
            occurrence = slot if webinar["occurrences"] else None
            if occurrence is None:
                webinar["start_time"] = slot["start_time"]
            instance = self._end(webinar, occurrence, str(payload.get("uuid") or self._uuid()))
            return {"uuid": instance["uuid"]}
        if action == "add_poll_answer":
            for webinar in self.webinars:
                for instance in webinar["instances"]:
                    if instance["uuid"] == payload["uuid"]:
                        person = next(p for p in instance["participants"] if p["user_email"])
                        answer = {
                            "email": person["user_email"],
                            "name": person["name"],
                            "question_details": [
                                {
                                    "question": "Anything else?",
                                    "answer": "A late answer",
                                    "date_time": utc(self._now()),
                                    "polling_id": "PollLate",
                                }
                            ],
                        }
                        instance["polls"].append(answer)
                        return {"email": person["user_email"], "webinar_id": webinar["id"]}
            raise KeyError(f"instance {payload['uuid']}")
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:  # noqa: D102
        return t.cast(
            dict[str, t.Any],
            json.loads(
                json.dumps(
                    {
                        "now": utc(self._now()),
                        "retention_days": RETENTION.days,
                        "users": self.users,
                        "webinars": [
                            {**w, "upcoming": self._upcoming(w), "slots": self._slots(w)}
                            for w in self.webinars
                        ],
                    }
                )
            ),
        )


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
