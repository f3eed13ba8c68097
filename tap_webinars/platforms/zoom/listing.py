"""Which webinars the account has, and the marker that tells the engine when to read each.

Zoom lists webinars per host and only the unexpired ones (`/users/{id}/webinars`, type
`scheduled`; type `upcoming` says which still have an occurrence ahead or live). Ended
webinars the listing has dropped are found in the report API's per-host listing of past
meetings and webinars (`/report/users/{id}/meetings`), read in one-month windows over the
six months it keeps. These listings are what every run reads.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from tap_webinars import normalize as n
from tap_webinars.errors import StreamUnavailableError
from tap_webinars.permissions import Core, Enrichment, Permissions
from tap_webinars.platforms.zoom.api import PLAN_CODES, RETENTION, ZoomApi

# Webinar types in a report row: 5 webinar, 6 recurring without a fixed time, 9 recurring
# with one (meetings are 1-4 and 8). Unverified that report rows use the webinar numbers.
WEBINAR_TYPES = frozenset({5, 6, 9})
REPORT_WINDOW = timedelta(days=30)  # Zoom: at most one month per request

ALL_STREAMS = (
    "events",
    "registrants",
    "registrant_sessions",
    "viewers",
    "survey_responses",
    "questions",
)
USERS_ROLE = Core(ALL_STREAMS, "user:read:admin (or list the hosts in zoom_user_ids)")
WEBINARS_ROLE = Core(ALL_STREAMS, "webinar:read:admin")
PAST_REPORTS = Enrichment(
    "the past-webinar report listing",
    "report:read:admin",
    columns=("ended webinars the webinar listing no longer shows",),
)


@dataclass
class Listed:
    """One webinar as the listings show it."""

    webinar_id: str
    webinar: dict[str, t.Any] | None = None  # from /users/{id}/webinars; None: expired
    upcoming: bool = False
    reports: list[dict[str, t.Any]] = field(default_factory=list)  # ended instances

    def ended_by(self) -> datetime | None:
        """When its latest known instance ended: the report's `end_time`, else the schedule.

        A webinar without any report row that the listing shows with a start in the past
        is taken to have ended at its scheduled end.
        """
        ends = [n.parse_timestamp(r["end_time"]) for r in self.reports if r.get("end_time")]
        if not ends and self.webinar and self.webinar.get("start_time"):
            start = n.parse_timestamp(self.webinar["start_time"])
            ends.append(start + timedelta(minutes=int(self.webinar.get("duration") or 0)))
        return max(ends, default=None)

    def starts(self) -> list[datetime]:
        """Every start the listings show (the webinar's, its instances')."""
        values = [r.get("start_time") for r in self.reports]
        if self.webinar:
            values.append(self.webinar.get("start_time"))
        return [n.parse_timestamp(v) for v in values if v]


def hosts(api: ZoomApi, permissions: Permissions, configured: list[str] | None) -> list[str]:
    """The hosts whose webinars are read: `zoom_user_ids`, or every active and inactive user."""
    if configured:
        return configured
    found: list[str] = []
    for status in ("active", "inactive"):
        users = permissions.core(USERS_ROLE, _read(api, "/users", "users", {"status": status}))
        found += [str(u["id"]) for u in users if u.get("id") and str(u["id"]) not in found]
    return found


def report_windows(start: datetime, end: datetime | None, now: datetime) -> list[tuple[str, str]]:
    """One-month `from`/`to` days covering what the reports keep of [start, end]."""
    first = max(start, now - RETENTION).date()
    last = min(end, now).date() if end else now.date()
    windows = []
    while first <= last:
        to = min(last, first + REPORT_WINDOW - timedelta(days=1))
        windows.append((first.isoformat(), to.isoformat()))
        first = to + timedelta(days=1)
    return windows


def list_webinars(
    api: ZoomApi,
    permissions: Permissions,
    host_ids: list[str],
    windows: list[tuple[str, str]],
    on_plan_refusal: t.Callable[[str, StreamUnavailableError], None],
) -> dict[str, Listed]:
    """Every webinar of *host_ids*: listed (scheduled, upcoming) and reported as ended."""
    listed: dict[str, Listed] = {}
    for host in host_ids:
        path = f"/users/{quote(host, safe='')}/webinars"
        try:
            scheduled = permissions.core(
                WEBINARS_ROLE, _read(api, path, "webinars", {"type": "scheduled"})
            )
            upcoming = permissions.core(
                WEBINARS_ROLE, _read(api, path, "webinars", {"type": "upcoming"})
            )
        except StreamUnavailableError as error:  # a plan without webinars: one warning
            if not any(error.answer.startswith(f"Zoom code {c}:") for c in PLAN_CODES):
                raise
            on_plan_refusal(host, error)
            continue
        for webinar in scheduled + upcoming:
            entry = listed.setdefault(str(webinar["id"]), Listed(str(webinar["id"])))
            entry.webinar = entry.webinar or webinar
        for webinar in upcoming:
            listed[str(webinar["id"])].upcoming = True
        report_path = f"/report/users/{quote(host, safe='')}/meetings"
        for first, last in windows:
            query = {"type": "past", "from": first, "to": last}
            rows = permissions.optional(PAST_REPORTS, _read(api, report_path, "meetings", query))
            if rows is None:
                break  # refused: one warning; the webinar listing is what there is
            for row in rows:
                if row.get("type") in WEBINAR_TYPES and row.get("id") and row.get("uuid"):
                    entry = listed.setdefault(str(row["id"]), Listed(str(row["id"])))
                    if all(r["uuid"] != row["uuid"] for r in entry.reports):
                        entry.reports.append(row)
    return listed


def _read(
    api: ZoomApi, path: str, items_key: str, params: dict[str, t.Any]
) -> t.Callable[[], list[dict[str, t.Any]]]:
    """A paged read of *path*, to run under a permission role."""
    return lambda: api.paged_items(path, items_key, params)
