"""What platform adapters share above the HTTP layer: JSON reads, paging, credentials.

`http.py` sends one request well (retries, pacing, rate limits, redaction). This module
turns requests into what an adapter reads:

* `JsonApi`: a base URL plus an auth source; `get` returns a JSON object, `paged` every item
  of a collection, driven by a paginator;
* paginators, on singer-sdk's classes: page numbers up to `meta.total_pages`
  (`TotalPagesPaginator`), page indexes up to an envelope total (`OffsetTotalPaginator`), and
  a cursor token in the body (`NextTokenPaginator`);
* `SessionSource`: a credential obtained by one call and renewed before it lapses or when the
  platform refuses it; `ClientCredentialsToken` is the OAuth2 client-credentials kind, and a
  login session (user name and password for a session id) is another.

Each of these exists once; an adapter states its endpoints and picks its pieces.
"""

from __future__ import annotations

import abc
import functools
import json
import threading
import time
import typing as t
from concurrent.futures import Future

import msgspec
import requests
from singer_sdk.pagination import JSONPathPaginator, PageNumberPaginator
from typing_extensions import override

from tap_webinars import raw_pages, redaction
from tap_webinars.errors import AuthenticationError, PayloadError, RequestFailedError
from tap_webinars.http import BrokenBody, HttpClient, decode_json, settle
from tap_webinars.redaction import redact_url

T = t.TypeVar("T")

_BODY = "_tap_webinars_body"
_BRACE = ord("{")  # the first byte of a JSON object


def json_body(response: requests.Response) -> t.Any:
    """The decoded JSON body of *response*, decoded once however often it is asked for."""
    cached = response.__dict__.get(_BODY, _BODY)
    if cached is _BODY:
        cached = decode_json(response)
        response.__dict__[_BODY] = cached
    return cached


def json_check(response: requests.Response) -> None:
    """A response check: the body is JSON, decoded now; a broken one is asked for again.

    An HTML page behind a 200 or a body cut off in transit is what a proxy or a dropped
    connection sends, not what the API means, so the HTTP layer tries it again a few times
    (within the request's retry budget) before it fails naming the endpoint.
    """
    try:
        json_body(response)
    except PayloadError as error:
        raise BrokenBody(error.problem) from None


def endpoint_of(response: requests.Response) -> str:
    """The response's URL without its query, secrets removed: how errors name an endpoint."""
    return redact_url(response.url.split("?", 1)[0])


# ------------------------------------------------------------------------------ paging


class Paging(t.Protocol):
    """What `JsonApi.paged` needs of a paginator (singer-sdk's interface plus two hooks)."""

    items_key: str
    replaces_params: bool

    @property
    def finished(self) -> bool: ...  # noqa: D102

    def params(self) -> dict[str, t.Any]: ...  # noqa: D102

    def advance(self, response: requests.Response) -> None: ...  # noqa: D102

    def items(self, response: requests.Response) -> list[t.Any]: ...  # noqa: D102


def _items(response: requests.Response, key: str) -> list[t.Any]:
    body = json_body(response)
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise PayloadError(endpoint_of(response), f"expected an object with a '{key}' list")
    return items


class TotalPagesPaginator(PageNumberPaginator):
    """Page numbers from 1 until the body's `meta.total_pages` (or an empty page)."""

    replaces_params = False

    def __init__(
        self,
        items_key: str,
        *,
        page_size: int,
        page_param: str = "page",
        size_param: str = "per_page",
        start: int = 1,
    ) -> None:
        super().__init__(start)
        self.items_key = items_key
        self.page_size = page_size
        self.page_param = page_param
        self.size_param = size_param

    def params(self) -> dict[str, t.Any]:
        """The query parameters that ask for the current page."""
        return {self.page_param: self.current_value, self.size_param: self.page_size}

    def items(self, response: requests.Response) -> list[t.Any]:
        """The page's items."""
        return _items(response, self.items_key)

    @staticmethod
    def total_pages(response: requests.Response) -> int:
        """The `meta.total_pages` the page announces (a digit string too), or a PayloadError."""
        body = json_body(response)
        meta = body.get("meta") if isinstance(body, dict) else None
        total = meta.get("total_pages") if isinstance(meta, dict) else None
        if isinstance(total, str) and total.strip().isdigit():
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool):
            raise PayloadError(endpoint_of(response), "missing meta.total_pages")
        return total

    @override
    def has_more(self, response: requests.Response) -> bool:
        return bool(self.items(response)) and self.current_value < self.total_pages(response)


