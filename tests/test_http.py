"""The shared HTTP layer's pacing and rate-limit parsing (the parts no platform repeats)."""

from __future__ import annotations

import http.server
import json
import logging
import threading
import time

import pytest
import requests

from tap_webinars.client import JsonApi
from tap_webinars.errors import PayloadError, RequestFailedError
from tap_webinars.http import (
    HttpClient,
    HttpPolicy,
    Pacer,
    RankedSlots,
    RateLimit,
    retry_after_seconds,
)
from tests.harness import SandboxProcess


def test_pacer_never_lets_more_than_the_limit_through_in_any_window() -> None:
    limit = RateLimit(calls=5, period=0.5)
    pacer = Pacer(limit)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(4):
            pacer.acquire()
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    assert len(sent) == 12
    for i, start in enumerate(sent):
        in_window = [s for s in sent[i:] if s < start + limit.period - 0.01]
        assert len(in_window) <= limit.calls


def test_pause_holds_every_caller() -> None:
    pacer = Pacer(None)
    pacer.pause(0.3)
    started = time.monotonic()
    pacer.acquire()
    assert time.monotonic() - started >= 0.25


def response_with(**headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_retry_after_and_ratelimit_reset_are_read() -> None:
    assert retry_after_seconds(response_with(**{"Retry-After": "34"})) == 34
    reset = time.time() + 20
    waited = retry_after_seconds(response_with(**{"RateLimit-Reset": str(int(reset))}))
    assert waited is not None and 18 <= waited <= 21
    assert retry_after_seconds(response_with(**{"RateLimit-Reset": "5"})) == 5
    assert retry_after_seconds(response_with()) is None


def test_a_full_window_waits_a_margin_past_the_period() -> None:
    limit = RateLimit(calls=5, period=0.5, margin=0.2)
    pacer = Pacer(limit)
    stamps = []
    for _ in range(6):
        pacer.acquire()
        stamps.append(time.monotonic())
    # The sixth call waits for the first to leave a window of 0.5 s * 1.2, not 0.5 s.
    assert stamps[5] - stamps[0] >= 0.6 - 0.005
    assert stamps[4] - stamps[0] < 0.3  # a burst within the limit is not slowed


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every GET with who it is and the path it was asked for; counts those in flight."""

    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        time.sleep(0.05)
        body = json.dumps({"server": self.server.name, "path": self.path}).encode()  # type: ignore[attr-defined]
        with cls.lock:
            cls.in_flight -= 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(name: str) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    server.name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _client(max_concurrency: int = 4) -> HttpClient:
    return HttpClient(HttpPolicy("test", ()), timeout=10, max_concurrency=max_concurrency)


def test_environment_proxy_is_used_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    origin, proxy = _serve("origin"), _serve("proxy")
    url = f"http://127.0.0.1:{origin.server_address[1]}/thing"
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        via_proxy = _client().get_json(url)
        assert via_proxy == {"server": "proxy", "path": url}  # a proxy is asked for the full URL
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert _client().get_json(url) == {"server": "origin", "path": "/thing"}
    finally:
        for server in (origin, proxy):
            server.shutdown()
            server.server_close()


def test_requests_in_flight_never_exceed_max_concurrency_however_many_threads_ask() -> None:
    server = _serve("origin")
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    client = _client(max_concurrency=3)
    _Answer.most_in_flight = 0
    try:
        threads = [threading.Thread(target=client.get_json, args=(url,)) for _ in range(6)]
        futures = [client.submit(lambda: client.get_json(url)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(f.result()["server"] == "origin" for f in futures)
    finally:
        server.shutdown()
        server.server_close()
    assert _Answer.most_in_flight == 3


def test_ranked_slots_go_by_rank_then_arrival_and_no_newcomer_jumps_the_line() -> None:
    slots = RankedSlots(1)
    slots.acquire(0)  # held: everyone after this waits
    granted: list[str] = []
    lock = threading.Lock()

    def wait_for_slot(name: str, rank: int) -> None:
        with slots.held(rank), lock:
            granted.append(name)

    waiters = [("late event", 9), ("listing", 0), ("first event", 1), ("second event", 1)]
    threads = []
    for name, rank in waiters:
        thread = threading.Thread(target=wait_for_slot, args=(name, rank))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # arrival order is the list's
    slots.release()
    for thread in threads:
        thread.join(timeout=5)
    assert granted == ["listing", "first event", "second event", "late event"]
    slots.acquire(5)  # every slot came back
    slots.release()


# ------------------------------------------------- the retry budget, against the sandbox


AUTH = {"Authorization": "Bearer wf-sandbox-key"}


def budget_client(seconds: float) -> HttpClient:
    policy = HttpPolicy(
        platform="webinarfuel", credential_keys=("webinarfuel_api_key",), default_headers=AUTH
    )
    return HttpClient(policy, timeout=10, max_concurrency=1, max_retry_seconds=seconds)


def webinars_url(sandbox: SandboxProcess) -> str:
    return sandbox.api_url("webinarfuel") + "/webinars"


def test_a_failing_request_says_so_at_info_at_most_every_30_seconds(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.scenarios({"platform": "webinarfuel", "path": ".*", "kind": "outage", "seconds": 2.5})
    with caplog.at_level(logging.DEBUG, logger="tap_webinars.http"):
        response = budget_client(20).request("GET", webinars_url(sandbox))
    assert response.status_code == 200
    failing = [r for r in caplog.records if "failing for" in r.getMessage()]
    assert len(failing) >= 2  # it failed more than once...
    assert [r.levelno for r in failing].count(logging.INFO) == 1  # ...and said so once
    assert "max_retry_seconds left" in failing[0].getMessage()


def test_past_the_budget_one_error_names_the_endpoint_and_what_it_kept_answering(
    sandbox: SandboxProcess,
) -> None:
    sandbox.scenarios({"platform": "webinarfuel", "path": ".*", "kind": "outage", "seconds": 60})
    started = time.monotonic()
    with pytest.raises(RequestFailedError) as failed:
        budget_client(2).request("GET", webinars_url(sandbox))
    took = time.monotonic() - started
    assert 2 <= took < 2 + 1.5  # the budget, then the one try it ends on
    message = str(failed.value)
    assert "/webinarfuel/webinars kept failing for 2s" in message, message
    assert "HTTP 503" in message and "max_retry_seconds=2" in message, message


def test_rate_limit_waits_do_not_spend_the_outage_budget(sandbox: SandboxProcess) -> None:
    sandbox.scenarios(
        {
            "platform": "webinarfuel",
            "path": ".*",
            "kind": "status",
            "status": 429,
            "headers": {"Retry-After": "1"},
            "times": 3,
        }
    )
    client = budget_client(0.5)
    response = client.request("GET", webinars_url(sandbox))
    assert response.status_code == 200
    assert client.stats.rate_limit_waits == 3
    assert client.stats.rate_limit_seconds >= 3 > 0.5


@pytest.mark.parametrize("kind", ["html", "truncate"])
def test_a_broken_body_is_asked_for_again_then_fails_naming_the_endpoint(
    sandbox: SandboxProcess, kind: str
) -> None:
    api = JsonApi(budget_client(30), sandbox.api_url("webinarfuel"))
    sandbox.scenarios({"platform": "webinarfuel", "path": "/webinars$", "kind": kind, "times": 2})
    body = api.get("/webinars", {"page": 1})  # two broken answers, then the real one
    assert body["webinars"]
    assert len(sandbox.requests("webinarfuel")) == 3

    sandbox.clear_requests()
    sandbox.scenarios({"platform": "webinarfuel", "path": "/webinars$", "kind": kind})
    with pytest.raises(PayloadError) as failed:
        api.get("/webinars", {"page": 1})
    assert "/webinarfuel/webinars" in str(failed.value)
    assert "3 times in a row" in str(failed.value)
    assert len(sandbox.requests("webinarfuel")) == 3


def test_a_body_that_breaks_off_mid_transfer_is_asked_for_again(sandbox: SandboxProcess) -> None:
    # The declared length, half the bytes, then the connection closed: a reset mid-transfer.
    whole = requests.get(webinars_url(sandbox), params={"page": 1}, headers=AUTH, timeout=10)
    assert whole.status_code == 200 and len(whole.content) > 100
    sandbox.clear_requests()
    sandbox.scenarios({"platform": "webinarfuel", "path": "/webinars$", "kind": "cut", "times": 2})
    client = budget_client(30)
    response = client.request("GET", webinars_url(sandbox), params={"page": 1})
    assert response.content == whole.content
    assert len(sandbox.requests("webinarfuel")) == 3
    assert client.stats.retries == 2


def test_the_cut_scenario_really_breaks_the_body_off(sandbox: SandboxProcess) -> None:
    sandbox.scenarios({"platform": "webinarfuel", "path": "/webinars$", "kind": "cut"})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(webinars_url(sandbox), params={"page": 1}, headers=AUTH, timeout=10)
