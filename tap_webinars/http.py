"""The one HTTP layer every platform goes through (SPEC §6).

It owns what no platform module should repeat: retries with exponential backoff and full
jitter on connection errors, timeouts and 5xx, for up to `max_retry_seconds` of failing (a
budget of time, so an outage of minutes costs minutes, not the run); the platform's rate-limit
signals, honouring `Retry-After` / `RateLimit-Reset`, outside that budget; proactive pacing
under the documented limit; failing fast on refused credentials; HTTPS unless the host is
loopback; credentials only to the host they were meant for (a redirect elsewhere is refused);
and secret-free logs and errors. Platform modules describe their quirks in an `HttpPolicy`
and may inspect a response body with a `check` callback that raises `RetryLater`,
`Reauthenticate` or `BrokenBody`.
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
from urllib.parse import parse_qsl, urljoin, urlsplit

import backoff
import requests
import urllib3
from requests.adapters import HTTPAdapter
from typing_extensions import override

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
# The longest wait between two tries of a failing request (full jitter below it).
MAX_BACKOFF_SECONDS = 60.0
# How often a request that keeps failing says so at INFO (its other waits log at DEBUG).
FAILING_LOG_SECONDS = 30.0
# Tries a response that arrived broken (an HTML page behind a 200, a cut-off body) gets in
# all, within the same time budget; a body refused as hostile (an XML bomb) gets one.
BROKEN_BODY_TRIES = 3
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


def settle(reads: t.Iterable[Future[T]], release: t.Callable[[T], object] | None = None) -> None:
    """Reads begun that nobody will use: cancelled, or waited for and their result *release*d.

    So no request outlives the block that began it; their own errors are dropped (the
    caller has failed, or finished without them).
    """
    for read in reads:
        if read.cancel():
            continue
        with contextlib.suppress(Exception):
            result = read.result()
            if release is not None:
                release(result)


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


class BrokenBody(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a response check: the body arrived broken; ask again a few times.

    What a proxy or a cut connection sends (an HTML error page behind a 200, a truncated
    body) is transient: the same request usually answers properly next time. After
    `BROKEN_BODY_TRIES` tries it fails as a `PayloadError` naming the endpoint. Never raise
    it for a body refused as hostile (a DTD, an entity): that is not asked for again.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class ForeignRedirectError(RequestFailedError):
    """The platform redirected a request that carries credentials to another host."""


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
    max_tries: int = 6  # logins in a row a request may ask for (`Reauthenticate`)
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


# Numbers, hex or upper-case ids, and percent-encoded segments (encoded instance uuids).
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|[0-9A-Z]{20,}|.*%[0-9A-Fa-f]{2}.*)$")


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
        self.retry_seconds = 0.0
        self.rate_limit_waits = 0
        self.rate_limit_seconds = 0.0
        self._lock = threading.Lock()

    def count(self, endpoint: str) -> None:
        """One request sent to *endpoint* (a path without its query)."""
        with self._lock:
            self.requests[endpoint] += 1

    def retried(self, seconds: float) -> None:
        """One request is being sent again after a failure, having waited *seconds*."""
        with self._lock:
            self.retries += 1
            self.retry_seconds += seconds

    def waited(self, seconds: float) -> None:
        """One rate-limit wait of *seconds*."""
        with self._lock:
            self.rate_limit_waits += 1
            self.rate_limit_seconds += seconds


class _OneHostSession(requests.Session):
    """A session that follows a redirect only where it takes no credential elsewhere.

    requests drops `Authorization` when a redirect changes host, but re-sends every other
    header, the query the new URL carries, and a 307/308's form body. So a redirect to
    another host, or from https to http, is refused here, before anything is sent, whenever
    the request carries a credential in any of the parts the platform declares; a
    same-host redirect is followed as requests always has.
    """

    def __init__(self, policy: HttpPolicy) -> None:
        super().__init__()
        self.policy = policy

    @override
    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None:
            refuse_foreign_redirect(self.policy, resp, urljoin(resp.url, target))
        return target


def refuse_foreign_redirect(policy: HttpPolicy, response: requests.Response, target: str) -> None:
    """Raise ForeignRedirectError if following *response* to *target* would leak a credential."""
    source, destination = urlsplit(response.url), urlsplit(target)
    same_origin = (source.scheme, source.hostname, source.port) == (
        destination.scheme,
        destination.hostname,
        destination.port,
    )
    downgrade = source.scheme == "https" and destination.scheme != "https"
    if (same_origin and not downgrade) or not carried_credentials(policy, response.request):
        return
    response.close()
    here = redact_url(response.url.split("?", 1)[0])
    there = redact_url(target.split("?", 1)[0])
    raise ForeignRedirectError(
        f"{policy.platform}: {here} redirected (HTTP {response.status_code}) to another "
        f"host: {there}; not followed, since the request carries credentials meant only "
        f"for {source.hostname}; check api_url and any proxy in between",
        status=response.status_code,
        endpoint=here,
    )


def carried_credentials(policy: HttpPolicy, request: requests.PreparedRequest) -> list[str]:
    """The credential parts *request* carries: header, query parameter and form field names."""
    found = [
        name for name in ("Authorization", *policy.credential_headers) if request.headers.get(name)
    ]
    query = {key for key, _ in parse_qsl(urlsplit(request.url or "").query)}
    found += [name for name in policy.credential_params if name in query]
    body = request.body
    if policy.credential_fields and body:
        text = body.decode("latin-1") if isinstance(body, bytes) else str(body)
        fields = {key for key, _ in parse_qsl(text)}
        found += [name for name in policy.credential_fields if name in fields]
    return found


class WholeBodyResponse(requests.Response):
    """A response whose body, read whole, is read in one call.

    requests reads `content` as 10 KB chunks through urllib3's stream generator, about
    0.15 ms of CPU for a 120 KB page that one `read` takes without. A body streamed by its
    reader (`stream=True`, then `raw` or `iter_content`) is read as before. The errors are
    requests' own, as `iter_content` raises them: a body that breaks off is a
    `ChunkedEncodingError`, which the client retries.
    """

    @property  # type: ignore[override]
    @override
    def content(self) -> bytes:
        raw = self.raw
        if not self._content_consumed and isinstance(raw, urllib3.BaseHTTPResponse):  # type: ignore[has-type]
            self._content = _read_whole(raw)
            self._content_consumed = True
        return super().content


def _read_whole(raw: urllib3.BaseHTTPResponse) -> bytes:
    """The decoded body of *raw*, with the errors requests raises for it."""
    try:
        return raw.read(decode_content=True)
    except urllib3.exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from error
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from error
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.ConnectionError(error) from error
    except urllib3.exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error) from error


class _WholeBodyAdapter(HTTPAdapter):
    """requests' adapter, its responses a `WholeBodyResponse`; `build_response` is its hook."""

    @override
    def build_response(self, req: requests.PreparedRequest, resp: t.Any) -> requests.Response:
        response = super().build_response(req, resp)
        response.__class__ = WholeBodyResponse  # a subclass adding no state: only `content`
        return response


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
            session = _OneHostSession(self.policy)
            adapter = _WholeBodyAdapter(pool_maxsize=self._pool_size, max_retries=0)
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
        retries = _RetryBudget(
            self.policy, redact_url(url.split("?", 1)[0]), self.max_retry_seconds
        )
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
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,  # the body broke off while read
            ) as error:
                self._retry(retries, _failure_reason(error))
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
                LOGGER.info(
                    "%s: %s at %s; waiting %.1fs",
                    self.policy.platform,
                    signal.reason,
                    retries.endpoint,
                    wait,
                )
                time.sleep(wait)
                continue
            except Reauthenticate:
                response.close()
                retries.after_login()
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
                self._retry(retries, transient.reason)
                continue
            except BrokenBody as broken:
                response.close()
                self._retry(retries, broken.problem, broken=True)
                continue
            return response

    def _retry(self, retries: _RetryBudget, reason: str, *, broken: bool = False) -> None:
        """Wait before the next try of a failing request, or raise once its budget is spent."""
        wait = retries.after_failure(reason, broken=broken)
        level = logging.INFO if retries.due_for_log() else logging.DEBUG
        if LOGGER.isEnabledFor(level):
            LOGGER.log(
                level,
                "%s: %s at %s, failing for %.0fs; retrying in %.1fs (%.0fs of "
                "max_retry_seconds left)",
                self.policy.platform,
                reason,
                retries.endpoint,
                retries.failing_for(),
                wait,
                retries.seconds_left(),
            )
        time.sleep(wait)
        self.stats.retried(wait)

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


