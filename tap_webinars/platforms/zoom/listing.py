"""Which webinars the account has, and the marker that tells the engine when to read each.

Zoom lists webinars per host and only the unexpired ones (`/users/{id}/webinars`, type
`scheduled`; type `upcoming` says which still have an occurrence ahead or live). Ended
webinars the listing has dropped are found in the report API's per-host listing of past
meetings and webinars (`/report/users/{id}/meetings`), read in one-month windows over the
six months it keeps. These listings are what every run reads.
"""

from __future__ import annotations

import typing as t
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import quote

from tap_webinars import normalize as n
from tap_webinars.errors import StreamUnavailableError
from tap_webinars.http import settle
from tap_webinars.permissions import Core, Enrichment, Permissions
from tap_webinars.platforms.zoom.api import PLAN_CODES, RETENTION, ZoomApi

# Webinar types in a report row: 5 webinar, 6 recurring without a fixed time, 9 recurring
# with one (meetings are 1-4 and 8). Unverified that report rows use the webinar numbers.
T = t.TypeVar("T")
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
    """Every webinar of *host_ids*: listed (scheduled, upcoming) and reported as ended.

    The reads go side by side on the HTTP client's request workers: each host's webinar
    listings (scheduled, then upcoming), and a host's report windows once its listings show
    its plan has webinars (a host without them costs no report read). The first host's
    listings are read alone first, so a token without `webinar:read:admin` is refused for
    one request; the report role is asked once before the rest (`Permissions.optional`).
    What they show is taken in the order one read at a time would take it.
    """
    listed: dict[str, Listed] = {}
    reads = _SideBySide(api)
    with reads:
        webinars = [reads.now(lambda: _webinars(api, permissions, host_ids[0]))] if host_ids else []
        # The first host's reports begin with the other hosts' listings, as soon as it has
        # a plan; another host's, once its listings show it has one.
        reports: dict[str, list[Future[list[dict[str, t.Any]] | None]]] = {}

        def read_reports(host: str) -> None:
            reports[host] = [
                reads.start(partial(_past, api, permissions, host, window)) for window in windows
            ]

        shown: list[tuple[str, list[dict[str, t.Any]], list[dict[str, t.Any]]]] = []
        for index, host in enumerate(host_ids):
            try:
                scheduled, upcoming = webinars[index].result()
            except StreamUnavailableError as error:  # a plan without webinars: one warning
                if not any(error.answer.startswith(f"Zoom code {c}:") for c in PLAN_CODES):
                    raise
                on_plan_refusal(host, error)
            else:
                read_reports(host)
                shown.append((host, scheduled, upcoming))
            if index == 0:
                webinars += [
                    reads.start(partial(_webinars, api, permissions, h)) for h in host_ids[1:]
                ]
        for host, scheduled, upcoming in shown:
            for webinar in scheduled + upcoming:
                entry = listed.setdefault(str(webinar["id"]), Listed(str(webinar["id"])))
                entry.webinar = entry.webinar or webinar
            for webinar in upcoming:
                listed[str(webinar["id"])].upcoming = True
            for read in reports[host]:
                rows = read.result()
                if rows is None:
                    break  # refused: one warning; the webinar listing is what there is
                for row in rows:
                    if row.get("type") in WEBINAR_TYPES and row.get("id") and row.get("uuid"):
                        entry = listed.setdefault(str(row["id"]), Listed(str(row["id"])))
                        if all(r["uuid"] != row["uuid"] for r in entry.reports):
                            entry.reports.append(row)
    return listed


def _webinars(
    api: ZoomApi, permissions: Permissions, host: str
) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]]]:
    """A host's scheduled and upcoming webinars (upcoming not asked once scheduled fails)."""
    path = f"/users/{quote(host, safe='')}/webinars"
    scheduled = permissions.core(WEBINARS_ROLE, _read(api, path, "webinars", {"type": "scheduled"}))
    upcoming = permissions.core(WEBINARS_ROLE, _read(api, path, "webinars", {"type": "upcoming"}))
    return scheduled, upcoming


def _past(
    api: ZoomApi, permissions: Permissions, host: str, window: tuple[str, str]
) -> list[dict[str, t.Any]] | None:
    """A host's past meetings and webinars of one report window (None: the role refused)."""
    query = {"type": "past", "from": window[0], "to": window[1]}
    path = f"/report/users/{quote(host, safe='')}/meetings"
    return permissions.optional(PAST_REPORTS, _read(api, path, "meetings", query))


class _SideBySide:
    """Reads begun at once on the HTTP client's request workers, their results taken in order.

    On leaving the block, reads not begun are cancelled and the rest waited for: no request
    of a failed listing outlives it.
    """

    def __init__(self, api: ZoomApi) -> None:
        self.api = api
        self._started: list[Future[t.Any]] = []

    def __enter__(self) -> _SideBySide:
        return self

    def __exit__(self, *_exc: object) -> None:
        settle(self._started)

    def start(self, read: t.Callable[[], T]) -> Future[T]:
        """Begin *read* on a request worker."""
        future = self.api.http.submit(read)
        self._started.append(future)
        return future

    def now(self, read: t.Callable[[], T]) -> Future[T]:
        """Run *read* here, before any other is begun; its outcome as a finished future."""
        future: Future[T] = Future()
        try:
            future.set_result(read())
        except Exception as error:
            future.set_exception(error)
        return future


def _read(
    api: ZoomApi, path: str, items_key: str, params: dict[str, t.Any]
) -> t.Callable[[], list[dict[str, t.Any]]]:
    """A paged read of *path*, to run under a permission role."""
    return lambda: api.paged_items(path, items_key, params)
