"""The Webcasts.com Audience Details report, read as it streams in, and every field map.

Reference: webcasts-reporting-api.txt, "Audience Details Report". The report's head (event
fields, `event_analytics`, `registration_questions`, `surveys`) is small and kept; each
`viewers/viewer` becomes records for registrants, registrant_sessions, viewers,
survey_responses and questions the moment it is complete, and is then dropped from the tree,
so memory does not grow with the number of viewers. Parsing refuses DTDs and entities
(defusedxml).

The adapter (`webcasts.py`) owns the requests; this module owns everything that turns the
platform's XML into unified records: the report's shape, the field maps (the event list's
too) and the events record. It does not import the adapter.
"""

from __future__ import annotations

import re
import typing as t
import xml.etree.ElementTree as ET
from array import array
from collections import Counter
from functools import partial

import defusedxml
import defusedxml.ElementTree as SafeET

from tap_webinars import normalize as n
from tap_webinars import redaction
from tap_webinars.errors import PayloadError
from tap_webinars.platforms.base import EventBundle, EventRef, Viewing, map_fields, viewer_totals

# Event list `event_info` attributes (its text is the title). Times here are GMT.
EVENT_LIST_FIELDS: n.FieldMap = {
    "id": ("event_id", n.identifier),
    "title": ("title", n.text),
    "cost_center": ("cost_center", n.text),
    "is_expired": ("is_expired", n.boolean),
    "sched_start": ("scheduled_start_at", n.timestamp),
    "sched_end": ("scheduled_end_at", n.timestamp),
}

# In the report, every `n.timestamp` field is read in the report's time zone
# (webcasts_time_zone), bound per account by `ReportMapping`.
REPORT_DATA_FIELDS: n.FieldMap = {
    "eventtitle": ("title", n.text),
    "costcenter": ("cost_center", n.text),
    "event_create_time": ("created_at", n.timestamp),
    "live_start_time": ("live_start_at", n.timestamp),
    "live_end_time": ("live_end_at", n.timestamp),
    "od_first_published_time": ("on_demand_start_at", n.timestamp),
    "od_expiration_time": ("on_demand_end_at", n.timestamp),
}


ANALYTICS_FIELDS: n.FieldMap = {
    "total_registrants": ("registrant_count", n.integer),
    "unique_live_viewers": ("live_attendee_count", n.integer),
    "unique_od_viewers": ("on_demand_attendee_count", n.integer),
    "no_shows": ("no_show_count", n.integer),
}


# The events columns only a report fills (the event list fills title and cost center too).
REPORT_EVENT_COLUMNS = (
    *(c for c, _ in REPORT_DATA_FIELDS.values() if c not in ("title", "cost_center")),
    *(c for c, _ in ANALYTICS_FIELDS.values()),
    "attendee_count",
)


# Standard registration questions (`ra` ids); custom ones (`<hash>_<event id>`) go to
# custom_fields under their question text.
REGISTRATION_FIELDS: n.FieldMap = {
    "firstname": ("first_name", n.text),
    "lastname": ("last_name", n.text),
    "company": ("company", n.text),
    "email": ("email", n.text),
    "title": ("job_title", n.text),
    "country": ("country", n.text),
    "address1": ("address_1", n.text),
    "address2": ("address_2", n.text),
    "city": ("city", n.text),
    "state": ("state", n.text),
    "postalcode": ("postal_code", n.text),
    "phone": ("phone", n.text),
    "source_track_id": ("source", n.text),  # "Campaign ID", the campaign source tracking id
}


STANDARD_QUESTIONS_WITHOUT_COLUMN = frozenset({"mobile", "fax"})  # kept in extra


def session_type(value: t.Any) -> str | None:
    """Live / On-Demand / SimLive (any spelling) to the unified session types."""
    raw = n.text(value)
    if raw is None:
        return None
    return SESSION_TYPES.get(re.sub(r"[^a-z]", "", raw.lower()), "other")


SESSION_FIELDS: n.FieldMap = {
    "type": ("session_type", session_type),
    "start_time": ("started_at", n.timestamp),
    "end_time": ("ended_at", n.timestamp),
    "duration": ("duration_seconds", n.seconds_from_milliseconds),
    "media": ("media", n.text),
}


SESSION_TYPES = {
    "live": "live",
    "ondemand": "on_demand",
    "archive": "on_demand",
    "simlive": "simlive",
    "simulatedlive": "simlive",
}


ANSWER_SEPARATOR = "|"  # multi-choice answers: "Twitter | Facebook | Pinterest"


FREE_TEXT_QUESTION = re.compile(r"(?i)text")  # Textbox, Text Area: never split


