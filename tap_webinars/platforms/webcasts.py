"""Webcasts.com (Convey) Reporting API 2.0.

References: webcasts-reporting-api.txt, and the Webcasts part of reference/README.md.
Endpoints, as data:
    GET {api_url}/api/login                      username, password, ver=2.0 -> session, user id
    GET {api_url}/api/reporting/eventlist        ui, si -> one `event_info` per event
    GET {reporting_url}/api/reporting/timezones  ui, si (the connection test's cheap read)
    GET {reporting_url}{webcasts_report_path}    ui, si, ver, ei, tz -> Audience Details report

The event list carries `latest_registration` and `latest_session` (epoch ms) per event, so only
events whose activity moved get a new report. One report per event feeds registrants,
registrant_sessions, viewers, survey_responses and questions; it is parsed as it streams in
(entities and DTDs refused), one viewer at a time, so no report has to fit in memory. The
report is always requested whole, never for a date window: viewer totals computed from part of
an event's sessions would overwrite whole ones downstream.

Limits (guide, "API Limits"): a session lasts two hours; one report at a time; 1,000 reports
an hour; expired events only through a separate request, one at a time, 50 an hour, one report
per expired event per 48 hours. The session is a `client.SessionSource`; the hourly report
quotas are `http.Pacer`s. The report's mapping to unified records is `webcasts_report.py`.
Return codes: 1 success; 11 -> log in again; 50/60 (service unavailable or busy), 61 (too many
reports for the event) and 62 (1,000 this hour) -> wait and retry; 10 (not authorised for this
event) -> that event's activity is skipped, with a warning, and read again next run; 71, 72, 74
and any other -> an error naming the event.

Permissions: the API has no per-resource scopes. The login and the event list are what every
stream needs (refused, the run stops); a report refused for one event (code 10) costs that
event's activity only; the time zone list only checks the connection (enrichment).
"""

from __future__ import annotations

import itertools
import re
import threading
import typing as t
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, quote_plus

import requests
import urllib3
from singer_sdk import typing as th
from typing_extensions import override

from tap_webinars import normalize as n
from tap_webinars import redaction, safe_xml
from tap_webinars.client import SessionSource
from tap_webinars.errors import (
    AuthenticationError,
    PayloadError,
    PermissionDeniedError,
    RequestFailedError,
    SettingsError,
)
from tap_webinars.http import HttpClient, HttpPolicy, Pacer, RateLimit, Reauthenticate, RetryLater
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    CHILD_STREAMS,
    EventBundle,
    EventRef,
    PlatformAdapter,
    Probe,
    Window,
)
from tap_webinars.platforms.webcasts_report import REPORT_EVENT_COLUMNS, ReportMapping
from tap_webinars.safe_xml import GarbledAnswerError

API_URL = "https://api.webcasts.com"
REPORTING_URL = "https://reporting.webcasts.com"
REPORT_PATH = "/api/reporting/audience_reports"  # unverified: the guide omits it (README)
LOGIN_PATH = "/api/login"
EVENT_LIST_PATH = "/api/reporting/eventlist"
TIME_ZONES_PATH = "/api/reporting/timezones"
API_VERSION = "2.0"
# The guide says expired events need "a separate request" without naming it; this project
# reads it as the same report with `expired=on` (unverified).
EXPIRED_REPORT_PARAMS = {"expired": "on"}

SESSION_LIFETIME = timedelta(hours=2)  # guide: authentication is valid for two hours
SESSION_REFRESH_MARGIN = timedelta(minutes=10)  # a new session is started this much before
REPORT_LIMITS = {
    "standard": RateLimit(calls=1000, period=3600.0),  # guide: 1,000 reports an hour
    "expired": RateLimit(calls=50, period=3600.0),  # guide: 50 an hour for expired events
}
# Waiting out 61/62 when our own count does not explain them (another client of the account):
# 1 s, 2 s, 4 s ... at most 5 minutes between polls, so an hour window is outlived.
LIMIT_FIRST_WAIT = 1.0
LIMIT_MAX_WAIT = 300.0
REPORT_ATTEMPTS = 3  # a report whose stream breaks off is requested again, whole
REFUSED = "refused XML"  # how an answer declaring a DTD is described: never asked again
HEAD_BYTES = 64 * 1024  # the return code must show up within this much of a report

