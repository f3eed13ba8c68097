"""A fifth platform written entirely in test code shows up everywhere, no package file edited.

The plug-in below lives in a temporary folder with its own distribution metadata declaring
a `tap_webinars.platforms` entry point, as a third-party package would. Its API is a tiny
loopback server run by the test. `tap-webinars --about`, `--discover`, a sync and the
Airbyte `spec` are run as separate processes that only see the plug-in through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.harness import BIN, ROOT

API_KEY = "fifth-secret-key-123"

EVENTS = [
    {"id": 501, "name": "Launch day", "updated": "2024-03-01T10:00:00Z", "room": "A"},
    {"id": 502, "name": "Deep dive", "updated": "2024-03-05T16:30:00Z", "room": "B"},
]
# Three registrants for 501 (two pages of two), one for 502.
PEOPLE = {
    "501": [
        {"id": "p1", "mail": "ada@example.com", "joined": "2024-02-01T09:00:00Z"},
        {"id": "p2", "mail": "bob@example.com", "joined": "2024-02-02T09:00:00Z"},
        {"id": "p3", "mail": "cy@example.com", "joined": "2024-02-03T09:00:00Z", "vip": True},
    ],
    "502": [{"id": "p9", "mail": "dee@example.com", "joined": "2024-03-02T12:00:00Z"}],
}
PAGE_SIZE = 2

PLUGIN_SOURCE = '''
"""A platform plug-in that only this test knows."""

from __future__ import annotations

import typing as t
from datetime import datetime

from singer_sdk import typing as th

from tap_webinars import normalize as n
from tap_webinars.client import JsonApi, TotalPagesPaginator
from tap_webinars.http import HttpPolicy
from tap_webinars.platforms.base import EventBundle, EventRef, PlatformAdapter, Window, map_fields

EVENT_FIELDS = {"id": ("event_id", n.identifier), "name": ("title", n.text)}
PERSON_FIELDS = {
    "id": ("registrant_id", n.identifier),
    "mail": ("email", n.text),
    "joined": ("registered_at", n.timestamp),
}


class FifthAdapter(PlatformAdapter):
    name = "fifth"
    title = "Fifth"
    config_properties = (
        th.Property("fifth_api_key", th.StringType, secret=True, description="Fifth API key."),
    )
    required_keys = ("fifth_api_key",)
    filled_streams = frozenset({"registrants"})

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.api = JsonApi(self.http, self.settings.api_url or "https://api.fifth.invalid")

    def http_policy(self) -> HttpPolicy:
        key = self.settings.get("fifth_api_key")
        return HttpPolicy(
            platform=self.name,
            credential_keys=("fifth_api_key",),
            default_headers={"Authorization": f"Bearer {key}"},
        )

    def check(self) -> None:
        self.api.get("/events")

    def list_events(self, bookmarks: t.Mapping[str, datetime]) -> list[EventRef]:
        return [
            EventRef(str(e["id"]), marker=n.parse_timestamp(e["updated"]), listing=e)
            for e in self.api.get("/events")["events"]
        ]

    def fetch_event(self, ref: EventRef, window: Window, wanted: frozenset[str]) -> EventBundle:
        columns, extra = map_fields("/events", ref.listing, EVENT_FIELDS, consumed=("updated",))
        event_id = str(columns.pop("event_id"))
        bundle = EventBundle(
            event=self.record(
                event_id, **columns, last_activity_at=n.timestamp(ref.listing["updated"]),
                extra=extra,
            )
        )
        if "registrants" in wanted:
            paging = TotalPagesPaginator("people", page_size=2)
            for person in self.api.paged(f"/events/{event_id}/people", {}, paging):
                columns, extra = map_fields("/people", person, PERSON_FIELDS)
                bundle.add("registrants", self.record(event_id, **columns, extra=extra))
        return bundle
'''


class FifthApi(BaseHTTPRequestHandler):
    """The fifth platform's API: a bearer key, an event list, paged people."""

    requests_seen: t.ClassVar[list[str]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        FifthApi.requests_seen.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send(401, {"message": "bad key"})
            return
        segments = [s for s in parts.path.split("/") if s]
        if segments == ["events"]:
            self._send(200, {"events": EVENTS})
            return
        if len(segments) == 3 and segments[0] == "events" and segments[2] == "people":
            people = PEOPLE.get(segments[1], [])
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            total_pages = max(1, -(-len(people) // PAGE_SIZE))
            chunk = people[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            self._send(200, {"people": chunk, "meta": {"page": page, "total_pages": total_pages}})
            return
        self._send(404, {"message": "no such path"})

    def _send(self, status: int, payload: t.Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: t.Any) -> None:
        pass


@pytest.fixture(scope="module")
def fifth_api() -> t.Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FifthApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which the fifth platform is installed, as an entry point."""
    folder = tmp_path_factory.mktemp("fifth_plugin")
    (folder / "fifth_platform.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    dist = folder / "fifth_platform-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fifth-platform\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[tap_webinars.platforms]\nfifth = fifth_platform:FifthAdapter\n"
    )
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}


def run(args: list[str], env: dict[str, str], **kwargs: t.Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False, **kwargs)


def fifth_config(tmp_path: Path, api_url: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "platform": "fifth",
                "fifth_api_key": API_KEY,
                "api_url": api_url,
                "start_date": "2024-01-01T00:00:00Z",
            }
        )
    )
    return path


def test_without_the_plugin_the_platform_is_unknown(tmp_path: Path, fifth_api: str) -> None:
    config = fifth_config(tmp_path, fifth_api)
    done = run([str(BIN / "tap-webinars"), "--config", str(config)], os.environ.copy())
    assert done.returncode != 0
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("tap-webinars: config error: platform: must be one of")
    )
    assert done.stdout == ""


def test_about_lists_the_fifth_platform_and_its_settings(plugin_env: dict[str, str]) -> None:
    done = run([str(BIN / "tap-webinars"), "--about", "--format", "json"], plugin_env)
    assert done.returncode == 0, done.stderr
    properties = json.loads(done.stdout)["settings"]["properties"]
    assert "fifth" in properties["platform"]["enum"]
    assert properties["fifth_api_key"].get("secret") is True
    assert "fifth: the platform's name" in properties["account_id"]["description"]


def test_discover_and_sync_read_the_fifth_platform(
    tmp_path: Path, fifth_api: str, plugin_env: dict[str, str]
) -> None:
    config = fifth_config(tmp_path, fifth_api)
    discover = run([str(BIN / "tap-webinars"), "--config", str(config), "--discover"], plugin_env)
    assert discover.returncode == 0, discover.stderr
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert {"events", "registrants"} <= streams

    sync = run([str(BIN / "tap-webinars"), "--config", str(config)], plugin_env)
    assert sync.returncode == 0, sync.stderr
    assert API_KEY not in sync.stdout + sync.stderr
    messages = [json.loads(line) for line in sync.stdout.splitlines()]
    records: dict[str, list[dict[str, t.Any]]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])

    events = {r["event_id"]: r for r in records["events"]}
    assert set(events) == {str(e["id"]) for e in EVENTS}
    for source in EVENTS:
        record = events[str(source["id"])]
        assert record["platform"] == "fifth"
        assert record["account_id"] == "fifth"
        assert record["title"] == source["name"]
        assert record["extra"] == {"room": source["room"]}

    expected = {
        (event_id, p["id"], p["mail"]) for event_id, people in PEOPLE.items() for p in people
    }
    got = [(r["event_id"], r["registrant_id"], r["email"]) for r in records["registrants"]]
    assert len(got) == len(set(got)) == 4  # every page read, nothing twice
    assert set(got) == expected
    vip = next(r for r in records["registrants"] if r["registrant_id"] == "p3")
    assert vip["extra"] == {"vip": True}
    assert vip["registered_at"] == "2024-02-03T09:00:00+00:00"
    assert records.get("viewers", []) == []


def test_a_bad_fifth_config_names_its_key_before_any_request(
    tmp_path: Path, fifth_api: str, plugin_env: dict[str, str]
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"platform": "fifth", "api_url": fifth_api}))
    before = len(FifthApi.requests_seen)
    done = run([str(BIN / "tap-webinars"), "--config", str(config)], plugin_env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (
        "tap-webinars: config error: fifth_api_key: is required for platform 'fifth'"
    )
    assert len(FifthApi.requests_seen) == before


def test_airbyte_spec_shows_the_fifth_platform(plugin_env: dict[str, str]) -> None:
    done = run([str(BIN / "source-webinars"), "spec"], plugin_env)
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout.splitlines()[0])
    properties = message["spec"]["connectionSpecification"]["properties"]
    assert properties["fifth_api_key"]["airbyte_secret"] is True
    assert properties["fifth_api_key"]["title"] == "Fifth API key"
    assert "fifth" in properties["platform"]["enum"]