# Viewer child nodes the reader maps; any other child lands in the registrant's extra.
VIEWER_SECTIONS = frozenset(
    {"registration_date", "registration_answers", "sessions", "qa", "survey_responses"}
)


REPORT_SECTIONS = frozenset({"event_analytics", "registration_questions", "surveys", "viewers"})


# Children of `convey_api` and `result` the reader handles itself; any other lands in the
# events record's extra. `report_date_range` only echoes the request (the tap sends none).
ENVELOPE_HANDLED = frozenset(
    {"result", "returnCode", "report_data", "filters", "report_date_range"}
)
ENVELOPE_PARENTS = frozenset({"convey_api", "result"})


def in_time_zone(fields: n.FieldMap, tz: str) -> n.FieldMap:
    """*fields* with every timestamp read in *tz* (the report's time zone)."""
    return {
        source: (column, partial(n.timestamp, tz=tz) if convert is n.timestamp else convert)
        for source, (column, convert) in fields.items()
    }


RecordMaker = t.Callable[..., dict[str, t.Any]]  # PlatformAdapter.record


class RegistrantTable:
    """The registrants one report has listed, in 8 bytes each: to tell one listed twice.

    A set of the ids themselves (32-character strings) costs about 120 bytes a registrant,
    12 MB for a report of 100,000. This keeps only a 64-bit fingerprint of each id (its
    first 16 hex digits: the ids are SHA-256 digests, so any 64 bits of one are uniform) in
    an open-addressing table of unsigned 64-bit integers (`array('Q')`, linear probing,
    at most 80% full, doubled when it would be fuller), so 100,000 registrants take 1 MB.

    Exactness: a registrant seen before is always found (no false "first listing"). A
    registrant is wrongly taken for a repeat only if its fingerprint equals one of the n-1
    before it: for a report of n registrants the chance that this ever happens is about
    n^2 / 2^65, 3e-10 for 100,000 and 3e-8 for a million registrants (0 and 1 share a slot,
    as 0 marks an empty one, which changes that figure by a factor of 1 + 2^-63).
    """

    INITIAL_SLOTS = 1 << 12  # a power of two; 32 KB

    def __init__(self) -> None:
        self.slots = array("Q", bytes(8 * self.INITIAL_SLOTS))
        self.mask = self.INITIAL_SLOTS - 1
        self.count = 0

    def add(self, registrant_id: str) -> bool:
        """Remember *registrant_id* (hex); False if it (its fingerprint) was already there."""
        key = int(registrant_id[:16], 16) or 1
        slots, mask = self.slots, self.mask
        index = key & mask  # the low bits: uniform, as the whole fingerprint is
        while True:
            found = slots[index]
            if found == key:
                return False
            if not found:
                break
            index = (index + 1) & mask
        slots[index] = key
        self.count += 1
        if self.count * 5 > len(slots) * 4:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self.slots
        self.slots = slots = array("Q", bytes(16 * len(old)))
        self.mask = mask = len(slots) - 1
        for key in old:
            if key:
                index = key & mask
                while slots[index]:
                    index = (index + 1) & mask
                slots[index] = key


def element_value(element: ET.Element) -> t.Any:
    """An element as `extra` keeps it, so a new nested element never loses what it holds.

    A leaf without attributes is its trimmed text; anything else an object of its
    attributes and children (a repeated child becomes a list, its own text `text`).
    """
    if not len(element) and not element.attrib:
        return n.text(element.text)
    value: dict[str, t.Any] = dict(element.attrib)
    for child in element:
        item = element_value(child)
        if child.tag not in value:
            value[child.tag] = item
        elif isinstance(value[child.tag], list):
            value[child.tag].append(item)
        else:
            value[child.tag] = [value[child.tag], item]
    text = n.text(element.text)
    if text is not None:
        value["text"] = text
    return value


def raw_fields(element: ET.Element, skip: frozenset[str] = frozenset()) -> dict[str, t.Any]:
    """An element's children as a source object for a field map.

    Leaves as sent (the map's converters trim them); nested or attributed children as
    `element_value`.
    """
    return {
        child.tag: child.text if not len(child) and not child.attrib else element_value(child)
        for child in element
        if child.tag not in skip
    }