RELOGIN_CODE = 11
RETRY_CODES = {
    50: "reporting service not available",
    60: "reporting service busy (one report at a time)",
    61: "too many reports for this event",
    62: "1,000 reports an hour reached",
}
ERROR_CODES = {
    0: "general error",
    10: "not authorised to run a report on this event; check the event id and the account",
    51: "invalid data in the report; the guide says to contact Webcasts support",
    70: "insecure characters in the request parameters",
    71: "invalid API version",
    72: "missing or invalid report parameters (check webcasts_time_zone)",
    73: "ambiguous platform",
    74: "unknown reporting resource (check webcasts_report_path)",
}

# Request roles (permissions.py). Webcasts grants no scopes: what to ask for is the Reporting
# API for the user, and report rights on an event (or the folder holding it).
EVENT_LIST_ROLE = Core(
    ("events", *CHILD_STREAMS), "Reporting API access for this user (the event list)"
)
REPORT_ROLE = Core(CHILD_STREAMS, "Reporting API report rights (audience reports)")
REPORT_HEADER_ROLE = Enrichment(
    "audience report (event fields and analytics)",
    "Reporting API report rights (audience reports)",
    REPORT_EVENT_COLUMNS,
)
TIME_ZONES_ROLE = Enrichment(
    "reporting time zone list", "Reporting API access on the reporting host"
)
EVENT_REFUSED_ASK = "report rights on this event, or on the folder holding it"

_RETURN_CODE = re.compile(rb"<returnCode>\s*(\d+)\s*</returnCode>")
_DESCRIPTION = re.compile(rb"<description>(.*?)</description>", re.DOTALL)


class EventReportRefusedError(PermissionDeniedError):
    """Return code 10: these credentials may not run a report on this one event."""

    def __init__(self, message: str, *, endpoint: str, event_id: str) -> None:
        super().__init__(message, endpoint=endpoint)
        self.event_id = event_id


class Session(t.NamedTuple):
    """A logged-in session: what every call after the login sends as `ui` and `si`."""

    session_id: str
    user_id: str

    def params(self) -> dict[str, str]:
        """The query parameters that identify the session."""
        return {"ui": self.user_id, "si": self.session_id}


class WebcastsLogin(SessionSource[Session]):
    """The login session: renewed before its two hours run out, or when a call answers 11.

    It remembers, per thread, the session each call sent, so a refused session is renewed
    only if no other thread has renewed it already.
    """

    def __init__(self, http: HttpClient, url: str, username: str, password: str) -> None:
        super().__init__(margin_seconds=0.0)  # obtain() states the lifetime minus the margin
        self.http = http
        self.url = url
        self._credentials = {"username": username, "password": password}
        self._sent = threading.local()
        _register_secret(password)  # the login URL carries it

    @override
    def obtain(self) -> tuple[Session, float]:
        """Log in; the session id becomes a secret the moment it is known."""
        params = {**self._credentials, "ver": API_VERSION}
        response = self.http.request("GET", self.url, params=params, check=_retry_busy)
        endpoint = redaction.redact_url(self.url)
        root = _parse_small(self.url, response.content)
        code = _return_code(root)
        if code != 1:
            raise AuthenticationError(
                f"webcasts: login refused at {endpoint} (return code {code}: "
                f"{_description(response.content)}); check the settings webcasts_username, "
                "webcasts_password",
                endpoint=endpoint,
            )
        session_id = n.text(root.findtext("result/success/sessionid/value"))
        user_id = n.text(root.findtext("result/success/userid/value"))
        if not session_id or not user_id:
            raise PayloadError(endpoint, "login succeeded but sent no session id or user id")
        _register_secret(session_id)
        lifetime = SESSION_LIFETIME - SESSION_REFRESH_MARGIN
        return Session(session_id, user_id), lifetime.total_seconds()

    def params(self) -> dict[str, str]:
        """`ui` and `si` of the session valid now (a call re-evaluates them on each attempt)."""
        session = self.current()
        self._sent.session = session
        return session.params()

    def renew_refused(self) -> None:
        """A call answered 11 (session invalid or expired): renew the session it sent."""
        self.renew(getattr(self._sent, "session", None))


