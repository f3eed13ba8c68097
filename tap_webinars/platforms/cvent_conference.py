"""Cvent Conference API (reference: cvent-conference-api-overview.txt, reference/README.md).

What the overview settles, as data below:
    POST {cvent_event_url}/api/<resource>.do   form fields `apiToken` (never in the URL) and
                                               `event` (an event GUID, or `all` with
                                               account-level access)
    event.do          lists the account's event GUIDs           -> events
    sessionData.do    the Session Data API                      -> each event's `sessions`
Every answer is XML carrying a machine-readable response code and a human-readable message;
access is limited to allow-listed IP addresses; data APIs name users by `userRef` and return
custom field values as codes; each event has a UAT and a production site (`cvent_event_url`).

What is not public: the names of the other data resources, their record elements and fields,
date filters, and the error-code appendix. Those are configuration
(`cvent_conference_resources`, `cvent_conference_response_codes`), with the defaults below
marked provisional. With no date filter, every run reads each event's resources in full.
"""

from __future__ import annotations

import json
import threading
import typing as t
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import requests
import urllib3

from tap_webinars import normalize as n
from tap_webinars import safe_xml
from tap_webinars.errors import (
    AuthenticationError,
    PayloadError,
    PermissionDeniedError,
    RequestFailedError,
    ResourceRefusedError,
    SettingsError,
    StreamUnavailableError,
)
from tap_webinars.permissions import Core, Enrichment
from tap_webinars.platforms.base import (
    CHILD_STREAMS,
    EventBundle,
    EventRef,
    Probe,
    Viewing,
    viewer_totals,
)
from tap_webinars.redaction import redact_url

if t.TYPE_CHECKING:
    from tap_webinars.platforms.base import PlatformAdapter

API_PATH = "/api/{resource}"
TOKEN_FIELD = "apiToken"  # noqa: S105 - the form field's name
EVENT_FIELD = "event"
ALL_EVENTS = "all"  # `event=all`: every event at once, with account-level access
# Where the answer says how the call went (provisional names: element or root attribute).
CODE_NAMES = ("responseCode", "code")
MESSAGE_NAMES = ("responseMessage", "message")
# A response that breaks off mid-stream is asked for again, this many times in all.
READ_ATTEMPTS = 3
RESOURCES_KEY = "cvent_conference_resources"
CODES_KEY = "cvent_conference_response_codes"
SESSIONS = "sessions"  # the pseudo-stream of sessionData.do: each event's schedule

# Provisional (not public): 0 = success; the refusals as the sandbox answers them.
# `resource_refused`: the token may not call this one resource (its stream is skipped).
DEFAULT_CODES: dict[str, tuple[str, ...]] = {
    "success": ("0",),
    "token_refused": ("101",),
    "ip_refused": ("102",),
    "account_level_refused": ("103",),
    "resource_refused": ("105",),
}
# What a refused resource costs. The streams a data resource is core for; the columns it
# fills for other streams (refused, those stay null). HTTP statuses never mean a refusal of
# one resource here (403 is the IP allow-list): only the `resource_refused` codes do.
CORE_STREAMS = {
    "registrants": ("registrants",),
    "registrant_sessions": ("registrant_sessions", "viewers"),
    "survey_responses": ("survey_responses",),
    "questions": ("questions",),
}
ENRICHES = {
    SESSIONS: ("session schedule", ("events.sessions",)),
    "registrants": ("registrant details", ("email of the activity streams",)),
    "registrant_sessions": ("attendance", ("registrants attended and status",)),
}
PERMISSION = "access to {resource} for this Conference API token"
NO_STATUSES: frozenset[int] = frozenset()