class ReportMapping:
    """How one account's reports become unified records.

    It binds what the adapter's settings decide: the report's time zone, the endpoints that
    errors name, and `record` (the key columns every record starts with).
    """

    def __init__(
        self,
        record: RecordMaker,
        *,
        time_zone: str,
        report_url: str,
        event_list_url: str,
        warn: t.Callable[..., None],
    ) -> None:
        self.record = record
        self.warn = warn  # the adapter's logger.warning
        self.time_zone = time_zone
        self.report_endpoint = redaction.redact_url(report_url)
        self.event_list_endpoint = redaction.redact_url(event_list_url)
        self.report_data_fields = in_time_zone(REPORT_DATA_FIELDS, time_zone)
        self.session_fields = in_time_zone(SESSION_FIELDS, time_zone)

    def read(
        self, source: t.Any, ref: EventRef, bundle: EventBundle, wanted: frozenset[str]
    ) -> None:
        """Parse the report of *ref* from *source* into *bundle*; fail on anything odd."""
        ReportReader(self, ref, bundle, wanted).read(source)

    def listed_event(self, ref: EventRef, read_through: str) -> dict[str, t.Any]:
        """The events record of an event whose report is not read: the event list entry alone.

        `last_activity_at` (the bookmark) is *read_through*, not the listed activity, so the
        bookmark never passes activity the tap has not read.
        """
        record = self.event_record(ref, {}, {}, {})
        record["last_activity_at"] = read_through
        return record

    def event_record(
        self,
        ref: EventRef,
        report: t.Mapping[str, t.Any],
        analytics: t.Mapping[str, t.Any],
        extra: dict[str, t.Any],
    ) -> dict[str, t.Any]:
        """The events record: the event list entry plus the report's header and analytics."""
        listed, listed_extra = map_fields(self.event_list_endpoint, ref.listing, EVENT_LIST_FIELDS)
        reported, reported_extra = map_fields(
            self.report_endpoint, report, self.report_data_fields, consumed=("eventid",)
        )
        counts, analytics_extra = map_fields(self.report_endpoint, analytics, ANALYTICS_FIELDS)
        listed.pop("event_id", None)
        columns = {**listed, **{k: v for k, v in reported.items() if v is not None}, **counts}
        registrants, no_shows = counts.get("registrant_count"), counts.get("no_show_count")
        attendees = (
            registrants - no_shows if registrants is not None and no_shows is not None else None
        )
        return self.record(
            ref.event_id,
            **columns,
            attendee_count=attendees,
            last_activity_at=n.format_timestamp(ref.marker) if ref.marker else None,
            extra={**listed_extra, **reported_extra, **analytics_extra, **extra},
        )


