"""Simulated Webcasts.com (Convey) Reporting API 2.0 (reference: webcasts-reporting-api.txt).

Both Webcasts hosts live under the one `/webcasts` prefix:
    GET /api/login?username=&password=&ver=2.0      XML session id and user id, or a failure
    GET /api/reporting/eventlist?ui=&si=            `event_info` per event (activity in epoch ms)
    GET /api/reporting/timezones?ui=&si=            the time zone ids reports accept
    GET /api/reporting/audience_reports?ui=&si=&ver=2.0&ei=&tz=[&format=json|csv][&expired=on]
                                                    the Audience Details report, streamed

Behaviour, as the guide's "API Limits" and return codes describe it: sessions expire (after two
hours, or `session_ttl_seconds` / `session_max_requests`) and then answer 11; one report at a
time (a concurrent request answers 60, "not available at this time"); 1,000 reports an hour
(62); expired events only through a separate request (`expired=on`, this project's unverified
reading), one at a time, 50 an hour, and one report per expired event per 48 hours (61);
10 for an unknown event (or one listed in the `refused_events` option: no report rights on it),
70 for insecure input, 71 for a bad version, 72 for bad parameters, 74 for an unknown reporting
resource. API errors come with HTTP 200, as the platform sends them. The `drift` option switches
on field-level drift (sandbox/webcasts_drift.py): new, empty and whitespace-only fields, spaced
numbers, new timestamp formats, a duplicated event or viewer.

Data: the guide's own six-viewer sample (event 123456) plus generated events. A generated
event's viewers are produced one at a time from the seed, never held in memory, so a report of
100,000 viewers streams in constant memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
import threading
import time
import typing as t
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from random import Random
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_webinars.sandbox import webcasts_drift
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
from tap_webinars.sandbox.webcasts_sample import (
    BROKEN_EMAIL_LINE,
    FIXED_EMAIL_LINE,
    SAMPLE_EVENT_TIME_ZONE,
    SAMPLE_REPORT_XML,
    SAMPLE_VIEWER_TIME_ZONE,
)

USERNAME = "webcasts-sandbox"
# The sandbox account's password: hostile to query strings on purpose, so redaction must cope.
PASSWORD = "Pa$$ w0rd&sandbox/é"  # noqa: S105
USER_ID = "9b21cf03885a7677bdf835d7aa857075dcbf753c"
API_VERSION = "2.0"

SESSION_TTL_SECONDS = 2 * 3600.0  # guide: "Authentication is valid for two (2) hours"
REPORTS_PER_HOUR = 1000
EXPIRED_REPORTS_PER_HOUR = 50
EXPIRED_EVENT_COOLDOWN_SECONDS = 48 * 3600.0
CHUNK_BYTES = 64 * 1024

RETURN_CODES = {
    0: "General error",
    10: "You are not authorized to run a report on this event. Please check you have the "
    "correct Event ID.",
    11: "The User ID or Session ID is invalid.",
    50: "The reporting service is not available at this time. Please conact Support for "
    "assistance.",
    51: "There was invalid data in the report. Please conact Support for assistance.",
    60: "The reporting service is not available at this time. Please conact Support for "
    "assistance.",
    61: "You have reached the maximum number of reports that can be run for an event. Please "
    "try again later.",
    62: "You have reached the maximum number of reports that can be run within one hour. "
    "Please try again later.",
    70: "Pleaes remove any insecure tages from the input paramters and try again.",
    71: 'Please use a valid version number ("2.0").',
    72: "There were missing or invalid input parameters in request.",
    73: "Ambigous platform",
    74: "Could not identify the Reporting Resource requested",
}

# Java display names, as `currentTimeZone` shows them; other zones show their id.
ZONE_NAMES = {
    "GMT": "Greenwich Mean Time",
    "UTC": "Coordinated Universal Time",
    "America/New_York": "Eastern Standard Time",
    "US/Eastern": "Eastern Standard Time",
    "America/Chicago": "Central Standard Time",
    "America/Los_Angeles": "Pacific Standard Time",
    "Europe/London": "Greenwich Mean Time",
    "Europe/Berlin": "Central European Time",
    "Asia/Tokyo": "Japan Standard Time",
}
TIME_ZONE_IDS = [
    "Etc/GMT+12", "Etc/GMT+11", "Pacific/Midway", "Pacific/Honolulu", "America/Anchorage",
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "US/Eastern", "America/Sao_Paulo", "Atlantic/Azores", "GMT", "UTC", "Europe/London",
    "Europe/Berlin", "Europe/Paris", "Africa/Lagos", "Europe/Helsinki", "Europe/Moscow",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Auckland",
]  # fmt: skip

US_TIME = "%m/%d/%Y %I:%M:%S %p"
LIST_TIME = "%Y-%m-%d %H:%M:%S"
STANDARD_QUESTIONS = [
    ("firstname", "First Name"), ("lastname", "Last Name"), ("company", "Company"),
    ("email", "Email"), ("title", "Title"), ("country", "Country"), ("address1", "Address 1"),
    ("address2", "Address 2"), ("city", "City"), ("state", "State/Province/Region"),
    ("postalcode", "Postal Code"), ("phone", "Phone Number"), ("mobile", "Mobile Number"),
    ("fax", "Fax Number"), ("source_track_id", "Campaign ID"),
]  # fmt: skip
# Report filters: parameter name -> (XML node, JSON name); on/off switches, default off.
VIEWER_FILTERS = {
    "users_qa": ("qa_data_filter", "users_qa"),
    "user_survey": ("survey_data_filter", "user_survey"),
    "no_shows": ("no_show_filter", "no_shows"),
    "live_viewers": ("live_viewers_filter", "live_viewers"),
    "od_viewers": ("od_viewers_filter", "od_viewers"),
    "simlive_viewers": ("simlive_viewers_filter", "simlive_viewers"),
}
SIZES = {
    "small": [0, 3, 12],
    "default": [0, 1, 8, 25, 60, 150],
    "large": [0, 1, 8, 25, 60, 150, 2000, 10000],
}
EXPIRED_SIZES = {"small": [4], "default": [12], "large": [12, 300]}
FIRST_EVENT_ID = 2227100


# ----------------------------------------------------------------------------- data model


@dataclass
class ViewSession:
    """One viewing session of one viewer."""

    type: str  # Live, On-Demand, SimLive
    start: datetime
    end: datetime
    duration_ms: int
    media: str = ""


@dataclass
class Viewer:
    """One registrant, as the report's `viewer` node holds it."""

    registration_date: datetime
    answers: list[tuple[str, str]]
    sessions: list[ViewSession] = field(default_factory=list)
    qa: list[tuple[str, str | None]] = field(default_factory=list)
    responses: list[tuple[str, str | None, str]] = field(default_factory=list)

    @property
    def email(self) -> str:
        """The registrant's email answer (what unique viewers are counted by)."""
        return next((v for k, v in self.answers if k == "email"), "")