class OffsetTotalPaginator(PageNumberPaginator):
    """Page indexes from 0 until the items seen reach the envelope's total.

    Its items are each item's JSON bytes (`raw_pages`): a caller that keeps the listing
    before using it builds the objects once, when it uses them. It notices what offset
    paging cannot survive quietly: a page that repeats the one before (the API ignored the
    offset) fails, and a listing that ends short of its total (rows deleted while paging)
    is reported through `short_by`, so the caller can say so.
    """

    replaces_params = False

    def __init__(
        self,
        items_key: str,
        total_key: str,
        *,
        page_size: int,
        page_param: str,
        size_param: str,
        max_pages: int = 10_000,
        key: str | None = None,
    ) -> None:
        super().__init__(0)
        self.items_key = items_key
        self.total_key = total_key
        self.key = key  # the field that tells items apart (`keys`), if the caller needs it
        self.page_size = page_size
        self.page_param = page_param
        self.size_param = size_param
        self.max_pages = max_pages
        self.seen = 0
        self.total: int | None = None
        self.short_by = 0
        self.repeated_page: int | None = None  # set when a page repeats its predecessor
        self._previous_first: t.Any = None
        # The page last read (`items` is asked twice a page) and its first item, as objects.
        self._page_response: requests.Response | None = None
        self._page_items: list[t.Any] = []
        self._page_first: t.Any = None
        self._page_keys: list[t.Any] = []

    def params(self) -> dict[str, t.Any]:
        """The query parameters that ask for the current page."""
        return {self.page_param: self.current_value, self.size_param: self.page_size}

    def check(self, response: requests.Response) -> None:
        """The response check of its pages: the envelope read, or the body decoded as JSON."""
        if raw_pages.envelope(response, self.items_key, self.total_key, self.key) is None:
            json_check(response)

    def items(self, response: requests.Response) -> list[t.Any]:
        """The page's items, each an object's JSON bytes; a zero total may leave them out."""
        if response is self._page_response:
            return self._page_items
        total, items, keys = self._envelope(response)
        endpoint = endpoint_of(response)
        if not isinstance(total, int) or isinstance(total, bool):
            raise PayloadError(endpoint, f"no '{self.total_key}' in the envelope")
        if items is msgspec.UNSET:
            items = [] if total == 0 else None
        if not isinstance(items, list):
            raise PayloadError(endpoint, f"expected a '{self.items_key}' list")
        first = raw_pages.decode(items[0]) if items else None
        if items and self.current_value > 0 and first == self._previous_first:
            self.repeated_page = self.current_value
            raise PayloadError(
                endpoint,
                f"page {self.current_value} repeats page {self.current_value - 1}: "
                "the API ignored the page offset",
            )
        self.total = total
        self._page_response, self._page_items, self._page_first = response, items, first
        self._page_keys = keys
        return items

    def keys(self, response: requests.Response) -> list[t.Any]:
        """Each item's `key` field as sent (None where it has none), in the items' order.

        Read with the page's items (`items`, which it calls when not asked for this page yet).
        """
        if self.key is None:
            raise TypeError("this paginator was made without a key")
        self.items(response)
        return self._page_keys

    def _envelope(self, response: requests.Response) -> tuple[t.Any, t.Any, list[t.Any]]:
        """The total (a digit string read as a number), the items (UNSET: left out), keys."""
        read = raw_pages.envelope(response, self.items_key, self.total_key, self.key)
        total: t.Any = None
        items: t.Any = None
        keys: list[t.Any] | None = None
        if read is not None:
            total, items, keys = read
            if isinstance(items, list) and (
                keys is None
                if self.key is not None
                else not all(memoryview(i)[0] == _BRACE for i in items)
            ):
                items = None  # not objects: the standard reading below says so
        if read is None or items is None:  # the standard json module reads it
            body = json_body(response)
            if not isinstance(body, dict):
                raise PayloadError(endpoint_of(response), "expected a JSON object")
            total, items = body.get(self.total_key), body.get(self.items_key, msgspec.UNSET)
            if isinstance(items, list):
                if not all(isinstance(item, dict) for item in items):
                    raise PayloadError(
                        endpoint_of(response), f"a '{self.items_key}' item is not an object"
                    )
                if self.key is not None:
                    keys = [item.get(self.key) for item in items]
                items = [json.dumps(item).encode() for item in items]  # bytes like the rest
        if isinstance(total, str) and total.strip().isdigit():
            total = int(total)
        return total, items, keys or []

    def later_pages(self, first: requests.Response) -> list[dict[str, t.Any]]:
        """The parameters of every page after *first*, as its total and length foretell.

        They may be fetched at once; `has_more` still walks them in order, so a listing
        that changed meanwhile is noticed just as when paged one by one.
        """
        try:
            total, items, _keys = self._envelope(first)
        except PayloadError:
            return []
        if not isinstance(total, int) or not isinstance(items, list) or not items:
            return []
        pages = min(-(-total // len(items)), self.max_pages)
        return [
            {self.page_param: page, self.size_param: self.page_size} for page in range(1, pages)
        ]

    @override
    def has_more(self, response: requests.Response) -> bool:
        items = self.items(response)
        self._previous_first = self._page_first
        self.seen += len(items)
        assert self.total is not None
        if self.seen >= self.total:
            return False
        if not items:
            self.short_by = self.total - self.seen
            return False
        if self.current_value + 1 >= self.max_pages:
            raise PayloadError(endpoint_of(response), f"still paging after {self.max_pages} pages")
        return True


class NextTokenPaginator(JSONPathPaginator):
    """A cursor token in the body; the next page is asked for with that token alone."""

    replaces_params = True

    def __init__(
        self,
        items_key: str,
        *,
        jsonpath: str,
        token_param: str,
        first_params: t.Mapping[str, t.Any] | None = None,
    ) -> None:
        super().__init__(jsonpath)
        self.items_key = items_key
        self.token_param = token_param
        self.first_params = dict(first_params or {})

    def params(self) -> dict[str, t.Any]:
        """The first page's extra parameters, then only the token."""
        if self.current_value is None:
            return dict(self.first_params)
        return {self.token_param: self.current_value}

    def items(self, response: requests.Response) -> list[t.Any]:
        """The page's items."""
        return _items(response, self.items_key)

    @override
    def has_more(self, response: requests.Response) -> bool:
        return bool(self.items(response))

    @override
    def get_next(self, response: requests.Response) -> str | None:
        # singer-sdk's version decodes the body again; ours is decoded once.
        from singer_sdk.helpers.jsonpath import extract_jsonpath  # noqa: PLC0415

        token = next(extract_jsonpath(self._jsonpath, json_body(response)), None)
        return str(token) if token else None


# ------------------------------------------------------------------------- credentials


class SessionSource(abc.ABC, t.Generic[T]):
    """A credential got by one call, kept until shortly before it lapses, shared by threads.

    `current()` gives a valid one; `renew(stale)` replaces one the platform refused, unless
    another thread already did. Subclasses say how to obtain it (`obtain`).
    """

    def __init__(self, *, margin_seconds: float = 60.0) -> None:
        self.margin_seconds = margin_seconds
        self._value: T | None = None
        self._expires = 0.0
        self._lock = threading.RLock()

    @abc.abstractmethod
    def obtain(self) -> tuple[T, float]:
        """Ask the platform for a new credential; return it and its lifetime in seconds."""

    def current(self) -> T:
        """A credential valid now: obtained on first use, renewed before it lapses."""
        with self._lock:
            if self._value is None or time.monotonic() >= self._expires:
                value, lifetime = self.obtain()
                margin = min(self.margin_seconds, lifetime / 10)
                self._value, self._expires = value, time.monotonic() + lifetime - margin
            return self._value

    def renew(self, stale: T | None = None) -> T:
        """Replace *stale* (refused by the platform); a newer one already got is kept."""
        with self._lock:
            if stale is None or self._value == stale:
                self._value = None
            return self.current()


def access_token(
    response: requests.Response, default_lifetime: float = 3600.0
) -> tuple[str, float, dict[str, t.Any]]:
    """An OAuth2 token answer's access token (a secret from now on), lifetime and body."""
    body = json_body(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise PayloadError(endpoint_of(response), "no access_token in the token response")
    redaction.register_secret(token)
    lifetime = body.get("expires_in")
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    seconds = float(lifetime) if isinstance(lifetime, (int, float)) else default_lifetime
    return token, seconds, body


class ClientCredentialsToken(SessionSource[str]):
    """OAuth2 client credentials: POST the token URL with Basic auth, get a bearer token."""

    def __init__(
        self,
        http: HttpClient,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        credential_keys: tuple[str, ...],
        default_lifetime: float = 3600.0,
    ) -> None:
        super().__init__()
        self.http = http
        self.token_url = token_url
        self.credential_keys = credential_keys
        self.default_lifetime = default_lifetime
        self._auth = (client_id, client_secret)

    @override
    def obtain(self) -> tuple[str, float]:
        try:
            response = self.http.request(
                "POST",
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=self._auth,
                check=json_check,
            )
        except RequestFailedError as error:
            # RFC 6749 §5.2: refused client credentials may come back as 400 invalid_client.
            if error.status == 400 and any(
                code in str(error) for code in ("invalid_client", "unauthorized_client")
            ):
                raise AuthenticationError(
                    f"{self.http.policy.platform}: credentials refused at "
                    f"{redact_url(self.token_url)}; check the settings "
                    f"{', '.join(self.credential_keys)}",
                    status=error.status,
                    endpoint=error.endpoint,
                ) from None
            raise
        token, seconds, _ = access_token(response, self.default_lifetime)
        return token, seconds

    def headers(self) -> dict[str, str]:
        """The Authorization header for a request sent now."""
        return {"Authorization": f"Bearer {self.current()}"}


# ------------------------------------------------------------------------------- reads


class JsonApi:
    """One JSON API: a base URL, the shared HTTP client, and how requests are authorised."""

    def __init__(
        self,
        http: HttpClient,
        base_url: str,
        *,
        token: ClientCredentialsToken | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token

    def url(self, path: str) -> str:
        """The full URL of *path*."""
        return self.base_url + path

    def request(
        self,
        path: str,
        params: t.Mapping[str, t.Any] | None = None,
        check: t.Callable[[requests.Response], None] = json_check,
    ) -> requests.Response:
        """GET *path*; with a token, a refused token is renewed once and the call repeated.

        *check* reads the body on the request's worker (by default: decodes it as JSON).
        """
        url = self.url(path)
        if self.token is None:
            return self.http.request("GET", url, params=dict(params or {}), check=check)
        token = self.token
        for attempt in range(2):
            current = token.current()
            try:
                return self.http.request(
                    "GET",
                    url,
                    params=dict(params or {}),
                    headers={"Authorization": f"Bearer {current}"},
                    check=check,
                )
            except AuthenticationError:
                if attempt:
                    raise
                token.renew(current)  # it may have been revoked or expired early
        raise AssertionError("unreachable")

    def get(self, path: str, params: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
        """GET *path* and return its JSON object, or fail naming the endpoint."""
        response = self.request(path, params)
        body = json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(endpoint_of(response), "expected a JSON object")
        return body

    def paged(
        self,
        path: str,
        params: t.Mapping[str, t.Any],
        paginator: Paging,
        *,
        first: requests.Response | None = None,
        concurrent_pages: bool = False,
    ) -> t.Iterator[dict[str, t.Any]]:
        """Every item of a paged collection, as *paginator* walks it (see `pages`)."""
        for response, items in self.pages(
            path, params, paginator, first=first, concurrent_pages=concurrent_pages
        ):
            for item in items:
                if not isinstance(item, dict):
                    raise PayloadError(
                        endpoint_of(response),
                        f"a '{paginator.items_key}' item is not an object",
                    )
                yield item

    def pages(
        self,
        path: str,
        params: t.Mapping[str, t.Any],
        paginator: Paging,
        *,
        first: requests.Response | None = None,
        concurrent_pages: bool = False,
    ) -> t.Iterator[tuple[requests.Response, list[t.Any]]]:
        """Each page of a paged collection and its items (as `paginator.items` gives them).

        *first* is the first page when the caller already has it (a probe it reused).
        With *concurrent_pages*, a paginator that can tell every later page from the first
        (`later_pages`) has them fetched at once on the HTTP client's request workers (under
        its one cap on requests in flight); they are still walked, and yielded, in order.
        A paginator's own `check`, when it has one, reads each body instead of `json_check`.
        """
        check = getattr(paginator, "check", json_check)
        response = first
        asked = first is not None  # a paginator that replaces params does so after page one
        ahead: dict[_PageKey, Future[requests.Response]] = {}
        try:
            while not paginator.finished:
                if response is None:
                    page = paginator.params()
                    replace = paginator.replaces_params and asked
                    query = page if replace else {**params, **page}
                    fetched = ahead.pop(_page_key(page), None)
                    response = fetched.result() if fetched else self.request(path, query, check)
                    if concurrent_pages and not asked:
                        ahead = self._fetch_ahead(path, params, paginator, response, check)
                    asked = True
                yield response, paginator.items(response)
                try:
                    paginator.advance(response)
                except RuntimeError as error:  # singer-sdk: the same token twice
                    raise PayloadError(endpoint_of(response), str(error)) from None
                response = None
        finally:
            settle(ahead.values(), requests.Response.close)

    def _fetch_ahead(
        self,
        path: str,
        params: t.Mapping[str, t.Any],
        paginator: Paging,
        first: requests.Response,
        check: t.Callable[[requests.Response], None],
    ) -> dict[_PageKey, Future[requests.Response]]:
        later = getattr(paginator, "later_pages", None)
        if later is None or paginator.replaces_params:
            return {}
        return {
            _page_key(page): self.http.submit(
                functools.partial(self.request, path, {**params, **page}, check)
            )
            for page in later(first)
        }


_PageKey = tuple[tuple[str, t.Any], ...]


def _page_key(page: t.Mapping[str, t.Any]) -> _PageKey:
    return tuple(sorted(page.items()))
