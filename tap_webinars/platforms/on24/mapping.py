"""How ON24's items become unified records: the field maps, and the records built of them.

The field maps follow the Act-On integration's reading; the registrants, sessions and
events records are built here, an attendee's records in `attendees`.

A record here is its own columns: the key columns every record of an event shares
(platform, account, event) are filled in by the event's record lines (`EventBundle.lines`).
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError
from tap_webinars.platforms.base import map_fields
from tap_webinars.platforms.on24.api import PACIFIC_ZONE, REGISTRANTS, SESSIONS


def pacific_time(value: t.Any) -> str | None:
    """ON24 writes Pacific time; a timestamp without an offset is read in it."""
    return n.timestamp(value, tz=PACIFIC_ZONE)


def _answer_list(value: t.Any) -> list[str] | None:
    """ON24 sends answers as a list; a single string counts as one answer."""
    if value is None:
        return None
    answers = []
    for item in value if isinstance(value, list) else [value]:
        answer = (item.strip() or None) if type(item) is str else n.text(item)
        if answer is not None:
            answers.append(answer)
    return answers or None


EVENT_FIELDS: n.FieldMap = {
    "eventid": ("event_id", n.identifier),
    "description": ("title", n.text),  # ON24 calls the event's title "description"
    "promotionalsummary": ("description", n.text),
    "eventtype": ("event_type", n.text),
    "displaytimezonecd": ("time_zone", n.text),
    "goodafter": ("scheduled_start_at", pacific_time),
    "livestart": ("live_start_at", pacific_time),
    "liveend": ("live_end_at", pacific_time),
    "archivestart": ("on_demand_start_at", pacific_time),
    "archiveend": ("on_demand_end_at", pacific_time),
    "createtimestamp": ("created_at", pacific_time),
    "lastmodified": ("updated_at", pacific_time),
    "lastupdated": ("last_activity_at", pacific_time),
    "iseliteexpired": ("is_expired", n.boolean),
    "audienceurl": ("registration_url", n.text),
    "category": ("category", n.text),
    "tags": ("tags", n.string_list),
}
EVENT_ANALYTICS_FIELDS: n.FieldMap = {
    "totalregistrants": ("registrant_count", n.integer),
    "totalattendees": ("attendee_count", n.integer),
    "liveattendees": ("live_attendee_count", n.integer),
    "ondemandattendees": ("on_demand_attendee_count", n.integer),
    "noshowcount": ("no_show_count", n.integer),
}
# Act-On integration: partner ref is the lead source; std1..std10 are the custom questions.
REGISTRANT_FIELDS: n.FieldMap = {
    "eventuserid": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "firstname": ("first_name", n.text),
    "lastname": ("last_name", n.text),
    "company": ("company", n.text),
    "jobtitle": ("job_title", n.text),
    "workphone": ("phone", n.text),
    "addressstreet1": ("address_1", n.text),
    "addressstreet2": ("address_2", n.text),
    "city": ("city", n.text),
    "state": ("state", n.text),
    "zip": ("postal_code", n.text),
    "country": ("country", n.text),
    "companysize": ("company_size", n.text),
    "companyindustry": ("industry", n.text),
    "jobfunction": ("job_function", n.text),
    "partnerref": ("source", n.text),
    "utmsource": ("utm_source", n.text),
    "utmmedium": ("utm_medium", n.text),
    "utmcampaign": ("utm_campaign", n.text),
    "utmterm": ("utm_term", n.text),
    "utmcontent": ("utm_content", n.text),
    "createtimestamp": ("registered_at", pacific_time),
    "lastactivity": ("updated_at", pacific_time),
}
CUSTOM_FIELDS = tuple(f"std{i}" for i in range(1, 11))
REGISTRANT_CONSUMED = ("eventid", "userstatus", *CUSTOM_FIELDS)  # read apart, not extra
# Act-On: live and archive duration, engagement score, poll / question / survey counts,
# resources viewed. Minutes become seconds.
VIEWER_FIELDS: n.FieldMap = {
    "eventuserid": ("registrant_id", n.identifier),
    "email": ("email", n.text),
    "engagementscore": ("engagement_score", n.number),
    "liveminutes": ("live_seconds", n.seconds_from_minutes),
    "archiveminutes": ("on_demand_seconds", n.seconds_from_minutes),
    "liveviewed": ("live_session_count", n.integer),
    "archiveviewed": ("on_demand_session_count", n.integer),
    "askedquestions": ("question_count", n.integer),
    "answeredpolls": ("poll_response_count", n.integer),
    "answeredsurveys": ("survey_response_count", n.integer),
    "resourcesdownloaded": ("resource_view_count", n.integer),
}
# When each kind of viewing began and ended; ON24 has no simulated-live kind (left null).
VIEWING_ACTIVITY = {
    "live": ("firstliveactivity", "lastliveactivity"),
    "on_demand": ("firstarchiveactivity", "lastarchiveactivity"),
}
# Nested lists of an attendee that other streams take.
ATTENDEE_CHILDREN = ("questions", "polls", "surveys")
QUESTION_FIELDS: n.FieldMap = {
    "questionid": ("question_id", n.identifier),
    "createtimestamp": ("asked_at", pacific_time),
    "content": ("question", n.text),
}
PRESENTER_ANSWER_FIELDS: n.FieldMap = {
    "createtimestamp": ("answered_at", pacific_time),
    "content": ("answer", n.text),
}
SURVEY_ANSWER_FIELDS: n.FieldMap = {
    "surveyquestionid": ("question_id", n.identifier),
    "surveyquestion": ("question", n.text),
    "surveyanswers": ("answers", _answer_list),
}
POLL_ANSWER_FIELDS: n.FieldMap = {
    "pollid": ("survey_id", n.identifier),
    "pollquestionid": ("question_id", n.identifier),
    "pollquestion": ("question", n.text),
    "pollanswers": ("answers", _answer_list),
    "pollsubmittedtimestamp": ("submitted_at", pacific_time),
}
SESSION_FIELDS: n.FieldMap = {
    "id": ("session_id", n.identifier),
    "email": ("email", n.text),
    "duration": ("duration_seconds", n.seconds_from_clock),
    "starttime": ("started_at", pacific_time),
    "endtime": ("ended_at", pacific_time),
    "mediastream": ("media", n.text),
    "os": ("os", n.text),
    "browser": ("browser", n.text),
}
SESSION_TYPES = {
    "live": "live",
    "archived": "on_demand",
    "ondemand": "on_demand",
    "on demand": "on_demand",
    "simulive": "simlive",
}
# `answer` is the platform's answer list as one string; `answers` keeps the list itself.
ANSWER_SEPARATOR = "; "


def event_columns(endpoint: str, event: t.Mapping[str, t.Any]) -> tuple[str, dict[str, t.Any]]:
    """The event id and the unified events columns of a listed (or directly read) event."""
    columns, extra = map_fields(endpoint, event, EVENT_FIELDS, consumed=("eventanalytics",))
    analytics = event.get("eventanalytics") or {}
    if not isinstance(analytics, dict):
        raise PayloadError(endpoint, "eventanalytics is not an object")
    counts, rest = map_fields(endpoint, analytics, EVENT_ANALYTICS_FIELDS)
    if rest:
        extra["eventanalytics"] = rest
    if counts.get("no_show_count") is None and counts.get("registrant_count") is not None:
        # ON24's own definition (/event/{id}): totalregistrants - totalattendees.
        counts["no_show_count"] = counts["registrant_count"] - (counts.get("attendee_count") or 0)
    start, minutes = (
        columns.get("scheduled_start_at"),
        n.number(event.get("scheduledeventduration")),
    )
    end = None
    if start and minutes is not None:
        end = n.format_timestamp(n.parse_timestamp(start) + timedelta(minutes=minutes))
    event_id = str(columns.pop("event_id"))
    return event_id, {**columns, **counts, "scheduled_end_at": end, "extra": extra}


class EventMapping:
    """The registrants and sessions records of one event (its endpoints named once)."""

    def __init__(self, base_url: str, event_id: str) -> None:
        self.event_id = event_id
        self.registrants_endpoint = base_url + REGISTRANTS.path.format(event_id=event_id)
        self.sessions_endpoint = base_url + SESSIONS.path.format(event_id=event_id)

    def registrant(
        self, registrant: t.Mapping[str, t.Any], attended: t.Container[str] | None
    ) -> dict[str, t.Any]:
        """A registrant with the Act-On fields, custom (std) answers and status.

        *attended* is None when the attendee list could not be read: attendance unknown.
        """
        endpoint = self.registrants_endpoint
        columns, extra = map_fields(
            endpoint, registrant, REGISTRANT_FIELDS, consumed=REGISTRANT_CONSUMED
        )
        registrant_id = columns.get("registrant_id")
        if registrant_id is None:
            raise PayloadError(endpoint, "a registrant has no 'eventuserid'")
        get = registrant.get
        custom = {}
        for name in CUSTOM_FIELDS:
            value = get(name)
            if value is not None and (answer := n.text(value)) is not None:
                custom[name] = answer
        did_attend = None if attended is None else registrant_id in attended
        columns["status"] = registrant_status(get("userstatus"), did_attend)
        columns["attended"] = did_attend
        columns["custom_fields"] = custom or None
        columns["extra"] = extra
        return columns

    def session(
        self, session: t.Mapping[str, t.Any], registrant_id: str | None
    ) -> dict[str, t.Any]:
        """A viewing session; ON24 names its viewer by email, so the id comes from attendees."""
        columns, extra = map_fields(
            self.sessions_endpoint, session, SESSION_FIELDS, consumed=("usage",)
        )
        usage = session.get("usage")
        session_type = SESSION_TYPES.get((n.text(usage) or "").lower(), "other")
        if session_type == "other":
            extra["usage"] = usage
        if columns.get("session_id") is None:
            columns["session_id"] = n.stable_id(
                self.event_id, columns.get("email"), columns.get("started_at")
            )
        columns["registrant_id"] = registrant_id
        columns["session_type"] = session_type
        columns["attended"] = True
        columns["extra"] = extra
        return columns


def registrant_status(user_status: t.Any, attended: bool | None) -> str | None:
    """Act-On's registered / attended; soft-deleted and forgotten users keep that status."""
    status = (n.text(user_status) or "active").lower()
    if status != "active":
        return status
    if attended is None:
        return None
    return "attended" if attended else "registered"


def object_list(endpoint: str, source: t.Mapping[str, t.Any], key: str) -> list[dict[str, t.Any]]:
    """A nested list of objects (empty when absent), or a bad payload naming it."""
    items = source.get(key) or []
    if type(items) is not list:
        raise PayloadError(endpoint, f"'{key}' is not a list of objects")
    for item in items:
        if type(item) is not dict:
            raise PayloadError(endpoint, f"'{key}' is not a list of objects")
    return items


def timestamp_at(endpoint: str, value: t.Any) -> str | None:
    """`pacific_time`, a bad value failing as a bad payload of *endpoint*."""
    try:
        return pacific_time(value)
    except ValueError as error:
        raise PayloadError(endpoint, str(error)) from None