# resource -> stream it feeds, its record element, source element/attribute -> column (or
# {"column": ..., "as": converter}), and the element holding custom field codes.
# event.do and sessionData.do are documented names; everything else is provisional.
DEFAULT_RESOURCES: dict[str, dict[str, t.Any]] = {
    "event.do": {
        "stream": "events",
        "element": "event",
        "fields": {
            "eventGUID": "event_id",
            "eventName": "title",
            "description": "description",
            "eventType": "event_type",
            "timeZone": "time_zone",
            "startDate": "scheduled_start_at",
            "endDate": "scheduled_end_at",
            "eventURL": "registration_url",
        },
    },
    "sessionData.do": {
        "stream": SESSIONS,
        "element": "session",
        "fields": {
            "sessionKey": "session_id",
            "eventGUID": "event_id",
            "startTime": "scheduled_at",
        },
    },
    "userData.do": {
        "stream": "registrants",
        "element": "user",
        "custom_fields": "customFields",
        "fields": {
            "userRef": "registrant_id",
            "eventGUID": "event_id",
            "email": "email",
            "firstName": "first_name",
            "lastName": "last_name",
            "company": "company",
            "title": "job_title",
            "phone": "phone",
            "address1": "address_1",
            "address2": "address_2",
            "city": "city",
            "state": "state",
            "zip": "postal_code",
            "country": "country",
            "registrationDate": "registered_at",
            "lastModified": "updated_at",
            "registrationStatus": "status",
        },
    },
    "attendanceData.do": {
        "stream": "registrant_sessions",
        "element": "attendance",
        "fields": {
            "scanID": "session_id",
            "userRef": "registrant_id",
            "eventGUID": "event_id",
            "sessionKey": "webinar_session_id",
            "attendanceType": "session_type",
            "checkIn": "started_at",
            "checkOut": "ended_at",
            "durationMinutes": {"column": "duration_seconds", "as": "minutes"},
        },
    },
    "surveyData.do": {
        "stream": "survey_responses",
        "element": "response",
        "fields": {
            "responseID": "response_id",
            "userRef": "registrant_id",
            "eventGUID": "event_id",
            "surveyID": "survey_id",
            "surveyName": "survey_name",
            "questionID": "question_id",
            "questionText": "question",
            "questionType": "question_type",
            "answer": "answer",
            "submittedDate": "submitted_at",
        },
    },
}

# Columns the reader fills itself: never from a field map.
RESERVED = frozenset({"platform", "account_id", "extra", "last_activity_at", "sessions"})
SESSION_COLUMNS = frozenset({"session_id", "event_id", "scheduled_at"})
# The columns each stream cannot do without (others get a stable hash of the natural key).
REQUIRED = {"events": "event_id", SESSIONS: "session_id", "registrants": "registrant_id"}
TARGETS = ("events", SESSIONS, *(s for s in CHILD_STREAMS if s != "viewers"))
# Attendance type, in any spelling, -> the unified session type (provisional words).
SESSION_TYPES = {
    "live": "live",
    "virtual": "live",
    "ondemand": "on_demand",
    "inperson": "other",
}
STATUSES = {"cancelled": "canceled"}
VIEWING_KINDS = ("live", "on_demand")  # simulated-live time is not told apart: simlive is null


def session_type(value: t.Any) -> str | None:
    """`In-Person`, `Virtual`, `On-Demand` (any spelling) to live / on_demand / other."""
    raw = n.text(value)
    if raw is None:
        return None
    return SESSION_TYPES.get("".join(c for c in raw.lower() if c.isalpha()), "other")


CONVERTERS: dict[str, n.Converter] = {
    "text": n.text,
    "identifier": n.identifier,
    "timestamp": n.timestamp,
    "integer": n.integer,
    "number": n.number,
    "boolean": n.boolean,
    "seconds": n.integer,
    "minutes": n.seconds_from_minutes,
    "milliseconds": n.seconds_from_milliseconds,
    "clock": n.seconds_from_clock,
    "session_type": session_type,
}


# ------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class Field:
    """Where one source element or attribute goes."""

    column: str
    convert: n.Converter


@dataclass(frozen=True)
class Resource:
    """One Conference data resource and how its records become a stream's records."""

    name: str
    stream: str
    element: str
    fields: t.Mapping[str, Field]
    custom_fields: str | None = None

    def column_source(self, column: str) -> str | None:
        """The source name mapped to *column*, if any."""
        return next((s for s, f in self.fields.items() if f.column == column), None)


