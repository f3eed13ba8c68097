"""The Webcasts.com Audience Details report, read as it streams in, and every field map.

Reference: webcasts-reporting-api.txt, "Audience Details Report". The report's head (event
fields, `event_analytics`, `registration_questions`, `surveys`) is small and kept; each
`viewers/viewer` becomes records for registrants, registrant_sessions, viewers,
survey_responses and questions the moment it is complete, and is then dropped from the tree,
so memory does not grow with the number of viewers. Parsing refuses DTDs and entities
(`safe_xml`).

The adapter (`webcasts.py`) owns the requests; this module owns everything that turns the
platform's XML into unified records: the report's shape, the field maps (the event list's
too) and the events record. It does not import the adapter.
"""

from __future__ import annotations

import re
import typing as t
import xml.etree.ElementTree as ET
from array import array
from dataclasses import dataclass
from functools import lru_cache

from tap_webinars import normalize as n
from tap_webinars import redaction, safe_xml
from tap_webinars.errors import PayloadError
from tap_webinars.platforms.base import (
    CHILD_STREAMS,
    EventBundle,
    EventRef,
    Viewing,
    map_fields,
    viewer_totals,
)

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
    return None if raw is None else _session_type_of(raw)


@lru_cache(maxsize=256)
def _session_type_of(raw: str) -> str:
    """The unified type of a spelling, remembered: a report spells its few types again."""
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
        source: (column, n.timestamp_in(tz) if convert is n.timestamp else convert)
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
        self.slots = _zeros(self.INITIAL_SLOTS)
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
        self.slots = slots = _zeros(2 * len(old))
        self.mask = mask = len(slots) - 1
        for key in old:
            if key:
                index = key & mask
                while slots[index]:
                    index = (index + 1) & mask
                slots[index] = key


