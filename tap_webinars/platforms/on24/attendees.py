"""ON24's attendees: each one's viewer, survey and poll answers, and questions, as it is read.

One attendee read feeds three streams. What the later reads of the event need (who
attended, whose email is whose) is kept as ids only. The survey and poll catalogs, which add
question types, are read once, as soon as an attendee's page shows answers that need them.
"""

from __future__ import annotations

import threading
import typing as t
from concurrent.futures import Future
from dataclasses import dataclass, field

import msgspec

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError
from tap_webinars.http import settle, submit_here
from tap_webinars.permissions import Enrichment
from tap_webinars.platforms.base import Viewing, map_fields, viewer_totals
from tap_webinars.platforms.on24.api import (
    ATTENDEES,
    POLLS_PATH,
    POLLS_ROLE,
    SURVEYS_PATH,
    SURVEYS_ROLE,
    Context,
)
from tap_webinars.platforms.on24.mapping import (
    ANSWER_SEPARATOR,
    ATTENDEE_CHILDREN,
    POLL_ANSWER_FIELDS,
    PRESENTER_ANSWER_FIELDS,
    QUESTION_FIELDS,
    SURVEY_ANSWER_FIELDS,
    VIEWER_FIELDS,
    VIEWING_ACTIVITY,
    EventMapping,
    object_list,
    pacific_time,
    timestamp_at,
)
from tap_webinars.raw_pages import fields_of_each
from tap_webinars.records import RecordLines

# A survey's own fields that its answers' records take apart (the rest go to their extra).
SURVEY_CONSUMED = ("surveyid", "surveysubmittedtimestamp", "surveyquestions")
_OTHER_TOTALS = ("other_seconds", "other_session_count")  # ON24 reports no `other` viewing
_part = n.stable_id_part
# Each kind of viewing: its first and last activity fields, its seconds and count columns.
_VIEWING = tuple(
    (kind, first, last, f"{kind}_seconds", f"{kind}_session_count")
    for kind, (first, last) in VIEWING_ACTIVITY.items()
)
_VIEWING_KINDS = tuple(VIEWING_ACTIVITY)


class _AnsweredSurvey(msgspec.Struct):
    surveyquestions: list[msgspec.Raw] | None = None


class _Answered(msgspec.Struct):
    """What `AttendeeReader.saw` reads of an attendee in its usual shape (else: `fields`)."""

    surveys: list[_AnsweredSurvey] | None = None
    polls: list[msgspec.Raw] | None = None


_ANSWERED = msgspec.json.Decoder(list[_Answered])


@dataclass
class SurveyCatalog:
    """What /survey adds to an attendee's answers: survey codes and question types."""

    codes: dict[str, str | None] = field(default_factory=dict)  # surveyid -> surveycode
    types: dict[str, str | None] = field(default_factory=dict)  # questionid -> questiontype