def resources_from_config(value: t.Any) -> dict[str, Resource]:
    """The resources by the stream they feed: the defaults, with the user's entries over them.

    An entry for a resource names its stream (or keeps its default's); its `fields` are added
    over the default field map of that stream (a null removes a mapping), and a resource name
    that differs from the default's replaces it. A null entry drops a default resource.
    """
    if value is not None and not isinstance(value, dict):
        raise SettingsError(RESOURCES_KEY, "must be an object: resource name -> settings")
    merged = {spec["stream"]: (name, dict(spec)) for name, spec in DEFAULT_RESOURCES.items()}
    for name, spec in (value or {}).items():
        default_stream = DEFAULT_RESOURCES.get(name, {}).get("stream")
        if spec is None:
            merged = {s: e for s, e in merged.items() if e[0] != name}
            continue
        if not isinstance(spec, dict):
            raise SettingsError(RESOURCES_KEY, f"{name}: must be an object or null")
        stream = spec.get("stream") or default_stream
        if stream not in TARGETS:
            raise SettingsError(
                RESOURCES_KEY, f"{name}: 'stream' must be one of {', '.join(TARGETS)}"
            )
        merged = {s: e for s, e in merged.items() if e[0] != name or s == stream}
        base = merged.get(stream, (name, {}))[1]
        fields = {**(base.get("fields") or {}), **(spec.get("fields") or {})}
        merged[stream] = (name, {**base, **spec, "stream": stream, "fields": fields})
    if "events" not in merged:
        raise SettingsError(RESOURCES_KEY, "a resource must feed the events stream (event.do)")
    return {stream: _resource(name, spec) for stream, (name, spec) in merged.items()}


def _resource(name: str, spec: t.Mapping[str, t.Any]) -> Resource:
    stream = str(spec["stream"])
    element = spec.get("element")
    if not isinstance(element, str) or not element.strip():
        raise SettingsError(RESOURCES_KEY, f"{name}: 'element' (the record element) is required")
    columns = SESSION_COLUMNS if stream == SESSIONS else stream_columns(stream).keys()
    fields: dict[str, Field] = {}
    for source, target in (spec.get("fields") or {}).items():
        if target is None:
            continue
        column, how = (target, None) if isinstance(target, str) else _field_spec(name, target)
        if column not in columns or column in RESERVED:
            raise SettingsError(
                RESOURCES_KEY, f"{name}: '{source}' maps to '{column}', not a column of {stream}"
            )
        if how is not None and how not in CONVERTERS:
            raise SettingsError(
                RESOURCES_KEY, f"{name}: '{source}': 'as' must be one of {', '.join(CONVERTERS)}"
            )
        fields[str(source)] = Field(column, CONVERTERS[how] if how else _converter(stream, column))
    required = REQUIRED.get(stream)
    if required and not any(f.column == required for f in fields.values()):
        raise SettingsError(RESOURCES_KEY, f"{name}: no field maps to {required}")
    custom = spec.get("custom_fields")
    return Resource(name, stream, element.strip(), fields, str(custom) if custom else None)


def _field_spec(name: str, target: t.Any) -> tuple[str, str | None]:
    if not isinstance(target, dict) or not isinstance(target.get("column"), str):
        raise SettingsError(
            RESOURCES_KEY, f"{name}: a field maps to a column name or to {{column, as}}"
        )
    return target["column"], target.get("as")


def codes_from_config(value: t.Any) -> dict[str, frozenset[str]]:
    """Response codes by meaning: the provisional defaults, with the user's over them."""
    if value is not None and not isinstance(value, dict):
        raise SettingsError(CODES_KEY, f"must be an object with keys {', '.join(DEFAULT_CODES)}")
    codes: dict[str, frozenset[str]] = {}
    for meaning, default in DEFAULT_CODES.items():
        given = (value or {}).get(meaning, default)
        items = given if isinstance(given, (list, tuple)) else [given]
        codes[meaning] = frozenset(str(c).strip() for c in items if str(c).strip())
    unknown = set(value or {}) - DEFAULT_CODES.keys()
    if unknown:
        raise SettingsError(CODES_KEY, f"unknown key {sorted(unknown)[0]!r}")
    return codes


@cache
def stream_columns(stream: str) -> dict[str, t.Any]:
    """The unified columns of *stream* and their JSON Schemas (schemas/<stream>.json)."""
    package = Path(__file__).resolve().parent.parent
    folder = package / "schemas" if (package / "schemas").is_dir() else package.parent / "schemas"
    schema = json.loads((folder / f"{stream}.json").read_text(encoding="utf-8"))
    return t.cast(dict[str, t.Any], schema["properties"])


