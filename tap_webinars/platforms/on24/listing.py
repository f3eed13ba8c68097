"""ON24's paged listings, used only once one read of all their pages proved consistent.

Offset paging is not a snapshot: a registration or deletion between two page reads shifts
the rows. A listing is used only when one read of all its pages saw one total, no row twice
and as many rows as that total; otherwise it is read again (up to three times), then the run
fails naming it. Nothing from an inconsistent read is emitted, so no bookmark passes it.

Until then the pages stay JSON (`raw_pages.PageSpool`): the check reads only each item's
key, which the page's envelope read gives (`OffsetTotalPaginator.keys`).
"""

from __future__ import annotations

import json
import typing as t
from concurrent.futures import Future
from dataclasses import dataclass, field

import requests

from tap_webinars import normalize as n
from tap_webinars.errors import PayloadError
from tap_webinars.http import settle, submit_here
from tap_webinars.permissions import Core
from tap_webinars.platforms.base import EventRef
from tap_webinars.platforms.on24.api import MAX_READS, Collection, Context
from tap_webinars.raw_pages import PageSpool, decode

PageSeen = t.Callable[[t.Sequence[bytes]], None]


def read_listing(
    adapter: Context,
    collection: Collection,
    params: t.Mapping[str, t.Any],
    role: Core | None,
    *,
    seen: PageSeen | None = None,
    **path_args: str,
) -> PageSpool:
    """Every item of a listing, from one read of its pages that did not change under it.

    A spool the caller closes. A refusal is the *role*'s (None: the caller's to handle).
    An inconsistent read is read again; after MAX_READS the listing fails, naming its
    endpoint and what changed. *seen* is shown each page's items (their JSON bytes) as the
    page arrives (of every read, even one read again).
    """
    path = collection.path.format(**path_args)
    problem = ""
    for attempt in range(1, MAX_READS + 1):
        spool = PageSpool()
        try:
            problem = _read_once(adapter, collection, path, params, role, spool=spool, seen=seen)
        except BaseException:
            spool.close()
            raise
        if not problem:
            return spool
        spool.close()
        if attempt < MAX_READS:
            adapter.logger.warning(
                "on24: %s changed while it was paged (%s); reading it again", path, problem
            )
    raise PayloadError(
        adapter.api.url(path),
        f"the listing changed while it was paged in {MAX_READS} reads in a row (last: "
        f"{problem}); nothing from it was emitted and its event keeps its bookmark",
    )


def _read_once(
    adapter: Context,
    collection: Collection,
    path: str,
    params: t.Mapping[str, t.Any],
    role: Core | None,
    *,
    spool: PageSpool,
    seen: PageSeen | None = None,
) -> str:
    """Read every page into *spool*; return what made the read inconsistent, or ""."""
    pages = collection.pages()
    check = ListingCheck()
    reads: t.Iterable[tuple[requests.Response, list[bytes]]] = adapter.api.pages(
        path, params, pages, concurrent_pages=True
    )
    if role is not None:
        reads = adapter.permissions.core_items(role, reads)
    try:
        for response, items in reads:
            check.see(items, pages.keys(response), pages.total)
            if seen is not None:
                seen(items)
            spool.append_page(items)
    except PayloadError:
        if pages.repeated_page is None:
            raise
        return f"page {pages.repeated_page} repeated page {pages.repeated_page - 1}"
    return check.problem(pages.total)


@dataclass
class ListingCheck:
    """Whether one read of a paged listing is a consistent picture of it.

    One total throughout, no row twice and as many rows as that total is a read that
    missed nothing.
    """

    keys: set[str] = field(default_factory=set)
    totals: list[int] = field(default_factory=list)
    twice: int = 0

    def see(self, items: list[bytes], keys: list[t.Any], total: int | None) -> None:
        """Note one page: its items (JSON bytes), their keys as sent, the total it announced.

        An item without a key is told apart by its whole content.
        """
        self._total(total)
        found = [n.identifier(key) for key in keys]
        ids = (
            [
                json.dumps(decode(item), sort_keys=True, default=str) if key is None else key
                for item, key in zip(items, found, strict=True)
            ]
            if None in found
            else t.cast("list[str]", found)
        )
        page = set(ids)
        self.twice += len(ids) - len(page) + len(page & self.keys)
        self.keys |= page

    def problem(self, last_total: int | None) -> str:
        """What makes the read incomplete, in words; "" when it is complete."""
        self._total(last_total)
        if len(self.totals) > 1:
            return f"its total went {' -> '.join(str(total) for total in self.totals)}"
        if self.twice:
            return f"{self.twice} items came twice"
        total = self.totals[0] if self.totals else 0
        if len(self.keys) < total:
            return f"{total - len(self.keys)} of the {total} items it announced never came"
        return ""

    def _total(self, total: int | None) -> None:
        if total is not None and (not self.totals or self.totals[-1] != total):
            self.totals.append(total)


class ListingReads:
    """Listings read at once, each on its own thread, and used in the order the caller asks.

    Every request still goes through the HTTP client, whose one cap bounds the requests in
    flight. On leaving the block, reads nobody used are waited for and their spools freed,
    so no request of a failed event outlives it.
    """

    def __init__(self, adapter: Context) -> None:
        self.adapter = adapter
        self._started: list[Future[PageSpool]] = []

    def __enter__(self) -> ListingReads:
        return self

    def __exit__(self, *_exc: object) -> None:
        settle(self._started, PageSpool.close)

    def start(
        self,
        collection: Collection,
        params: t.Mapping[str, t.Any],
        role: Core | None,
        *,
        seen: PageSeen | None = None,
        **path_args: str,
    ) -> Future[PageSpool]:
        """Begin reading a listing (see `read_listing`)."""
        read = submit_here(
            self.adapter.listing_threads(),
            read_listing,
            self.adapter,
            collection,
            params,
            role,
            seen=seen,
            **path_args,
        )
        self._started.append(read)
        return read

    def items(self, read: Future[PageSpool]) -> t.Iterator[dict[str, t.Any]]:
        """The listing's items, once it is read (its refusal or failure raised here)."""
        self._started.remove(read)
        spool = read.result()
        try:
            yield from spool
        finally:
            spool.close()


def latest(parts: t.Iterable[list[EventRef]]) -> dict[str, EventRef]:
    """The events of a listing's parts by id; activity during the walk: the later part wins."""
    listed: dict[str, EventRef] = {}
    for part in parts:
        for ref in part:
            listed[ref.event_id] = ref
    return listed
