"""Zoom's HTTP side: the account-credentials token, rate-limit labels, error codes, uuids.

Every operation of Zoom's API has a rate-limit label (Light, Medium, Heavy); the limits are
per account and per label, per second, and Heavy calls also count against a daily cap
(zoom-docs-excerpts.txt). Each label has its own `Pacer` here, ahead of the HTTP layer's
(which honours 429 and `Retry-After`); an answer whose `X-RateLimit-Remaining` is 0 pauses
its label for a second. Heavy calls are counted for the run summary.
"""

from __future__ import annotations

import re
import threading
import typing as t
from datetime import timedelta
from urllib.parse import quote

import requests
from singer_sdk.pagination import JSONPathPaginator
from typing_extensions import override

from tap_webinars.client import (
    ClientCredentialsToken,
    JsonApi,
    access_token,
    endpoint_of,
    json_body,
    json_check,
)
from tap_webinars.errors import (
    AuthenticationError,
    PayloadError,
    RequestFailedError,
    ResourceRefusedError,
)
from tap_webinars.http import HttpStats, Pacer, RateLimit
from tap_webinars.redaction import redact_url

CREDENTIALS = ("zoom_account_id", "zoom_client_id", "zoom_client_secret")
PAGE_SIZE = 300  # Zoom's most per page
# Requests a second per label, and the Heavy daily cap, by plan (zoom-docs-excerpts.txt).
PLAN_LIMITS = {
    "pro": ({"Light": 30, "Medium": 20, "Heavy": 10}, 30_000),
    "business": ({"Light": 80, "Medium": 60, "Heavy": 40}, 60_000),
}
LABEL_LIMITS, HEAVY_DAILY_CAP = PLAN_LIMITS["pro"]
# Reports reach back six months (reference/README.md); a day's margin for time zones.
RETENTION = timedelta(days=182)
# Zoom error codes (unverified list, reference/README.md): a scope the app lacks, and
# features the plan lacks (no Webinar add-on, no reports), then a webinar that is gone.
SCOPE_CODES = frozenset({4700, 4711})
PLAN_CODES = frozenset({200, 3161})
GONE_CODE = 3001

_CODE = re.compile(r'"code"\s*:\s*(\d+)')
_MESSAGE = re.compile(r'"message"\s*:\s*"([^"]*)"')
_CODE_IN_ANSWER = re.compile(r"Zoom code (\d+):")


class WebinarGoneError(RequestFailedError):
    """Zoom code 3001: the webinar (or an instance's report) does not exist (any more)."""


def label(path: str) -> str:
    """The rate-limit label of a path, as the OpenAPI file names them."""
    if path.startswith("/report/") or path.endswith("/absentees"):
        return "Heavy"
    if re.fullmatch(r"/webinars/\d+|/past_webinars/\d+/instances", path):
        return "Light"
    return "Medium"  # /users, /users/{id}/webinars, /webinars/{id}/registrants


def instance_segment(uuid: str) -> str:
    """An instance uuid as a path segment: always encoded, twice where `/` leads or `//` is.

    Zoom's gateway decodes a path once before routing, so a uuid with a leading `/` or a
    `//` must survive one decoding still encoded; `+`, `=` and `/` are encoded in every uuid.
    """
    once = quote(uuid, safe="")
    return quote(once, safe="") if uuid.startswith("/") or "//" in uuid else once


def refusal_reason(answer: str, scope: str) -> str:
    """Why Zoom refused, from its answer: a scope the app lacks, or what the plan lacks."""
    code = _CODE_IN_ANSWER.match(answer)
    if code and int(code[1]) in SCOPE_CODES:
        return f"{answer}; add the scope {scope} to the app"
    return f"{answer}; the account's plan lacks the Webinar add-on (or reports)"


def zoom_code(error: RequestFailedError) -> tuple[int | None, str]:
    """Zoom's own error code and message in a failed request's answer, if it carried one."""
    text = str(error)
    code = _CODE.search(text)
    message = _MESSAGE.search(text)
    return (int(code[1]) if code else None), (message[1] if message else "")


