"""The shared HTTP layer's pacing and rate-limit parsing (the parts no platform repeats)."""

from __future__ import annotations

import threading
import time

import requests

from tap_webinars.http import Pacer, RateLimit, retry_after_seconds


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
