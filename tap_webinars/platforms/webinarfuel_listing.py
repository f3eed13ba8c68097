"""WebinarFuel's page-number listings, read so that a listing changing underneath is noticed.

Page-number paging shifts when records are added or removed while the tap pages: a record
slides from an unread page onto a read one and is missed, or is read twice. Every page
states `meta.total_items` and `meta.total_pages`, so a listing is read again from page 1
when a page's totals differ from page 1's, when a page repeats its predecessor, when an id
turns up twice, or when a page comes back empty before `meta.total_pages`. A listing still
changing after `MAX_READS` reads fails with one error naming the endpoint. No request is
added to a listing that holds still.

What page numbers cannot show: as many records added as removed between two page reads
(the totals stay put). The registrants directory heals that itself (an id the listing
missed is asked for by id); for sessions it is the residual risk of the API's paging.
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass

import requests

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi, TotalPagesPaginator, endpoint_of, json_body
from tap_webinars.errors import PayloadError

LOGGER = logging.getLogger("tap_webinars.webinarfuel")

PER_PAGE = 50  # documented maximum for per_page and sessions_limit
MAX_READS = 3  # a listing read this often without holding still fails


@dataclass(frozen=True)
class Collection:
    """A paged WebinarFuel listing: its path, the key of its items and of their ids."""

    path: str
    items: str
    key: str = "id"

    def pages(self, start: int = 1, per_page: int = PER_PAGE) -> TotalPagesPaginator:
        """A walk of its pages (`page`, `per_page`) from *start* to `meta.total_pages`."""
        return TotalPagesPaginator(self.items, page_size=per_page, start=start)

    def identity(self, endpoint: str, item: t.Any) -> str:
        """The item's id as a string, or a PayloadError naming the endpoint."""
        value = n.identifier(item.get(self.key)) if isinstance(item, dict) else None
        if value is None:
            raise PayloadError(endpoint, f"a '{self.items}' item has no '{self.key}'")
        return value


class ListingChangedError(Exception):
    """The listing changed while it was paged (internal: the read is started again)."""


def read_listing(
    api: JsonApi,
    collection: Collection,
    params: t.Mapping[str, t.Any],
    *,
    first: requests.Response | None = None,
) -> list[dict[str, t.Any]]:
    """Every item of a listing, read until one whole pass held still.

    *first* is page 1 when the caller already has it (a probe it reused).
    """
    reasons: list[str] = []
    for attempt in range(MAX_READS):
        try:
            return _read_once(api, collection, params, first if attempt == 0 else None)
        except ListingChangedError as change:
            reasons.append(str(change))
            LOGGER.info(
                "webinarfuel: %s changed while it was paged (%s); reading it again",
                api.url(collection.path),
                change,
            )
    raise PayloadError(
        api.url(collection.path),
        f"the listing kept changing while it was paged ({MAX_READS} reads; last: "
        f"{reasons[-1]}); nothing of it was emitted, run the sync again later",
    )


def _read_once(
    api: JsonApi,
    collection: Collection,
    params: t.Mapping[str, t.Any],
    first: requests.Response | None,
) -> list[dict[str, t.Any]]:
    pages = collection.pages()
    response = first or api.request(collection.path, {**params, **pages.params()})
    expected = totals(response)
    items: list[dict[str, t.Any]] = []
    seen: set[str] = set()
    previous: list[str] | None = None
    while True:
        endpoint = endpoint_of(response)
        page = pages.current_value
        found = pages.items(response)
        ids = [collection.identity(endpoint, item) for item in found]
        if totals(response) != expected:
            raise ListingChangedError(
                f"page {page} says {_describe(totals(response))}, page 1 said {_describe(expected)}"
            )
        if previous and ids == previous:
            raise ListingChangedError(f"page {page} repeats page {page - 1}")
        if twice := seen.intersection(ids):
            raise ListingChangedError(f"id {min(twice)} listed twice")
        if not found and page < pages.total_pages(response):
            raise ListingChangedError(f"page {page} is empty before the last page")
        items.extend(found)
        seen.update(ids)
        previous = ids
        pages.advance(response)
        if pages.finished:
            return items
        response = api.request(collection.path, {**params, **pages.params()})


def totals(response: requests.Response) -> tuple[int | None, int]:
    """`meta.total_items` (None if the API leaves it out) and `meta.total_pages`."""
    body = json_body(response)
    meta = body.get("meta") if isinstance(body, dict) else None
    raw = meta.get("total_items") if isinstance(meta, dict) else None
    total_items = None
    if raw is not None:
        try:
            total_items = n.integer(raw)
        except (TypeError, ValueError):
            raise PayloadError(endpoint_of(response), f"meta.total_items is {raw!r}") from None
    return total_items, TotalPagesPaginator.total_pages(response)


def _describe(value: tuple[int | None, int]) -> str:
    return f"{value[0]} items in {value[1]} pages"
