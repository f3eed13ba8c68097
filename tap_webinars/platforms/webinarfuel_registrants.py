"""WebinarFuel registrant details for the sessions being read, fetched the cheaper way.

The API cannot filter registrants by webinar: the tap either asks for each by id
(`GET /registrants/{id}`, wrapped as `{"registrant": {...}}`), or reads the account's listing
(`GET /registrants`, 50 a request). Not knowing how many a run will need, it asks by id until
those requests plus the ones at hand would pay for the rest of the listing, then reads the
listing (rent or buy): never more than about twice the cheaper choice, and a run that needs
a few registrants never reads the whole account. An id the listing missed (it shifted while
paged) is simply asked for by id.
"""

from __future__ import annotations

import threading
import typing as t

from tap_webinars.client import JsonApi, json_body
from tap_webinars.errors import PayloadError, RequestFailedError
from tap_webinars.platforms.webinarfuel_listing import Collection

REGISTRANTS = Collection("/registrants", "registrants")
REGISTRANT_PATH = "/registrants/{registrant_id}"
# Refused (403), or the listing not served under this api_url (404); by id, 404 is "deleted".
REFUSED = frozenset({403, 404})


class RegistrantDirectory:
    """Registrants by id, as far as the sessions being read need them.

    A refusal is remembered and raised again for every later lookup, without a request:
    the adapter decides what it costs (the registrants stream, or only emails).
    """

    def __init__(self, api: JsonApi) -> None:
        self.api = api
        self.known: dict[str, dict[str, t.Any]] = {}
        self._refusal: RequestFailedError | None = None
        self._total_pages: int | None = None
        self._next_page = 1
        self._read_by_id = 0
        self._lock = threading.Lock()

    def lookup(self, ids: set[str]) -> dict[str, dict[str, t.Any]]:
        """The registrants among *ids* that exist; absent ones were deleted from the account."""
        with self._lock:
            if self._refusal is not None:
                raise self._refusal
            try:
                self._fetch(ids)
            except RequestFailedError as error:
                if error.status in REFUSED:
                    self._refusal = error
                raise
            return {i: self.known[i] for i in ids if i in self.known}

    def _fetch(self, ids: set[str]) -> None:
        if ids - self.known.keys() and self._total_pages is None:
            self._read_listing_page()
        missing = ids - self.known.keys()
        remaining_pages = (self._total_pages or 0) - self._next_page + 1
        if missing and self._read_by_id + len(missing) > remaining_pages:
            while self._next_page <= (self._total_pages or 0):
                self._read_listing_page()
        for registrant_id in sorted(ids - self.known.keys()):
            self._read_one(registrant_id)

    def _read_listing_page(self) -> None:
        pages = REGISTRANTS.pages(start=self._next_page)
        response = self.api.request(REGISTRANTS.path, pages.params())
        registrants = pages.items(response)
        self._total_pages = pages.total_pages(response)
        self._next_page += 1
        endpoint = self.api.url(REGISTRANTS.path)
        for registrant in registrants:
            self.known[REGISTRANTS.identity(endpoint, registrant)] = registrant

    def _read_one(self, registrant_id: str) -> None:
        self._read_by_id += 1
        path = REGISTRANT_PATH.format(registrant_id=registrant_id)
        try:
            body = json_body(self.api.request(path))
        except RequestFailedError as error:
            if error.status == 404:  # deleted since its session was listed
                return
            raise
        registrant = body.get("registrant") if isinstance(body, dict) else None
        if not isinstance(registrant, dict):
            raise PayloadError(self.api.url(path), "expected an object with a 'registrant' object")
        self.known[registrant_id] = registrant