class _RetryBudget:
    """What one logical request may still spend on failures, and how long to wait next.

    Transient failures (connection errors, timeouts, 5xx, broken bodies) draw on one budget
    of time, `max_retry_seconds` from the first failure; rate-limit waits honour the
    platform's signal and are counted apart, so a long quota wait never spends the outage
    budget.
    """

    def __init__(self, policy: HttpPolicy, endpoint: str, max_seconds: float) -> None:
        self.policy = policy
        self.endpoint = endpoint
        self.max_seconds = max_seconds
        self.failures: Counter[str] = Counter()
        self.broken_bodies = 0
        self.logins = 0
        self.rate_limit_waits = 0
        self.first_failure: float | None = None
        self._last_log: float | None = None
        self._delays = backoff.expo(base=2, factor=policy.base_delay, max_value=MAX_BACKOFF_SECONDS)
        next(self._delays)  # the generator yields None first

    def failing_for(self) -> float:
        """Seconds since the first failure of this request."""
        return 0.0 if self.first_failure is None else time.monotonic() - self.first_failure

    def seconds_left(self) -> float:
        """What is left of the budget."""
        return max(0.0, self.max_seconds - self.failing_for())

    def after_failure(self, reason: str, *, broken: bool = False) -> float:
        """Count a transient failure; return the jittered wait, or raise past the budget.

        The wait never runs past the budget's end, so a request gives up at most one try
        after its budget is spent.
        """
        if self.first_failure is None:
            self.first_failure = time.monotonic()
        self.failures[reason] += 1
        if broken:
            self.broken_bodies += 1
            if self.broken_bodies >= BROKEN_BODY_TRIES:
                raise PayloadError(self.endpoint, f"{reason} ({self.broken_bodies} times in a row)")
        left = self.seconds_left()
        if left <= 0:
            raise RequestFailedError(
                f"{self.policy.platform}: {self.endpoint} kept failing for "
                f"{self.failing_for():.0f}s ({self._answers()}); gave up after "
                f"max_retry_seconds={self.max_seconds:g}; run again with the last STATE "
                "to resume",
                endpoint=self.endpoint,
            )
        return min(float(backoff.full_jitter(next(self._delays))), left)

    def due_for_log(self) -> bool:
        """Whether this failure is one to tell at INFO: the first, then every 30 s."""
        now = time.monotonic()
        if self._last_log is None or now - self._last_log >= FAILING_LOG_SECONDS:
            self._last_log = now
            return True
        return False

    def _answers(self) -> str:
        return ", ".join(f"{reason} x{count}" for reason, count in self.failures.most_common())

    def after_login(self) -> None:
        """Count a login the platform asked for; raise when it keeps asking."""
        self.logins += 1
        if self.logins >= self.policy.max_tries:
            raise RequestFailedError(
                f"{self.policy.platform}: {self.endpoint} failed {self.logins} times, "
                "last: session expired repeatedly",
                endpoint=self.endpoint,
            )

    def after_rate_limit(self, signal: RetryLater) -> float:
        """Count a rate-limit answer; return the wait the platform asked for (or backoff)."""
        self.rate_limit_waits += 1
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


def _failure_reason(error: Exception) -> str:
    """A connection failure in a few words: a dropped connection is not a refused one."""
    text = str(error)
    if isinstance(error, requests.Timeout):
        return "timeout"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "connection dropped"
    if "Connection refused" in text:
        return "connection refused"
    return type(error).__name__


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
