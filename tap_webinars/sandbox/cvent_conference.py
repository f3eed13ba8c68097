"""Simulated Cvent Conference API (reference: cvent-conference-api-overview.txt).

Served under `/cvent/conference`, standing for `https://EVENT.smarteventscloud.com`:
    POST /api/<resource>.do    form fields `apiToken` and `event` (a GUID, `all`, or none for
                               the site's own event); answers XML
    event.do, sessionData.do (documented); userData.do, attendanceData.do, surveyData.do
    (the tap's provisional defaults: the real names are not public)
Answers: `<response><responseCode>..</responseCode><responseMessage>..</responseMessage>
<{plural}>records</{plural}></response>`, streamed record by record. Codes (provisional, as
the tap's defaults): 0 success, 101 invalid API token, 102 IP address not allowed, 103
account-level access not enabled (`event=all`), 104 invalid event, 105 this resource not
enabled for the token (`refused_resources`, set through `configure`). `event=all` works only
with account-level access (off unless a test turns it on). Test hooks refuse the token or the
IP, or make the next answer a given failure code or malformed XML.
"""

from __future__ import annotations

import random
import typing as t
import uuid
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape, quoteattr

from tap_webinars.sandbox.core import (
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    Request,
    Response,
)

API_TOKEN = "conference-sandbox-t0ken"  # noqa: S105 - the sandbox's own test token
SUCCESS, BAD_TOKEN, BAD_IP, NO_ACCOUNT_LEVEL, BAD_EVENT = "0", "101", "102", "103", "104"
NOT_PERMITTED = "105"
MESSAGES = {
    NOT_PERMITTED: "Access to this API is not enabled for this token",
    SUCCESS: "Success",
    BAD_TOKEN: "Invalid API token",
    BAD_IP: "IP address not allowed",
    NO_ACCOUNT_LEVEL: "Account level access is not enabled",
    BAD_EVENT: "Invalid event",
}
# Users per event: none, a few, more; `large` for memory checks.
SIZES = {"small": [0, 1, 5], "default": [0, 2, 12, 45], "large": [2000, 2000, 2000]}
# resource -> (container element, record element, collection in the dataset)
RESOURCES = {
    "event.do": ("events", "event", "events"),
    "sessionData.do": ("sessions", "session", "sessions"),
    "userData.do": ("users", "user", "users"),
    "attendanceData.do": ("attendances", "attendance", "attendance"),
    "surveyData.do": ("responses", "response", "responses"),
}
OFFSETS = [timezone(timedelta(hours=-5)), timezone.utc, timezone(timedelta(hours=9))]
STATUSES = ["Registered", "Registered", "Cancelled", "Waitlisted"]
ATTENDANCE_TYPES = ["In-Person", "Virtual", "On-Demand"]
SURVEY = [
    ("q1", "How would you rate the event?", "SingleChoice", ["excellent", "good", "fair"]),
    ("q2", "Which topics interest you?", "MultiChoice", ["ai", "data", "security"]),
    ("q3", "Any comments?", "OpenEndedText", []),
]

Record = dict[str, t.Any]  # {"attributes": {...}, "elements": {...}, "custom_fields": {...}}


def _stamp(moment: datetime, offset: timezone) -> str:
    return moment.astimezone(offset).isoformat()