@dataclass
class Survey:
    """A survey and its questions, as the report's `surveys` section lists them."""

    survey_id: str
    name: str
    type: str
    questions: list[tuple[str, str, str]]  # (id, type, text)


@dataclass
class Event:
    """One webcast: listing attributes, report header fields and its viewers."""

    event_id: str
    title: str
    cost_center: str
    folder_id: str
    created: datetime
    expiry: datetime
    expired: bool = False
    sched_start: datetime | None = None
    sched_end: datetime | None = None
    live_start: datetime | None = None
    live_end: datetime | None = None
    od_published: datetime | None = None
    od_expiration: datetime | None = None
    questions: list[tuple[str, str]] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    fixed: list[Viewer] = field(default_factory=list)  # the sample's and test-added viewers
    generated: int = 0  # viewers produced on demand from the seed, never stored
    seed: str = ""
    registration_window: tuple[datetime, datetime] | None = None
    viewing_window: tuple[datetime, datetime] | None = None
    stats_cache: dict[str, t.Any] | None = None  # analytics, computed once per data change

    def latest_registration(self) -> datetime | None:
        """The newest registration, as the event list reports it."""
        moments = [v.registration_date for v in self.fixed]
        if self.generated and self.registration_window:
            moments.append(self.registration_window[1])
        return max(moments, default=None)

    def latest_session(self) -> datetime | None:
        """The newest viewing activity (end of the latest session)."""
        moments = [s.end for v in self.fixed for s in v.sessions]
        if self.generated and self.viewing_window:
            moments.append(self.viewing_window[1])
        return max(moments, default=None)


# ----------------------------------------------------------------------------- simulator


