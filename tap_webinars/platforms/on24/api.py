"""Where ON24's data is and who may read it: hosts, paths, paging, roles, date windows.

The ON24 part of reference/README.md settles the envelopes, keys and the rate-limit signal;
each read's role is named by the OpenAPI file's operation id (on24-openapi.json).
"""

from __future__ import annotations

import logging
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi, OffsetTotalPaginator
from tap_webinars.permissions import Core, Enrichment, Permissions
from tap_webinars.platforms.base import CHILD_STREAMS
from tap_webinars.settings import Settings

REGION_HOSTS = {"na": "https://api.on24.com", "eu": "https://api.eu.on24.com"}
MAX_RANGE_MONTHS = 6  # overview: "the data can only be pulled 6 months at a time"
PAGE_PARAM, SIZE_PARAM = "pageOffset", "itemsPerPage"  # pageOffset counts pages from 0
PAGE_SIZE = 100  # the documented default of itemsPerPage
# The API's dates are days in Pacific time ("All dates and times are in Pacific Time"); a day
# of margin on either side covers any doubt about the zone a query day is read in.
PACIFIC_ZONE = "America/Los_Angeles"
PACIFIC = ZoneInfo(PACIFIC_ZONE)
DAY_MARGIN = timedelta(days=1)
RATE_LIMIT_TEXT = "maximum number of calls"
MAX_PAGES = 100_000  # a guard against an envelope whose total never comes
MAX_LISTING_WINDOWS_AT_ONCE = 24  # six-month windows read at once: twelve years
MAX_READS = 3  # reads of one listing before its changing under the pager is an error


@dataclass(frozen=True)
class Collection:
    """A paged ON24 envelope: where its items and their total are."""

    path: str  # under /v2/client/{clientId}
    items: str
    total: str
    key: str  # what tells two items apart, to notice rows seen twice

    def pages(self) -> OffsetTotalPaginator:
        """A walk of its pages, from offset 0 until the items seen reach the total."""
        return OffsetTotalPaginator(
            self.items,
            self.total,
            page_size=PAGE_SIZE,
            page_param=PAGE_PARAM,
            size_param=SIZE_PARAM,
            max_pages=MAX_PAGES,
            key=self.key,
        )


EVENTS = Collection("/event", "events", "totalevents", "eventid")
REGISTRANTS = Collection(
    "/event/{event_id}/registrant", "registrants", "totalregistrants", "eventuserid"
)
ATTENDEES = Collection("/event/{event_id}/attendee", "attendees", "totalattendees", "eventuserid")
SESSIONS = Collection(
    "/event/{event_id}/attendeesession", "attendeesession", "totalattendeesessions", "id"
)
EVENT_PATH = "/event/{event_id}"
SURVEYS_PATH = "/event/{event_id}/survey"
POLLS_PATH = "/event/{event_id}/poll"
# Deleted and forgotten users are returned only when asked for; the tap keeps them.
EVERY_USER = {"userStatus": "any"}

# What each read is for, and the analytics operation (on24-openapi.json) a token needs for it.
ATTENDEE_STREAMS = ("viewers", "survey_responses", "questions")
LISTING_ROLE = Core(("events", *CHILD_STREAMS), "AnalyticsClientLevel.Events (GET /event)")
REGISTRANTS_ROLE = Core(
    ("registrants",), "AnalyticsEventLevel.Registrants (GET /event/{eventId}/registrant)"
)
ATTENDEES_ROLE = Core(
    ATTENDEE_STREAMS, "AnalyticsEventLevel.Attendees (GET /event/{eventId}/attendee)"
)
SESSIONS_ROLE = Core(
    ("registrant_sessions",),
    "AnalyticsEventLevel.AttendeeViewingSessions (GET /event/{eventId}/attendeesession)",
)
# Without the attendee streams, attendees only tell registrants who attended.
ATTENDANCE_ROLE = Enrichment(
    "attendee list",
    ATTENDEES_ROLE.permission,
    ("registrants.attended", "registrants.status of active registrants"),
    refused_statuses=frozenset({403}),
)
SURVEYS_ROLE = Enrichment(
    "survey catalog",
    "AnalyticsEventLevel.Surveys (GET /event/{eventId}/survey)",
    ("survey_responses.survey_name", "survey_responses.question_type of surveys"),
)
POLLS_ROLE = Enrichment(
    "poll catalog",
    "AnalyticsEventLevel.Polls (GET /event/{eventId}/poll)",
    ("survey_responses.question_type of polls",),
)
# Read only for configured event_ids; refused, the events come from the listing instead.
DETAIL_ROLE = Enrichment(
    "event details",
    "AnalyticsEventLevel.MetadataAndUsage (GET /event/{eventId})",
    ("the events' detail-only fields in extra (the listing is read instead)",),
    refused_statuses=frozenset({403}),
)


class Context(t.Protocol):
    """What the plug-in's readers (listings, attendees, probes) use of its adapter."""

    base_url: str
    api: JsonApi
    permissions: Permissions
    logger: logging.Logger
    settings: Settings

    def listing_threads(self) -> ThreadPoolExecutor:
        """The threads that read listings and catalogs (see `On24Adapter.listing_threads`)."""
        ...


def is_rate_limited(response: requests.Response) -> bool:
    """ON24 signals its rate limit as HTTP 403 "You have reached the maximum number of calls"."""
    return response.status_code == 403 and RATE_LIMIT_TEXT in response.text.lower()


def date_windows(first: date, last: date) -> t.Iterator[tuple[date, date]]:
    """Consecutive inclusive day ranges covering first..last, none longer than six months."""
    while first <= last:
        stop = min(_add_months(first, MAX_RANGE_MONTHS) - timedelta(days=1), last)
        yield first, stop
        first = stop + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def pacific_day(moment: datetime) -> date:
    """The day in Pacific time (the API's days) of a moment."""
    return n.parse_timestamp(moment).astimezone(PACIFIC).date()
