"""The one HTTP layer every platform goes through (SPEC §6).

It owns what no platform module should repeat: retries with exponential backoff and full
jitter on connection errors, timeouts and 5xx; the platform's rate-limit signals, honouring
`Retry-After` / `RateLimit-Reset`; proactive pacing under the documented limit; failing fast
on refused credentials; HTTPS unless the host is loopback; and secret-free logs and errors.
Platform modules describe their quirks in an `HttpPolicy` and may inspect a response body
with a `check` callback that raises `RetryLater` or `Reauthenticate`.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import json
import logging
import os
import re
import threading
import time
import typing as t
from collections import Counter, deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import backoff
import requests
from requests.adapters import HTTPAdapter

from tap_webinars import __version__
from tap_webinars.errors import (
    AuthenticationError,
    PayloadError,
    PermissionDeniedError,
    RequestFailedError,
    SettingsError,
)
from tap_webinars.redaction import redact, redact_url
from tap_webinars.urls import is_loopback

LOGGER = logging.getLogger("tap_webinars.http")
T = t.TypeVar("T")

# Request workers per request in flight (`HttpClient.submit`).
WORKERS_PER_SLOT = 4
# Which requests go first when more wait than may be in flight: the lowest rank, then the
# first to ask. The engine ranks an event's requests by the event's place in the run (the
# one the output waits for first); requests outside any event (the listing) rank 0.
_RANK: contextvars.ContextVar[int] = contextvars.ContextVar("tap_webinars_request_rank", default=0)


@contextlib.contextmanager
def request_rank(rank: int) -> t.Iterator[None]:
    """Rank the requests made in this block (and in what it submits with `submit_here`)."""
    token = _RANK.set(rank)
    try:
        yield
    finally:
        _RANK.reset(token)


def submit_here(
    pool: Executor, call: t.Callable[..., T], /, *args: t.Any, **kwargs: t.Any
) -> Future[T]:
    """Submit *call* to *pool*, run with this thread's request rank (its context)."""
    return pool.submit(contextvars.copy_context().run, call, *args, **kwargs)