class WebcastsAdapter(PlatformAdapter):
    """Webcasts.com: one session, the event list, one streamed report per changed event."""

    name = "webcasts"
    title = "Webcasts"
    config_properties = (
        th.Property("webcasts_username", th.StringType, description="Webcasts.com API username."),
        th.Property(
            "webcasts_password",
            th.StringType,
            secret=True,
            description="Webcasts.com API password.",
        ),
        th.Property(
            "webcasts_reporting_url",
            th.StringType,
            description=f"Webcasts reporting host. Default: {REPORTING_URL}",
        ),
        th.Property(
            "webcasts_report_path",
            th.StringType,
            default=REPORT_PATH,
            description="Path of the audience report on the reporting host (unverified upstream).",
        ),
        th.Property(
            "webcasts_time_zone",
            th.StringType,
            default="GMT",
            description="Time zone the Webcasts reports are requested in.",
        ),
        th.Property(
            "webcasts_include_expired",
            th.BooleanType,
            default=False,
            description="Also pull expired Webcasts events, once each (stricter limits).",
        ),
    )
    required_keys = ("webcasts_username", "webcasts_password")
    url_keys = ("webcasts_reporting_url",)
    simulator = "tap_webinars.sandbox.webcasts:WebcastsSimulator"
    account_label = "the username"
    max_parallel_events = 1  # guide: one report at a time

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.settings
        self.api_url = settings.api_url or API_URL
        self.reporting_url = str(settings.get("webcasts_reporting_url", REPORTING_URL)).rstrip("/")
        self.report_url = (
            self.reporting_url
            + "/"
            + str(settings.get("webcasts_report_path", REPORT_PATH)).lstrip("/")
        )
        self.time_zone = str(settings.get("webcasts_time_zone", "GMT")).strip()
        self.include_expired = bool(settings.get("webcasts_include_expired", False))
        self.login = WebcastsLogin(
            self.http,
            self.api_url + LOGIN_PATH,
            str(settings.get("webcasts_username", "")),
            str(settings.get("webcasts_password", "")),
        )
        self.report_quotas = {
            kind: Pacer(limit, what="reports") for kind, limit in REPORT_LIMITS.items()
        }
        self.mapping = ReportMapping(
            self.record,
            time_zone=self.time_zone,
            report_url=self.report_url,
            event_list_url=self.api_url + EVENT_LIST_PATH,
            warn=self.logger.warning,
        )

    @classmethod
    def check_config(cls, config: t.Mapping[str, t.Any]) -> None:
        """The report time zone must be one the tap can convert from."""
        super().check_config(config)
        time_zone = str(config.get("webcasts_time_zone") or "GMT").strip()
        try:
            n.zone(time_zone)
        except ValueError:
            raise SettingsError(
                "webcasts_time_zone", f"unknown time zone {time_zone!r}; use an IANA name"
            ) from None

    @classmethod
    def default_account_id(cls, config: t.Mapping[str, t.Any]) -> str:
        """The API username."""
        return str(config["webcasts_username"])

    def http_policy(self) -> HttpPolicy:  # noqa: D102
        return HttpPolicy(
            platform=self.name,
            credential_keys=("webcasts_username", "webcasts_password"),
            # The login's query carries the password; every later call's, the session id.
            credential_params=("username", "password", "si"),
            reauthenticate=self._renew_refused_session,
            max_rate_limit_waits=40,
            default_headers={"Accept": "application/xml"},
        )

    def check(self) -> None:
        """Log in, and read the reporting host's time zone list (refused: a warning only)."""
        self.login.current()
        self.permissions.optional(
            TIME_ZONES_ROLE, lambda: self._call(self.reporting_url + TIME_ZONES_PATH, {})
        )

    @override
    def access_probes(self) -> list[Probe]:
        """The login and the event list (every stream), and the time zone list.

        Reports are not probed: one costs one of the 1,000 reports an hour (and, for an
        expired event, its one report per 48 hours), and a refusal is per event (return
        code 10), which a run reports event by event.
        """
        return [
            Probe(
                EVENT_LIST_ROLE.streams,
                EVENT_LIST_ROLE.permission,
                lambda: self._call(self.api_url + EVENT_LIST_PATH, {}),
            ),
            Probe(
                ("events",),
                TIME_ZONES_ROLE.permission,
                lambda: self._call(self.reporting_url + TIME_ZONES_PATH, {}),
                enrichment=True,
            ),
        ]

    # -------------------------------------------------------------------- session

    def _renew_refused_session(self) -> None:
        """The HTTP layer's hook for return code 11 (the login exists only after __init__)."""
        self.login.renew_refused()

    def _call(self, url: str, params: t.Mapping[str, str]) -> ET.Element:
        """One small XML read (event list, time zones) with the session's parameters.

        An answer that comes back garbled (an HTML page, cut short) is requested again.
        """

        def read() -> tuple[requests.Response, ET.Element]:
            response = self.http.request(
                "GET", url, params=lambda: {**params, **self.login.params()}, check=_check_call
            )
            return response, _parse_small(url, response.content)

        response, root = safe_xml.asking_again(read, self.logger, "webcasts")
        code = _return_code(root)
        if code not in (None, 1):
            endpoint = redaction.redact_url(url)
            meaning = ERROR_CODES.get(code, "a return code the guide does not list")
            raise RequestFailedError(
                f"webcasts: {endpoint} answered return code {code}: "
                f"{meaning} ({_description(response.content)})",
                endpoint=endpoint,
            )
        return root

    # --------------------------------------------------------------------- events

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:
        """Every listed event within start_date/end_date, expired ones included.

        An expired event is listed every run until its activity has been read (it costs no
        request: its record comes from the event list); with `webcasts_include_expired` its
        report is pulled once, as a current event's is whenever its activity moves.
        """
        url = self.api_url + EVENT_LIST_PATH
        root = self.permissions.core(EVENT_LIST_ROLE, lambda: self._call(url, {}))
        wanted = self.settings.event_ids
        refs: dict[str, EventRef] = {}
        skipped: Counter[str] = Counter()
        for info in root.iter("event_info"):
            listing = {**info.attrib, "title": info.text}
            event_id = n.identifier(listing.get("id"))
            if not event_id:
                raise PayloadError(url, "an event_info has no id")
            if wanted is not None and event_id not in wanted:
                continue
            try:
                marker = _activity_marker(listing)
                expired = bool(n.boolean(listing.get("is_expired")))
                scheduled = n.timestamp(listing.get("sched_start"))
            except ValueError as error:
                raise PayloadError(url, f"event {event_id}: {error}") from None
            if not self._in_date_range(marker, scheduled):
                skipped["outside start_date/end_date"] += 1
                continue
            if expired:
                since = bookmarks.get(event_id)
                if since is not None and (marker is None or marker <= since):
                    # Read already (pulled, or read while current): expired events allow one
                    # report per 48 hours and get no new activity; their record is loaded.
                    skipped["expired and already read"] += 1
                    continue
                if not self.include_expired:
                    skipped["expired: listed, report not read (webcasts_include_expired)"] += 1
            ref = EventRef(event_id, marker=marker, listing=listing)
            refs[event_id] = _one_listing(url, refs.get(event_id), ref, self.logger.warning)
        for reason, count in skipped.items():
            self.logger.info("webcasts: %d events %s", count, reason)
        return list(refs.values())

    def _in_date_range(self, marker: datetime | None, scheduled: str | None) -> bool:
        """Whether an event can hold data between start_date and end_date."""
        start, end = self.settings.start_date, self.settings.end_date
        planned = n.parse_timestamp(scheduled) if scheduled else None
        if marker is not None and marker < start and (planned is None or planned < start):
            return False
        return end is None or planned is None or planned <= end

    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        """One event: its report, whole (see the module docstring), or its listing alone.

        The listing alone where the report is not to be read (an expired event without
        `webcasts_include_expired`) or was refused for this event (return code 10). Its
        bookmark then stays where it was, so the activity is read once it can be.
        """
        expired = bool(n.boolean(ref.listing.get("is_expired")))
        read_through = n.format_timestamp(window.since or window.start)
        if expired and not self.include_expired:
            return EventBundle(event=self.mapping.listed_event(ref, read_through))
        try:
            bundle = self._fetch_report(ref, wanted)
        except EventReportRefusedError as refused:
            if self.settings.strict_permissions:
                raise PermissionDeniedError(
                    f"{refused} (strict_permissions is on)", endpoint=refused.endpoint
                ) from None
            self.permissions.skip_item(
                f"activity of event {ref.event_id}",
                f"report refused (return code 10) at {refused.endpoint}; its registrants, "
                f"sessions, viewers, answers and questions were not read and are read again "
                f"next run; ask for {EVENT_REFUSED_ASK}",
            )
            return EventBundle(event=self.mapping.listed_event(ref, read_through))
        if bundle is None:  # the report header was refused: the listing is what there is
            return EventBundle(event=self.mapping.listed_event(ref, read_through))
        return bundle

    def _fetch_report(self, ref: EventRef, wanted: frozenset[str]) -> EventBundle | None:
        """Read the report: core for the wanted child streams, else only the events header."""
        if wanted & set(CHILD_STREAMS):
            return self.permissions.core(REPORT_ROLE, lambda: self._read_whole(ref, wanted))
        return self.permissions.optional(REPORT_HEADER_ROLE, lambda: self._read_whole(ref, wanted))

    def _read_whole(self, ref: EventRef, wanted: frozenset[str]) -> EventBundle:
        """Request and stream the report, whole.

        A stream that breaks off, or an answer that comes back garbled (an HTML page, cut
        short), is requested again: REPORT_ATTEMPTS in all.
        """
        for attempt in range(1, REPORT_ATTEMPTS + 1):
            bundle = EventBundle(event={})
            try:
                self._read_report(ref, bundle, wanted)
            except safe_xml.GarbledAnswerError as error:
                bundle.close()
                if attempt == REPORT_ATTEMPTS:
                    raise
                self.logger.warning("webcasts: %s; requesting it again", error)
                continue
            except (urllib3.exceptions.HTTPError, requests.RequestException) as error:
                bundle.close()
                if attempt == REPORT_ATTEMPTS:
                    raise RequestFailedError(
                        f"webcasts: the report of event {ref.event_id} broke off while "
                        f"streaming {attempt} times; last: {type(error).__name__}",
                        endpoint=self.mapping.report_endpoint,
                    ) from None
                self.logger.warning(
                    "webcasts: the report of event %s broke off while streaming (%s); "
                    "requesting it again",
                    ref.event_id,
                    type(error).__name__,
                )
                continue
            except BaseException:
                bundle.close()
                raise
            return bundle
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_report(self, ref: EventRef, bundle: EventBundle, wanted: frozenset[str]) -> None:
        """Request one event's report and stream it into *bundle*."""
        expired = bool(n.boolean(ref.listing.get("is_expired")))
        self._await_report_quota(expired)
        params: dict[str, str] = {"ver": API_VERSION, "ei": ref.event_id, "tz": self.time_zone}
        if expired:
            params.update(EXPIRED_REPORT_PARAMS)
        head: list[bytes] = []
        waits = itertools.count()

        def check(response: requests.Response) -> None:
            head[:] = [_read_head(response)]
            self._check_report(ref.event_id, expired, response, head[0], next(waits))

        response = self.http.request(
            "GET",
            self.report_url,
            params=lambda: {**params, **self.login.params()},
            stream=True,
            check=check,
        )
        try:
            self.mapping.read(_Prefixed(head[0], response.raw), ref, bundle, wanted)
        finally:
            response.close()

    def _report_quota(self, expired: bool) -> Pacer:
        return self.report_quotas["expired" if expired else "standard"]

    def _await_report_quota(self, expired: bool) -> None:
        """Block until one more report fits in its hourly quota; say so once if it waits."""
        quota = self._report_quota(expired)
        told = False

        def tell(seconds: float) -> None:
            nonlocal told
            if not told and quota.limit is not None:
                told = True
                self.logger.info(
                    "webcasts: %d %s this hour; pausing %.0fs",
                    quota.limit.calls,
                    quota.what,
                    seconds,
                )

        quota.acquire(on_wait=tell)

    def _check_report(
        self, event_id: str, expired: bool, response: requests.Response, head: bytes, attempt: int
    ) -> None:
        """Map the report's return code: go on, log in again, wait, or fail naming the event."""
        endpoint = self.mapping.report_endpoint
        match = _RETURN_CODE.search(head)
        if match is None:
            response.close()
            refused = _not_xml(head)
            problem = refused or f"no returnCode in the first {len(head)} bytes"
            kind = PayloadError if refused and refused.startswith(REFUSED) else GarbledAnswerError
            raise kind(endpoint, f"event {event_id}: {problem}: {_snippet(head)}")
        code = int(match.group(1))
        if code == 1:
            return
        description = _description(head + response.raw.read(HEAD_BYTES))
        reason = f"return code {code} ({RETRY_CODES.get(code) or description}) for event {event_id}"
        if code == RELOGIN_CODE:
            raise Reauthenticate
        if code in (50, 60):
            raise RetryLater(reason)
        if code == 61 and expired:
            raise RequestFailedError(
                f"webcasts: expired event {event_id} was already reported within 48 hours "
                "(return code 61; the guide allows one report per expired event per 48 hours); "
                "run again later, or leave it out with event_ids",
                endpoint=endpoint,
            )
        if code in (61, 62):
            wait = self._report_quota(expired).wait_after_refusal(
                attempt, first=LIMIT_FIRST_WAIT, cap=LIMIT_MAX_WAIT
            )
            raise RetryLater(reason, wait)
        message = ERROR_CODES.get(code, "a return code the guide does not list")
        text = (
            f"webcasts: the report of event {event_id} was refused at {endpoint}: return code "
            f"{code}, {message} ({description})"
        )
        if code == 10:
            raise EventReportRefusedError(text, endpoint=endpoint, event_id=event_id)
        raise RequestFailedError(text, endpoint=endpoint)