class AttendeeReader:
    """Turns each attendee of one event into its viewer, answers and questions as it is read.

    Attendees come one at a time (from a verified read of their listing, spooled to disk when
    large). Records go straight to the event's record *lines*, which hold the key columns.
    """

    def __init__(
        self,
        adapter: Context,
        mapping: EventMapping,
        wanted: frozenset[str],
        lines: t.Mapping[str, RecordLines],
    ) -> None:
        self.adapter = adapter
        self.mapping = mapping
        self.event_id = event_id = mapping.event_id
        self.wanted = wanted
        self.registrants = lines.get("registrants")
        self.viewers = lines.get("viewers")
        self.responses = lines.get("survey_responses")
        self.questions = lines.get("questions")
        self.endpoint = adapter.base_url + ATTENDEES.path.format(event_id=event_id)
        self.attended: set[str] = set()
        self.attendance_known = True
        self.known_emails: dict[str, str] = {}
        # What a registrants record needs of each attendee, should the registrant list lack it.
        self._people: dict[str, tuple[t.Any, t.Any, t.Any]] = {}
        self._external_ids: dict[str, str | None] = {}
        self._registrant_external_ids: dict[str, str | None] = {}  # where attendees have none
        self._surveys: SurveyCatalog | None = None
        self._polls: dict[str, dict[str, t.Any]] | None = None
        # The catalog reads begun (by path), from the attendees' pages as they arrive.
        self._catalog_reads: dict[str, Future[dict[str, t.Any] | None]] = {}
        self._catalog_lock = threading.Lock()
        self._event_part = _part(event_id)

    def __enter__(self) -> AttendeeReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Catalog reads nobody used are waited for: no request outlives its event."""
        with self._catalog_lock:
            reads = list(self._catalog_reads.values())
        settle(reads)

    def saw(self, page: t.Sequence[bytes]) -> None:
        """A page of attendees as it arrives: begin the catalog reads their answers will need.

        They are the reads mapping the answers would make (`answers`), only sooner: at
        the first survey question answered and the first poll answered, side by side.
        Only the answers are read of each item (its JSON bytes), until both reads began.
        """
        if "survey_responses" not in self.wanted or len(self._catalog_reads) == 2 or not page:
            return
        try:  # the usual shapes, the answers themselves skipped unbuilt
            attendees = _ANSWERED.decode(b"[" + b",".join(page) + b"]")
        except msgspec.MsgspecError:
            for attendee in fields_of_each(page, ("surveys", "polls")):
                surveys, polls = attendee.get("surveys"), attendee.get("polls")
                self._answered(
                    isinstance(surveys, list)
                    and any(isinstance(s, dict) and s.get("surveyquestions") for s in surveys),
                    isinstance(polls, list) and bool(polls),
                )
            return
        for answered in attendees:
            self._answered(
                any(s.surveyquestions for s in answered.surveys or ()),
                bool(answered.polls),
            )

    def _answered(self, surveys: bool, polls: bool) -> None:
        """Begin the catalog reads an attendee's survey answers and poll answers need."""
        if surveys:
            self._catalog_read(SURVEYS_PATH, SURVEYS_ROLE)
        if polls:
            self._catalog_read(POLLS_PATH, POLLS_ROLE)

    def _catalog_read(self, path: str, role: Enrichment) -> Future[dict[str, t.Any] | None]:
        """The read of a catalog (None: refused), begun on first asking."""
        with self._catalog_lock:
            read = self._catalog_reads.get(path)
            if read is None:
                adapter = self.adapter
                url = path.format(event_id=self.event_id)
                read = submit_here(
                    adapter.listing_threads(),
                    adapter.permissions.optional,
                    role,
                    lambda: adapter.api.get(url),
                )
                self._catalog_reads[path] = read
            return read

    def read(self, attendee: dict[str, t.Any]) -> None:
        """Add the records one attendee yields to the event's lines."""
        columns, extra = map_fields(
            self.endpoint, attendee, VIEWER_FIELDS, consumed=ATTENDEE_CHILDREN
        )
        registrant_id = columns.get("registrant_id")
        if registrant_id is None:
            raise PayloadError(self.endpoint, "an attendee has no 'eventuserid'")
        self.attended.add(registrant_id)
        self._people[registrant_id] = (
            attendee.get("email"),
            attendee.get("userstatus"),
            attendee.get("partnerref"),
        )
        email = columns.get("email")
        if email:
            self.known_emails[email.lower()] = registrant_id
        _note_external(self._external_ids, attendee, registrant_id)
        if self.viewers is not None:
            self.viewers.append(self.viewer(attendee, columns, extra))
        if self.responses is not None:
            self.answers(attendee, registrant_id, email)
        if self.questions is not None:
            for question in object_list(self.endpoint, attendee, "questions"):
                self.questions.append(self.question(question, registrant_id, email))

    def viewer(
        self, attendee: t.Mapping[str, t.Any], columns: dict[str, t.Any], extra: dict[str, t.Any]
    ) -> dict[str, t.Any]:
        """A viewers record: ON24 splits live and archive (on-demand) viewing."""
        viewings = []
        for kind, first, last, seconds_column, count_column in _VIEWING:
            try:
                started, ended = pacific_time(attendee.get(first)), pacific_time(attendee.get(last))
            except ValueError as error:
                raise PayloadError(self.endpoint, f"attendee activity: {error}") from None
            seconds, count = columns.get(seconds_column), columns.get(count_column)
            viewings.append(Viewing(kind, seconds, started, ended, count))
        totals = viewer_totals(viewings, kinds=_VIEWING_KINDS)
        for name in _OTHER_TOTALS:
            del totals[name]
        columns.update(totals)
        columns["updated_at"] = totals["last_viewed_at"]
        columns["extra"] = extra
        return columns

    def answers(
        self, attendee: t.Mapping[str, t.Any], registrant_id: str, email: str | None
    ) -> None:
        """One survey_responses record per survey question answered and per poll answered.

        ON24 gives answers no id, so the id is a hash of their key (`n.stable_id` of the
        event, registrant, kind, survey, question id, or the question where it has none).
        """
        endpoint = self.endpoint
        person = f"[{self._event_part}, {_part(registrant_id)}, "
        for survey in object_list(endpoint, attendee, "surveys"):
            answered = object_list(endpoint, survey, "surveyquestions")
            survey_id = n.identifier(survey.get("surveyid"))
            submitted = timestamp_at(endpoint, survey.get("surveysubmittedtimestamp"))
            if not answered:
                continue
            survey_extra = {k: v for k, v in survey.items() if k not in SURVEY_CONSUMED}
            catalog = self.survey_catalog()
            survey_name = catalog.codes.get(survey_id or "")
            key = f'{person}"survey", {_part(survey_id)}, '
            for answer in answered:
                columns, extra = map_fields(endpoint, answer, SURVEY_ANSWER_FIELDS)
                columns["survey_id"] = survey_id
                columns["submitted_at"] = submitted
                columns["survey_name"] = survey_name
                columns["question_type"] = catalog.types.get(columns.get("question_id") or "")
                self._answer(
                    "survey", key, columns, {**survey_extra, **extra}, registrant_id, email
                )
        for poll in object_list(endpoint, attendee, "polls"):
            columns, extra = map_fields(endpoint, poll, POLL_ANSWER_FIELDS)
            columns["question_type"] = n.text(self.poll(columns.get("survey_id")).get("polltype"))
            key = f'{person}"poll", {_part(columns.get("survey_id"))}, '
            self._answer("poll", key, columns, extra, registrant_id, email)

    def _answer(  # noqa: PLR0917 - one call site, each argument named by its variable
        self,
        kind: str,
        key: str,
        columns: dict[str, t.Any],
        extra: dict[str, t.Any],
        registrant_id: str,
        email: str | None,
    ) -> None:
        """Complete an answer's columns and add its record; *key* starts its id's material."""
        question_id = columns.get("question_id")
        last = None if question_id else columns.get("question")
        columns["response_id"] = n.stable_id_of(f"{key}{_part(question_id)}, {_part(last)}]")
        columns["registrant_id"] = registrant_id
        columns["email"] = email
        columns["kind"] = kind
        answers = columns.get("answers")
        columns["answer"] = ANSWER_SEPARATOR.join(answers) if answers else None
        columns["extra"] = extra
        assert self.responses is not None
        self.responses.append(columns)

    def question(
        self, question: dict[str, t.Any], registrant_id: str, email: str | None
    ) -> dict[str, t.Any]:
        """A Q&A question with the presenter's answer, when there is one."""
        columns, extra = map_fields(self.endpoint, question, QUESTION_FIELDS, consumed=("answer",))
        answer = question.get("answer") or {}
        if not isinstance(answer, dict):
            raise PayloadError(self.endpoint, "a question's 'answer' is not an object")
        answered, answer_extra = map_fields(self.endpoint, answer, PRESENTER_ANSWER_FIELDS)
        if answer_extra:
            extra["answer"] = answer_extra
        if columns.get("question_id") is None:
            columns["question_id"] = n.stable_id(
                self.event_id, registrant_id, columns.get("asked_at"), columns.get("question")
            )
        columns["answer"] = answered.get("answer")
        columns["answered_at"] = answered.get("answered_at")
        columns["registrant_id"] = registrant_id
        columns["email"] = email
        columns["extra"] = extra
        return columns

    def add_unlisted_registrants(self, listed: set[str]) -> None:
        """Registrants records for attendees the registrant list lacks (built from them).

        An attendee is a registrant who viewed; every viewer, answer, question and session
        of theirs refers to this record, marked `extra.built_from = "attendee"`.
        """
        missing = sorted(set(self._people) - listed)
        if not missing:
            return
        self.adapter.logger.warning(
            "on24: event %s: %d attendees are not in the registrant list; their registrants "
            "records are built from the attendee records (extra.built_from = attendee)",
            self.event_id,
            len(missing),
        )
        assert self.registrants is not None
        attended = self.attended if self.attendance_known else None
        for registrant_id in missing:
            email, status, source = self._people[registrant_id]
            person = {
                "eventuserid": registrant_id,
                "email": email,
                "userstatus": status,
                "partnerref": source,
            }
            record = self.mapping.registrant(person, attended)
            record["extra"]["built_from"] = "attendee"
            self.registrants.append(record)

    def survey_catalog(self) -> SurveyCatalog:
        """Question types and survey codes of this event's surveys; read once, when needed."""
        if self._surveys is None:
            path = SURVEYS_PATH.format(event_id=self.event_id)
            endpoint = self.adapter.api.url(path)
            self._surveys = SurveyCatalog()
            body = self._catalog_read(SURVEYS_PATH, SURVEYS_ROLE).result()
            for survey in object_list(endpoint, body or {}, "surveys"):
                survey_id = n.identifier(survey.get("surveyid"))
                if survey_id is not None:
                    self._surveys.codes[survey_id] = n.text(survey.get("surveycode"))
                for entry in object_list(endpoint, survey, "surveyquestions"):
                    question_id = n.identifier(entry.get("questionid"))
                    if question_id is not None:
                        self._surveys.types[question_id] = n.text(entry.get("questiontype"))
        return self._surveys

    def poll(self, poll_id: str | None) -> dict[str, t.Any]:
        """The catalog entry of a poll (its type); read once per event."""
        if self._polls is None:
            path = POLLS_PATH.format(event_id=self.event_id)
            body = self._catalog_read(POLLS_PATH, POLLS_ROLE).result()
            polls = object_list(self.adapter.api.url(path), body or {}, "polls")
            self._polls = {str(n.identifier(p.get("pollid"))): p for p in polls}
        return self._polls.get(poll_id or "", {})

    def registrant_of(self, session: t.Mapping[str, t.Any]) -> str | None:
        """The registrant a viewing session belongs to: by email, else by external id."""
        email = n.text(session.get("email"))
        if email:
            found = self.known_emails.get(email.lower())
            if found is not None:
                return found
        external = n.text(session.get("exteventusercd"))
        if not external:
            return None
        if external in self._external_ids:
            return self._external_ids[external]
        return self._registrant_external_ids.get(external)

    def know_registrant(
        self, registrant: t.Mapping[str, t.Any], record: t.Mapping[str, t.Any]
    ) -> None:
        """Remember how sessions may name a listed registrant (attendees' keys come first)."""
        if record["email"]:  # forgotten users have none
            self.known_emails.setdefault(record["email"].lower(), record["registrant_id"])
        _note_external(self._registrant_external_ids, registrant, record["registrant_id"])


def _note_external(known: dict[str, str | None], person: t.Mapping[str, t.Any], key: str) -> None:
    """An external id is a fallback key for sessions, used only while it is unambiguous."""
    external = n.text(person.get("exteventusercd"))
    if external:
        clash = known.get(external, key) != key
        known[external] = None if clash else key