def _converter(stream: str, column: str) -> n.Converter:
    """How a source value becomes *column*, from the column's type in the stream schema."""
    if column == "session_type":
        return session_type
    if stream == SESSIONS:
        return n.timestamp if column == "scheduled_at" else n.identifier
    schema = stream_columns(stream)[column]
    types = schema.get("type")
    kinds = set(types if isinstance(types, list) else [types])
    if "integer" in kinds:
        return n.integer
    if "number" in kinds:
        return n.number
    if "boolean" in kinds:
        return n.boolean
    if "array" in kinds:
        return n.string_list
    if "object" in kinds:
        return lambda value: value
    return n.timestamp if schema.get("format") == "date-time" else n.text


# --------------------------------------------------------------------------- XML answers

Row = dict[str, t.Any]


def _tag(element: ET.Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]  # namespaces play no part in the names


def element_fields(element: ET.Element) -> Row:
    """Every attribute and child element of *element*, by name; nothing is dropped.

    A leaf child gives its text; a child with children or attributes gives an object; a
    repeated child gives a list. An attribute named like a child element is kept as `@name`.
    """
    fields: Row = {}
    children = {_tag(child) for child in element}
    for name, value in element.attrib.items():
        fields[f"@{name}" if name in children else name] = value
    repeated: set[str] = set()
    for child in element:
        name = _tag(child)
        value = _value(child)
        if name in repeated:
            fields[name].append(value)
        elif name in fields and name in children:
            fields[name] = [fields[name], value]
            repeated.add(name)
        else:
            fields[name] = value
    return fields


def _record(element: ET.Element) -> Row:
    fields = element_fields(element)
    text = n.text(element.text)
    if text is not None:  # mixed content: the record's own text is kept too
        fields["text"] = text
    return fields


def _value(element: ET.Element) -> t.Any:
    if len(element) == 0 and not element.attrib:
        return element.text if element.text is not None else ""
    return _record(element)


@dataclass
class Answer:
    """One parsed answer: its records and how the call went."""

    rows: list[Row]
    code: str | None
    message: str | None


def parse_answer(source: t.Any, element: str | None, endpoint: str) -> Answer:
    """Parse an answer as it streams in, dropping each record element once it is read.

    DTDs and entities are refused (`safe_xml`); malformed XML fails naming the endpoint.
    """
    rows: list[Row] = []
    code = message = None
    stack: list[ET.Element] = []
    record_depth: int | None = None
    try:
        for kind, node in safe_xml.iterparse(source, events=("start", "end")):
            if kind == "start":
                if not stack:
                    code = _first(node.attrib, CODE_NAMES)
                    message = _first(node.attrib, MESSAGE_NAMES)
                if record_depth is None and stack and _tag(node) == element:  # never the root
                    record_depth = len(stack)
                stack.append(node)
                continue
            stack.pop()
            if record_depth is not None:
                if len(stack) == record_depth:
                    rows.append(_record(node))
                    record_depth = None
                    if stack:
                        stack[-1].remove(node)
            elif _tag(node) in CODE_NAMES and len(node) == 0:
                code = n.text(node.text)
            elif _tag(node) in MESSAGE_NAMES and len(node) == 0:
                message = n.text(node.text)
    except ET.ParseError as error:
        raise safe_xml.GarbledAnswerError(endpoint, f"malformed XML ({error})") from None
    except safe_xml.DTDForbidden as error:
        problem = f"refused XML ({type(error).__name__})"
        raise safe_xml.payload_error(endpoint, problem, error) from None
    return Answer(rows, code, message)