# ----------------------------------------------------------------------------- helpers


class _Prefixed:
    """A readable stream: the bytes the return-code check already read, then the rest."""

    def __init__(self, head: bytes, rest: t.Any) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
                if size < 0:
                    data += self._rest.read()
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        rest: bytes = self._rest.read() if size < 0 else self._rest.read(size)
        return rest


def _read_head(response: requests.Response) -> bytes:
    """Read a streamed report up to its return code (or HEAD_BYTES), leaving the rest."""
    response.raw.decode_content = True
    data = b""
    while b"</returnCode>" not in data and len(data) < HEAD_BYTES:
        chunk = response.raw.read(1024)
        if not chunk:
            break
        data += chunk
    return data


def _retry_busy(response: requests.Response) -> None:
    """Login check: the service being unavailable is worth a wait, nothing else is."""
    match = _RETURN_CODE.search(response.content)
    if match and int(match.group(1)) in (50, 60):
        code = int(match.group(1))
        raise RetryLater(f"return code {code} ({RETRY_CODES[code]})")


def _check_call(response: requests.Response) -> None:
    """Event list / time zones check: 11 means log in again, 50/60 mean wait."""
    match = _RETURN_CODE.search(response.content)
    if match is None:
        return
    code = int(match.group(1))
    if code == RELOGIN_CODE:
        raise Reauthenticate
    if code in (50, 60):
        raise RetryLater(f"return code {code} ({RETRY_CODES[code]})")


