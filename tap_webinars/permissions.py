"""What a refused request costs: its columns, its stream, or (with strict permissions) the run.

Real accounts grant permissions resource by resource. Every request an adapter makes has a
role (SPEC §6):

* `Core`: the request a stream cannot do without. Refused (403, or 404 where the platform
  answers a missing permission that way), it raises `StreamUnavailableError`; the engine
  skips those streams for the account, warns naming the permission, and the run goes on.
* `Enrichment`: a request that only fills some columns (catalogs, labels, details). Refused
  or missing (403/404), it is skipped with one WARNING per endpoint naming the resource and
  the permission, and those columns stay null.

Refused credentials (401) and rate-limit answers are never taken for either: the HTTP layer
has already classified them (`AuthenticationError`, retries) before a role is consulted.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from dataclasses import dataclass

from tap_webinars.errors import (
    AuthenticationError,
    RequestFailedError,
    ResourceRefusedError,
    StreamUnavailableError,
)

T = t.TypeVar("T")

LOGGER = logging.getLogger("tap_webinars.permissions")


@dataclass(frozen=True)
class Core:
    """A request some streams cannot do without."""

    streams: tuple[str, ...]
    permission: str  # the permission or OAuth scope to ask the platform's admin for
    refused_statuses: frozenset[int] = frozenset({403})


@dataclass(frozen=True)
class Enrichment:
    """A request that only fills some columns."""

    what: str  # the resource, in the user's words: "survey catalog"
    permission: str
    columns: tuple[str, ...] = ()
    refused_statuses: frozenset[int] = frozenset({403, 404})


def is_refusal(error: BaseException, statuses: frozenset[int]) -> bool:
    """A permission refusal: a status in *statuses* or the platform's own code; never 401."""
    return (
        isinstance(error, RequestFailedError)
        and not isinstance(error, AuthenticationError)
        and (error.status in statuses or isinstance(error, ResourceRefusedError))
    )


class Permissions:
    """Applies request roles for one adapter; remembers what was skipped, for the summary."""

    def __init__(self, platform: str, logger: logging.Logger | None = None) -> None:
        self.platform = platform
        self.logger = logger or LOGGER
        self.skipped: dict[str, str] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        # Enrichments by name: True granted, False refused. Permissions belong to the
        # credentials, not to an event, so a refused one is not asked again this run, and
        # the first read of each is made alone (one refused request, not one per thread).
        self._granted: dict[str, bool] = {}
        self._first_reads: dict[str, threading.Lock] = {}

    def core(self, role: Core, read: t.Callable[[], T]) -> T:
        """Run *read*; a refusal becomes StreamUnavailableError for the role's streams."""
        try:
            return read()
        except RequestFailedError as error:
            if is_refusal(error, role.refused_statuses):
                raise StreamUnavailableError(
                    role.streams, error.endpoint, role.permission, error.status, error.answer
                ) from None
            raise

    def core_items(self, role: Core, items: t.Iterable[T]) -> t.Iterator[T]:
        """Iterate *items* (a paged read); a refusal on any page is the streams' refusal."""
        iterator = iter(items)
        while True:
            try:
                item = self.core(role, lambda: next(iterator))
            except StopIteration:
                return
            yield item

    def optional(self, role: Enrichment, read: t.Callable[[], T]) -> T | None:
        """Run *read*; a refusal costs the role's columns and one warning, and gives None.

        Once refused, the role is not asked again this run: later calls give None at once.
        """
        if role.what not in self._granted:
            with self._lock:
                first_read = self._first_reads.setdefault(role.what, threading.Lock())
            with first_read:
                if role.what not in self._granted:
                    return self._attempt(role, read)
        return self._attempt(role, read) if self._granted[role.what] else None

    def granted(self, role: Enrichment) -> bool:
        """Whether *role* has been read successfully this run (not merely not refused)."""
        return self._granted.get(role.what) is True

    def _attempt(self, role: Enrichment, read: t.Callable[[], T]) -> T | None:
        try:
            result = read()
        except RequestFailedError as error:
            if not is_refusal(error, role.refused_statuses):
                raise
            self._granted[role.what] = False
            self._note(role, error)
            return None
        self._granted.setdefault(role.what, True)
        return result

    def skip_item(self, what: str, reason: str) -> None:
        """Skip one item refused on its own (an event the credentials may not report on).

        The item is skipped, not its streams: one WARNING per item, and the summary lists it.
        """
        with self._lock:
            first = what not in self.skipped
            self.skipped.setdefault(what, reason)
        if first:
            self.logger.warning("%s: skipping %s: %s", self.platform, what, reason)

    def _note(self, role: Enrichment, error: RequestFailedError) -> None:
        endpoint = error.endpoint or role.what
        reason = (
            f"{role.what} refused ({error.answer}) at {endpoint}; "
            f"{', '.join(role.columns) or 'its columns'} left null; "
            f"ask for the permission {role.permission}"
        )
        with self._lock:
            first = endpoint not in self._warned
            self._warned.add(endpoint)
            self.skipped.setdefault(role.what, reason)
        if first:
            self.logger.warning("%s: %s", self.platform, reason)
