"""Request roles, in isolation: a refused enrichment costs one request for the run."""

from __future__ import annotations

import threading
import time

import pytest

from tap_webinars.errors import AuthenticationError, PermissionDeniedError
from tap_webinars.permissions import Enrichment, Permissions

CATALOG = Enrichment("poll catalog", "Polls", ("question_type",))


def test_a_refused_enrichment_is_asked_once_by_all_threads() -> None:
    permissions = Permissions("demo")
    calls = []

    def refused() -> dict[str, str]:
        calls.append(1)
        time.sleep(0.05)  # the other threads arrive while the first read is out
        raise PermissionDeniedError("no", status=403, endpoint="/poll")

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(permissions.optional(CATALOG, refused)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [None] * 6
    assert len(calls) == 1
    assert "poll catalog" in permissions.skipped
    assert not permissions.granted(CATALOG)


def test_a_granted_enrichment_keeps_being_read() -> None:
    permissions = Permissions("demo")
    assert permissions.optional(CATALOG, lambda: {"a": 1}) == {"a": 1}
    assert permissions.optional(CATALOG, lambda: {"b": 2}) == {"b": 2}
    assert permissions.granted(CATALOG)


def test_bad_credentials_are_never_a_refusal() -> None:
    permissions = Permissions("demo")

    def unauthorised() -> None:
        raise AuthenticationError("bad key", status=401, endpoint="/poll")

    with pytest.raises(AuthenticationError):
        permissions.optional(CATALOG, unauthorised)
    assert permissions.skipped == {}
