"""Simulated WebinarFuel API (reference: webinarfuel-api.txt and reference/README.md).

Bearer auth; `/webinars`, `/webinars/{id}`, `/registrants`, `/registrants/{id}`,
`/registrant_sessions`, `/registrant_sessions/{cid}`; `{<name>: [...], meta: {page,
per_page, total_items, total_pages}}` paging with `per_page` and `sessions_limit` capped at
50; the documented session filters; 100 requests a minute per key, answered past that with
429 and `RateLimit-Limit`, `RateLimit-Reset` (epoch seconds) and `Retry-After`.

Options (`sandbox.configure(webinarfuel={...})`), for what real accounts send:
    withhold          collections the key may not read: 403 with the API's error body
    missing           collections not served at this prefix: 404 (an older API prefix)
    drift             field-level drift, any of DRIFTS (see `present`)
    timestamp_format  `offset_millis`, `rails` or `epoch`: timestamps as never sent before
    paging            {"kind": insert|delete|repeat|total_pages, "webinar_id", "times",
                      "count"}: a webinar's session listing changes while it is paged
"""

from __future__ import annotations

import math
import re
import typing as t
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

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

API_KEY = "wf-sandbox-key"
MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 25

# Registrants per webinar in the default dataset: empty, single, and page-boundary sizes.
DEFAULT_SIZES = [0, 1, 49, 50, 51, 100, 7, 23, 12, 64, 3, 30]
SIZES = {"small": [0, 1, 5, 51], "default": DEFAULT_SIZES, "large": [200] * 20 + DEFAULT_SIZES}
TIME_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC", "America/Los_Angeles"]
DEVICES = [
    ("desktop", "Windows", "Chrome"),
    ("mobile", "iOS", "Safari"),
    ("desktop", "Mac OS X", "Firefox"),
    ("tablet", "Android", "Chrome"),
    ("", "", ""),
]
SOURCES = ["linkedin", "newsletter", "", "partner-42", "google"]

COLLECTIONS = ("webinars", "registrants", "registrant_sessions")
FORBIDDEN = {
    "error": "Forbidden",
    "message": "Your plan does not include API access to {name}. Upgrade to use this endpoint.",
}

# Field-level drift, per kind of record: what `drift` options add, drop, null or reshape.
DRIFTS = ("new_fields", "missing_optional", "numbers_as_strings", "strings_as_numbers", "blanks")
NEW_FIELDS: dict[str, dict[str, t.Any]] = {
    "webinar": {"language": "en", "registration_page": {"theme": "dark", "fields": 4}},
    "registrant": {"lead_score": 42, "consent": {"gdpr": True, "source": "form"}},
    "session": {"engagement": {"chat_messages": 3, "reactions": 1}, "ip_country": "DE"},
}
DROPPED = {
    "webinar": ("description", "hosts"),
    "registrant": ("phone", "tags", "custom_fields"),
    "session": ("device", "os", "browser", "utm_source", "utm_medium", "referrer", "province"),
}
NULLED = {
    "webinar": ("time_zone",),
    "registrant": ("last_name", "created_at", "updated_at"),
    "session": ("replay_url", "webinar_session_id", "attended_time", "watched", "city"),
}
# blanks: these become empty or whitespace-only (emails of every seventh registrant).
BLANKED = {
    "webinar": {"description": "   "},
    "registrant": {"first_name": " \t "},
    "session": {"device": "  ", "city": " \n", "country": ""},
}
TIMESTAMP_FIELDS = ("scheduled_at", "created_at", "updated_at")


