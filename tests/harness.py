"""Test harness: the sandbox as a real process, and the tap run as a real process.

Nothing here patches HTTP: the tap talks to `tap-webinars-sandbox` over loopback, and tests
read the sandbox's request log and dataset through its `/_admin` hooks.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class SandboxProcess:
    """`tap-webinars-sandbox` started on a free port, with its admin hooks as methods."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tap_webinars.sandbox.server", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("sandbox did not start")
        self.url: str = json.loads(line)["url"]
        self.platforms: list[str] = json.loads(line)["platforms"]

    def stop(self) -> None:
        """Terminate the server process."""
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def api_url(self, platform: str) -> str:
        """The `api_url` setting that points a tap at *platform* in this sandbox."""
        return f"{self.url}/{platform}"

    def _admin(self, method: str, path: str, payload: t.Any = None) -> t.Any:
        response = requests.request(method, f"{self.url}/_admin/{path}", json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def reset(self, seed: int = 7, size: str = "default") -> None:
        """Regenerate all data and clear options and the request log."""
        self._admin("POST", "reset", {"seed": seed, "size": size})

    def configure(self, **options: t.Any) -> None:
        """Set latency_ms, fault_rate, and per-platform options ({platform: {...}})."""
        self._admin("POST", "config", options)

    def scenarios(self, *specs: dict[str, t.Any]) -> None:
        """Switch hostile answers on (`tap_webinars/sandbox/scenarios.py`); none: all off."""
        self.configure(scenarios=list(specs))

    def requests(self, platform: str | None = None) -> list[dict[str, t.Any]]:
        """The request log, optionally for one platform."""
        log = self._admin("GET", "requests")
        return [r for r in log if platform is None or r["platform"] == platform]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._admin("DELETE", "requests")

    def admin(self, platform: str, action: str, **payload: t.Any) -> t.Any:
        """Call a platform's test hook (add data, expire sessions, ...)."""
        return self._admin("POST", f"{platform}/{action}", payload)

    def dataset(self, platform: str) -> dict[str, t.Any]:
        """The platform's raw data as the simulated API exposes it."""
        return t.cast(dict[str, t.Any], self._admin("GET", f"{platform}/dataset"))


@dataclass
class TapRun:
    """What one tap process printed."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, t.Any]] = field(default_factory=list)

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        """The records of *stream*, in order."""
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        """Every STATE value, in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        """The last STATE the tap emitted (what a target would persist)."""
        return self.states[-1] if self.states else {}


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    args: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> TapRun:
    """Run `tap-webinars` as a separate process and parse its Singer output."""
    with tempfile.TemporaryDirectory() as folder:
        command = [str(BIN / "tap-webinars")]
        if config is not None:
            path = Path(folder, "config.json")
            path.write_text(json.dumps(config))
            command += ["--config", str(path)]
        for name, value in (("state", state), ("catalog", catalog)):
            if value is not None:
                path = Path(folder, f"{name}.json")
                path.write_text(json.dumps(value))
                command += [f"--{name}", str(path)]
        command += list(args)
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    messages = []
    if not {"--discover", "--about"} & set(args):  # those print one JSON document, not messages
        for line in completed.stdout.splitlines():
            if line.startswith("{"):
                messages.append(json.loads(line))
    return TapRun(completed.returncode, completed.stdout, completed.stderr, messages)


def assert_unique_keys(run: TapRun, stream: str, key: t.Sequence[str]) -> None:
    """Fail if two records of *stream* share a primary key (the SDK does not check this)."""
    seen: dict[tuple[t.Any, ...], int] = {}
    for record in run.records(stream):
        value = tuple(record[k] for k in key)
        seen[value] = seen.get(value, 0) + 1
    duplicates = {k: c for k, c in seen.items() if c > 1}
    assert not duplicates, f"{stream}: duplicate keys {list(duplicates)[:5]}"


def assert_referential_integrity(runs: t.Sequence[TapRun], children: t.Iterable[str]) -> None:
    """Every registrant id a child record names is a registrants record of the same event
    emitted in that run or an earlier one (*runs* in order); null is allowed."""
    streams = tuple(children)
    emitted: set[tuple[str, str]] = set()
    for run in runs:
        emitted |= {(r["event_id"], r["registrant_id"]) for r in run.records("registrants")}
        for stream in streams:
            for record in run.records(stream):
                if record["registrant_id"] is not None:
                    key = (record["event_id"], record["registrant_id"])
                    assert key in emitted, (stream, key)


def assert_config_error(run: TapRun, key: str) -> None:
    """A bad config: non-zero exit, one `tap-webinars: config error` line naming *key*, no
    traceback and no Singer output at all."""
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-webinars:")]
    assert len(errors) == 1, run.stderr
    assert "config error" in errors[0], errors[0]
    assert key in errors[0], errors[0]
    assert run.messages == []


class RecordingServer:
    """A second server on another loopback address that records everything it receives.

    The target of the sandbox's `redirect` scenario: whatever a redirected tap sends there
    (method, path and query, headers, body) is kept in `received`, so a test can show that
    no credential arrived. It answers every request with an empty JSON object.
    """

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.received: list[dict[str, t.Any]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(
                    {
                        "method": self.command,
                        "target": self.path,
                        "headers": dict(self.headers.items()),
                        "body": self.rfile.read(length).decode("latin-1") if length else "",
                    }
                )
                body = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _record  # noqa: N815

            def log_message(self, format: str, *args: t.Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()