class WebcastsSimulator(PlatformSimulator):
    """Webcasts.com: login sessions, the event list and streamed audience reports."""

    prefix = "webcasts"

    def __init__(self, seed: int, size: str) -> None:
        super().__init__(seed, size)
        self.events: dict[str, Event] = {}
        self.sessions: dict[str, dict[str, t.Any]] = {}
        self.issued_sessions: list[str] = []
        self.session_ttl = SESSION_TTL_SECONDS
        self.session_max_requests: int | None = None
        self.report_window = 3600.0
        self.limits = {
            "standard": SlidingWindowLimit(REPORTS_PER_HOUR, self.report_window),
            "expired": SlidingWindowLimit(EXPIRED_REPORTS_PER_HOUR, self.report_window),
        }
        self.expired_cooldown = EXPIRED_EVENT_COOLDOWN_SECONDS
        self.expired_reported: dict[str, float] = {}
        self.in_flight = {"standard": 0, "expired": 0}
        self.forced_codes: deque[int] = deque()
        self.malform_next: deque[str] = deque()
        self.report_log: list[dict[str, t.Any]] = []  # every report request and its code
        self.stream_delay = 0.0
        self.drift: frozenset[str] = frozenset()  # webcasts_drift kinds switched on
        self.refused_events: set[str] = set()  # reports answer 10 (no report rights on them)
        self._flight_lock = threading.Lock()
        self._load_sample()
        self._generate(size)

    # ------------------------------------------------------------------ data generation

    def _load_sample(self) -> None:
        """The guide's six-viewer sample as event 123456 (times read as the sample shows)."""
        root = ET.fromstring(SAMPLE_REPORT_XML)  # noqa: S314 - our own constant
        data = root.find("result/report_data")
        assert data is not None
        event_zone = ZoneInfo(SAMPLE_EVENT_TIME_ZONE)

        def event_time(tag: str) -> datetime | None:
            text = (data.findtext(tag) or "").strip()
            return _parse_us(text, event_zone) if text else None

        created = event_time("event_create_time")
        assert created is not None
        event = Event(
            event_id=(data.findtext("eventid") or "").strip(),
            title=(data.findtext("eventtitle") or "").strip(),
            cost_center=(data.findtext("costcenter") or "").strip(),
            folder_id="4fdc91f0ec60425c502f02f965c72b3abcc5ca71",
            created=created,
            # Listed as current (not expired) so that standard reports include it.
            expiry=self.started_at + timedelta(days=365),
            live_start=event_time("live_start_time"),
            live_end=event_time("live_end_time"),
            od_published=event_time("od_first_published_time"),
            od_expiration=event_time("od_expiration_time"),
            questions=[(rq.get("id", ""), rq.text or "") for rq in data.iter("rq")],
        )
        for survey in data.iter("survey"):
            event.surveys.append(
                Survey(
                    survey.get("id", ""),
                    survey.get("name", ""),
                    survey.get("type", ""),
                    [(sq.get("id", ""), sq.get("type", ""), sq.text or "") for sq in survey],
                )
            )
        viewer_zone = _zone(SAMPLE_VIEWER_TIME_ZONE)
        for node in data.iter("viewer"):
            viewer = Viewer(
                registration_date=_parse_us(
                    (node.findtext("registration_date") or "").strip(), viewer_zone
                ),
                answers=[(ra.get("id", ""), ra.text or "") for ra in node.iter("ra")],
            )
            for session in node.iter("session"):
                viewer.sessions.append(
                    ViewSession(
                        type=(session.findtext("type") or "").strip(),
                        start=_parse_us(
                            (session.findtext("start_time") or "").strip(), viewer_zone
                        ),
                        end=_parse_us((session.findtext("end_time") or "").strip(), viewer_zone),
                        duration_ms=int((session.findtext("duration") or "0").strip()),
                        media=session.findtext("media") or "",
                    )
                )
            for question in node.iter("question"):
                viewer.qa.append((question.text or "", question.findtext("answer")))
            for response in node.iter("sr"):
                viewer.responses.append(
                    (
                        response.get("survey_id", ""),
                        response.get("question_id"),
                        response.text or "",
                    )
                )
            event.fixed.append(viewer)
        self.events[event.event_id] = event

    def _generate(self, size: str) -> None:
        sizes = SIZES.get(size) or [int(n) for n in size.split(",") if n.strip()]
        expired = EXPIRED_SIZES.get(size, [])
        for count in sizes:
            self._create_event(count)
        for count in expired:
            self._create_event(count, expired=True)

    def _create_event(
        self, viewers: int, *, expired: bool = False, event_id: str | None = None
    ) -> Event:
        rnd = self.random
        now = self.started_at
        index = len(self.events)
        event_id = event_id or str(FIRST_EVENT_ID + index)
        if viewers == 0 and not expired:
            live_start = now + timedelta(days=rnd.randint(7, 30))  # upcoming, no activity yet
        elif expired:
            live_start = now - timedelta(days=rnd.randint(400, 500))
        else:
            live_start = now - timedelta(days=rnd.randint(5, 60))
        live_start = live_start.replace(minute=0, second=0) + timedelta(hours=rnd.randint(0, 6))
        live_end = live_start + timedelta(minutes=rnd.choice([45, 60, 90]))
        created = live_start - timedelta(days=rnd.randint(14, 40))
        quiet = now - timedelta(days=2)  # generated activity stays out of a 24 h lookback
        event = Event(
            event_id=event_id,
            title=rnd.choice(
                [
                    "Scaling Pipelines",
                    "Q3 Product Tour",
                    "Données & IA",
                    "Kundenforum <live>",
                    "ウェビナー入門",
                    "Zero-ETL in Practice",
                ]
            )
            + f" #{index}",
            cost_center=rnd.choice(["Marketing", "", "EMEA Sales", "R&D"]),
            folder_id=hashlib.sha1(f"folder:{event_id}".encode()).hexdigest(),  # noqa: S324
            created=created,
            expiry=(live_start + timedelta(days=180)) if expired else now + timedelta(days=200),
            expired=expired,
            sched_start=live_start,
            sched_end=live_end,
            live_start=live_start if live_start < now else None,
            live_end=live_end if live_end < now else None,
            od_published=live_end + timedelta(minutes=20) if live_end < now else None,
            od_expiration=live_start + timedelta(days=180),
            questions=[
                *STANDARD_QUESTIONS,
                (_custom_id("department", event_id), "Department"),
                (_custom_id("heard", event_id), "How did you hear about us?"),
            ],
            surveys=_generated_surveys(event_id),
            generated=viewers,
            seed=f"{self.seed}:{event_id}",
        )
        if viewers:
            registration_end = min(live_start + timedelta(days=1), quiet)
            event.registration_window = (created + timedelta(days=1), registration_end)
            if live_start < now:
                viewing_end = min(live_end + timedelta(days=3), quiet)
                event.viewing_window = (live_start, max(viewing_end, live_end))
        self.events[event_id] = event
        return event

    def viewers(self, event: Event) -> t.Iterator[Viewer]:
        """Every viewer of *event*, generated ones produced on the fly."""
        return _all_viewers(event, list(event.fixed))

    # --------------------------------------------------------------------- handling

    def handle(self, request: Request) -> Response:  # noqa: D102
        path = request.path.rstrip("/")
        form = request.arg("format") or "xml"
        if path == "/api/login":
            return self._login(request)
        if path == "/api/passwordchange":
            return _failure(72, "xml")
        if not path.startswith("/api/reporting/"):
            return Response.json({"message": f"no resource {path}"}, status=404)
        if any(re.search(r"[<>]", v) for values in request.query.values() for v in values):
            return _failure(70, form)
        with self.lock:
            valid = self._session_valid(request)
            if path == "/api/reporting/audience_reports":
                code, response = self._report(request) if valid else (11, _failure(11, form))
                self.report_log.append(
                    {
                        "event_id": request.arg("ei"),
                        "code": code,
                        "format": form,
                        "expired": request.arg("expired") == "on",
                    }
                )
                return response
            if not valid:
                return _failure(11, form)
            if path == "/api/reporting/eventlist":
                return self._event_list()
            if path == "/api/reporting/timezones":
                return Response.xml(
                    "<convey_api>\n"
                    + "".join(f"<timezone_id>{z}</timezone_id>\n" for z in TIME_ZONE_IDS)
                    + "</convey_api>\n"
                )
        return _failure(74, form)

    def _login(self, request: Request) -> Response:
        if request.arg("ver") != API_VERSION:
            return _failure(71, "xml")
        if request.arg("username") != USERNAME or request.arg("password") != PASSWORD:
            return _failure(0, "xml", "Invalid username or password.")
        session_id = secrets.token_hex(20)
        with self.lock:
            self.sessions[session_id] = {"user_id": USER_ID, "created": time.time(), "uses": 0}
            self.issued_sessions.append(session_id)
        return Response.xml(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<convey_api version="{API_VERSION}">\n'
            f"<currentDateTime>{_now().strftime(LIST_TIME)}</currentDateTime>\n"
            "<currentTimeZone>GMT</currentTimeZone >\n"
            "<result>\n<returnCode>1</returnCode>\n<success>\n<sessionid>\n"
            "<description>Authenticated session ID.</description>\n"
            f"<value>{session_id}</value>\n</sessionid>\n<userid>\n"
            "<description>Authenticated user ID.</description>\n"
            f"<value>{USER_ID}</value>\n</userid>\n</success>\n</result>\n</convey_api>\n"
        )

    def _session_valid(self, request: Request) -> bool:
        session = self.sessions.get(request.arg("si") or "")
        if session is None or request.arg("ui") != session["user_id"]:
            return False
        if time.time() - session["created"] > self.session_ttl:
            del self.sessions[request.arg("si") or ""]
            return False
        session["uses"] += 1
        if self.session_max_requests is not None and session["uses"] > self.session_max_requests:
            del self.sessions[request.arg("si") or ""]
            return False
        return True

    def _event_list(self) -> Response:
        rows = []
        for event in self.events.values():
            attributes = {
                "cost_center": event.cost_center,
                "event_expiry": event.expiry.strftime(LIST_TIME),
                "id": event.event_id,
                "is_expired": "true" if event.expired else "false",
                "folder_id": event.folder_id,
                "latest_registration": _epoch_ms(event.latest_registration()),
                "latest_session": _epoch_ms(event.latest_session()),
                "sched_end": event.sched_end.strftime(LIST_TIME) if event.sched_end else "",
                "sched_start": event.sched_start.strftime(LIST_TIME) if event.sched_start else "",
            }
            rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items())
            rows.append(f"<event_info {rendered}>{escape(event.title)}</event_info>\n")
        xml = (
            _envelope_head("GMT", 1) + "<event_list>\n" + "".join(rows) + "</event_list>\n"
            "</result>\n</convey_api>\n"
        )
        return Response.xml(webcasts_drift.event_list(xml, self.drift))

    def _report(self, request: Request) -> tuple[int, Response]:
        """Answer a report request: its return code, and the (streamed) response."""
        form = request.arg("format") or "xml"
        if form not in ("xml", "json", "csv"):
            return 72, _failure(72, "xml")
        if request.arg("ver") != API_VERSION:
            return 71, _failure(71, form)
        try:
            options = _report_options(request)
        except ValueError:
            return 72, _failure(72, form)
        event = self.events.get(request.arg("ei") or "")
        if event is None or event.event_id in self.refused_events:
            return 10, _failure(10, form)
        kind = "expired" if options["expired"] else "standard"
        if event.expired != options["expired"]:
            # Expired events need the separate request; current ones the standard one.
            code = 10 if event.expired else 72
            return code, _failure(code, form)
        if self.forced_codes:
            code = self.forced_codes.popleft()
            return code, _failure(code, form)
        with self._flight_lock:
            if self.in_flight[kind]:
                return 60, _failure(60, form)  # guide: one report at a time
            if kind == "expired":
                last = self.expired_reported.get(event.event_id)
                if last is not None and time.time() - last < self.expired_cooldown:
                    return 61, _failure(61, form)
            if self.limits[kind].hit(USER_ID) is not None:
                return 62, _failure(62, form)
            if kind == "expired":
                self.expired_reported[event.event_id] = time.time()
            self.in_flight[kind] += 1
        malform = self.malform_next.popleft() if self.malform_next else None
        renderer = {"xml": self._xml_report, "json": self._json_report, "csv": self._csv_report}
        chunks = renderer[form](event, list(event.fixed), options)
        if self.drift and form == "xml":
            chunks = webcasts_drift.report(chunks, self.drift)
        if malform not in (None, "dropped"):
            chunks = _malformed(chunks, str(malform))
        wire = _chunked(chunks) if malform != "dropped" else _dropped(_chunked(chunks))
        body = _InFlightBody(wire, lambda: self._release(kind), self.stream_delay)
        content_type = {"xml": "application/xml", "json": "application/json", "csv": "text/plain"}[
            form
        ]
        return 1, Response(200, body, {"Content-Type": f"{content_type};charset=utf-8"})

    def _release(self, kind: str) -> None:
        with self._flight_lock:
            self.in_flight[kind] = max(0, self.in_flight[kind] - 1)

    # ---------------------------------------------------------------------- reports

    def _selected(
        self, event: Event, fixed: list[Viewer], options: dict[str, t.Any]
    ) -> t.Iterator[Viewer]:
        """The viewers a report includes, with its date range and filters applied."""
        for viewer in _all_viewers(event, fixed):
            if _included(viewer, options):
                yield viewer

    def _stats(self, event: Event, fixed: list[Viewer]) -> dict[str, t.Any]:
        """Event analytics over every viewer (cached: a large event costs one extra pass)."""
        key = (len(fixed), event.generated)
        if event.stats_cache is not None and event.stats_cache["key"] == key:
            return event.stats_cache
        stats: dict[str, t.Any] = {
            "key": key,
            "registrants": 0,
            "no_shows": 0,
            "sessions": {},
            "unique": {},
            "live_registrants": 0,
            "max_questions": 0,
        }
        for viewer in _all_viewers(event, fixed):
            stats["registrants"] += 1
            stats["max_questions"] = max(stats["max_questions"], len(viewer.qa))
            if not viewer.sessions:
                stats["no_shows"] += 1
            if event.live_end is None or viewer.registration_date <= event.live_end:
                stats["live_registrants"] += 1
            kinds = set()
            for session in viewer.sessions:
                kind = _session_kind(session.type)
                stats["sessions"][kind] = stats["sessions"].get(kind, 0) + 1
                kinds.add(kind)
            for kind in kinds:
                stats["unique"][kind] = stats["unique"].get(kind, 0) + 1
        event.stats_cache = stats
        return stats

    def _analytics(self, event: Event, fixed: list[Viewer]) -> list[tuple[str, str]]:
        stats = self._stats(event, fixed)
        total = stats["registrants"]
        viewed = total - stats["no_shows"]
        live = stats["unique"].get("live", 0)
        return [
            ("total_sessions", str(sum(stats["sessions"].values()))),
            ("total_registrants", str(total)),
            ("no_shows", str(stats["no_shows"])),
            ("total_conversion_rate", _percent(viewed, total)),
            ("live_sessions", str(stats["sessions"].get("live", 0))),
            ("unique_live_viewers", str(live)),
            ("live_registrants", str(stats["live_registrants"])),
            ("live_conversion_rate", _percent(live, stats["live_registrants"])),
            ("od_sessions", str(stats["sessions"].get("od", 0))),
            ("unique_od_viewers", str(stats["unique"].get("od", 0))),
            ("simlive_sessions", str(stats["sessions"].get("simlive", 0))),
            ("unique_simlive_viewers", str(stats["unique"].get("simlive", 0))),
        ]

    def _xml_report(
        self, event: Event, fixed: list[Viewer], options: dict[str, t.Any]
    ) -> t.Iterator[str]:
        """The Audience Details report in the guide's XML shape, one viewer at a time."""
        zone = options["zone"]

        def when(moment: datetime | None) -> str:
            return _us(moment, zone)

        parts = [_envelope_head(options["tz"], 1, report=True)]
        parts.append("<report_type>Audience Details Report</report_type>\n")
        if options["start"] or options["end"]:
            parts.append(
                f"<report_date_range>\n<start>{options['start_text']}</start>\n"
                f"<end>{options['end_text']}</end>\n</report_date_range>\n"
            )
        else:
            parts.append("<report_date_range/>\n")
        parts.append(
            "<filters>\n<sti_filter/>\n<email_domain_exclude_filter/>\n"
            "<email_domain_include_filter/>\n"
        )
        for name, (node, _json_name) in VIEWER_FILTERS.items():
            parts.append(f"<{node}>{'on' if options[name] else 'off'}</{node}>\n")
        parts.append("</filters>\n<report_data>\n")
        for tag, value in (
            ("eventid", event.event_id),
            ("eventtitle", event.title),
            ("costcenter", event.cost_center),
            ("event_create_time", when(event.created)),
            ("live_start_time", when(event.live_start)),
            ("live_end_time", when(event.live_end)),
            ("od_first_published_time", when(event.od_published)),
            ("od_expiration_time", when(event.od_expiration)),
        ):
            parts.append(_node(tag, value))
        parts.append("<event_analytics>\n")
        parts.extend(_node(tag, value) for tag, value in self._analytics(event, fixed))
        parts.append("</event_analytics>\n<registration_questions>\n")
        parts.extend(
            f"<rq id={quoteattr(i)}>{escape(label)}</rq>\n" for i, label in event.questions
        )
        parts.append("</registration_questions>\n<surveys>\n")
        for survey in event.surveys:
            head = (
                f"<survey id={quoteattr(survey.survey_id)} name={quoteattr(survey.name)} "
                f"type={quoteattr(survey.type)}"
            )
            if not survey.questions:
                parts.append(head + "/>\n")
                continue
            parts.append(head + ">\n")
            parts.extend(
                f"<sq id={quoteattr(i)} type={quoteattr(kind)}>{escape(text)}</sq>\n"
                for i, kind, text in survey.questions
            )
            parts.append("</survey>\n")
        parts.append("</surveys>\n<viewers>\n")
        yield "".join(parts)
        for viewer in self._selected(event, fixed, options):
            yield _viewer_xml(viewer, when)
        yield "</viewers>\n</report_data>\n</result>\n</convey_api>\n"

    def _json_report(
        self, event: Event, fixed: list[Viewer], options: dict[str, t.Any]
    ) -> t.Iterator[str]:
        """The JSON form: `data_headers` and one `data_rows` array per viewer (padded)."""
        zone = options["zone"]
        headers, columns = self._flat_columns(event, fixed, zone)
        analytics = dict(self._analytics(event, fixed))
        head = {
            "currentTimeZone": ZONE_NAMES.get(options["tz"], options["tz"]),
            "api_version": API_VERSION,
            "report_run_time": _us(_now(), zone),
            "report_type": "Audience Details Report",
            "event_data": {
                "event_creation_date": _us(event.created, zone),
                "event_od_last_published_time": _us(event.od_published, zone),
                "event_od_expiration_time": _us(event.od_expiration, zone),
                "event_live_start_time": _us(event.live_start, zone),
                "event_live_end_time": _us(event.live_end, zone),
                "event_title": event.title,
                "event_analytics": analytics,
                "event_id": event.event_id,
                "event_cost_center": event.cost_center,
            },
            "filters": {
                "incl_domain": [],
                "excl_domain": [],
                "sti_filter": [],
                **{j: options[p] for p, (_x, j) in VIEWER_FILTERS.items()},
            },
            "data_headers": [*headers, "sessions"],
        }
        opening = json.dumps(head, ensure_ascii=False)[:-1] + ',"data_rows":['
        yield opening
        first = True
        for viewer in self._selected(event, fixed, options):
            row: list[t.Any] = columns(viewer)
            row.append(
                [
                    [s.type, _us(s.start, zone), _us(s.end, zone), s.duration_ms, s.media]
                    for s in viewer.sessions
                ]
            )
            yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
            first = False
        yield "]}"

    def _csv_report(
        self, event: Event, fixed: list[Viewer], options: dict[str, t.Any]
    ) -> t.Iterator[str]:
        """The CSV form (RFC 4180): a header row, then one row per viewer."""
        headers, columns = self._flat_columns(event, fixed, options["zone"])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(headers)
        for viewer in self._selected(event, fixed, options):
            writer.writerow(columns(viewer))
            if buffer.tell() > CHUNK_BYTES:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def _flat_columns(
        self, event: Event, fixed: list[Viewer], zone: timezone | ZoneInfo
    ) -> tuple[list[str], t.Callable[[Viewer], list[t.Any]]]:
        """The flat (JSON and CSV) headers, and a function giving one viewer's row."""
        max_questions = self._stats(event, fixed)["max_questions"]
        survey_columns = [
            (s.survey_id, q_id or None, f"Survey: {s.name}: {text}")
            for s in event.surveys
            for q_id, _kind, text in (s.questions or [("", "", "")])
        ]
        headers = [
            "Event Id",
            "Event Title",
            "Cost Center",
            "Registered On",
            *(label for _i, label in event.questions),
            "Live Sessions",
            "On-Demand Sessions",
            "SimLive Sessions",
            "Total Sessions",
            "Live Duration",
            "On-Demand Duration",
            "SimLive Duration",
            "Total Duration",
            "Referrer",
        ]
        for number in range(1, max_questions + 1):
            headers += [f"Question {number}", f"Answer {number}"]
        headers += [label for _s, _q, label in survey_columns]

        def row(viewer: Viewer) -> list[t.Any]:
            answers = dict(viewer.answers)
            counts = {"live": 0, "od": 0, "simlive": 0}
            millis = {"live": 0, "od": 0, "simlive": 0}
            for session in viewer.sessions:
                kind = _session_kind(session.type)
                counts[kind] = counts.get(kind, 0) + 1
                millis[kind] = millis.get(kind, 0) + session.duration_ms
            values: list[t.Any] = [
                event.event_id,
                event.title,
                event.cost_center,
                _us(viewer.registration_date, zone),
            ]
            values += [answers.get(i, "") for i, _label in event.questions]
            values += [str(counts[k]) for k in ("live", "od", "simlive")]
            values.append(str(sum(counts.values())))
            values += [_clock(millis[k]) for k in ("live", "od", "simlive")]
            values += [_clock(sum(millis.values())), ""]
            for number in range(max_questions):
                question, answer = viewer.qa[number] if number < len(viewer.qa) else ("", "")
                values += [question.strip(), (answer or "").strip()]
            responses = {(s, q): a for s, q, a in viewer.responses}
            values += [responses.get((s, q), "") for s, q, _label in survey_columns]
            return values

        return headers, row

    # ------------------------------------------------------------------- test hooks

    def configure(self, options: dict[str, t.Any]) -> None:  # noqa: D102
        if "session_ttl_seconds" in options:
            self.session_ttl = float(options["session_ttl_seconds"])
        if "session_max_requests" in options:
            value = options["session_max_requests"]
            self.session_max_requests = None if value is None else int(value)
        if "report_window_seconds" in options:
            self.report_window = float(options["report_window_seconds"])
        if "reports_per_hour" in options or "report_window_seconds" in options:
            calls = int(options.get("reports_per_hour", self.limits["standard"].calls))
            self.limits["standard"] = SlidingWindowLimit(calls, self.report_window)
        if "expired_reports_per_hour" in options or "report_window_seconds" in options:
            calls = int(options.get("expired_reports_per_hour", self.limits["expired"].calls))
            self.limits["expired"] = SlidingWindowLimit(calls, self.report_window)
        if "expired_event_cooldown_seconds" in options:
            self.expired_cooldown = float(options["expired_event_cooldown_seconds"])
        if "stream_delay_ms" in options:
            self.stream_delay = float(options["stream_delay_ms"]) / 1000
        if "refused_events" in options:
            self.refused_events = {str(i) for i in options["refused_events"] or ()}
        if "drift" in options:
            self.drift = webcasts_drift.check(options["drift"] or ())

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:  # noqa: D102
        if action == "bump_event":
            return self._bump(self._event(payload), str(payload.get("kind", "registration")))
        if action == "expire_sessions":
            expired = len(self.sessions)
            self.sessions.clear()
            return {"expired": expired}
        if action == "fail_reports":
            code = int(payload.get("code", 62))
            self.forced_codes.extend([code] * int(payload.get("count", 1)))
            return {"queued": len(self.forced_codes)}
        if action == "create_event":
            event = self._create_event(
                int(payload.get("viewers", 0)),
                expired=bool(payload.get("expired", False)),
                event_id=payload.get("event_id"),
            )
            return {"event_id": event.event_id, "viewers": event.generated}
        if action == "expire_event":
            event = self._event(payload)
            event.expired = True
            event.expiry = _now() - timedelta(days=1)
            return {"event_id": event.event_id}
        if action == "malform_next_report":
            kind = str(payload.get("kind", "broken_line"))
            if kind not in ("broken_line", "entities", "truncated", "dropped"):
                raise KeyError(f"malform kind {kind}")
            self.malform_next.append(kind)
            return {"kind": kind}
        if action == "report_log":
            return list(self.report_log)
        if action == "issued_sessions":
            return {"sessions": list(self.issued_sessions), "user_id": USER_ID}
        if action == "credentials":
            return {"username": USERNAME, "password": PASSWORD}
        raise KeyError(action)

    def _event(self, payload: dict[str, t.Any]) -> Event:
        event = self.events.get(str(payload.get("event_id")))
        if event is None:
            raise KeyError(f"event {payload.get('event_id')}")
        return event

    def _bump(self, event: Event, kind: str) -> dict[str, t.Any]:
        """New activity now: a registration (and, for kind "session", a viewing session)."""
        latest = max(
            (m for m in (event.latest_registration(), event.latest_session()) if m), default=None
        )
        # Milliseconds, as epoch-ms markers may carry them (the report shows whole seconds).
        moment = datetime.now(timezone.utc)
        moment = moment.replace(microsecond=max(1, moment.microsecond // 1000) * 1000)
        if latest is not None and moment <= latest:
            moment = latest + timedelta(seconds=1)
        number = len(event.fixed) + event.generated + 1
        viewer = Viewer(
            registration_date=moment,
            answers=[
                ("firstname", "Nia"),
                ("lastname", f"Late-{number}"),
                ("email", f"late{number}.{event.event_id}@example.com"),
            ],
        )
        if kind == "session":
            viewer.sessions.append(ViewSession("On-Demand", moment, moment, 0, "HTML5 Video"))
        event.fixed.append(viewer)
        return {
            "event_id": event.event_id,
            "email": viewer.email,
            "latest_registration": _epoch_ms(event.latest_registration()),
            "latest_session": _epoch_ms(event.latest_session()),
        }

    def dataset(self) -> dict[str, t.Any]:  # noqa: D102
        events = []
        for event in self.events.values():
            entry: dict[str, t.Any] = {
                "event_id": event.event_id,
                "title": event.title,
                "cost_center": event.cost_center,
                "is_expired": event.expired,
                "latest_registration": _epoch_ms(event.latest_registration()),
                "latest_session": _epoch_ms(event.latest_session()),
                "viewer_count": event.generated + len(event.fixed),
                "registration_questions": dict(event.questions),
                "surveys": [
                    {
                        "id": s.survey_id,
                        "name": s.name,
                        "type": s.type,
                        "questions": [{"id": i, "type": k, "text": x} for i, k, x in s.questions],
                    }
                    for s in event.surveys
                ],
            }
            if entry["viewer_count"] <= 5000:  # large events are described, not listed
                entry["viewers"] = [_viewer_json(v) for v in self.viewers(event)]
            events.append(entry)
        return {"username": USERNAME, "user_id": USER_ID, "events": events}


# ----------------------------------------------------------------------------- helpers


class _InFlightBody:
    """A streamed report body that frees its "one report at a time" slot when done.

    The slot is freed when the last chunk has been produced, when the client disconnects
    (the generator is closed), or, if the server never starts writing, when the body is
    garbage collected.
    """

    def __init__(
        self, chunks: t.Iterator[bytes], release: t.Callable[[], None], delay: float
    ) -> None:
        self._chunks = chunks
        self._release = release
        self._released = False
        self._delay = delay

    def _release_once(self) -> None:
        if not self._released:
            self._released = True
            self._release()

    def __iter__(self) -> t.Iterator[bytes]:
        try:
            for chunk in self._chunks:
                if self._delay:
                    time.sleep(self._delay)
                yield chunk
        finally:
            self._release_once()

    def __del__(self) -> None:
        self._release_once()


def _chunked(parts: t.Iterable[str]) -> t.Iterator[bytes]:
    """Join rendered pieces into chunks of about CHUNK_BYTES for the wire."""
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _malformed(parts: t.Iterable[str], kind: str) -> t.Iterator[str]:
    """Damage a report the way a test asked for."""
    if kind == "entities":
        yield (
            '<?xml version="1.0"?>\n<!DOCTYPE convey_api [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        )
    done = False
    produced = 0
    for part in parts:
        if kind == "entities" and part.startswith("<?xml"):
            part = part.split("\n", 1)[1]  # noqa: PLW2901 - our declaration replaces it
            part = part.replace("<eventtitle>", "<eventtitle>&b;", 1)  # noqa: PLW2901
        if kind == "broken_line" and not done and '<ra id="email">' in part:
            line = re.search(r'<ra id="email">[^<]*</ra>', part)
            if line is not None:
                broken = line.group(0).replace('<ra id="email">', '<ra id="email"', 1)
                if line.group(0) == FIXED_EMAIL_LINE:
                    broken = BROKEN_EMAIL_LINE
                part = part.replace(line.group(0), broken, 1)  # noqa: PLW2901
                done = True
        produced += len(part)
        if kind == "truncated" and produced > 600:
            yield part[: max(0, len(part) - (produced - 600))]
            return
        yield part


def _dropped(chunks: t.Iterator[bytes]) -> t.Iterator[bytes]:
    """Send half of the first chunk, then break the connection (a network failure)."""
    for chunk in chunks:
        yield chunk[: len(chunk) // 2]
        raise ConnectionAbortedError("sandbox: connection dropped in the middle of a report")


def _viewer_xml(viewer: Viewer, when: t.Callable[[datetime | None], str]) -> str:
    parts = [
        "<viewer>\n",
        _node("registration_date", when(viewer.registration_date)),
        "<registration_answers>\n",
    ]
    parts.extend(f"<ra id={quoteattr(i)}>{escape(value)}</ra>\n" for i, value in viewer.answers)
    parts.append("</registration_answers>\n")
    if viewer.sessions:
        parts.append("<sessions>\n")
        for s in viewer.sessions:
            media = f"<media>{escape(s.media)}</media>" if s.media else "<media/>"
            parts.append(
                f"<session>\n<type>{s.type}</type>\n<start_time>{when(s.start)}</start_time>\n"
                f"<end_time>{when(s.end)}</end_time>\n<duration>{s.duration_ms}</duration>\n"
                f"{media}\n</session>\n"
            )
        parts.append("</sessions>\n")
    if viewer.qa:
        parts.append("<qa>\n")
        for question, answer in viewer.qa:
            reply = f"<answer>{escape(answer)}</answer>\n" if answer is not None else ""
            parts.append(f"<question>\n{escape(question.strip())}\n{reply}</question>\n")
        parts.append("</qa>\n")
    else:
        parts.append("<qa/>\n")
    if viewer.responses:
        parts.append("<survey_responses>\n")
        for survey_id, question_id, answer in viewer.responses:
            question = f"\nquestion_id={quoteattr(question_id)}" if question_id else ""
            parts.append(f"<sr survey_id={quoteattr(survey_id)}{question}>{escape(answer)}</sr>\n")
        parts.append("</survey_responses>\n")
    else:
        parts.append("<survey_responses/>\n")
    parts.append("</viewer>\n")
    return "".join(parts)


def _viewer_json(viewer: Viewer) -> dict[str, t.Any]:
    """A viewer as tests compare it: UTC ISO times, durations in milliseconds."""
    return {
        "registration_date": _iso(viewer.registration_date),
        "answers": dict(viewer.answers),
        "sessions": [
            {
                "type": s.type,
                "start": _iso(s.start),
                "end": _iso(s.end),
                "duration_ms": s.duration_ms,
                "media": s.media,
            }
            for s in viewer.sessions
        ],
        "qa": [{"question": q.strip(), "answer": a.strip() if a else a} for q, a in viewer.qa],
        "responses": [
            {"survey_id": s, "question_id": q, "answer": a.strip()} for s, q, a in viewer.responses
        ],
    }


def _generated_surveys(event_id: str) -> list[Survey]:
    def sid(name: str) -> str:
        digest = hashlib.sha1(f"{event_id}:{name}".encode()).hexdigest()  # noqa: S324
        return f"{digest[:14]}.{int(digest[14:22], 16) % 100_000_000:08d}"

    return [
        Survey(sid("live"), "Live Poll", "In Event", [
            (sid("useful"), "Radio Vertical", "Is this session useful?"),
            (sid("next"), "Textbox", "What should we cover next?"),
        ]),
        Survey(sid("attendance"), "Attendance Check", "Attendance", []),
        Survey(sid("post"), "Feedback & Follow-up", "Post Event", [
            (sid("tools"), "Checkbox Vertical", "Which tools do you use?"),
            (sid("recommend"), "Radio Vertical", "Would you recommend us?"),
            (sid("else"), "Text Area", "Anything else?"),
        ]),
    ]  # fmt: skip


TOOLS = ["Airflow", "dbt", "Meltano", "Spark", "Excel"]
QUESTIONS = [
    "Can you share the slides?",
    "How does this scale past 10k rows & beyond?",
    "Is there a <free> tier?",
    "Wie funktioniert das Tracking?\nUnd gibt es eine API?",
    "What about GDPR?",
]


def _generated_viewer(event: Event, index: int) -> Viewer:
    """Viewer *index* of a generated event: the same every time, from the event's seed."""
    rnd = Random(f"{event.seed}:{index}")  # noqa: S311 - test data
    assert event.registration_window is not None
    last = index == event.generated - 1
    start, end = event.registration_window
    registered = end if last else start + (end - start) * rnd.random()
    registered = registered.replace(microsecond=0)
    first, surname = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
    city, country = rnd.choice(CITIES)
    answers = [("firstname", first), ("lastname", surname)]
    company = rnd.choice(COMPANIES)
    if company:
        answers.append(("company", company))
    answers.append(("email", f"viewer{index}.{event.event_id}@example.com"))
    if rnd.random() < 0.7:
        answers.append(("title", rnd.choice(["Data Engineer", "VP Marketing", "Analyst", "CTO"])))
    if country:
        answers += [("country", country), ("city", city)]
    if rnd.random() < 0.5:
        answers += [
            ("address1", f"{rnd.randint(1, 999)} Main St"),
            ("postalcode", f"{rnd.randint(10000, 99999)}"),
        ]
    if rnd.random() < 0.6:
        answers.append(("phone", f"+1 512 555 {rnd.randint(1000, 9999)}"))
    if rnd.random() < 0.1:
        answers.append(("mobile", f"+49 170 {rnd.randint(1000000, 9999999)}"))
    if rnd.random() < 0.4:
        answers.append(("source_track_id", rnd.choice(["Linkedin Campaign", "newsletter-q3"])))
    answers.append((event.questions[-2][0], rnd.choice(["Marketing", "Engineering", "Sales"])))
    if rnd.random() < 0.5:
        answers.append(
            (
                event.questions[-1][0],
                rnd.choice(["A friend", "Newsletter", "A podcast\nand a blog post"]),
            )
        )
    viewer = Viewer(registration_date=registered, answers=answers)
    window = event.viewing_window
    if window is None or not (last or rnd.random() < 0.65):
        return viewer
    viewer.sessions = _generated_sessions(event, rnd, registered, window, last)
    if rnd.random() < 0.3:
        for _ in range(rnd.randint(1, 2)):
            answer = rnd.choice([None, "Yes, after the webcast.", "See the docs.\nThanks!"])
            viewer.qa.append((rnd.choice(QUESTIONS), answer))
    if rnd.random() < 0.4:
        live, _attendance, post = event.surveys
        viewer.responses = [
            (live.survey_id, live.questions[0][0], rnd.choice(["Yes", "No"])),
            (live.survey_id, live.questions[1][0], rnd.choice(["Pricing", "Security\nand SSO"])),
            (_attendance.survey_id, None, "Yes"),
            (
                post.survey_id,
                post.questions[0][0],
                " | ".join(rnd.sample(TOOLS, rnd.randint(1, 3))),
            ),
            (post.survey_id, post.questions[1][0], rnd.choice(["Yes", "No"])),
        ]
        if rnd.random() < 0.5:
            viewer.responses.append((post.survey_id, post.questions[2][0], "Great | thanks"))
    return viewer


def _generated_sessions(
    event: Event, rnd: Random, registered: datetime, window: tuple[datetime, datetime], last: bool
) -> list[ViewSession]:
    start, end = window
    sessions: list[ViewSession] = []
    if event.live_start and event.live_end and registered <= event.live_end and rnd.random() < 0.7:
        length = (event.live_end - event.live_start).total_seconds()
        begin = event.live_start + timedelta(seconds=int(rnd.random() * length * 0.5))
        finish = min(event.live_end, begin + timedelta(seconds=rnd.randint(60, int(length))))
        sessions.append(_session("Live", begin, finish, rnd))
    kinds = ["On-Demand"] * rnd.randint(0 if sessions else 1, 2)
    if rnd.random() < 0.1:
        kinds.append("SimLive")
    for kind in kinds:
        earliest = max(registered, event.od_published or start)
        if earliest >= end:
            break
        span = (end - earliest).total_seconds()
        begin = earliest + timedelta(seconds=int(rnd.random() * span * 0.9))
        finish = min(end, begin + timedelta(seconds=rnd.randint(30, 3600)))
        sessions.append(_session(kind, begin, finish, rnd))
    if last:  # the newest activity, so the event list's latest_session is exact
        sessions.append(_session("On-Demand", end - timedelta(seconds=90), end, rnd))
    if not sessions:
        sessions.append(_session("On-Demand", end - timedelta(seconds=45), end, rnd))
    return sessions


def _session(kind: str, begin: datetime, finish: datetime, rnd: Random) -> ViewSession:
    begin, finish = begin.replace(microsecond=0), finish.replace(microsecond=0)
    media = rnd.choice(["", "HTML5 Video", "Unknown", "Flash"])
    return ViewSession(kind, begin, finish, int((finish - begin).total_seconds()) * 1000, media)


def _all_viewers(event: Event, fixed: list[Viewer]) -> t.Iterator[Viewer]:
    """Generated viewers one at a time (never a list: a report may hold 100,000), then fixed."""
    for index in range(event.generated):
        yield _generated_viewer(event, index)
    yield from fixed


def _included(viewer: Viewer, options: dict[str, t.Any]) -> bool:
    """Whether the report's date range and filters keep *viewer*."""
    low, high = options["start"], options["end"]
    if low or high:

        def inside(moment: datetime) -> bool:
            return (low is None or moment >= low) and (high is None or moment <= high)

        by_registration = options["dr_regs"] and inside(viewer.registration_date)
        by_session = options["dr_sessions"] and any(inside(s.start) for s in viewer.sessions)
        if (options["dr_regs"] or options["dr_sessions"]) and not (by_registration or by_session):
            return False
    kinds = {_session_kind(s.type) for s in viewer.sessions}
    checks = {
        "users_qa": bool(viewer.qa),
        "user_survey": bool(viewer.responses),
        "no_shows": not viewer.sessions,
        "live_viewers": "live" in kinds,
        "od_viewers": "od" in kinds,
        "simlive_viewers": "simlive" in kinds,
    }
    return all(passed for name, passed in checks.items() if options[name])


def _report_options(request: Request) -> dict[str, t.Any]:
    """Validate the report parameters; ValueError means return code 72."""
    ei = request.arg("ei") or ""
    if not ei.isdigit():
        raise ValueError("ei")
    tz = request.arg("tz") or "GMT"
    zone = _zone(tz)
    options: dict[str, t.Any] = {"tz": tz, "zone": zone}
    for name in ("start", "end"):
        text = request.arg(name)
        options[f"{name}_text"] = text or ""
        if not text:
            options[name] = None
            continue
        day = datetime.strptime(text, "%m/%d/%Y").replace(tzinfo=zone)
        options[name] = (
            day if name == "start" else day + timedelta(hours=23, minutes=59, seconds=59)
        )
    for name, default in (
        ("dr_regs", True),
        ("dr_sessions", True),
        ("expired", False),
        *((f, False) for f in VIEWER_FILTERS),
    ):
        value = request.arg(name)
        if value not in (None, "on", "off"):
            raise ValueError(name)
        options[name] = default if value is None else value == "on"
    return options


def _zone(name: str) -> timezone | ZoneInfo:
    if name.upper() in ("GMT", "UTC"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name}") from None


def _failure(code: int, form: str, description: str | None = None) -> Response:
    """A failed request as the platform answers it: HTTP 200 and a return code."""
    message = description or RETURN_CODES.get(code, "General error")
    if form == "json":
        return Response.json({"api_version": API_VERSION, "returnCode": code, "error": message})
    if form == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(
            [["error", "returnCode", "description"], ["error", code, message]]
        )
        return Response.text(buffer.getvalue())
    return Response.xml(
        _envelope_head("GMT", code)
        + f"<failure>\n<description>{escape(message)}</description>\n</failure>\n"
        "</result>\n</convey_api>\n"
    )


def _envelope_head(tz: str, code: int, *, report: bool = False) -> str:
    zone = _zone(tz)
    shown = ZONE_NAMES.get(tz, tz) if report else tz
    moment = _us(_now(), zone) if report else _now().astimezone(zone).strftime(LIST_TIME)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<convey_api version="{API_VERSION}">\n'
        f"<currentTimeZone>{escape(shown)}</currentTimeZone>\n"
        f"<currentDateTime>{moment}</currentDateTime>\n"
        f"<result>\n<returnCode>{code}</returnCode>\n"
    )


def _node(tag: str, value: str) -> str:
    return f"<{tag}>{escape(value)}</{tag}>\n" if value else f"<{tag}/>\n"


def _custom_id(name: str, event_id: str) -> str:
    digest = hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 - an id, not security
    return f"{digest}_{event_id}"


def _session_kind(kind: str) -> str:
    key = re.sub(r"[^a-z]", "", kind.lower())
    if key in ("live",):
        return "live"
    if key in ("simlive", "simulatedlive"):
        return "simlive"
    return "od"


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    return f"{part / whole * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _clock(millis: int) -> str:
    seconds = millis // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _us(moment: datetime | None, zone: timezone | ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(US_TIME) if moment else ""


def _parse_us(text: str, zone: timezone | ZoneInfo) -> datetime:
    return datetime.strptime(text, US_TIME).replace(tzinfo=zone).astimezone(timezone.utc)


def _epoch_ms(moment: datetime | None) -> str:
    return str(round(moment.timestamp() * 1000)) if moment else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