class AccountToken(ClientCredentialsToken):
    """Server-to-Server OAuth: `grant_type=account_credentials` and the account id, no refresh.

    The token lasts an hour; `SessionSource` renews it a minute before it lapses, and when
    a call is refused with it.
    """

    def __init__(self, *args: t.Any, account_id: str, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_id = account_id

    @override
    def obtain(self) -> tuple[str, float]:
        params = {"grant_type": "account_credentials", "account_id": self.account_id}
        try:
            response = self.http.request(
                "POST", self.token_url, params=params, auth=self._auth, check=json_check
            )
        except RequestFailedError as error:
            if error.status in (400, 401, 403):  # invalid_client, invalid account id
                raise AuthenticationError(
                    f"zoom: credentials refused at {redact_url(self.token_url)}; check the "
                    f"settings {', '.join(self.credential_keys)}",
                    status=error.status,
                    endpoint=error.endpoint,
                ) from None
            raise
        token, seconds, _ = access_token(response, self.default_lifetime)
        return token, seconds


class TokenPages(JSONPathPaginator):
    """`next_page_token` paging: every page keeps the query; an empty token ends it."""

    replaces_params = False

    def __init__(self, items_key: str) -> None:
        super().__init__("$.next_page_token")
        self.items_key = items_key

    def params(self) -> dict[str, t.Any]:
        """The page size, and the token after the first page."""
        page: dict[str, t.Any] = {"page_size": PAGE_SIZE}
        if self.current_value:
            page["next_page_token"] = self.current_value
        return page

    def items(self, response: requests.Response) -> list[t.Any]:
        """The page's items; a missing list is an empty page, anything else a bad payload."""
        body = json_body(response)
        if not isinstance(body, dict):
            raise PayloadError(endpoint_of(response), "expected a JSON object")
        items = body.get(self.items_key)
        if items is None:
            return []
        if not isinstance(items, list):
            raise PayloadError(endpoint_of(response), f"'{self.items_key}' is not a list")
        return items

    @override
    def has_more(self, response: requests.Response) -> bool:
        return bool(self.get_next(response))

    @override
    def get_next(self, response: requests.Response) -> str | None:
        body = json_body(response)
        token = body.get("next_page_token") if isinstance(body, dict) else None
        return str(token) if token else None


class QuotaStats(HttpStats):
    """The HTTP stats plus Zoom's Heavy daily cap, counted for the run summary."""

    def __init__(self, plan: str) -> None:
        super().__init__()
        self.quotas: dict[str, str] = {}
        self.name = f"Heavy requests (daily cap {PLAN_LIMITS[plan][1]:,} on {plan})"

    def heavy(self, count: int) -> None:
        """*count* Heavy requests so far this run."""
        self.quotas[self.name] = str(count)


class ZoomApi(JsonApi):
    """Zoom's API v2: paced by label, Zoom's error codes turned into the tap's errors."""

    def __init__(self, *args: t.Any, plan: str = "pro", **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacers = {
            name: Pacer(RateLimit(calls, 1.0), what=f"{name} requests")
            for name, calls in PLAN_LIMITS[plan][0].items()
        }
        self.heavy_requests = 0
        self._lock = threading.Lock()
        self.stats = QuotaStats(plan)
        self.http.stats = self.stats  # the run summary reads the client's stats

    @override
    def request(
        self,
        path: str,
        params: t.Mapping[str, t.Any] | None = None,
        check: t.Callable[[requests.Response], None] = json_check,
    ) -> requests.Response:
        kind = label(path.split("?", 1)[0])
        self.pacers[kind].acquire()
        if kind == "Heavy":
            with self._lock:
                self.heavy_requests += 1
                self.stats.heavy(self.heavy_requests)
        try:
            response = super().request(path, params, check)
        except AuthenticationError:
            raise
        except RequestFailedError as error:
            raise self._translated(error) from None
        if response.headers.get("X-RateLimit-Remaining") == "0":
            self.pacers[kind].pause(1.0)  # this label's second is used up
        return response

    def paged_items(
        self, path: str, items_key: str, params: t.Mapping[str, t.Any] | None = None
    ) -> list[dict[str, t.Any]]:
        """Every item of a `next_page_token` collection."""
        return list(self.paged(path, dict(params or {}), TokenPages(items_key)))

    @staticmethod
    def _translated(error: RequestFailedError) -> RequestFailedError:
        code, message = zoom_code(error)
        answer = f"Zoom code {code}: {message}" if code is not None else error.answer
        if code in SCOPE_CODES or code in PLAN_CODES:
            return ResourceRefusedError(str(error), answer=answer, endpoint=error.endpoint)
        if code == GONE_CODE:
            return WebinarGoneError(str(error), status=error.status, endpoint=error.endpoint)
        return error