class RankedSlots:
    """At most `size` holders at once; waiters get a slot by rank, then in arrival order.

    A freed slot passes straight to the waiter next in line, so no newcomer takes it first:
    a request that waits is never overtaken by one ranked after it (a plain semaphore lets
    any thread that asks at the right moment go, and an unlucky one wait on and on).
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, threading.Lock]] = []
        self._arrivals = itertools.count()

    def acquire(self, rank: int) -> None:
        """Take a slot, waiting for one if none is free."""
        with self._lock:
            if self._free > 0:
                self._free -= 1
                return
            handed = threading.Lock()
            handed.acquire()
            heapq.heappush(self._waiting, (rank, next(self._arrivals), handed))
        handed.acquire()  # released by `release`, which hands this thread its slot

    def release(self) -> None:
        """Give a slot back: to the first waiter in line, else to the free ones."""
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].release()
            else:
                self._free += 1

    @contextlib.contextmanager
    def held(self, rank: int) -> t.Iterator[None]:
        """A slot for the duration of the block."""
        self.acquire(rank)
        try:
            yield
        finally:
            self.release()


class RetryLater(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a response check: the platform asked us to wait (rate limit, busy)."""

    def __init__(self, reason: str, wait_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_seconds = wait_seconds


class Reauthenticate(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a response check: the session expired; log in again and repeat."""


@dataclass(frozen=True)
class RateLimit:
    """A documented limit: at most `calls` requests in any `period` seconds.

    The pacer keeps `calls` in any `window`, the period stretched by `margin`: the platform
    counts arrivals, not departures, so a full window sent exactly one period after the
    last could still reach it inside one window and meet a 429.
    """

    calls: int
    period: float
    margin: float = 0.03

    @property
    def window(self) -> float:
        """The span the pacer keeps `calls` within."""
        return self.period * (1 + self.margin)


@dataclass
class HttpPolicy:
    """What one platform's API needs from the shared layer."""

    platform: str
    credential_keys: tuple[str, ...]
    # The request parts that carry credentials besides `Authorization` (always one):
    # header names, query parameter names and form field names. No request carrying one
    # of them is ever sent to another host than the one configured, nor from https to http.
    credential_headers: tuple[str, ...] = ()
    credential_params: tuple[str, ...] = ()
    credential_fields: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None
    is_rate_limited: t.Callable[[requests.Response], bool] = lambda _response: False
    # An error answer that means the session or token expired (some platforms send a 403),
    # not a refusal: renewed through `reauthenticate`, the request repeated (`Reauthenticate`).
    is_expired_session: t.Callable[[requests.Response], bool] = lambda _response: False
    reauthenticate: t.Callable[[], None] | None = None
    max_tries: int = 6
    max_rate_limit_waits: int = 30
    max_wait_seconds: float = 3600.0
    base_delay: float = 0.5
    default_headers: dict[str, str] = field(default_factory=dict)


class Pacer:
    """Keeps calls under a sliding-window limit, and pauses everyone when the platform says so.

    One primitive for both kinds of quota: an API's request rate (each HTTP call) and a
    report quota (each report asked for), whatever the period.
    """

    def __init__(self, limit: RateLimit | None, *, what: str = "requests") -> None:
        self.limit = limit
        self.what = what
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        if self.limit is not None:
            while self._sent and self._sent[0] <= now - self.limit.window:
                self._sent.popleft()

    def acquire(self, on_wait: t.Callable[[float], None] | None = None) -> None:
        """Block until one more call fits under the limit, then count it.

        *on_wait* is told each wait before it starts (long report-quota waits are logged).
        """
        while True:
            with self._lock:
                now = time.monotonic()
                wait = self._paused_until - now
                if wait <= 0 and self.limit is not None:
                    self._trim(now)
                    if len(self._sent) >= self.limit.calls:
                        wait = self._sent[0] + self.limit.window - now
                if wait <= 0:
                    self._sent.append(now)
                    return
            if on_wait is not None:
                on_wait(wait)
            time.sleep(min(wait, 5.0))

    def pause(self, seconds: float) -> None:
        """Hold every thread's next call for *seconds* (the platform said so)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def wait_after_refusal(self, attempt: int, *, first: float = 1.0, cap: float = 300.0) -> float:
        """Seconds to wait after the platform said the quota is used up.

        If our own calls fill the window, until the oldest leaves it; otherwise (another
        client used the account's quota) a doubling poll from *first*. At most *cap*.
        """
        with self._lock:
            now = time.monotonic()
            self._trim(now)
            if self.limit is not None and len(self._sent) >= self.limit.calls:
                wait = self._sent[0] + self.limit.window - now
            else:
                wait = first * 2.0 ** min(attempt, 16)
        return max(0.0, min(wait, cap))


_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|[0-9A-Z]{20,})$")


def endpoint_template(url: str) -> str:
    """The endpoint of *url* for counting: its path, with id segments as `{id}`.

    `/v2/client/22950/event/4100177/attendee` and `.../event/4100236/attendee` are one
    endpoint, so the summary says how many requests each kind of read took.
    """
    path = urlsplit(url).path
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


class HttpStats:
    """What a run's requests did, for the end-of-run summary: counts per endpoint and waits."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.retries = 0
        self.rate_limit_waits = 0
        self.rate_limit_seconds = 0.0
        self._lock = threading.Lock()

    def count(self, endpoint: str) -> None:
        """One request sent to *endpoint* (a path without its query)."""
        with self._lock:
            self.requests[endpoint] += 1

    def retried(self) -> None:
        """One request is being sent again after a failure."""
        with self._lock:
            self.retries += 1

    def waited(self, seconds: float) -> None:
        """One rate-limit wait of *seconds*."""
        with self._lock:
            self.rate_limit_waits += 1
            self.rate_limit_seconds += seconds


@dataclass(frozen=True)
class _Environment:
    """What requests would read from the environment for one host, on every request."""

    proxies: dict[str, str]
    netrc_auth: tuple[str, str] | None


class HttpClient:
    """A retrying, pacing, redacting HTTP client for one platform account.

    However many threads read through it (events fetched ahead, an event's listings, the
    pages of one listing), at most `max_concurrency` requests are in flight at once: that one
    cap, with the platform's pacing, bounds everything the tap asks of the platform.
    """

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        timeout: float,
        max_concurrency: int,
        max_retry_seconds: float = 600.0,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_retry_seconds = max_retry_seconds
        self.stats = HttpStats()
        self._pacer = Pacer(policy.rate_limit)
        self._local = threading.local()
        self._pool_size = max(1, max_concurrency)
        self._in_flight = RankedSlots(self._pool_size)
        self._workers: ThreadPoolExecutor | None = None
        self._workers_lock = threading.Lock()
        self._environments: dict[str, _Environment] = {}

    @property
    def max_concurrency(self) -> int:
        """How many requests may be in flight at once."""
        return self._pool_size

    def submit(self, send: t.Callable[[], T]) -> Future[T]:
        """Run *send* (requests that wait on nothing else) on this client's request workers.

        Callers that wait for the result must never be such workers themselves; a page of a
        listing is the intended use, fetched while the caller reads the pages before it.
        *send* keeps the caller's request rank. There are more workers than slots, so a
        page ranked first is not left queued behind workers that wait for a slot.
        """
        with self._workers_lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(
                    self._pool_size * WORKERS_PER_SLOT,
                    thread_name_prefix=f"{self.policy.platform}-request",
                )
            return submit_here(self._workers, send)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=self._pool_size, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers.update(
                {"User-Agent": f"tap-webinars/{__version__}", **self.policy.default_headers}
            )
            # The environment (proxies, CA bundle, .netrc) is read once per host, not per
            # request as requests does with trust_env (`_environment`); the same settings
            # apply, but a change to them during a run is not seen.
            session.trust_env = False
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
            self._local.session = session
        return session

    def _environment(self, url: str) -> _Environment:
        """The proxies (HTTP(S)_PROXY unless NO_PROXY names it) and .netrc auth of a host."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._environments.get(origin)
        if found is None:
            found = _Environment(
                proxies=requests.utils.get_environ_proxies(origin + "/"),
                netrc_auth=requests.utils.get_netrc_auth(origin + "/"),
            )
            self._environments[origin] = found
        return found

    def request(
        self,
        method: str,
        url: str,
        *,
        params: t.Mapping[str, t.Any] | t.Callable[[], t.Mapping[str, t.Any]] | None = None,
        data: t.Mapping[str, t.Any] | None = None,
        headers: t.Mapping[str, str] | t.Callable[[], t.Mapping[str, str]] | None = None,
        auth: t.Any = None,
        stream: bool = False,
        check: t.Callable[[requests.Response], None] | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying until it succeeds or cannot.

        *params* and *headers* may be callables, re-evaluated on every attempt, so that a
        re-login between attempts sends the new session id.
        """
        _require_secure(url)
        retries = _RetryBudget(self.policy, redact_url(url.split("?", 1)[0]))
        while True:
            # Evaluated before taking a slot: a callable may log in, itself a request.
            query = params() if callable(params) else params
            sent_headers = headers() if callable(headers) else headers
            try:
                # The pacer counts a request when it is really sent.
                with self._in_flight.held(_RANK.get()):
                    self._pacer.acquire()
                    response = self._send(
                        method,
                        url,
                        params=query,
                        data=data,
                        headers=sent_headers,
                        auth=auth,
                        stream=stream,
                    )
            except (requests.ConnectionError, requests.Timeout) as error:
                self._sleep(retries.after_failure(type(error).__name__), retries)
                self.stats.retried()
                continue
            try:
                self._raise_for_status(response, retries.endpoint)
                if check is not None:
                    check(response)
            except RetryLater as signal:
                response.close()
                wait = retries.after_rate_limit(signal)
                self._pacer.pause(wait)
                self.stats.waited(wait)
                self._sleep(wait, retries)
                continue
            except Reauthenticate:
                response.close()
                retries.after_failure("session expired repeatedly", backoff_wait=False)
                if self.policy.reauthenticate is None:
                    raise AuthenticationError(
                        self._auth_message(retries.endpoint, "session"),
                        endpoint=retries.endpoint,
                    ) from None
                LOGGER.info("%s: session expired, logging in again", self.policy.platform)
                self.policy.reauthenticate()
                continue
            except _Transient as transient:
                response.close()
                self._sleep(retries.after_failure(transient.reason), retries)
                self.stats.retried()
                continue
            return response

    def _send(self, method: str, url: str, **kwargs: t.Any) -> requests.Response:
        started = time.monotonic()
        self.stats.count(endpoint_template(url))
        environment = self._environment(url)
        if kwargs.get("auth") is None and environment.netrc_auth is not None:
            kwargs["auth"] = environment.netrc_auth
        response = self._session().request(
            method, url, timeout=self.timeout, proxies=environment.proxies, **kwargs
        )
        if LOGGER.isEnabledFor(logging.DEBUG):  # redacting a URL is not free; most runs skip it
            LOGGER.debug(
                "%s %s -> %s in %.2fs",
                method,
                redact_url(response.url),
                response.status_code,
                time.monotonic() - started,
            )
        return response

    def get_json(self, url: str, **kwargs: t.Any) -> t.Any:
        """GET *url* and decode its JSON body, or fail naming the endpoint."""
        response = self.request("GET", url, **kwargs)
        return decode_json(response)

    def _raise_for_status(self, response: requests.Response, endpoint: str) -> None:
        status = response.status_code
        if status == 429 or self.policy.is_rate_limited(response):
            raise RetryLater(f"HTTP {status} rate limit", retry_after_seconds(response))
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        if status >= 400 and self.policy.is_expired_session(response):
            raise Reauthenticate
        if status == 401:
            raise AuthenticationError(
                self._auth_message(endpoint, f"HTTP {status}"), status=status, endpoint=endpoint
            )
        if status == 403:
            raise PermissionDeniedError(
                f"{self.policy.platform}: access denied (HTTP 403) to {endpoint}: "
                f"{_snippet(response)}; check that the account may read this resource",
                status=status,
                endpoint=endpoint,
            )
        if status >= 400:
            raise RequestFailedError(
                f"{self.policy.platform}: {endpoint} answered HTTP {status}: {_snippet(response)}",
                status=status,
                endpoint=endpoint,
            )

    def _auth_message(self, endpoint: str, what: str) -> str:
        keys = ", ".join(self.policy.credential_keys)
        return (
            f"{self.policy.platform}: credentials refused ({what}) at {endpoint}; "
            f"check the settings {keys}"
        )

    def _sleep(self, seconds: float, retries: _RetryBudget) -> None:
        LOGGER.info(
            "%s: %s at %s; retrying in %.1fs",
            self.policy.platform,
            retries.last_reason,
            retries.endpoint,
            seconds,
        )
        time.sleep(max(0.0, seconds))


class _RetryBudget:
    """How many more tries one logical request has, and how long to wait before each."""

    def __init__(self, policy: HttpPolicy, endpoint: str) -> None:
        self.policy = policy
        self.endpoint = endpoint
        self.failures = 0
        self.rate_limit_waits = 0
        self.last_reason = ""
        self._delays = backoff.expo(base=2, factor=policy.base_delay, max_value=60)
        next(self._delays)  # the generator yields None first

    def after_failure(self, reason: str, *, backoff_wait: bool = True) -> float:
        """Count a failure; return the jittered wait, or raise once tries are used up."""
        self.failures += 1
        self.last_reason = reason
        if self.failures >= self.policy.max_tries:
            raise RequestFailedError(
                f"{self.policy.platform}: {self.endpoint} failed {self.failures} times, "
                f"last: {reason}",
                endpoint=self.endpoint,
            )
        return float(backoff.full_jitter(next(self._delays))) if backoff_wait else 0.0

    def after_rate_limit(self, signal: RetryLater) -> float:
        """Count a rate-limit answer; return the wait the platform asked for (or backoff)."""
        self.rate_limit_waits += 1
        self.last_reason = signal.reason
        if self.rate_limit_waits > self.policy.max_rate_limit_waits:
            raise RequestFailedError(
                f"{self.policy.platform}: {self.endpoint} still rate-limited after "
                f"{self.rate_limit_waits - 1} waits ({signal.reason})",
                endpoint=self.endpoint,
            )
        wait = signal.wait_seconds
        if wait is None:
            wait = float(backoff.full_jitter(next(self._delays)))
        return min(wait, self.policy.max_wait_seconds)


class _Transient(Exception):  # noqa: N818 - internal signal
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def retry_after_seconds(response: requests.Response) -> float | None:
    """Seconds to wait as the response says: `Retry-After`, else `RateLimit-Reset`."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("RateLimit-Reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        # An epoch timestamp (some platforms) or a number of seconds (IETF draft).
        return max(0.0, value - time.time()) if value > 1_000_000_000 else value
    return None


# Charsets json.loads detects by itself from the bytes.
_JSON_BYTES_ENCODINGS = frozenset({"utf-8", "utf8"})


def decode_json(response: requests.Response) -> t.Any:
    """Decode a JSON body, or raise PayloadError naming the endpoint (secrets removed).

    The standard json module reads the bytes (UTF-8, or the UTF-16/32 RFC 8259 allows)
    unless the response names another charset; requests' `.json()` would decode the text
    first and hand it to simplejson when installed, at twice the CPU.
    """
    try:
        encoding = (response.encoding or "utf-8").lower().replace("_", "-")
        if encoding in _JSON_BYTES_ENCODINGS:
            return json.loads(response.content)
        return json.loads(response.text)
    except ValueError:
        raise PayloadError(
            redact_url(response.url.split("?", 1)[0]), f"not JSON: {_snippet(response)}"
        ) from None


def _snippet(response: requests.Response, limit: int = 200) -> str:
    try:
        body = response.text[:limit]
    except Exception:
        body = "<unreadable body>"
    return redact(" ".join(body.split())) or "<empty body>"


def _require_secure(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return
    raise SettingsError("api_url", f"refusing insecure URL {redact_url(url)}; use https://")