def _first(attributes: t.Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((n.text(attributes[k]) for k in names if k in attributes), None)


# ------------------------------------------------------------------------------- reader


class ConferenceReader:
    """Events and their users, sessions, attendance and survey answers, as XML over POST."""

    def __init__(self, adapter: PlatformAdapter) -> None:
        self.adapter = adapter
        settings = adapter.settings
        self.base_url = str(settings.api_url or settings.get("cvent_event_url")).rstrip("/")
        self.token = str(settings.get("cvent_api_token"))
        self.account_level = bool(settings.get("cvent_account_level", False))
        self.resources = resources_from_config(settings.get(RESOURCES_KEY))
        self.codes = codes_from_config(settings.get(CODES_KEY))
        self._lock = threading.Lock()
        self._all_events: dict[str, dict[str, list[Row]]] = {}  # stream -> event -> rows
        self._refused: set[str] = set()  # resources refused this run: not asked again
        self._probe_event: list[str | None] = []

    def endpoint(self, resource: Resource) -> str:
        """The resource's URL, as errors name it."""
        return redact_url(self.base_url + API_PATH.format(resource=resource.name))

    # ------------------------------------------------------------------------ calls

    def call(self, resource: Resource, event: str | None) -> list[Row]:
        """POST one resource for one event (or all, or none) and return its records.

        An answer that breaks off, or comes back garbled (an HTML page, cut short), is asked
        for again, READ_ATTEMPTS in all; one declaring a DTD or entities never is.
        """
        url = self.base_url + API_PATH.format(resource=resource.name)
        form = {TOKEN_FIELD: self.token}  # in the body: the URL is logged, the body never
        if event is not None:
            form[EVENT_FIELD] = event
        where = self.endpoint(resource) + (f" (event={event})" if event else "")
        for attempt in range(1, READ_ATTEMPTS + 1):
            response = self._post(url, form, resource, where)
            response.raw.decode_content = True
            try:
                answer = parse_answer(response.raw, resource.element, where)
            except safe_xml.GarbledAnswerError as error:
                if attempt == READ_ATTEMPTS:
                    raise
                self.adapter.logger.warning("cvent: %s; asking again", error)
                continue
            except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
                if attempt == READ_ATTEMPTS:
                    raise RequestFailedError(
                        f"cvent: {where} broke off {attempt} times mid-answer "
                        f"({type(error).__name__})",
                        endpoint=self.endpoint(resource),
                    ) from None
                self.adapter.logger.info("cvent: %s broke off mid-answer; asking again", where)
                continue
            finally:
                response.close()
            self._check(answer, resource, event, where)
            return answer.rows
        raise AssertionError("unreachable")

    def _post(
        self, url: str, form: dict[str, str], resource: Resource, where: str
    ) -> requests.Response:
        try:
            return self.adapter.http.request("POST", url, data=form, stream=True)
        except PermissionDeniedError as error:
            raise PermissionDeniedError(
                f"cvent: access denied (HTTP {error.status}) at {where}; the Conference API "
                "admits only allow-listed IP addresses: have this machine's egress IP added "
                "to Cvent's allow-list",
                status=error.status,
                endpoint=error.endpoint,
            ) from None
        except AuthenticationError:
            raise
        except RequestFailedError as error:
            if error.status != 404:
                raise
            raise RequestFailedError(
                f"cvent: {where} answered HTTP 404: no such resource; names other than "
                f"event.do and sessionData.do are provisional: set yours in {RESOURCES_KEY}",
                status=error.status,
                endpoint=error.endpoint,
            ) from None

    def _check(self, answer: Answer, resource: Resource, event: str | None, where: str) -> None:
        """Raise the one-line error a failure code stands for."""
        code, endpoint = answer.code, self.endpoint(resource)
        if code is None:
            raise PayloadError(where, f"no response code ({'/'.join(CODE_NAMES)}) in the answer")
        if code in self.codes["success"]:
            return
        said = f"response code {code}: {answer.message or 'no message'}"
        if code in self.codes["token_refused"]:
            raise AuthenticationError(
                f"cvent: API token refused at {where} ({said}); check the setting "
                "cvent_api_token (each event site, UAT or production, has its own)",
                endpoint=endpoint,
            )
        if code in self.codes["ip_refused"]:
            raise PermissionDeniedError(
                f"cvent: {where} refused this machine's IP address ({said}); have the "
                "machine's egress IP added to Cvent's allow-list for the Conference API",
                endpoint=endpoint,
            )
        if code in self.codes["resource_refused"]:
            raise ResourceRefusedError(
                f"cvent: {where} is not permitted for this token ({said}); ask Cvent for "
                f"{PERMISSION.format(resource=resource.name)}",
                answer=said,
                endpoint=endpoint,
            )
        if event == ALL_EVENTS and code in self.codes["account_level_refused"]:
            raise PermissionDeniedError(
                f"cvent: {where} refused event=all ({said}); turn Account Level Access on "
                "(event admin: Manage > Settings > APIs) or set cvent_account_level to false",
                endpoint=endpoint,
            )
        raise RequestFailedError(f"cvent: {where} answered {said}", endpoint=endpoint)

    def rows(self, stream: str, event_id: str) -> list[Row]:
        """The source records of *stream* for one event: per event, or from one `all` read."""
        resource = self.resources.get(stream)
        if resource is None:
            return []
        if not self.account_level:
            return self.call(resource, event_id)
        with self._lock:
            if stream not in self._all_events:
                grouped: dict[str, list[Row]] = defaultdict(list)
                source = resource.column_source("event_id")
                for row in self.call(resource, ALL_EVENTS):
                    guid = n.identifier(row.get(source)) if source else None
                    if guid is None:
                        raise PayloadError(
                            self.endpoint(resource),
                            f"a <{resource.element}> of event=all names no event: map its "
                            f"event GUID to event_id in {RESOURCES_KEY}",
                        )
                    grouped[guid].append(row)
                self._all_events[stream] = grouped
            return self._all_events[stream].get(event_id, [])

    def read(self, stream: str, event_id: str, wanted: frozenset[str]) -> list[Row] | None:
        """The records of *stream* for one event, in their role; None when refused.

        Core for the streams it feeds among *wanted* (refused: those streams are skipped);
        otherwise it only fills some columns (refused: they stay null, one warning).
        """
        resource = self.resources.get(stream)
        if resource is None:
            return []
        if resource.name in self._refused:
            return None
        permission = PERMISSION.format(resource=resource.name)
        read = partial(self.rows, stream, event_id)
        cores = tuple(s for s in CORE_STREAMS.get(stream, ()) if s in wanted)
        permissions = self.adapter.permissions
        if cores:
            try:
                return permissions.core(Core(cores, permission, NO_STATUSES), read)
            except StreamUnavailableError:
                self._refused.add(resource.name)
                raise
        what, columns = ENRICHES[stream]
        return permissions.optional(Enrichment(what, permission, columns, NO_STATUSES), read)

    def access_probes(self) -> list[Probe]:
        """One call per configured resource, for the first event `event.do` lists."""
        events = self.resources["events"]
        probes = [
            Probe(("events",), PERMISSION.format(resource=events.name), self.check),
        ]
        for stream, resource in self.resources.items():
            if stream == "events":
                continue
            streams = CORE_STREAMS.get(stream, ("events",))
            permission = PERMISSION.format(resource=resource.name)
            probe = partial(self._probe, resource)
            probes.append(Probe(streams, permission, probe, enrichment=stream == SESSIONS))
        return probes

    def _probe(self, resource: Resource) -> None:
        if not self._probe_event:
            rows = self.call(self.resources["events"], None)
            source = self.resources["events"].column_source("event_id")
            first = n.identifier(rows[0].get(source)) if rows and source else None
            self._probe_event.append(first)
        self.call(resource, self._probe_event[0])

    # ------------------------------------------------------------------ the adapter's

    def check(self) -> None:
        """One cheap call that proves the token, the IP allow-listing and the URL."""
        self.call(self.resources["events"], None)

    def list_events(self) -> list[EventRef]:
        """Every event GUID `event.do` lists; with no change marker, each is read every run."""
        resource = self.resources["events"]
        refs = []
        for row in self.call(resource, None):
            columns, extra = self.map(resource, row)
            event_id = columns.pop("event_id", None)
            if event_id is None:
                raise PayloadError(self.endpoint(resource), "an event without its GUID")
            listing = {"columns": columns, "extra": extra}
            refs.append(EventRef(event_id, marker=None, listing=listing, marker_known=False))
        return refs

    def fetch_event(self, ref: EventRef, wanted: frozenset[str]) -> EventBundle:
        """The event, its schedule, and its records: every resource read in full.

        A resource refused for this token costs its streams (core) or its columns (null).
        """
        event_id = ref.event_id
        sessions: list[tuple[Row, Row]] | None = []
        if SESSIONS in self.resources:
            rows = self.read(SESSIONS, event_id, wanted)
            mapped = (self.map(self.resources[SESSIONS], row)[0] for row in rows or [])
            sessions = None if rows is None else list(zip(rows, mapped, strict=True))
        bundle = EventBundle(event=self.event_record(ref, sessions))
        people = wanted & {"registrants", "registrant_sessions", "viewers", "survey_responses"}
        users = self.users(event_id, wanted) if people else {}
        scans: list[Row] | None = []
        if wanted & {"registrants", "registrant_sessions", "viewers"}:
            schedule = {c.get("session_id"): c for _, c in sessions or []}
            rows = self.read("registrant_sessions", event_id, wanted)
            scans = None
            if rows is not None:
                scans = [self.scan_record(event_id, row, users, schedule) for row in rows]
        if "registrants" in wanted:
            attended = (
                None if scans is None else {s["registrant_id"] for s in scans if s["attended"]}
            )
            for record in (users or {}).values():
                bundle.add("registrants", self.registrant_record(record, attended))
        if "registrant_sessions" in wanted:
            for scan in scans or []:
                bundle.add("registrant_sessions", scan)
        if "viewers" in wanted:
            for record in self.viewer_records(event_id, scans or [], users or {}):
                bundle.add("viewers", record)
        for stream in ("survey_responses", "questions"):
            if stream in wanted:
                for row in self.read(stream, event_id, wanted) or []:
                    bundle.add(stream, self.answer_record(stream, event_id, row, users))
        return bundle

    def users(self, event_id: str, wanted: frozenset[str]) -> dict[str, Row] | None:
        """The event's registrants by id; None when their resource is refused or not set."""
        if "registrants" not in self.resources:
            return None
        rows = self.read("registrants", event_id, wanted)
        if rows is None:
            return None
        users: dict[str, Row] = {}
        for row in rows:
            record = self.record("registrants", event_id, row)
            users[str(record["registrant_id"])] = record
        return users

    # ---------------------------------------------------------------------- mapping

    def map(self, resource: Resource, row: Row) -> tuple[Row, Row]:
        """Columns and `extra` of one source record; a bad value fails naming the field."""
        columns: Row = {}
        extra: Row = {}
        for name, value in row.items():
            field = resource.fields.get(name)
            if name == resource.custom_fields:
                columns["custom_fields"] = _custom_fields(value)
            elif field is None:
                extra[name] = value
            else:
                try:
                    columns[field.column] = _convert(field, value)
                except (TypeError, ValueError) as error:
                    raise PayloadError(
                        self.endpoint(resource), f"<{resource.element}> {name!r}: {error}"
                    ) from None
        return columns, extra

    def record(self, stream: str, event_id: str, row: Row) -> Row:
        """A unified record of *stream* from one source record; its event is *event_id*."""
        columns, extra = self.map(self.resources[stream], row)
        columns.pop("event_id", None)  # the event asked for (or grouped by) is the event
        return self.adapter.record(event_id, **columns, extra=extra)

    def event_record(self, ref: EventRef, sessions: list[tuple[Row, Row]] | None) -> Row:
        """The events record: the listing's columns, the schedule in `sessions` (or null)."""
        slots = None
        if sessions is not None:
            slots = [
                {"session_id": c.get("session_id"), "scheduled_at": c.get("scheduled_at")}
                for _, c in sessions
            ]
            slots.sort(key=lambda s: (s["scheduled_at"] or "", s["session_id"] or ""))
        extra = dict(ref.listing["extra"])
        if sessions:
            extra["sessions"] = [row for row, _ in sessions]  # as sent, every field kept
        return self.adapter.record(
            ref.event_id, **ref.listing["columns"], sessions=slots, extra=extra
        )

    def registrant_record(self, record: Row, attended: set[t.Any] | None) -> Row:
        """A registrant; attended when scanned in (unknown when attendance is refused)."""
        if "attended" not in record and "registrant_sessions" in self.resources:
            record["attended"] = None if attended is None else record["registrant_id"] in attended
        status = n.text(record.get("status"))
        if record.get("attended"):
            record["status"] = "attended"
        elif status is not None:
            record["status"] = STATUSES.get(status.lower(), status.lower())
        return record

    def scan_record(
        self,
        event_id: str,
        row: Row,
        users: t.Mapping[str, Row] | None,
        schedule: t.Mapping[t.Any, Row],
    ) -> Row:
        """A registrant's attendance at one session (a badge scan, in person or virtual)."""
        record = self.record("registrant_sessions", event_id, row)
        session = schedule.get(record.get("webinar_session_id")) or {}
        record.setdefault("scheduled_at", session.get("scheduled_at"))
        record.setdefault("session_type", "other")
        record.setdefault("attended", True)
        if record.get("session_id") is None:
            record["session_id"] = n.stable_id(
                "cvent-attendance",
                event_id,
                record.get("registrant_id"),
                record.get("webinar_session_id"),
                record.get("started_at"),
            )
        self.known_registrant("registrant_sessions", record, users)
        record["email"] = record.get("email") or _email(users, record.get("registrant_id"))
        return record

    def viewer_records(
        self, event_id: str, scans: list[Row], users: t.Mapping[str, Row]
    ) -> t.Iterator[Row]:
        """Per registrant who attended, totals over their attendance (one helper for all)."""
        by_viewer: dict[str, list[Row]] = defaultdict(list)
        for scan in scans:
            if scan["attended"] and scan.get("registrant_id") is not None:
                by_viewer[str(scan["registrant_id"])].append(scan)
        for viewer_id, rows in sorted(by_viewer.items()):
            totals = viewer_totals(
                (
                    Viewing(
                        kind=str(r.get("session_type")),
                        seconds=r.get("duration_seconds"),
                        started_at=r.get("started_at"),
                        ended_at=r.get("ended_at"),
                    )
                    for r in rows
                ),
                VIEWING_KINDS,
            )
            extra = {
                "other_seconds": totals.pop("other_seconds"),
                "other_session_count": totals.pop("other_session_count"),
                "session_ids": sorted(str(r["session_id"]) for r in rows),
            }
            yield self.adapter.record(
                event_id,
                registrant_id=viewer_id,
                email=_email(users, viewer_id),
                **totals,
                extra=extra,
            )

    def answer_record(
        self, stream: str, event_id: str, row: Row, users: t.Mapping[str, Row] | None
    ) -> Row:
        """A survey answer (or a Q&A question); repeated answers are kept as a list."""
        record = self.record(stream, event_id, row)
        answer = record.get("answer")
        if stream == "survey_responses":
            answers = [a for a in (answer if isinstance(answer, list) else [answer]) if a]
            record["answer"] = "; ".join(answers) or None
            record.setdefault("answers", answers)
            record.setdefault("kind", "survey")
        elif isinstance(answer, list):
            record["answer"] = "; ".join(a for a in answer if a) or None
        key = "response_id" if stream == "survey_responses" else "question_id"
        if record.get(key) is None:
            record[key] = n.stable_id(
                f"cvent-{stream}",
                event_id,
                record.get("registrant_id"),
                record.get("survey_id"),
                record.get("question_id"),
                record.get("question"),
            )
        self.known_registrant(stream, record, users)
        record["email"] = record.get("email") or _email(users, record.get("registrant_id"))
        return record

    def known_registrant(self, stream: str, record: Row, users: t.Mapping[str, Row] | None) -> None:
        """A registrant id the event's registrants lack becomes null (kept in `extra`).

        Unchecked when the registrants resource is refused or not configured.
        """
        registrant_id = record.get("registrant_id")
        if users is None or registrant_id is None or str(registrant_id) in users:
            return
        source = self.resources[stream].column_source("registrant_id") or "registrant_id"
        record["extra"][source] = registrant_id
        record["registrant_id"] = None


def _convert(field: Field, value: t.Any) -> t.Any:
    """Convert one source value; only `answer` may repeat (several choices)."""
    if isinstance(value, list):
        if field.column != "answer":
            raise ValueError(f"repeats, but {field.column} holds one value")
        return [field.convert(v) for v in value]
    if isinstance(value, dict):
        raise ValueError(f"is an element with children, but {field.column} holds one value")
    return field.convert(value)


def _custom_fields(value: t.Any) -> dict[str, t.Any] | None:
    """Custom values come as `<display value>code</...>`: the label, then the value code."""
    if isinstance(value, dict):
        return {k: (n.text(v) if isinstance(v, str) else v) for k, v in value.items()} or None
    return None


def _email(users: t.Mapping[str, Row] | None, registrant_id: t.Any) -> str | None:
    user = users.get(str(registrant_id)) if users and registrant_id is not None else None
    return user.get("email") if user else None