class ReportReader:
    """One Audience Details report, read element by element as it streams in.

    The report's head (event fields, analytics, registration questions, surveys) is small
    and kept; each `viewer` is turned into records the moment it is complete and then dropped
    from the tree, so memory does not grow with the number of viewers.
    """

    def __init__(
        self, mapping: ReportMapping, ref: EventRef, bundle: EventBundle, wanted: frozenset[str]
    ) -> None:
        self.mapping = mapping
        self.record = mapping.record
        self.ref = ref
        self.event_id = ref.event_id
        self.bundle = bundle
        self.wanted = wanted
        self.endpoint = mapping.report_endpoint
        self.local_time = partial(n.timestamp, tz=mapping.time_zone)
        self.questions: dict[str, str] = {}  # registration question id -> text
        self.surveys: dict[str, dict[str, t.Any]] = {}  # survey id -> name, type, questions
        self.viewer_count = 0
        self.registrant_ids = RegistrantTable()  # to tell a registrant listed twice
        self.repeats: dict[str, int] = {}  # registrant id -> listings after its first
        self.repeat_count = 0
        self.warn = mapping.warn
        self.report: dict[str, t.Any] | None = None  # report_data's own fields
        self.analytics: dict[str, t.Any] = {}
        self.extra: dict[str, t.Any] = {}  # the events record's extra, from the envelope

    def read(self, source: t.Any) -> None:
        """Parse the whole report from *source*, filling the bundle; fail on anything odd."""
        root: ET.Element | None = None
        viewers: ET.Element | None = None
        path: list[str] = []  # tags of the open elements, outermost first
        try:
            events = SafeET.iterparse(source, events=("start", "end"), forbid_dtd=True)
            for kind, element in events:
                tag = element.tag
                if kind == "start":
                    path.append(tag)
                    if root is None:
                        root = element
                        if tag != "convey_api":
                            raise self._error(f"expected a convey_api document, got <{tag}>")
                    elif tag == "viewers":
                        viewers = element
                    continue
                path.pop()
                if tag == "viewer":
                    self.viewer(element)
                    if viewers is not None:
                        viewers.remove(element)
                else:
                    self.element(element, path[-1] if path else None)
        except ET.ParseError as error:
            raise self._error(f"malformed XML ({error})") from None
        except defusedxml.DefusedXmlException as error:
            raise self._error(f"refused XML ({error})") from None
        report = self.report
        if report is None:
            raise self._error("no report_data in the report")
        reported_id = n.identifier(report.get("eventid"))
        if reported_id != self.event_id:
            raise self._error(f"the report is for event {reported_id!r}")
        extra = {
            **self.extra,
            "registration_questions": self.questions,
            "surveys": list(self.surveys.values()),
        }
        self.bundle.event = self.mapping.event_record(self.ref, report, self.analytics, extra)

    def element(self, element: ET.Element, parent: str | None) -> None:
        """Keep what a complete element of the report's head says (viewers aside)."""
        tag = element.tag
        if tag == "rq":
            self.questions[element.get("id") or ""] = n.text(element.text) or ""
        elif tag == "survey":
            self.survey(element)
        elif tag == "event_analytics":
            self.analytics = raw_fields(element)
        elif tag == "filters":
            self.extra["filters"] = {child.tag: n.text(child.text) for child in element}
        elif tag == "returnCode" and n.text(element.text) != "1":
            raise self._error(f"returnCode {n.text(element.text)!r} inside the report")
        elif tag == "report_data":
            self.report = raw_fields(element, skip=REPORT_SECTIONS)
        elif parent in ENVELOPE_PARENTS and tag not in ENVELOPE_HANDLED:
            self.extra[tag] = element_value(element)  # currentTimeZone, report_type, new ones

    def _error(self, problem: str) -> PayloadError:
        return PayloadError(self.endpoint, f"report of event {self.event_id}: {problem}")

    def survey(self, element: ET.Element) -> None:
        """Remember a survey and its questions, for the responses that refer to them."""
        survey_id = element.get("id") or ""
        self.surveys[survey_id] = {
            **{k: v for k, v in element.attrib.items() if k not in ("id", "name", "type")},
            "id": survey_id,
            "name": n.text(element.get("name")),
            "type": n.text(element.get("type")),
            "questions": {
                sq.get("id") or "": {"text": n.text(sq.text), "type": n.text(sq.get("type"))}
                for sq in element.iter("sq")
            },
        }

    def viewer(self, node: ET.Element) -> None:
        """Turn one `viewer` node into its registrant, sessions, viewer, answers, questions."""
        self.viewer_count += 1
        answers = {ra.get("id") or "": ra.text for ra in node.iterfind("registration_answers/ra")}
        email = n.text(answers.get("email"))
        try:
            registered_at = self.local_time(node.findtext("registration_date"))
            sessions = [
                n.apply_field_map(
                    {**session.attrib, **raw_fields(session)}, self.mapping.session_fields
                )
                for session in node.iterfind("sessions/session")
            ]
        except ValueError as error:
            raise self._error(f"viewer {self.viewer_count} ({email}): {error}") from None
        if email:
            registrant_id = n.stable_id("registrant", self.event_id, email.lower())
        else:  # no email question answered: the registration itself is the key
            ordered = sorted((k, v or "") for k, v in answers.items())
            registrant_id = n.stable_id("registrant", self.event_id, registered_at, ordered)
        repeat = self._repeat(registrant_id, email)
        if repeat:  # the same person listed again: kept whole, under an id of its own
            registrant_id = n.stable_id(registrant_id, repeat)
        base = {"registrant_id": registrant_id, "email": email}
        self._registrant(node, base, answers, registered_at, bool(sessions), repeat=repeat)
        self._sessions(base, sessions)
        questions = self._questions(node, base)
        responses = self._responses(node, base)
        if sessions:
            self._viewer_totals(base, sessions, questions, responses)

    def _repeat(self, registrant_id: str, email: str | None) -> int:
        """0 for a registrant's first `viewer` in this report; 1, 2 ... for repeats.

        A report should list each registration once; one listed twice would otherwise give
        two different records the same key in one run.
        """
        if self.registrant_ids.add(registrant_id):
            return 0
        repeat = self.repeats[registrant_id] = self.repeats.get(registrant_id, 0) + 1
        self.repeat_count += 1
        if self.repeat_count == 1:
            self.warn(
                "webcasts: the report of event %s lists registrant %s more than once; "
                "each listing is kept under its own registrant_id (extra.repeated_listing)",
                self.event_id,
                email or "(no email)",
            )
        return repeat

    def _add(self, stream: str, record: dict[str, t.Any]) -> None:
        if stream in self.wanted:
            self.bundle.add(stream, record)

    def _registrant(
        self,
        node: ET.Element,
        base: dict[str, t.Any],
        answers: dict[str, str | None],
        registered_at: str | None,
        attended: bool,
        *,
        repeat: int,
    ) -> None:
        standard = {
            k: v
            for k, v in answers.items()
            if k in REGISTRATION_FIELDS or k in STANDARD_QUESTIONS_WITHOUT_COLUMN
        }
        custom = {
            self.questions.get(k) or k: n.text(v) for k, v in answers.items() if k not in standard
        }
        columns, extra = n.apply_field_map(standard, REGISTRATION_FIELDS)
        extra.update(node.attrib)
        for child in node:
            if child.tag not in VIEWER_SECTIONS:
                extra[child.tag] = element_value(child)
        if repeat:
            extra["repeated_listing"] = repeat
        record = self.record(
            self.event_id,
            **{**base, **columns},
            registered_at=registered_at,
            status="attended" if attended else "registered",
            attended=attended,
            custom_fields=custom or None,
            extra=extra,
        )
        self._add("registrants", record)

    def _sessions(
        self, base: dict[str, t.Any], sessions: list[tuple[dict[str, t.Any], dict[str, t.Any]]]
    ) -> None:
        seen: Counter[tuple[t.Any, ...]] = Counter()
        for columns, extra in sessions:
            key = (columns.get("session_type"), columns.get("started_at"), columns.get("ended_at"))
            seen[key] += 1
            session_id = n.stable_id("session", base["registrant_id"], *key, seen[key])
            record = self.record(
                self.event_id, session_id=session_id, **base, **columns, attended=True, extra=extra
            )
            self._add("registrant_sessions", record)

    def _questions(self, node: ET.Element, base: dict[str, t.Any]) -> int:
        seen: Counter[str | None] = Counter()
        count = 0
        for question in node.iterfind("qa/question"):
            text = n.text(question.text)
            seen[text] += 1
            count += 1
            extra = {c.tag: element_value(c) for c in question if c.tag != "answer"}
            extra.update(question.attrib)
            record = self.record(
                self.event_id,
                question_id=n.stable_id("question", base["registrant_id"], text, seen[text]),
                **base,
                question=text,
                answer=n.text(question.findtext("answer")),
                extra=extra,
            )
            self._add("questions", record)
        return count

    def _responses(self, node: ET.Element, base: dict[str, t.Any]) -> Counter[str]:
        kinds: Counter[str] = Counter()
        seen: Counter[tuple[str | None, str | None]] = Counter()
        for response in node.iterfind("survey_responses/sr"):
            survey_id = n.text(response.get("survey_id"))
            question_id = n.text(response.get("question_id"))
            survey = self.surveys.get(survey_id or "") or {}
            question = (survey.get("questions") or {}).get(question_id or "") or {}
            survey_kind = (survey.get("type") or "").strip().lower()
            kind = "attendance" if survey_kind == "attendance" else "survey"
            kinds[kind] += 1
            seen[(survey_id, question_id)] += 1
            answer = n.text(response.text)
            free_text = bool(FREE_TEXT_QUESTION.search(question.get("type") or ""))
            record = self.record(
                self.event_id,
                response_id=n.stable_id(
                    "survey_response",
                    base["registrant_id"],
                    survey_id,
                    question_id,
                    seen[(survey_id, question_id)],
                ),
                **base,
                kind=kind,
                survey_id=survey_id,
                survey_name=survey.get("name"),
                survey_type=survey.get("type"),
                question_id=question_id,
                question=question.get("text"),
                question_type=question.get("type"),
                answer=answer,
                answers=([answer] if answer else None)
                if free_text
                else n.split_answers(answer, ANSWER_SEPARATOR),
                extra={
                    k: v
                    for k, v in response.attrib.items()
                    if k not in ("survey_id", "question_id")
                },
            )
            self._add("survey_responses", record)
        return kinds

    def _viewer_totals(
        self,
        base: dict[str, t.Any],
        sessions: list[tuple[dict[str, t.Any], dict[str, t.Any]]],
        questions: int,
        responses: Counter[str],
    ) -> None:
        totals = viewer_totals(
            Viewing(
                kind=columns.get("session_type") or "other",
                seconds=columns.get("duration_seconds"),  # not sent: unknown, not 0
                started_at=columns.get("started_at"),
                ended_at=columns.get("ended_at"),
            )
            for columns, _extra in sessions
        )
        del totals["other_seconds"]  # in the total; the viewers stream has no column for it
        other_sessions = totals.pop("other_session_count")
        record = self.record(
            self.event_id,
            **base,
            **totals,
            question_count=questions,
            survey_response_count=responses["survey"],
            updated_at=totals["last_viewed_at"],
            extra={
                "attendance_response_count": responses["attendance"],
                "other_session_count": other_sessions,
            },
        )
        self._add("viewers", record)
