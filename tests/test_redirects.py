"""Credentials go only to the host they were configured for (SPEC §6, issue 17).

The sandbox's `redirect` scenario answers one request with a redirect to a second server on
another loopback address (`RecordingServer`, 127.0.0.2), which records everything it
receives. For every platform and every way it carries credentials (a header, the query, a
form body, `Authorization`), the tap must refuse before asking there: the run fails with one
line naming both hosts, the sandbox shows it did send the redirect, and the second server
received nothing. A same-host redirect is followed as before.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tap_webinars.http import HttpClient, HttpPolicy
from tap_webinars.sandbox.cvent_conference import API_TOKEN
from tests.harness import RecordingServer, SandboxProcess, run_tap
from tests.platform_configs import CASES, SANDBOX_SIZE, STREAMS


def conference_config(api_url: str) -> dict[str, t.Any]:
    return {
        "platform": "cvent",
        "cvent_api": "conference",
        "cvent_event_url": api_url + "/conference",
        "cvent_api_token": API_TOKEN,
        "start_date": "2020-01-01T00:00:00Z",
    }


def config_for(name: str, sandbox: SandboxProcess) -> dict[str, t.Any]:
    """A platform's sandbox config by case name ('cvent-conference' is Cvent's second API)."""
    if name == "cvent-conference":
        return conference_config(sandbox.api_url("cvent"))
    return CASES[name].config(sandbox.api_url(name))


def secrets_of(config: t.Mapping[str, t.Any]) -> list[str]:
    from tap_webinars.platforms import secret_keys

    return [str(config[k]) for k in secret_keys() if config.get(k)]


@dataclass(frozen=True)
class Carrier:
    """One way a platform carries its credentials, and a request that carries them."""

    case: str  # a CASES name, or cvent-conference
    carries: str  # what the redirected request carries, in words
    path: str  # the scenario's path pattern (after the platform prefix)
    status: int = 302  # 307 keeps a POST's body on the redirected request

    @property
    def platform(self) -> str:
        return self.case.split("-")[0]


# Every built-in platform's carriers; a platform added since (its own plug-in) is covered by
# `test_every_platform_has_a_carrier` below through its Authorization carrier.
CARRIERS = [
    Carrier("on24", "accessTokenKey/accessTokenSecret headers", r"/v2/client/"),
    Carrier("webinarfuel", "Authorization: Bearer", r"/webinars"),
    Carrier("webcasts", "username and password in the login query", r"^/api/login$"),
    Carrier("webcasts", "session id in the query", r"^/api/reporting/eventlist$"),
    Carrier("cvent", "Basic client credentials on the token POST", r"/oauth2/token$", 307),
    Carrier("cvent", "Authorization: Bearer", r"^/ea/events$"),
    Carrier("cvent-conference", "apiToken form field", r"^/conference/api/", 307),
]
CARRIERS += [
    Carrier(name, "Authorization on its first request", r".*")
    for name in CASES
    if name not in {c.case for c in CARRIERS}
]


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    server = RecordingServer("127.0.0.2")
    yield server
    server.stop()


@pytest.fixture
def small_sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset(size=SANDBOX_SIZE)
    return sandbox_process


def test_every_platform_has_a_carrier() -> None:
    assert {c.case for c in CARRIERS} >= set(CASES) | {"cvent-conference"}


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda c: f"{c.case}:{c.carries}")
def test_a_cross_host_redirect_gets_no_credential(
    small_sandbox: SandboxProcess, recorder: RecordingServer, carrier: Carrier
) -> None:
    config = config_for(carrier.case, small_sandbox)
    small_sandbox.scenarios(
        {
            "platform": carrier.platform,
            "path": carrier.path,
            "kind": "redirect",
            "to": recorder.url,
            "status": carrier.status,
            "times": 1,
        }
    )
    run = run_tap(config, timeout=120)

    redirected = [r for r in small_sandbox.requests(carrier.platform) if r.get("scenario")]
    assert len(redirected) == 1, "the sandbox never sent the redirect: the test proves nothing"
    assert recorder.received == [], recorder.received
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(errors) == 1, run.stderr[-3000:]
    assert "redirected" in errors[0]
    assert "127.0.0.1" in errors[0], errors[0]
    assert "127.0.0.2" in errors[0], errors[0]
    for secret in secrets_of(config):
        assert secret not in run.stderr


@pytest.mark.parametrize("case", [*CASES, "cvent-conference"])
def test_a_same_host_redirect_is_followed(small_sandbox: SandboxProcess, case: str) -> None:
    config = config_for(case, small_sandbox)
    platform = case.split("-")[0]
    quiet = run_tap(config, timeout=300)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    small_sandbox.reset(size=SANDBOX_SIZE)
    small_sandbox.scenarios(
        {
            "platform": platform,
            "path": ".*",
            "kind": "redirect",
            "to": small_sandbox.url,  # the same host and port: the same server
            "status": 307,
            "times": 1,
        }
    )
    run = run_tap(config, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert [r for r in small_sandbox.requests(platform) if r.get("scenario") == "redirect"]
    for stream in STREAMS:
        assert len(run.records(stream)) == len(quiet.records(stream)), stream
    assert run.records("events")


# ------------------------------------------------------------------- the rule, up close


def client(*, credential_headers: tuple[str, ...] = ()) -> HttpClient:
    policy = HttpPolicy(
        platform="test", credential_keys=("test_key",), credential_headers=credential_headers
    )
    return HttpClient(policy, timeout=10, max_concurrency=1, max_retry_seconds=5)


def test_a_request_without_credentials_may_follow_a_redirect_elsewhere(
    sandbox: SandboxProcess, recorder: RecordingServer
) -> None:
    """The control: the recorder does record, and only credentials stop a redirect."""
    sandbox.scenarios(
        {"platform": "webinarfuel", "path": ".*", "kind": "redirect", "to": recorder.url}
    )
    response = client(credential_headers=("X-Api-Key",)).request(
        "GET", sandbox.api_url("webinarfuel") + "/webinars?page=1", headers={"X-Other": "1"}
    )
    assert response.status_code == 200
    assert [r["target"] for r in recorder.received] == ["/webinarfuel/webinars?page=1"]


def test_a_declared_credential_header_stops_a_redirect_elsewhere(
    sandbox: SandboxProcess, recorder: RecordingServer
) -> None:
    from tap_webinars.http import ForeignRedirectError

    sandbox.scenarios(
        {"platform": "webinarfuel", "path": ".*", "kind": "redirect", "to": recorder.url}
    )
    with pytest.raises(ForeignRedirectError) as refused:
        client(credential_headers=("X-Api-Key",)).request(
            "GET", sandbox.api_url("webinarfuel") + "/webinars", headers={"X-Api-Key": "k-123"}
        )
    assert recorder.received == []
    assert "127.0.0.2" in str(refused.value)
    assert "k-123" not in str(refused.value)


def test_https_to_http_on_the_same_host_counts_as_elsewhere() -> None:
    import io

    import requests

    from tap_webinars.http import ForeignRedirectError, refuse_foreign_redirect

    response = requests.Response()
    response.url = "https://api.example.test/v2/events?key=1"
    response.status_code = 302
    response.raw = io.BytesIO(b"")
    response.request = requests.Request(
        "GET", response.url, headers={"Authorization": "Bearer t"}
    ).prepare()
    policy = HttpPolicy(platform="test", credential_keys=("k",))
    with pytest.raises(ForeignRedirectError):
        refuse_foreign_redirect(policy, response, "http://api.example.test/v2/events")
    refuse_foreign_redirect(policy, response, "https://api.example.test/v2/other")  # allowed