def _zeros(count: int) -> array[int]:
    """*count* zeroed slots, allocated once: no zeroed `bytes` of the same size beside them."""
    return array("Q", [0]) * count


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
        self.local_time = n.timestamp_in(time_zone)

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

    The per-viewer path is the tap's hottest: a viewer's children are walked once and
    dispatched on their tag (no ElementPath per viewer), the ids are hashed from a material
    prefix built once per registrant (`_Ids`), and what one report repeats for every
    response (its survey and question) is looked up once (`_response_context`).
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
        self.local_time = mapping.local_time
        self.session_fields = mapping.session_fields
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
        # (survey_id, question_id) attributes as sent -> what their responses share; bounded
        self.response_contexts: dict[tuple[str | None, str | None], _ResponseContext] = {}
        self.registrant_prefix = f'["registrant", {_json_part(self.event_id)}, '
        self._started = False  # the root element was seen
        # Each wanted stream's queue, the event's key columns filled in once, here.
        keys = self.record(self.event_id)
        self.lines = {s: bundle.lines(s, keys) for s in CHILD_STREAMS if s in wanted}
        self._inside: ET.Element | None = None  # a viewer outside `viewers`, being read

    def read(self, source: t.Any) -> None:
        """Parse the whole report from *source*, filling the bundle; fail on anything odd."""
        try:
            self._parse(source)
        except (ET.ParseError, safe_xml.DTDForbidden) as error:
            problem = "refused" if isinstance(error, safe_xml.DTDForbidden) else "malformed"
            raise safe_xml.payload_error(
                self.endpoint, f"report of event {self.event_id}: {problem} XML ({error})", error
            ) from None
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

    def _parse(self, source: t.Any) -> None:
        """The head from the parser's events; the viewers from the tree, as each completes.

        Until `viewers` starts, each element of the head is handled as it ends (`element`).
        Then the events stop: after each chunk every child of `viewers` but the last is
        complete, so it is mapped and dropped from the tree; what follows the viewers is
        walked in the tree once the document has ended (`_finish`). The order is the
        document's, as if every element had been handled at its end.
        """
        tree = safe_xml.PullTree(("start", "end"))
        ancestors: list[ET.Element] = []  # the open elements of the head, outermost first
        viewers: ET.Element | None = None
        for data in safe_xml.chunks(source):
            tree.feed(data)
            if viewers is None:
                viewers = self._head(tree, ancestors)
            if viewers is not None:
                self._complete_viewers(viewers, keep_last=True)
        tree.close()
        if viewers is None:
            viewers = self._head(tree, ancestors)
        if viewers is not None:
            self._complete_viewers(viewers, keep_last=False)
            self._finish(viewers, ancestors)

    def _head(self, tree: safe_xml.PullTree, ancestors: list[ET.Element]) -> ET.Element | None:
        """Handle the queued events of the head; the `viewers` element once it starts."""
        events = tree.events
        while events:
            kind, element = events.popleft()
            if self._inside is not None:  # a viewer outside `viewers`: complete at its end
                if element is self._inside and kind == "end":
                    self._inside = None
                    self.viewer(element)
                    ancestors[-1].remove(element)
                continue
            if kind == "end":
                ancestors.pop()
                self.element(element, ancestors[-1].tag if ancestors else None)
                continue
            tag = element.tag
            if not self._started:
                self._started = True
                if tag != "convey_api":
                    raise self._error(f"expected a convey_api document, got <{tag}>")
            if tag == "viewers":
                tree.silence()
                events.clear()  # what they told of is in the tree: `_finish` walks it
                return element
            if tag == "viewer":
                self._inside = element
                continue
            ancestors.append(element)
        return None

    def _complete_viewers(self, viewers: ET.Element, *, keep_last: bool) -> None:
        """Map the complete children of `viewers` (all but the last while it is read)."""
        count = len(viewers) - 1 if keep_last else len(viewers)
        if count > 0:
            complete = viewers[:count]
            del viewers[:count]
            for child in complete:
                self._walk(child, "viewers")

    def _walk(self, element: ET.Element, parent: str | None) -> None:
        """A complete element, as its events would have had it handled: viewers mapped."""
        if element.tag == "viewer":
            self.viewer(element)
            return
        for child in element:
            self._walk(child, element.tag)
        self.element(element, parent)

    def _finish(self, viewers: ET.Element, ancestors: list[ET.Element]) -> None:
        """The document has ended: `viewers` and what followed it in each of its ancestors."""
        self.element(viewers, ancestors[-1].tag if ancestors else None)
        ended = viewers
        for depth in range(len(ancestors) - 1, -1, -1):
            parent = ancestors[depth]
            children = list(parent)
            for later in children[children.index(ended) + 1 :]:
                self._walk(later, parent.tag)
            self.element(parent, ancestors[depth - 1].tag if depth else None)
            ended = parent

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
        # One walk over the viewer's children, in document order; what `iterfind` of
        # registration_answers/ra, sessions/session, qa/question and survey_responses/sr
        # and `findtext("registration_date")` would find (every section, its children in
        # order; the first registration_date), and the rest for the registrant's extra.
        answers: dict[str, str | None] = {}
        registration_date: str | None = None
        session_nodes: list[ET.Element] = []
        question_nodes: list[ET.Element] = []
        response_nodes: list[ET.Element] = []
        others: list[ET.Element] = []
        for child in node:
            tag = child.tag
            if tag == "registration_answers":
                for answer in child:
                    if answer.tag == "ra":
                        answers[answer.get("id") or ""] = answer.text
            elif tag == "sessions":
                session_nodes += [s for s in child if s.tag == "session"]
            elif tag == "survey_responses":
                response_nodes += [r for r in child if r.tag == "sr"]
            elif tag == "qa":
                question_nodes += [q for q in child if q.tag == "question"]
            elif tag == "registration_date":
                if registration_date is None:
                    registration_date = child.text or ""
            else:
                others.append(child)
        email = n.text(answers.get("email"))
        try:
            registered_at = self.local_time(registration_date)
            sessions = [self._session_columns(session) for session in session_nodes]
        except ValueError as error:
            raise self._error(f"viewer {self.viewer_count} ({email}): {error}") from None
        if email:
            registrant_id = _hash(f"{self.registrant_prefix}{_json_part(email.lower())}]")
        else:  # no email question answered: the registration itself is the key
            ordered = sorted((k, v or "") for k, v in answers.items())
            registrant_id = n.stable_id("registrant", self.event_id, registered_at, ordered)
        repeat = self._repeat(registrant_id, email)
        if repeat:  # the same person listed again: kept whole, under an id of its own
            registrant_id = n.stable_id(registrant_id, repeat)
        ids = _Ids(registrant_id)
        self._registrant(
            node,
            ids,
            email,
            answers=answers,
            others=others,
            registered_at=registered_at,
            attended=bool(sessions),
            repeat=repeat,
        )
        if sessions:
            self._sessions(ids, email, sessions)
        questions = self._questions(ids, email, question_nodes) if question_nodes else 0
        surveyed, attendance = self._responses(ids, email, response_nodes)
        if sessions:
            self._viewer_totals(
                ids, email, sessions, questions=questions, surveyed=surveyed, attendance=attendance
            )

    def _session_columns(self, session: ET.Element) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        """A session's columns and extra: its attributes, then its children (those win)."""
        source: dict[str, t.Any] = dict(session.attrib)
        for child in session:
            source[child.tag] = (
                child.text if not len(child) and not child.attrib else element_value(child)
            )
        return n.apply_field_map(source, self.session_fields)

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

    def _registrant(
        self,
        node: ET.Element,
        ids: _Ids,
        email: str | None,
        *,
        answers: dict[str, str | None],
        others: list[ET.Element],
        registered_at: str | None,
        attended: bool,
        repeat: int,
    ) -> None:
        columns: dict[str, t.Any] = {"registrant_id": ids.registrant_id, "email": email}
        extra: dict[str, t.Any] = {}
        custom: dict[str, t.Any] = {}
        for key, value in answers.items():
            target = REGISTRATION_FIELDS.get(key)
            if target is not None:
                column, convert = target
                if convert is n.text and value is not None:  # every one of them: inline
                    columns[column] = value.strip() or None
                else:
                    columns[column] = convert(value)
            elif key in STANDARD_QUESTIONS_WITHOUT_COLUMN:
                extra[key] = value
            else:
                custom[self.questions.get(key) or key] = n.text(value)
        if "registrants" not in self.wanted:
            return
        extra.update(node.attrib)
        for child in others:
            extra[child.tag] = element_value(child)
        if repeat:
            extra["repeated_listing"] = repeat
        columns["registered_at"] = registered_at
        columns["status"] = "attended" if attended else "registered"
        columns["attended"] = attended
        columns["custom_fields"] = custom or None
        columns["extra"] = extra
        self.lines["registrants"].append(columns)

    def _sessions(
        self,
        ids: _Ids,
        email: str | None,
        sessions: list[tuple[dict[str, t.Any], dict[str, t.Any]]],
    ) -> None:
        if "registrant_sessions" not in self.wanted:
            return
        seen: dict[tuple[t.Any, ...], int] = {}
        append = self.lines["registrant_sessions"].append
        for columns, extra in sessions:
            key = (columns.get("session_type"), columns.get("started_at"), columns.get("ended_at"))
            count = seen[key] = seen.get(key, 0) + 1
            columns["session_id"] = ids.make("session", *key, count)
            columns["registrant_id"] = ids.registrant_id
            columns["email"] = email
            columns["attended"] = True
            columns["extra"] = extra
            append(columns)

    def _questions(self, ids: _Ids, email: str | None, nodes: list[ET.Element]) -> int:
        if "questions" not in self.wanted:
            return len(nodes)
        seen: dict[str | None, int] = {}
        append = self.lines["questions"].append
        for question in nodes:
            text = n.text(question.text)
            count = seen[text] = seen.get(text, 0) + 1
            answer: str | None = None
            answered = False
            extra: dict[str, t.Any] = {}
            for child in question:
                if child.tag != "answer":
                    extra[child.tag] = element_value(child)
                elif not answered:  # the first answer, as `findtext("answer")`
                    answered = True
                    answer = child.text
            extra.update(question.attrib)
            append(
                {
                    "question_id": ids.make("question", text, count),
                    "registrant_id": ids.registrant_id,
                    "email": email,
                    "question": text,
                    "answer": n.text(answer),
                    "extra": extra,
                }
            )
        return len(nodes)

    def _response_context(self, survey_id: str | None, question_id: str | None) -> _ResponseContext:
        """What every response to one survey question shares, looked up once per report."""
        key = (survey_id, question_id)
        context = self.response_contexts.get(key)
        if context is not None:
            return context
        survey_id, question_id = n.text(survey_id), n.text(question_id)
        survey = self.surveys.get(survey_id or "") or {}
        question = (survey.get("questions") or {}).get(question_id or "") or {}
        survey_kind = (survey.get("type") or "").strip().lower()
        context = _ResponseContext(
            survey_id=survey_id,
            question_id=question_id,
            attendance=survey_kind == "attendance",
            survey_name=survey.get("name"),
            survey_type=survey.get("type"),
            question=question.get("text"),
            question_type=question.get("type"),
            free_text=bool(FREE_TEXT_QUESTION.search(question.get("type") or "")),
        )
        if len(self.response_contexts) < RESPONSE_CONTEXTS:  # ids as sent: keep memory bounded
            self.response_contexts[key] = context
        return context

    def _responses(self, ids: _Ids, email: str | None, nodes: list[ET.Element]) -> tuple[int, int]:
        """Add the viewer's survey responses; (survey, attendance) responses counted."""
        attendance = 0
        wanted = "survey_responses" in self.wanted
        seen: dict[tuple[str | None, str | None], int] = {}
        append = self.lines["survey_responses"].append if wanted else None
        for response in nodes:
            attributes = response.attrib
            context = self._response_context(
                attributes.get("survey_id"), attributes.get("question_id")
            )
            if context.attendance:
                attendance += 1
            if append is None:
                continue
            key = (context.survey_id, context.question_id)
            count = seen[key] = seen.get(key, 0) + 1
            answer = n.text(response.text)
            if answer is None:
                answers = None
            elif context.free_text:
                answers = [answer]
            else:  # `n.split_answers` of a text already trimmed
                answers = [a for a in (a.strip() for a in answer.split(ANSWER_SEPARATOR)) if a]
            if attributes.keys() <= _RESPONSE_KEYS:
                extra = {}
            else:
                extra = {k: v for k, v in attributes.items() if k not in _RESPONSE_KEYS}
            append(
                {
                    "response_id": ids.make("survey_response", *key, count),
                    "registrant_id": ids.registrant_id,
                    "email": email,
                    "kind": "attendance" if context.attendance else "survey",
                    "survey_id": context.survey_id,
                    "survey_name": context.survey_name,
                    "survey_type": context.survey_type,
                    "question_id": context.question_id,
                    "question": context.question,
                    "question_type": context.question_type,
                    "answer": answer,
                    "answers": answers,
                    "extra": extra,
                }
            )
        return len(nodes) - attendance, attendance

    def _viewer_totals(
        self,
        ids: _Ids,
        email: str | None,
        sessions: list[tuple[dict[str, t.Any], dict[str, t.Any]]],
        *,
        questions: int,
        surveyed: int,
        attendance: int,
    ) -> None:
        if "viewers" not in self.wanted:
            return
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
        totals["registrant_id"] = ids.registrant_id
        totals["email"] = email
        totals["question_count"] = questions
        totals["survey_response_count"] = surveyed
        totals["updated_at"] = totals["last_viewed_at"]
        totals["extra"] = {
            "attendance_response_count": attendance,
            "other_session_count": other_sessions,
        }
        self.lines["viewers"].append(totals)