def _register_secret(value: str) -> None:
    """Mask *value* and the URL-encoded forms it takes in a query string."""
    for form in (value, quote_plus(value), quote(value, safe="")):
        redaction.register_secret(form)


def _parse_small(url: str, content: bytes) -> ET.Element:
    """Parse a small XML answer safely, or fail naming the endpoint and what was wrong."""
    try:
        root: ET.Element = safe_xml.fromstring(content)
    except (ET.ParseError, safe_xml.DTDForbidden) as error:
        problem = _not_xml(content, error) or f"not the XML expected ({error})"
        endpoint = redaction.redact_url(url)
        raise safe_xml.payload_error(endpoint, f"{problem}: {_snippet(content)}", error) from None
    return root


def _not_xml(content: bytes, error: Exception | None = None) -> str | None:
    """An HTML page, or XML declaring a DTD (entity bombs, external entities), in words.

    DTDs are refused before anything expands. *error* is the parser's, if the caller has
    parsed *content* already; else it is parsed here, safely.
    """
    if content.lstrip()[:512].lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page instead of the XML answer (a proxy, login or maintenance page?)"
    if error is None:
        try:
            safe_xml.fromstring(content)
        except safe_xml.DTDForbidden as refused:
            error = refused
        except ET.ParseError:
            return None
    if isinstance(error, safe_xml.DTDForbidden):
        return f"{REFUSED}: it declares a DTD or entities, never expanded here ({error})"
    return None


