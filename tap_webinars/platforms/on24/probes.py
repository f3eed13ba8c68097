"""What `tap-webinars-access` reads of ON24: one item of each resource of one event."""

from __future__ import annotations

import typing as t

from tap_webinars import normalize as n
from tap_webinars.errors import RequestFailedError, TapWebinarsError
from tap_webinars.permissions import is_refusal
from tap_webinars.platforms.on24.api import (
    DAY_MARGIN,
    EVENTS,
    LISTING_ROLE,
    PACIFIC,
    PAGE_PARAM,
    SIZE_PARAM,
    Collection,
    Context,
    date_windows,
    pacific_day,
)


class AccessProbes:
    """The reads `tap-webinars-access` makes: one item of each resource of one event.

    The event is a configured one, else the latest with activity (found with one listing
    request per six-month window, newest first). Each resource is read once, whichever
    probes ask for it.
    """

    def __init__(self, adapter: Context) -> None:
        self.adapter = adapter
        self._event: str | None = None
        self._outcomes: dict[str, TapWebinarsError | None] = {}

    def of(self, resource: Collection | str) -> t.Callable[[], None]:
        """The probe of *resource* (a collection, or a catalog path)."""
        path = resource.path if isinstance(resource, Collection) else resource
        return lambda: self._read(path)

    def _read(self, path: str) -> None:
        if path not in self._outcomes:
            self._outcomes[path] = self._attempt(path)
        outcome = self._outcomes[path]
        if outcome is not None:
            raise outcome

    def _attempt(self, path: str) -> TapWebinarsError | None:
        try:
            event_id = self.event_id()
        except RequestFailedError as error:
            if is_refusal(error, LISTING_ROLE.refused_statuses):
                return None  # the listing's own probe reports it
            raise
        if event_id is None:
            self.adapter.logger.warning(
                "on24: no event to probe %s with; set event_ids to check it", path
            )
            return None
        try:
            self.adapter.api.get(path.format(event_id=event_id), {PAGE_PARAM: 0, SIZE_PARAM: 1})
        except RequestFailedError as error:
            return error
        return None

    def event_id(self) -> str | None:
        """A configured event, or the one with the latest activity since `start_date`."""
        settings = self.adapter.settings
        if settings.event_ids:
            return sorted(settings.event_ids)[0]
        if self._event is None:
            today = n.utc_now().astimezone(PACIFIC).date()
            windows = list(date_windows(pacific_day(settings.start_date) - DAY_MARGIN, today))
            for first, last in reversed(windows):
                params = {
                    "dateFilterMode": "updated",
                    "filterOrder": "desc",
                    "startDate": str(first),
                    "endDate": str(last + DAY_MARGIN),
                    PAGE_PARAM: 0,
                    SIZE_PARAM: 1,
                }
                events = self.adapter.api.get(EVENTS.path, params).get("events") or []
                if events and isinstance(events[0], dict):
                    self._event = n.identifier(events[0].get("eventid"))
                    break
        return self._event