_RESPONSE_KEYS = frozenset({"survey_id", "question_id"})  # sr attributes that are columns
RESPONSE_CONTEXTS = 4096  # survey questions remembered per report; more are looked up each time


@dataclass(frozen=True)
class _ResponseContext:
    """What every response to one survey question shares."""

    survey_id: str | None
    question_id: str | None
    attendance: bool  # the survey's type is attendance; else the response is a survey one
    survey_name: str | None
    survey_type: str | None
    question: str | None
    question_type: str | None
    free_text: bool  # Textbox, Text Area: the answer is never split


_json_part = n.stable_id_part
_quote = n.json_quote
_hash = n.stable_id_of


class _Ids:
    """`n.stable_id(kind, registrant_id, *parts)` for one registrant's records, byte for byte.

    The material's registrant part is rendered once; the ids are the same hashes of the
    same text `n.stable_id` hashes (tests compare the two).
    """

    __slots__ = ("quoted", "registrant_id")

    def __init__(self, registrant_id: str) -> None:
        self.registrant_id = registrant_id
        self.quoted = _json_part(registrant_id)

    def make(self, kind: str, *parts: t.Any) -> str:
        rest = ", ".join([_quote(p) if type(p) is str else _json_part(p) for p in parts])
        return _hash(f"[{_quote(kind)}, {self.quoted}, {rest}]")