class ConferenceSimulator:
    """The Conference API of one account: several events, one event site's URL."""

    def __init__(self, seed: int, size: str, now: datetime) -> None:
        self.random = random.Random(f"cvent-conference:{seed}")  # noqa: S311 - test data
        self.now = now
        self.token = API_TOKEN
        self.account_level = False
        self.refuse_ip = False
        self.refused_resources: set[str] = set()  # answered 105: not enabled for the token
        self.failures: list[dict[str, t.Any]] = []  # one-shot answers, for tests
        self.data: dict[str, list[Record]] = {name: [] for _, _, name in RESOURCES.values()}
        self._generate(SIZES.get(size) or [int(n) for n in size.split(",")])

    # ----------------------------------------------------------------- data generation

    def _guid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4)).upper()

    def _generate(self, sizes: list[int]) -> None:
        for index, count in enumerate(sizes):
            offset = OFFSETS[index % len(OFFSETS)]
            start = (self.now - timedelta(days=3 + 9 * index)).replace(minute=0, second=0)
            guid = self._guid()
            self.data["events"].append(
                {
                    "attributes": {"eventGUID": guid},
                    "elements": {
                        "eventName": f"Conference {2024 + index} — Día {index + 1}",
                        "eventCode": f"CONF{index + 1:02d}",
                        "description": "" if index % 2 else "Keynotes & breakouts\n",
                        "eventType": "Conference",
                        "timeZone": ["America/New_York", "UTC", "Asia/Tokyo"][index % 3],
                        "startDate": _stamp(start, offset),
                        "endDate": _stamp(start + timedelta(days=2), offset),
                        "eventURL": f"https://acme.smarteventscloud.com/portal/{index + 1}",
                        "eventStatus": "Completed",
                    },
                    "custom_fields": {},
                }
            )
            sessions = [self._session(guid, start, slot, offset) for slot in range(1 + index % 3)]
            for _ in range(count):
                self._user(guid, start, sessions, offset)

    def _session(self, guid: str, start: datetime, slot: int, offset: timezone) -> Record:
        begins = start + timedelta(hours=2 * slot)
        session = {
            "attributes": {"sessionKey": self._guid(), "eventGUID": guid},
            "elements": {
                "title": f"Breakout {slot + 1}: Données & IA",
                "startTime": _stamp(begins, offset),
                "endTime": _stamp(begins + timedelta(hours=1), offset),
                "location": ["Hall A", "Room 2", ""][slot % 3],
                "capacity": str(100 + slot),
            },
            "custom_fields": {},
        }
        self.data["sessions"].append(session)
        return session

    def _user(self, guid: str, start: datetime, sessions: list[Record], offset: timezone) -> Record:
        rnd = self.random
        user_ref = self._guid()
        city, country = rnd.choice(CITIES)
        registered = start - timedelta(days=rnd.randint(1, 30), minutes=rnd.randint(0, 900))
        status = rnd.choice(STATUSES)
        user = {
            "attributes": {"userRef": user_ref, "eventGUID": guid},
            "elements": {
                "email": f"{user_ref[:8].lower()}@example.org",
                "firstName": rnd.choice(FIRST_NAMES),
                "lastName": rnd.choice(LAST_NAMES),
                "company": rnd.choice(COMPANIES),
                "title": rnd.choice(["CTO", "", "Directrice marketing"]),
                "phone": rnd.choice(["+1 512 555 0100", ""]),
                "address1": rnd.choice(["1 Main St", "Königstraße 5", ""]),
                "address2": "",
                "city": city,
                "state": rnd.choice(["TX", "", "Bayern"]),
                "zip": rnd.choice(["78701", "", "10115"]),
                "country": country,
                "registrationDate": _stamp(registered, offset),
                "lastModified": _stamp(registered + timedelta(hours=2), offset),
                "registrationStatus": status,
                "userType": rnd.choice(["Attendee", "Speaker", "Exhibitor"]),
                "badgeName": rnd.choice(["", "Dr. Who"]),
            },
            # Custom values come as codes, under the custom field's display value.
            "custom_fields": {
                "TypeOfBusiness": rnd.choice(["govt", "education"]),
                "Dietary": rnd.choice(["veg", "none"]),
            },
        }
        self.data["users"].append(user)
        if status == "Registered" and rnd.random() < 0.7:
            for session in sessions[: rnd.randint(1, len(sessions))]:
                self._scan(user, session, offset)
            if rnd.random() < 0.6:
                self._answer(user, start + timedelta(days=2), offset)
        return user

    def _scan(self, user: Record, session: Record, offset: timezone) -> None:
        rnd = self.random
        begins = datetime.fromisoformat(session["elements"]["startTime"])
        check_in = begins + timedelta(minutes=rnd.randint(0, 10))
        minutes = rnd.randint(5, 55)
        self.data["attendance"].append(
            {
                "attributes": {
                    "scanID": self._guid(),
                    "userRef": user["attributes"]["userRef"],
                    "eventGUID": user["attributes"]["eventGUID"],
                },
                "elements": {
                    "sessionKey": session["attributes"]["sessionKey"],
                    "attendanceType": rnd.choice(ATTENDANCE_TYPES),
                    "checkIn": _stamp(check_in, offset),
                    "checkOut": _stamp(check_in + timedelta(minutes=minutes), offset),
                    "durationMinutes": str(minutes),
                    "scanDevice": rnd.choice(["door-1", "app", ""]),
                },
                "custom_fields": {},
            }
        )

    def _answer(self, user: Record, when: datetime, offset: timezone) -> None:
        rnd = self.random
        for question_id, text, kind, codes in SURVEY:
            submitted = when + timedelta(minutes=rnd.randint(0, 99))
            if codes:
                answer: t.Any = rnd.sample(codes, 1 if kind == "SingleChoice" else 2)
            else:
                answer = rnd.choice(["Great talks!", "Trop court — more please 🙏"])
            self.data["responses"].append(
                {
                    "attributes": {
                        "responseID": self._guid(),
                        "userRef": user["attributes"]["userRef"],
                        "eventGUID": user["attributes"]["eventGUID"],
                    },
                    "elements": {
                        "surveyID": "S1",
                        "surveyName": "Event feedback",
                        "questionID": question_id,
                        "questionText": text,
                        "questionType": kind,
                        "answer": answer,  # a list: one <answer> element per choice code
                        "submittedDate": _stamp(submitted, offset),
                    },
                    "custom_fields": {},
                }
            )

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:
        """Answer `POST /api/<resource>` as the Conference API would."""
        resource = request.path.removeprefix("/api/")
        if resource not in RESOURCES or not request.path.startswith("/api/"):
            return Response.text("<html><body>404 Not Found</body></html>", 404, "text/html")
        if request.method != "POST":
            return Response.text("Method Not Allowed", 405)
        failure = self._next_failure(resource)
        if failure is not None:
            if failure.get("malformed"):
                return Response.xml("<response><responseCode>0</responseCode><users><user>")
            return _status(str(failure.get("code")), str(failure.get("message") or "Failure"))
        if self.refuse_ip:
            return _status(BAD_IP)
        if (request.form.get("apiToken") or [""])[0] != self.token:
            return _status(BAD_TOKEN)
        if resource in self.refused_resources:
            return _status(NOT_PERMITTED)
        container, element, collection = RESOURCES[resource]
        rows = self.data[collection]
        event = request.arg("event")
        if resource != "event.do":
            if event == "all":
                if not self.account_level:
                    return _status(NO_ACCOUNT_LEVEL)
            else:
                guid = event or self.data["events"][0]["attributes"]["eventGUID"]
                if not any(e["attributes"]["eventGUID"] == guid for e in self.data["events"]):
                    return _status(BAD_EVENT)
                rows = [r for r in rows if r["attributes"]["eventGUID"] == guid]
        return Response.xml(_document(container, element, list(rows)))

    def _next_failure(self, resource: str) -> dict[str, t.Any] | None:
        for index, failure in enumerate(self.failures):
            if failure.get("resource") in (None, resource):
                return self.failures.pop(index)
        return None

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:
        """`refused_resources`: resources the token may not call (answered 105)."""
        if "refused_resources" in options:
            self.refused_resources = set(options["refused_resources"])

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:
        """Toggle account-level access, refuse the token or the IP, fail the next answer."""
        if action == "account_level":
            self.account_level = bool(payload.get("enabled", True))
            return {"account_level": self.account_level}
        if action == "refuse_token":
            refused = payload.get("refused", True)
            self.token = "revoked-" + uuid.uuid4().hex if refused else API_TOKEN
            return {"refused": self.token != API_TOKEN}
        if action == "refuse_ip":
            self.refuse_ip = bool(payload.get("refused", True))
            return {"refused": self.refuse_ip}
        if action == "fail_next":
            self.failures.append(dict(payload))
            return {"queued": len(self.failures)}
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:
        """The records by collection, attributes and elements apart, as the API sends them."""
        return {**self.data, "account_level": self.account_level}


def _status(code: str, message: str | None = None) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>'
        f"<responseCode>{code}</responseCode>"
        f"<responseMessage>{escape(message or MESSAGES.get(code, 'Failure'))}</responseMessage>"
        "</response>"
    )
    return Response.xml(body)


def _document(container: str, element: str, rows: list[Record]) -> t.Iterator[bytes]:
    """The answer, one chunk per record, as a large data dump arrives."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>'
        f"<responseCode>{SUCCESS}</responseCode>"
        f"<responseMessage>{MESSAGES[SUCCESS]}</responseMessage><{container}>"
    ).encode()
    for row in rows:
        yield _element(element, row).encode("utf-8")
    yield f"</{container}></response>".encode()


def _element(element: str, row: Record) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in row["attributes"].items())
    parts = [f"<{element}{attributes}>"]
    for name, value in row["elements"].items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"<{name}>{escape(item)}</{name}>")
    if row["custom_fields"]:
        codes = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in row["custom_fields"].items())
        parts.append(f"<customFields>{codes}</customFields>")
    parts.append(f"</{element}>")
    return "\n".join(parts)
