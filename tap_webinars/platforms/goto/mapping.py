"""GoTo objects to unified records (SPEC §5's GoTo column), keys kept as exact digit strings.

GoTo's keys are 64-bit numbers, beyond a float's 53 bits: `key` takes an int or a digit
string as is and refuses a float (its digits are already lost), so no key is ever rounded.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError
from tap_webinars.platforms.base import Viewing, map_fields, viewer_totals


def key(value: t.Any) -> str | None:
    """A GoTo key as its exact digits; a float (precision lost) or a non-number is refused."""
    if value is None:
        return None
    if isinstance(value, (bool, float)):
        raise ValueError(f"a key must be an integer or a digit string, not {value!r}")
    text = str(value).strip()
    if isinstance(value, int):
        return text
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise ValueError(f"a key must be digits, not {value!r}")
    return text


def status(value: t.Any) -> str | None:
    """WAITING, APPROVED, DENIED as lower-case words (`approved`), as other platforms write."""
    cleaned = n.text(value)
    return cleaned.lower() if cleaned else None


WEBINAR_FIELDS: n.FieldMap = {
    "webinarKey": ("event_id", key),
    "subject": ("title", n.text),
    "description": ("description", n.text),
    "type": ("event_type", n.text),
    "timeZone": ("time_zone", n.text),
    "registrationUrl": ("registration_url", n.text),
}
REGISTRANT_FIELDS: n.FieldMap = {
    "registrantKey": ("registrant_id", key),
    "email": ("email", n.text),
    "firstName": ("first_name", n.text),
    "lastName": ("last_name", n.text),
    "organization": ("company", n.text),
    "jobTitle": ("job_title", n.text),
    "phone": ("phone", n.text),
    "address": ("address_1", n.text),
    "city": ("city", n.text),
    "state": ("state", n.text),
    "zipCode": ("postal_code", n.text),
    "country": ("country", n.text),
    "industry": ("industry", n.text),
    "source": ("source", n.text),
    "registrationDate": ("registered_at", n.timestamp),
    "status": ("status", status),
}
ATTENDEE_FIELDS: n.FieldMap = {
    "registrantKey": ("registrant_id", key),
    "email": ("email", n.text),
    "firstName": ("first_name", n.text),
    "lastName": ("last_name", n.text),
    "attendanceTimeInSeconds": ("seconds", n.integer),
    "sessionKey": ("session_key", key),
}
QUESTION_FIELDS: n.FieldMap = {
    "askerKey": ("registrant_id", key),
    "askedBy": ("email", n.text),
    "question": ("question", n.text),
    "dateAsked": ("asked_at", n.timestamp),
}


def nulls(fields: n.FieldMap) -> dict[str, None]:
    """Every column of a field map, null: a field the platform left out is a null column."""
    return {column: None for column, _ in fields.values()}


class Mapper:
    """Builds the records of one webinar; `record` adds the key columns every stream shares."""

    def __init__(
        self, record: t.Callable[..., dict[str, t.Any]], url: t.Callable[[str], str]
    ) -> None:
        self.record = record
        self.url = url

    def event(
        self,
        webinar: t.Mapping[str, t.Any],
        sessions: list[dict[str, t.Any]],
        counts: t.Mapping[str, int | None],
    ) -> dict[str, t.Any]:
        """The events record: the webinar's times, and its completed sessions by key."""
        endpoint = self.url("/webinars")
        columns, extra = map_fields(endpoint, webinar, WEBINAR_FIELDS, consumed=("times",))
        times = [
            (n.timestamp(s.get("startTime")), n.timestamp(s.get("endTime")))
            for s in webinar.get("times") or []
            if isinstance(s, dict)
        ]
        extra["times"] = webinar.get("times")
        held = [(session_key(endpoint, s), s) for s in sessions]
        starts = [n.timestamp(s.get("startTime")) for _, s in held]
        ends = [n.timestamp(s.get("endTime")) for _, s in held]
        # A time a completed session was held in is that session; the others (ahead, or
        # never held) are listed by the webinar key and their place in `times`.
        slots = [
            {"session_id": f"{columns.get('event_id')}:{index}", "scheduled_at": start}
            for index, (start, end) in enumerate(times)
            if not any(_within(held_start, start, end) for held_start in starts)
        ]
        slots += [
            {"session_id": k, "scheduled_at": start}
            for (k, _), start in zip(held, starts, strict=True)
        ]
        if held:
            extra["completed_sessions"] = [s for _, s in held]
        event_id = str(columns.pop("event_id"))
        columns = {**nulls(WEBINAR_FIELDS), **columns}
        del columns["event_id"]
        return self.record(
            event_id,
            **columns,
            scheduled_start_at=min((s for s, _ in times if s), default=None),
            scheduled_end_at=max((e for _, e in times if e), default=None),
            live_start_at=min((s for s in starts if s), default=None),
            live_end_at=max((e for e in ends if e), default=None),
            sessions=slots,
            is_expired=None,
            last_activity_at=max((e for e in ends if e), default=None),
            **counts,
            extra=extra,
        )

    def registrant(
        self,
        event_id: str,
        source: t.Mapping[str, t.Any],
        attended: bool | None,
        endpoint: str,
    ) -> dict[str, t.Any]:
        """A registrant; registration answers (`responses`) become custom_fields."""
        columns, extra = map_fields(endpoint, source, REGISTRANT_FIELDS, consumed=("responses",))
        custom = None
        responses = source.get("responses")
        if isinstance(responses, list):
            custom = {
                str(r.get("question") or r.get("questionKey")): r.get("responseText")
                or r.get("answer")
                or r.get("answerKey")
                for r in responses
                if isinstance(r, dict)
            }
            extra["responses"] = responses
        extra["registrantKey"] = source.get("registrantKey")
        return self.record(
            event_id,
            **(nulls(REGISTRANT_FIELDS) | columns),
            attended=attended,
            custom_fields=custom,
            extra=extra,
        )

    def attendee_registrant(
        self, event_id: str, attendee: t.Mapping[str, t.Any], endpoint: str
    ) -> dict[str, t.Any]:
        """A registrant made from an attendee row whose registrant the listing lacks."""
        source = {k: attendee.get(k) for k in ("registrantKey", "email", "firstName", "lastName")}
        record = self.registrant(event_id, source, True, endpoint)
        record["extra"]["made_from"] = "attendee"
        return record

    def asker_registrant(
        self, event_id: str, question: t.Mapping[str, t.Any], endpoint: str
    ) -> dict[str, t.Any]:
        """A registrant made from a Q&A asker the listing lacks (askerKey, askedBy)."""
        source = {"registrantKey": question.get("askerKey"), "email": question.get("askedBy")}
        record = self.registrant(event_id, source, None, endpoint)
        record["extra"]["made_from"] = "question"
        return record

    def intervals(
        self,
        event_id: str,
        session: t.Mapping[str, t.Any],
        attendee: t.Mapping[str, t.Any],
        time_zone: str | None,
        endpoint: str,
    ) -> list[dict[str, t.Any]]:
        """One registrant_sessions record per `attendance[]` interval (each join and leave)."""
        columns, extra = map_fields(endpoint, attendee, ATTENDEE_FIELDS, consumed=("attendance",))
        skey = session_key(endpoint, session)
        registrant_id = columns["registrant_id"]
        attendance = attendee.get("attendance") or []
        if not isinstance(attendance, list):
            raise PayloadError(endpoint, "attendance is not a list")
        rows = []
        joins = sorted(
            (a for a in attendance if isinstance(a, dict)),
            key=lambda a: str(a.get("joinTime") or ""),
        )
        for index, interval in enumerate(joins):
            started = _ts(endpoint, interval.get("joinTime"), "joinTime")
            ended = _ts(endpoint, interval.get("leaveTime"), "leaveTime")
            duration = None
            if started and ended:
                duration = int(
                    (n.parse_timestamp(ended) - n.parse_timestamp(started)).total_seconds()
                )
            rows.append(
                self.record(
                    event_id,
                    session_id=f"{skey}:{registrant_id}:{index}",
                    registrant_id=registrant_id,
                    email=columns.get("email"),
                    session_type="live",
                    webinar_session_id=skey,
                    scheduled_at=n.timestamp(session.get("startTime")),
                    started_at=started,
                    ended_at=ended,
                    duration_seconds=duration,
                    attended=True,
                    watched=None,
                    time_zone=time_zone,
                    extra={
                        **extra,
                        "registrantKey": attendee.get("registrantKey"),
                        "sessionKey": attendee.get("sessionKey"),
                        "attendanceTimeInSeconds": attendee.get("attendanceTimeInSeconds"),
                    },
                )
            )
        return rows

    def viewer(
        self,
        event_id: str,
        registrant_id: str,
        email: str | None,
        rows: t.Sequence[tuple[t.Mapping[str, t.Any], t.Mapping[str, t.Any]]],
    ) -> dict[str, t.Any]:
        """Totals over every session attended: `attendanceTimeInSeconds` summed (all live)."""
        viewings = []
        for session, attendee in rows:
            joins = [a for a in attendee.get("attendance") or [] if isinstance(a, dict)]
            starts = [n.timestamp(a.get("joinTime")) for a in joins]
            ends = [n.timestamp(a.get("leaveTime")) for a in joins]
            viewings.append(
                Viewing(
                    "live",
                    n.integer(attendee.get("attendanceTimeInSeconds")),
                    started_at=min((s for s in starts if s), default=None),
                    ended_at=max((e for e in ends if e), default=None),
                )
            )
            del session
        totals = viewer_totals(viewings, kinds=("live",))
        return self.record(
            event_id,
            registrant_id=registrant_id,
            email=email,
            **{k: v for k, v in totals.items() if not k.startswith("other_")},
            engagement_score=None,
            question_count=None,
            poll_response_count=None,
            survey_response_count=None,
            resource_view_count=None,
            updated_at=totals["last_viewed_at"],
            extra={"sessions_attended": len(rows)},
        )

    def question(
        self,
        event_id: str,
        session: t.Mapping[str, t.Any],
        item: t.Mapping[str, t.Any],
        endpoint: str,
    ) -> dict[str, t.Any]:
        """A Q&A question, its answers joined (one per line), answered at the first answer."""
        columns, extra = map_fields(endpoint, item, QUESTION_FIELDS, consumed=("answers",))
        skey = session_key(endpoint, session)
        answers = [a for a in item.get("answers") or [] if isinstance(a, dict)]
        texts = [t for t in (n.text(a.get("answer")) for a in answers) if t]
        answered = sorted(
            ts for ts in (_ts(endpoint, a.get("answerTime"), "answerTime") for a in answers) if ts
        )
        extra.update(
            {"askerKey": item.get("askerKey"), "answers": item.get("answers"), "sessionKey": skey}
        )
        return self.record(
            event_id,
            question_id=n.stable_id(
                skey, columns.get("registrant_id"), columns.get("asked_at"), columns.get("question")
            ),
            **(nulls(QUESTION_FIELDS) | columns),
            answer="\n".join(texts) or None,
            answered_at=answered[0] if answered else None,
            extra=extra,
        )

    def answers(
        self,
        event_id: str,
        session: t.Mapping[str, t.Any],
        items: list[dict[str, t.Any]],
        *,
        registrant_id: str,
        email: str | None,
        kind: str,
        endpoint: str,
    ) -> list[dict[str, t.Any]]:
        """One survey_responses record per answered poll or survey question of one attendee."""
        skey = session_key(endpoint, session)
        rows = []
        for index, item in enumerate(items):
            question = n.text(item.get("question"))
            answers = item.get("answers")
            values = (
                [a for a in (n.text(v) for v in answers) if a] if isinstance(answers, list) else []
            )
            if not values and n.text(item.get("answer")):
                values = [str(n.text(item.get("answer")))]
            if not values:
                continue
            rows.append(
                self.record(
                    event_id,
                    response_id=f"{skey}:{registrant_id}:{kind}:{index}",
                    registrant_id=registrant_id,
                    email=email,
                    kind=kind,
                    survey_id=skey,
                    survey_name=None,
                    survey_type=kind,
                    question_id=n.stable_id(event_id, kind, question),
                    question=question,
                    question_type=None,
                    answer="; ".join(values),
                    answers=values,
                    submitted_at=None,
                    extra={k: v for k, v in item.items() if k not in ("question", "answers")},
                )
            )
        return rows


def session_key(endpoint: str, session: t.Mapping[str, t.Any]) -> str:
    """A completed session's key, or a PayloadError."""
    columns, _ = map_fields(endpoint, {"sessionKey": session.get("sessionKey")}, SESSION_KEY)
    value = columns.get("session_key")
    if value is None:
        raise PayloadError(endpoint, "a session without a sessionKey")
    return str(value)


SESSION_KEY: n.FieldMap = {"sessionKey": ("session_key", key)}


def _within(moment: str | None, start: str | None, end: str | None) -> bool:
    """Whether a session that started at *moment* was held in the time *start*..*end*."""
    if not (moment and start):
        return False
    held = n.parse_timestamp(moment)
    slack = timedelta(hours=2)  # sessions start early or late
    until = n.parse_timestamp(end) if end else n.parse_timestamp(start)
    return n.parse_timestamp(start) - slack <= held <= until + slack


def _ts(endpoint: str, value: t.Any, name: str) -> str | None:
    try:
        return n.timestamp(value)
    except (TypeError, ValueError) as error:
        raise PayloadError(endpoint, f"field {name!r}: {error}") from None
