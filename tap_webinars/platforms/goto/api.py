"""GoTo's JSON reads: a bearer token on every call, and paging whatever envelope comes back.

Collections answer in three shapes, all paged from 0: `{_embedded: {<name>: [...]}, page:
{size, totalElements, totalPages, number}}` (webinars, sessions; `_embedded` is left out
when there is nothing), `{data, total, page, limit, pageSize}` (registrants asked with
`page`/`limit`), and a bare array (registrants without them, attendees, Q&A, answers),
which is the whole collection. `read_all` takes each as it comes.
"""

from __future__ import annotations

import threading
import typing as t

from tap_webinars.client import endpoint_of, json_body
from tap_webinars.errors import AuthenticationError, PayloadError
from tap_webinars.http import HttpClient
from tap_webinars.platforms.goto.auth import CREDENTIAL_KEYS, RefreshToken

PAGE_SIZE = 200  # the documented maximum of `size` and `limit`
MAX_PAGES = 10_000


class GoToApi:
    """The API under one base URL, authorised by a refresh-token session."""

    def __init__(self, http: HttpClient, base_url: str, token: RefreshToken) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._local = threading.local()
        self._worked: set[str] = set()  # tokens the API has accepted at least once

    def url(self, path: str) -> str:
        """The full URL of *path*."""
        return self.base_url + path

    def headers(self) -> dict[str, str]:
        """The Authorization header, remembering per thread which token went out."""
        current = self.token.current()
        self._local.sent = current
        return {"Authorization": f"Bearer {current}", "Accept": "application/json"}

    def reauthenticate(self) -> None:
        """A 403 said the token expired: renew it, once per request.

        A token renewed for this very request that the API never accepted fails the run:
        the credentials, not the clock, are wrong.
        """
        stale = getattr(self._local, "sent", None)
        fresh = stale is not None and stale == getattr(self._local, "renewed", None)
        if fresh and stale not in self._worked:  # renewed for this request, never accepted
            raise AuthenticationError(
                "goto: a newly issued access token was refused (HTTP 403 invalid token); "
                f"check the settings {', '.join(CREDENTIAL_KEYS)}",
                status=403,
            )
        self._local.renewed = self.token.renew(stale)

    def get(self, path: str, params: t.Mapping[str, t.Any] | None = None) -> tuple[t.Any, str]:
        """GET *path*: its decoded JSON (an object or an array) and its endpoint."""
        response = self.http.request(
            "GET", self.url(path), params=dict(params or {}), headers=self.headers
        )
        self._local.renewed = None  # the next expiry on this thread may be renewed again
        if len(self._worked) < 1000:
            self._worked.add(self._local.sent)
        return json_body(response), endpoint_of(response)

    def read_all(
        self,
        path: str,
        params: t.Mapping[str, t.Any],
        name: str,
        *,
        size_param: str = "size",
    ) -> list[dict[str, t.Any]]:
        """Every item of a collection, pages from 0 until the envelope's total is reached."""
        items: list[dict[str, t.Any]] = []
        page = 0
        while True:
            body, endpoint = self.get(path, {**params, "page": page, size_param: PAGE_SIZE})
            if isinstance(body, list):  # a bare array is the whole collection
                return objects(endpoint, body, name)
            chunk, total = _envelope(endpoint, body, name)
            items.extend(objects(endpoint, chunk, name))
            if not chunk or len(items) >= total:
                return items
            page += 1
            if page >= MAX_PAGES:
                raise PayloadError(endpoint, f"still paging after {MAX_PAGES} pages")

    def read_list(self, path: str, name: str) -> list[dict[str, t.Any]]:
        """A collection the API answers as one bare array (attendees, Q&A, answers)."""
        body, endpoint = self.get(path)
        if not isinstance(body, list):
            raise PayloadError(endpoint, f"expected an array of {name}")
        return objects(endpoint, body, name)


def _envelope(endpoint: str, body: t.Any, name: str) -> tuple[list[t.Any], int]:
    """A page's items and the collection's total, from either paged envelope."""
    if not isinstance(body, dict):
        raise PayloadError(endpoint, f"expected an array or a paged object of {name}")
    if "data" in body:
        chunk, total = body.get("data"), body.get("total")
    elif isinstance(body.get("page"), dict):
        embedded = body.get("_embedded")
        chunk = embedded.get(name) if isinstance(embedded, dict) else None
        if embedded is None:
            chunk = []  # `_embedded` is left out of an empty page
        total = body["page"].get("totalElements")
    else:
        raise PayloadError(endpoint, f"no '_embedded.{name}', 'data' or array in the answer")
    if not isinstance(chunk, list):
        raise PayloadError(endpoint, f"expected a list of {name}")
    if isinstance(total, str) and total.strip().isdigit():
        total = int(total)
    if not isinstance(total, int) or isinstance(total, bool):
        raise PayloadError(endpoint, f"no total count of {name} in the envelope")
    return chunk, total


def objects(endpoint: str, items: list[t.Any], name: str) -> list[dict[str, t.Any]]:
    """The items, each an object, or a PayloadError naming the endpoint."""
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError(endpoint, f"an item of {name} is not an object")
    return items
