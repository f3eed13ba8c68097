"""The sync engine between the streams and a platform adapter.

Per run it lists the events, decides which changed since their bookmark (or still sit in the
lookback window), fetches those in parallel — up to `max_concurrency` and the platform's own
cap, a bounded distance ahead — and hands each event's bundle to the events stream and its
children in a fixed order. An event's requests are ranked by its place in that order, so
the one the output waits for is served first; where the adapter lists in parts, the first
events are fetched while the rest of the listing is still read. Bookmarks are written by
the SDK when the event's record is emitted, which it does after the event's children: a
bookmark never passes unemitted data.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from tap_webinars.errors import PermissionDeniedError, StreamUnavailableError
from tap_webinars.http import request_rank
from tap_webinars.normalize import format_timestamp, parse_timestamp, utc_now
from tap_webinars.platforms.base import EventBundle, EventRef, PlatformAdapter, Window
from tap_webinars.progress import RunReport
from tap_webinars.records import RecordLines
from tap_webinars.settings import Settings

LOGGER = logging.getLogger("tap_webinars.sync")


def needs_fetch(ref: EventRef, since: datetime | None, now: datetime, settings: Settings) -> bool:
    """Tell whether an event must be read this run.

    New events, events whose activity moved past their bookmark, events whose platform
    cannot say (marker unknown), and events active within the lookback window (their late
    data may still be arriving) are read; the rest, and events with no activity at all once
    read, are left alone.
    """
    if since is None or not ref.marker_known:
        return True
    if ref.marker is None:
        return False
    return ref.marker > since or ref.marker >= now - settings.lookback


def read_window(since: datetime | None, settings: Settings) -> Window:
    """The activity span to read for an event with bookmark *since*."""
    start = settings.start_date
    if since is not None:
        start = max(start, since - settings.lookback)
    return Window(start=start, end=settings.end_date, since=since)


@t.runtime_checkable
class ListsInParts(t.Protocol):
    """An adapter whose listing can be used part by part, as each part is read.

    The parts come oldest activity first: no event of a part is active later than those of
    the parts after it, except an event listed again by a later part (its activity moved
    while the listing was read), where the later part's ref is the one that counts. The
    refs of every part, later ones winning, are what `list_events` returns.
    """

    def list_events_in_parts(
        self, bookmarks: t.Mapping[str, datetime]
    ) -> t.Iterator[list[EventRef]]:
        """The listing, part by part, each as soon as it is read."""


class Prefetcher:
    """Fetches bundles in a thread pool of `workers`, in order, ahead of the consumer.

    Up to `AHEAD_PER_WORKER` events per worker are queued past the one being consumed, so a
    worker that finishes a short event starts the next while a long one is still read: the
    pool never idles behind a slow event, and still at most `workers` events are read at once.

    Before the plan is known, `start_early` may begin the events it will most likely start
    with (the first parts of a listing still being read), no more than it would queue once
    it is known. `plan` keeps each early fetch whose event it plans with the very ref it was
    fetched with (so the event was read after the listing saw that activity) and drops the
    others; in the usual case every early fetch is used, and the requests are the same.
    """

    AHEAD_PER_WORKER = 2

    def __init__(self, fetch: t.Callable[[EventRef], EventBundle], workers: int) -> None:
        self._fetch = fetch
        self._refs: list[EventRef] = []
        self._position: dict[str, int] = {}
        self._workers = max(1, workers)
        self._pool = (
            ThreadPoolExecutor(self._workers, thread_name_prefix="event")
            if self._workers > 1
            else None
        )
        self._futures: dict[int, Future[EventBundle]] = {}
        self._early: dict[str, tuple[EventRef, Future[EventBundle]]] = {}
        self._next_submit = 0

    @property
    def ahead(self) -> int:
        """How many events past the one being consumed are fetched at once."""
        return self._workers * self.AHEAD_PER_WORKER

    @property
    def starts_early(self) -> bool:
        """Whether fetching before the plan is known can win anything (workers in parallel)."""
        return self._pool is not None

    def start_early(self, refs: t.Sequence[EventRef]) -> None:
        """Begin fetching the first of *refs*, the likely start of the plan, before it is known.

        At most as many events as `get` keeps queued from the first one are started.
        """
        if self._pool is None or self._refs:
            return
        for ref in refs[: self.ahead + 1]:
            if len(self._early) > self.ahead:
                break
            if ref.event_id not in self._early:
                rank = len(self._early) + 1
                self._early[ref.event_id] = (ref, self._pool.submit(self._ranked, rank, ref))

    def plan(self, refs: list[EventRef]) -> None:
        """The events to fetch, in the order they will be asked for."""
        self._refs = refs
        self._position = {ref.event_id: i for i, ref in enumerate(refs)}
        early, self._early = self._early, {}
        for event_id, (fetched_with, future) in early.items():
            index = self._position.get(event_id)
            if index is not None and _same_ref(refs[index], fetched_with):
                self._futures[index] = future
            else:  # not planned, or listed again with newer activity: read again in turn
                _discard(future)

    def get(self, event_id: str) -> EventBundle:
        """Return the bundle of *event_id*, fetching ahead for the events after it."""
        index = self._position[event_id]
        if self._pool is None:
            return self._fetch(self._refs[index])
        self._next_submit = max(self._next_submit, index)
        while self._next_submit < min(len(self._refs), index + self.ahead + 1):
            if self._next_submit not in self._futures:
                ref = self._refs[self._next_submit]
                rank = self._next_submit + 1
                self._futures[self._next_submit] = self._pool.submit(self._ranked, rank, ref)
            self._next_submit += 1
        future = self._futures.pop(index, None)
        if future is None:  # asked out of order (e.g. a retried partition): fetch directly
            return self._fetch(self._refs[index])
        return future.result()

    def _ranked(self, rank: int, ref: EventRef) -> EventBundle:
        """Fetch *ref*, its requests ranked by its place in the run (the earlier, the sooner)."""
        with request_rank(rank):
            return self._fetch(ref)

    def close(self) -> None:
        """Stop fetching ahead and drop bundles nobody will read."""
        if self._pool is not None:
            pending = [*self._futures.values(), *(future for _, future in self._early.values())]
            for future in pending:
                future.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
            for future in pending:
                if future.done() and not future.cancelled() and future.exception() is None:
                    future.result().close()
            self._futures.clear()
            self._early.clear()


def _same_ref(planned: EventRef, fetched_with: EventRef) -> bool:
    """Whether a bundle fetched with *fetched_with* is the one *planned* asks for."""
    return planned == fetched_with and planned.listing == fetched_with.listing


def _discard(future: Future[EventBundle]) -> None:
    """An early fetch nobody will read: cancelled, or its bundle closed once it is done."""
    if future.cancel():
        return

    def close(done: Future[EventBundle]) -> None:
        if not done.cancelled() and done.exception() is None:
            done.result().close()

    future.add_done_callback(close)


class SyncRun:
    """One tap run against one platform account: the plan and the bundles in flight."""

    def __init__(
        self,
        adapter: PlatformAdapter,
        *,
        bookmarks: t.Mapping[str, str],
        wanted: frozenset[str],
    ) -> None:
        self.adapter = adapter
        self.settings = adapter.settings
        self.started_at = utc_now()
        self.wanted = wanted & adapter.filled_streams
        self._bookmarks = {k: parse_timestamp(v) for k, v in bookmarks.items() if v}
        self._refs: list[EventRef] | None = None
        self._prefetcher: Prefetcher | None = None
        self._bundles: dict[str, EventBundle] = {}
        self._lock = threading.Lock()
        self.report = RunReport(adapter.name, adapter.http.stats)
        self.unavailable: set[str] = set()
        self.events_selected = "events" in wanted

    def plan(self) -> list[EventRef]:
        """The events to read this run, oldest activity first.

        That order means an interrupted run resumes from a listing window that still covers
        every event it did not finish.
        """
        if self._refs is None:
            workers = min(self.settings.max_concurrency, self.adapter.max_parallel_events)
            prefetcher = Prefetcher(self._fetch, workers)
            self._prefetcher = prefetcher
            listed = self._list_events(prefetcher)
            refs = self._to_read(listed)
            LOGGER.info(
                "%s: %d events listed, %d to read", self.adapter.name, len(listed), len(refs)
            )
            self.report.planned(len(listed), len(refs))
            self.adapter.prepare(
                {
                    ref.event_id: read_window(self._bookmarks.get(ref.event_id), self.settings)
                    for ref in refs
                }
            )
            prefetcher.plan(refs)
            self._refs = refs
        return self._refs

    def _to_read(self, listed: t.Iterable[EventRef]) -> list[EventRef]:
        """The listed events that need reading, in the order they are read."""
        wanted_ids = self.settings.event_ids
        refs = [
            ref
            for ref in listed
            if (wanted_ids is None or ref.event_id in wanted_ids)
            and needs_fetch(ref, self._bookmarks.get(ref.event_id), self.started_at, self.settings)
        ]
        refs.sort(key=lambda r: (r.marker or self.started_at, r.event_id))
        return refs

    def _list_events(self, prefetcher: Prefetcher) -> list[EventRef]:
        """The adapter's listing; read in parts, the first events are fetched meanwhile.

        Only where the adapter lists in parts and needs no `prepare` before its first fetch:
        the events the parts read so far put first are most likely the plan's first, so
        the pool starts on them instead of idling until the last part is read.
        """
        adapter = self.adapter
        if not (
            prefetcher.starts_early
            and type(adapter).prepare is PlatformAdapter.prepare
            and isinstance(adapter, ListsInParts)
        ):
            return adapter.list_events(self._bookmarks)
        listed: dict[str, EventRef] = {}
        for part in adapter.list_events_in_parts(self._bookmarks):
            for ref in part:
                listed[ref.event_id] = ref  # listed again: the later part's ref counts
            prefetcher.start_early(self._to_read(listed.values()))
        return list(listed.values())

    def _fetch(self, ref: EventRef) -> EventBundle:
        since = self._bookmarks.get(ref.event_id)
        while True:
            with self._lock:
                wanted = self.wanted - self.unavailable
            try:
                bundle = self.adapter.fetch_event(ref, read_window(since, self.settings), wanted)
                break
            except StreamUnavailableError as refused:
                self._skip_streams(refused)
        # Where the listing cannot tell activity, the event was read through the run's
        # start: that, not the latest record, is what the next run's window starts from
        # (a one-time webinar's sessions all share one time and would be re-read forever).
        reported = bundle.event.get("last_activity_at") if ref.marker_known else None
        bundle.event["last_activity_at"] = self._bookmark_value(
            reported, None if not ref.marker_known else since
        )
        return bundle

    def _skip_streams(self, refused: StreamUnavailableError) -> None:
        """Skip the refused streams for this account (or fail, with strict permissions).

        The event is then read again without them: the other streams complete, and no
        later event asks for what was refused.
        """
        if self.settings.strict_permissions:
            raise PermissionDeniedError(
                f"{self.adapter.name}: {refused} (strict_permissions is on)",
                status=refused.status,
                endpoint=refused.endpoint,
            ) from None
        with self._lock:
            new = [s for s in refused.streams if s not in self.unavailable]
            self.unavailable.update(refused.streams)
        for stream in new:
            reason = f"{refused.permission} refused ({refused.answer}) at {refused.endpoint}"
            self.report.skip(stream, reason)
            LOGGER.warning(
                "%s: skipping stream %s for this account: %s; ask for the permission %s",
                self.adapter.name,
                stream,
                f"access refused ({refused.answer}) at {refused.endpoint}",
                refused.permission,
            )

    def _bookmark_value(self, reported: str | None, since: datetime | None) -> str:
        """Never move a bookmark backwards, nor past the moment this run started.

        An event with no activity at all is bookmarked at the run's start: it has been
        read, and any activity it gets later will be newer than that.
        """
        candidates = [parse_timestamp(reported)] if reported else []
        if since is not None:
            candidates.append(since)
        if not candidates:
            return format_timestamp(self.started_at)
        return format_timestamp(min(max(candidates), self.started_at))

    def open_event(self, event_id: str) -> EventBundle:
        """Fetch (or collect the prefetched) bundle of *event_id* for its streams to read."""
        self.plan()
        assert self._prefetcher is not None
        bundle = self._prefetcher.get(event_id)
        with self._lock:
            self._bundles[event_id] = bundle
        return bundle

    def records(self, event_id: str, stream: str) -> RecordLines | None:
        """The records of *stream* in the open bundle of *event_id* (None: it has none)."""
        with self._lock:
            bundle = self._bundles.get(event_id)
        return None if bundle is None else bundle.records.get(stream)

    def close_event(self, event_id: str) -> None:
        """All streams have read *event_id*: free its bundle."""
        with self._lock:
            bundle = self._bundles.pop(event_id, None)
        if bundle is not None:
            for stream, spool in bundle.records.items():
                self.report.records[stream] += len(spool)
            if self.events_selected:
                self.report.records["events"] += 1
            bundle.close()
            self.report.event_done()

    def close(self) -> None:
        """End of run: stop prefetching and free whatever is left."""
        if self._prefetcher is not None:
            self._prefetcher.close()
        for event_id in list(self._bundles):
            self.close_event(event_id)
        for what, why in self.adapter.permissions.skipped.items():
            self.report.skip(what, why)
        self.report.summarise()