class WebinarFuelSimulator(PlatformSimulator):
    """WebinarFuel: webinars with their sessions, registrants, registrant sessions."""

    prefix = "webinarfuel"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self.api_keys = {API_KEY}
        self.limit = SlidingWindowLimit(100, 60.0)
        self.webinars: list[dict[str, t.Any]] = []
        self.registrants: list[dict[str, t.Any]] = []
        self.sessions: list[dict[str, t.Any]] = []
        self._next_id = {"webinar": 1001, "slot": 5001, "registrant": 70001, "session": 900001}
        self.withheld: dict[str, int] = {}
        self.drift: set[str] = set()
        self.timestamp_format: str | None = None
        self.paging: dict[str, t.Any] = {}
        self._generate(SIZES.get(size) or [int(n) for n in size.split(",")])

    # ----------------------------------------------------------------- data generation

    def _id(self, kind: str) -> int:
        value = self._next_id[kind]
        self._next_id[kind] += 1
        return value

    def _generate(self, sizes: list[int]) -> None:
        rnd = self.random
        now = self.started_at
        for index, count in enumerate(sizes):
            recurring = index % 4 == 1
            upcoming = index % 5 == 2  # some webinars still have sessions ahead
            slot_count = 3 if recurring else 1
            base = now - timedelta(days=rnd.randint(5, 60)) if not upcoming else now
            slots: list[dict[str, t.Any]] = []
            for slot_index in range(slot_count):
                when = base + timedelta(days=2 * slot_index, hours=rnd.randint(0, 8))
                if upcoming and slot_index == slot_count - 1:
                    when = now + timedelta(days=3, hours=rnd.randint(1, 5))
                slots.append(
                    {"id": self._id("slot"), "scheduled_at": when.replace(minute=0, second=0)}
                )
            webinar = {
                "id": self._id("webinar"),
                "name": rnd.choice(
                    [
                        "Scaling Pipelines",
                        "Q3 Product Tour",
                        "Données & IA",
                        "Kundenforum",
                        "ウェビナー入門",
                        "Zero-ETL in Practice",
                    ]
                )
                + f" #{index + 1}",
                "description": "" if index % 3 == 0 else f"Session {index + 1} — with Q&A.\n",
                "time_zone": TIME_ZONES[index % len(TIME_ZONES)],
                "recurring": recurring,
                "state": "ready",
                "slots": slots,
                "hosts": [
                    {
                        "email": f"host{index}@example.com",
                        "first_name": "Hana",
                        "last_name": "Host",
                        "bio": "",
                        "organizer": True,
                        "avatar_url": None,
                    }
                ],
            }
            self.webinars.append(webinar)
            for _ in range(count):
                self._register(webinar, rnd.choice(slots)["scheduled_at"])
        # A draft webinar: the API lists only webinars in ready state.
        self.webinars.append(
            {
                "id": self._id("webinar"),
                "name": "Draft (not ready)",
                "description": "",
                "time_zone": "UTC",
                "recurring": False,
                "state": "draft",
                "slots": [],
                "hosts": [],
            }
        )

    def _register(
        self, webinar: dict[str, t.Any], when: datetime, attended: bool | None = None
    ) -> dict[str, t.Any]:
        rnd = self.random
        now = datetime.now(timezone.utc).replace(microsecond=0)
        created = min(now, when - timedelta(hours=rnd.randint(1, 240)))
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        registrant_id = self._id("registrant")
        registrant = {
            "id": registrant_id,
            "webinar_id": webinar["id"],
            "email": f"user{registrant_id}@example.com",
            "first_name": first,
            "last_name": last if rnd.random() > 0.05 else "",
            "phone": rnd.choice(["+1 512 555 0100", "", "+49 30 1234567"]),
            "tags": rnd.sample(["vip", "customer", "trial", "émigré"], rnd.randint(0, 2)),
            "custom_fields": {
                "Company": rnd.choice(COMPANIES),
                "Do you like webinars": rnd.choice(["Yes", "No", ""]),
            },
            "created_at": utc(created),
            "updated_at": utc(created),
        }
        self.registrants.append(registrant)
        slots = webinar["slots"]
        reregistered = len(slots) > 1 and rnd.random() < 0.15
        chosen = [s for s in slots if s["scheduled_at"] != when][:1] if reregistered else []
        for slot_time in [*[s["scheduled_at"] for s in chosen], when]:
            self._add_session(webinar, registrant, slot_time, attended)
        return registrant

    def _add_session(
        self,
        webinar: dict[str, t.Any],
        registrant: dict[str, t.Any],
        when: datetime,
        attended: bool | None,
    ) -> dict[str, t.Any]:
        rnd = self.random
        now = datetime.now(timezone.utc)
        slot = next((s for s in webinar["slots"] if s["scheduled_at"] == when), None)
        past = when < now
        if attended is None:
            attended = past and rnd.random() < 0.6
        canceled = past and not attended and rnd.random() < 0.1
        seconds = rnd.randint(60, 3600) if attended else 0
        city, country = rnd.choice(CITIES)
        device, os_name, browser = rnd.choice(DEVICES)
        cid = self._id("session")
        tz_name = webinar["time_zone"]
        session = {
            "cid": cid,
            "webinar_id": webinar["id"],
            "webinar_session_id": slot["id"] if slot else None,
            "registrant_id": registrant["id"],
            "scheduled_at": utc(when),
            "scheduled_at_in_time_zone": when.astimezone(ZoneInfo(tz_name)).isoformat(),
            "canceled": canceled,
            "join_url": f"https://event.webinarfuel.com/join/{cid}",
            "replay_url": f"https://event.webinarfuel.com/replay/{cid}",
            "encore_url": "",
            "calendar_urls": {
                "ics": f"https://event.webinarfuel.com/ics/{cid}",
                "google": "",
                "vcs": "",
            },
            "source": rnd.choice(SOURCES),
            "referrer": rnd.choice(["https://www.linkedin.com/", "", "https://example.com/blog"]),
            "utm_source": rnd.choice(["linkedin", "", "newsletter"]),
            "utm_term": "",
            "utm_campaign": rnd.choice(["q3-launch", "", "evergreen"]),
            "utm_medium": rnd.choice(["social", "email", ""]),
            "utm_content": "",
            "time_zone": tz_name,
            "province": "",
            "country": country,
            "city": city,
            "os": os_name,
            "browser": browser,
            "device": device,
            "attended": attended,
            "attended_time": seconds,
            "watched": attended and seconds > 3000,
        }
        self.sessions.append(session)
        registrant["updated_at"] = utc(max(now, when) if not past else now)
        return session

    # ----------------------------------------------------------------------- shapes

    def _webinar_json(self, webinar: dict[str, t.Any], request: Request) -> dict[str, t.Any]:
        limit = int(request.arg("sessions_limit") or MAX_PER_PAGE)
        exact = (request.arg("exact_recurring_dates") or "").lower() in ("true", "1")
        tz_name = request.arg("time_zone") or webinar["time_zone"]
        sessions = []
        for slot in webinar["slots"][:limit]:
            entry: dict[str, t.Any] = {"id": slot["id"]}
            local = slot["scheduled_at"].astimezone(ZoneInfo(tz_name))
            if not webinar["recurring"] or exact:
                entry["scheduled_at"] = utc(slot["scheduled_at"])
            entry["formatted_scheduled_at"] = local.strftime("%A, %B %d, %Y at %I:%M %p %Z")
            sessions.append(entry)
        return {
            "id": webinar["id"],
            "name": webinar["name"],
            "description": webinar["description"],
            "time_zone": webinar["time_zone"],
            "sessions": sessions,
            "hosts": webinar["hosts"],
        }

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:  # noqa: D102
        token = (request.header("authorization") or "").removeprefix("Bearer ").strip()
        if token not in self.api_keys:
            return Response.json({"error": "Unauthorized"}, status=401)
        wait = self.limit.hit(token)
        if wait is not None:
            reset = math.ceil(datetime.now(timezone.utc).timestamp() + wait)
            return Response.json(
                {"error": "Too Many Requests"},
                status=429,
                **{
                    "RateLimit-Limit": str(self.limit.calls),
                    "RateLimit-Reset": str(reset),
                    "Retry-After": str(max(1, math.ceil(wait))),
                },
            )
        if request.method != "GET":
            return Response.json({"error": "Method Not Allowed"}, status=405)
        collection = request.path.strip("/").split("/")[0]
        status = self.withheld.get(collection)
        if status == 403:
            body = {k: v.format(name=collection) for k, v in FORBIDDEN.items()}
            return Response.json(body, status=403)
        if status == 404:
            return Response.json({"error": "Not Found"}, status=404)
        with self.lock:
            return self._route(request)

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        try:
            limit = int(request.arg("sessions_limit") or MAX_PER_PAGE)
        except ValueError:
            return Response.json({"error": "sessions_limit must be a number"}, status=400)
        if limit > MAX_PER_PAGE:
            return Response.json({"error": "sessions_limit must be at most 50"}, status=400)
        if path == "/webinars":
            ready = [w for w in self.webinars if w["state"] == "ready"]
            webinars = [self._webinar_json(w, request) for w in ready]
            return self._page(request, "webinars", webinars, "webinar")
        if match := re.fullmatch(r"/webinars/(\d+)", path):
            webinar = self._find(self.webinars, int(match.group(1)))
            if webinar is None or webinar["state"] != "ready":
                return Response.json({"error": "Not Found"}, status=404)
            return Response.json(
                {"webinar": self.present("webinar", self._webinar_json(webinar, request))}
            )
        if path == "/registrants":
            email = request.arg("email")
            rows = [r for r in self.registrants if email is None or r["email"] == email]
            return self._page(request, "registrants", rows, "registrant")
        if match := re.fullmatch(r"/registrants/(\d+)", path):
            registrant = self._find(self.registrants, int(match.group(1)))
            if registrant is None:
                return Response.json({"error": "Not Found"}, status=404)
            return Response.json({"registrant": self.present("registrant", registrant)})
        if path == "/registrant_sessions":
            return self._sessions(request)
        if match := re.fullmatch(r"/registrant_sessions/(\d+)", path):
            session = next((s for s in self.sessions if s["cid"] == int(match.group(1))), None)
            if session is None:
                return Response.json({"error": "Not Found"}, status=404)
            return Response.json({"session": self.present("session", session)})
        return Response.json({"error": "Not Found"}, status=404)

    def _sessions(self, request: Request) -> Response:
        rows = self.sessions
        for name in ("webinar_id", "webinar_session_id"):
            if (value := request.arg(name)) is not None:
                if not value.isdigit():
                    return Response.json({"error": f"{name} must be a number"}, status=400)
                rows = [s for s in rows if s[name] == int(value)]
        if (email := request.arg("email")) is not None:
            ids = {r["id"] for r in self.registrants if r["email"] == email}
            rows = [s for s in rows if s["registrant_id"] in ids]
        for name, sign in (("after_scheduled_at", 1), ("before_scheduled_at", -1)):
            if (value := request.arg(name)) is not None:
                try:
                    bound = _parse_iso(value)
                except ValueError:
                    return Response.json({"error": f"{name} must be ISO 8601"}, status=400)
                rows = [
                    s
                    for s in rows
                    if sign * (_parse_iso(s["scheduled_at"]) - bound).total_seconds() >= 0
                ]
        return self._page(request, "sessions", rows, "session")

    @staticmethod
    def _find(rows: list[dict[str, t.Any]], row_id: int) -> dict[str, t.Any] | None:
        return next((r for r in rows if r["id"] == row_id), None)

    def _page(self, request: Request, name: str, rows: list[t.Any], kind: str) -> Response:
        try:
            page = int(request.arg("page") or 1)
            per_page = int(request.arg("per_page") or DEFAULT_PER_PAGE)
        except ValueError:
            return Response.json({"error": "page and per_page must be numbers"}, status=400)
        if per_page > MAX_PER_PAGE or per_page < 1 or page < 1:
            return Response.json({"error": "per_page must be between 1 and 50"}, status=400)
        total_pages = max(1, math.ceil(len(rows) / per_page))
        shown = page
        meta: dict[str, t.Any] = {
            "page": page,
            "per_page": per_page,
            "total_items": len(rows),
            "total_pages": total_pages,
        }
        drift = self._paging_drift(request, kind, page, total_pages)
        if drift == "repeat":
            shown = page - 1
        elif drift == "total_pages":
            meta["total_pages"] += 1
        items = [self.present(kind, r) for r in rows[(shown - 1) * per_page : shown * per_page]]
        if drift in ("insert", "delete"):
            self._change_listing(drift, int(request.arg("webinar_id") or 0), items)
        if "numbers_as_strings" in self.drift:
            meta = {k: str(v) for k, v in meta.items()}
        return Response.json({name: items, "meta": meta})

    # ------------------------------------------------------------------------ drift

    def present(self, kind: str, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """A record as the API shows it, with the drift switched on (data stays as is)."""
        shown = dict(record)
        if kind == "webinar" and "sessions" in shown:
            shown["sessions"] = [dict(slot) for slot in shown["sessions"]]
        if "new_fields" in self.drift:
            shown.update(NEW_FIELDS[kind])
        if "missing_optional" in self.drift:
            for name in DROPPED[kind]:
                shown.pop(name, None)
            shown.update(dict.fromkeys(NULLED[kind]))
        if "blanks" in self.drift:
            shown.update(BLANKED[kind])
            if kind == "registrant" and int(record["id"]) % 7 == 0:
                shown["email"] = ""
        if "strings_as_numbers" in self.drift:
            if kind == "registrant" and (digits := re.sub(r"\D", "", shown.get("phone") or "")):
                shown["phone"] = int(digits)
            if kind == "session" and shown.get("source") == "partner-42":
                shown["source"] = 42
        if self.timestamp_format:
            for entry in [shown, *shown.get("sessions", [])] if kind == "webinar" else [shown]:
                for name in TIMESTAMP_FIELDS:
                    if isinstance(entry.get(name), str) and entry[name]:
                        entry[name] = _reformat(entry[name], self.timestamp_format)
        if "numbers_as_strings" in self.drift:
            shown = {k: _as_string(v) for k, v in shown.items()}
            for slot in shown.get("sessions", []) if kind == "webinar" else []:
                slot["id"] = str(slot["id"])
        return shown

    def _paging_drift(self, request: Request, kind: str, page: int, total_pages: int) -> str:
        """The paging drift this page triggers (counting it), or ''."""
        drift = self.paging
        if not drift or kind != "session" or drift.get("times", -1) == 0:
            return ""
        if request.arg("webinar_id") != str(drift["webinar_id"]):
            return ""
        name = str(drift["kind"])
        due = page >= 2 if name in ("repeat", "total_pages") else page < total_pages
        if not due:
            return ""
        if drift.get("times", -1) > 0:
            drift["times"] -= 1
        return name

    def _change_listing(
        self, kind: str, webinar_id: int, page_items: list[dict[str, t.Any]]
    ) -> None:
        """Between two page reads: registrations added at the head, or one deleted."""
        if kind == "insert":
            webinar = self._find(self.webinars, webinar_id)
            assert webinar is not None
            count = int(self.paging.get("count", 2))
            added = [self._register(webinar, webinar["slots"][-1]["scheduled_at"], True)]
            added += [
                self._register(webinar, webinar["slots"][-1]["scheduled_at"], None)
                for _ in range(count - 1)
            ]
            ids = {r["id"] for r in added}
            fresh = [s for s in self.sessions if s["registrant_id"] in ids]
            self.sessions = fresh + [s for s in self.sessions if s["registrant_id"] not in ids]
        elif page_items:
            gone = int(page_items[0]["registrant_id"])
            self.sessions = [s for s in self.sessions if s["registrant_id"] != gone]
            self.registrants = [r for r in self.registrants if r["id"] != gone]

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        if "rate_limit" in options:
            calls, period = options["rate_limit"]
            self.limit = SlidingWindowLimit(int(calls), float(period))
        if options.get("reset_rate_limit"):
            self.limit.reset()
        if "withhold" in options or "missing" in options:
            self.withheld = dict.fromkeys(options.get("withhold", []), 403)
            self.withheld.update(dict.fromkeys(options.get("missing", []), 404))
            unknown = set(self.withheld) - set(COLLECTIONS)
            if unknown:
                raise KeyError(f"unknown collections {sorted(unknown)}")
        if "drift" in options:
            self.drift = set(options["drift"])
            if self.drift - set(DRIFTS):
                raise KeyError(f"unknown drift {sorted(self.drift - set(DRIFTS))}")
        if "timestamp_format" in options:
            self.timestamp_format = options["timestamp_format"]
        if "paging" in options:
            self.paging = dict(options["paging"] or {})

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        if action == "add_registrations":
            webinar = self._find(self.webinars, int(payload["webinar_id"]))
            if webinar is None:
                raise KeyError(f"webinar {payload['webinar_id']}")
            # Default: an instant session that starts as the person registers.
            when = (
                _parse_iso(payload["scheduled_at"])
                if payload.get("scheduled_at")
                else (datetime.now(timezone.utc).replace(microsecond=0))
            )
            added = [
                self._register(webinar, when, payload.get("attended"))
                for _ in range(int(payload.get("count", 1)))
            ]
            return {"registrant_ids": [r["id"] for r in added]}
        if action == "attend":
            session = next(s for s in self.sessions if s["cid"] == int(payload["cid"]))
            session.update(
                attended=True, canceled=False, attended_time=int(payload.get("attended_time", 600))
            )
            return {"cid": session["cid"]}
        if action == "delete_registrant":  # their sessions stay listed: GET by id answers 404
            kept = [r for r in self.registrants if r["id"] != int(payload["registrant_id"])]
            deleted = len(self.registrants) - len(kept)
            self.registrants = kept
            return {"deleted": deleted}
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:  # noqa: D102
        request = Request("GET", "/", {"exact_recurring_dates": ["true"]}, {})
        return {
            "webinars": [
                self._webinar_json(w, request) | {"state": w["state"]} for w in self.webinars
            ],
            "registrants": self.registrants,
            "sessions": self.sessions,
        }


def _as_string(value: t.Any) -> t.Any:
    """numbers_as_strings: numbers and booleans as the strings a loosely typed API sends."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _reformat(value: str, style: str) -> t.Any:
    """A UTC timestamp in a format WebinarFuel has not used before."""
    moment = _parse_iso(value)
    if style == "offset_millis":
        return moment.astimezone(ZoneInfo("America/New_York")).isoformat(timespec="milliseconds")
    if style == "rails":
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if style == "epoch":
        return int(moment.timestamp())
    raise KeyError(style)


def _parse_iso(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