def _one_listing(
    endpoint: str, kept: EventRef | None, ref: EventRef, warn: t.Callable[..., None]
) -> EventRef:
    """An event the list shows twice: one entry, the one with the latest activity.

    Two entries would read (and emit) the event twice in one run.
    """
    if kept is None:
        return ref
    warn(
        "webcasts: %s lists event %s more than once; keeping the entry with the latest activity",
        redaction.redact_url(endpoint),
        ref.event_id,
    )
    return max(kept, ref, key=lambda r: r.marker or datetime.min.replace(tzinfo=timezone.utc))


def _return_code(root: ET.Element) -> int | None:
    text = n.text(root.findtext("result/returnCode"))
    return int(text) if text and text.isdigit() else None


def _description(content: bytes) -> str:
    match = _DESCRIPTION.search(content)
    if match is None:
        return "no description"
    return redaction.redact(" ".join(match.group(1).decode("utf-8", "replace").split()))


def _snippet(content: bytes, limit: int = 200) -> str:
    text = content[:limit].decode("utf-8", "replace")
    return redaction.redact(" ".join(text.split())) or "<empty body>"


def _activity_marker(listing: t.Mapping[str, t.Any]) -> datetime | None:
    """max(latest_registration, latest_session) in UTC, to the second; None: no activity.

    Whole seconds, because bookmarks are stored to the second: a marker with milliseconds
    would always look newer than its own bookmark.
    """
    values = (n.text(listing.get("latest_registration")), n.text(listing.get("latest_session")))
    moments = [n.parse_timestamp(int(value)) for value in values if value]
    if not moments:
        return None
    return max(moments).replace(microsecond=0).astimezone(timezone.utc)
