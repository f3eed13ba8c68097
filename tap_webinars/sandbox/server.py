"""The sandbox HTTP server: one port, one prefix per platform, latency and faults on demand.

    tap-webinars-sandbox --port 8765 --seed 7 --latency-ms 100 --fault-rate 0.1

Each platform plug-in's simulator lives under `/<platform>` (`/on24`, ...); test hooks under
`/_admin` (request log, runtime options, per-platform data changes, dataset dumps).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import random
import socket
import sys
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tap_webinars.platforms import registry
from tap_webinars.redaction import SECRET_PARAMETERS
from tap_webinars.sandbox.core import PlatformSimulator, Request, Response
from tap_webinars.sandbox.scenarios import Scenarios

LOGGER = logging.getLogger("tap_webinars.sandbox")

FAULT_STATUSES = (500, 502, 503)


def simulator_targets() -> dict[str, str]:
    """Every registered platform plug-in that has a simulator: prefix -> "module:Class"."""
    return {name: p.simulator for name, p in registry().items() if p.simulator is not None}


def load_simulators(seed: int, size: str) -> dict[str, PlatformSimulator]:
    """Instantiate the simulator of every platform plug-in that declares one."""
    simulators: dict[str, PlatformSimulator] = {}
    for prefix, target in simulator_targets().items():
        module_name, class_name = target.split(":")
        module = importlib.import_module(module_name)
        simulators[prefix] = getattr(module, class_name)(seed=seed, size=size)
    return simulators


class Sandbox:
    """The simulated platforms plus the cross-cutting behaviour tests control."""

    def __init__(self, seed: int = 7, size: str = "default") -> None:
        self.seed = seed
        self.size = size
        self.simulators = load_simulators(seed, size)
        self.latency_ms = 0.0
        self.fault_rate = 0.0
        self.requests: list[dict[str, t.Any]] = []
        self.scenarios = Scenarios()
        self._faults = random.Random(seed)  # noqa: S311 - fault injection, not security
        self._lock = threading.Lock()

    def reset(self, seed: int | None = None, size: str | None = None) -> None:
        """Regenerate every platform's data and clear the log and options."""
        self.seed = self.seed if seed is None else seed
        self.size = size or self.size
        self.simulators = load_simulators(self.seed, self.size)
        self.latency_ms = 0.0
        self.fault_rate = 0.0
        self.scenarios = Scenarios()
        # The same faults after every reset: a test's injected faults do not depend on how
        # many requests the tests before it made.
        self._faults = random.Random(self.seed)  # noqa: S311 - fault injection, not security
        with self._lock:
            self.requests.clear()

    def dispatch(self, request: Request) -> Response | None:
        """Answer a request; None means drop the connection (an injected network fault)."""
        head, _, rest = request.path.lstrip("/").partition("/")
        if head == "_admin":
            return self._admin(rest, request)
        simulator = self.simulators.get(head)
        if simulator is None:
            return Response.json({"message": f"no platform at /{head}"}, status=404)
        request.path = "/" + rest
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        fault = self._fault()
        entry = {
            "platform": head,
            "method": request.method,
            "path": request.path,
            # The log is for tests' request counts; it shows no password, even a sandbox one.
            "query": {
                k: "***" if k.lower() == "password" else (v[0] if len(v) == 1 else v)
                for k, v in request.query.items()
            },
            "fault": fault,
            "at": time.time(),  # arrival, for rate measurements
        }
        if request.form:  # form posts (a token in the body): fields logged, secrets masked
            entry["form"] = {
                k: "***" if k.lower() in SECRET_PARAMETERS else (v[0] if len(v) == 1 else v)
                for k, v in request.form.items()
            }
        if fault == "drop":
            self._log(entry, 0)
            return None
        if fault is not None:
            self._log(entry, int(fault))
            return Response.json({"message": "injected fault"}, status=int(fault))
        scenario = self.scenarios.take(head, request.path)
        if scenario is not None:
            entry["scenario"] = scenario.kind
            answer = scenario.replace(lambda: simulator.handle(request), request)
            if answer is None:  # the scenario drops the connection
                self._log(entry, 0)
                return None
            response = answer
        else:
            response = simulator.handle(request)
        self._log(entry, response.status)
        return response

    def _fault(self) -> str | None:
        if not self.fault_rate:
            return None
        with self._lock:
            if self._faults.random() >= self.fault_rate:
                return None
            choice = self._faults.choice([*FAULT_STATUSES, "drop"])
        return str(choice)

    def _log(self, entry: dict[str, t.Any], status: int) -> None:
        entry["status"] = status
        with self._lock:
            self.requests.append(entry)

    def _admin(self, path: str, request: Request) -> Response:
        parts = [p for p in path.split("/") if p]
        if parts == ["requests"]:
            if request.method == "DELETE":
                with self._lock:
                    self.requests.clear()
                return Response.json({"cleared": True})
            with self._lock:
                return Response.json(list(self.requests))
        if parts == ["config"] and request.method == "POST":
            options = request.json()
            self.latency_ms = float(options.pop("latency_ms", self.latency_ms))
            self.fault_rate = float(options.pop("fault_rate", self.fault_rate))
            if "scenarios" in options:
                self.scenarios.set(options.pop("scenarios"))
            for name, simulator in self.simulators.items():
                simulator.configure(options.get(name, {}))
            return Response.json({"latency_ms": self.latency_ms, "fault_rate": self.fault_rate})
        if parts == ["reset"] and request.method == "POST":
            options = request.json()
            self.reset(options.get("seed"), options.get("size"))
            return Response.json({"seed": self.seed, "size": self.size})
        if len(parts) == 2 and parts[0] in self.simulators:
            simulator = self.simulators[parts[0]]
            if parts[1] == "dataset":
                with simulator.lock:
                    return Response.json(simulator.dataset())
            try:
                with simulator.lock:
                    return Response.json(simulator.admin(parts[1], request.json()))
            except KeyError as error:
                return Response.json({"message": f"unknown admin action {error}"}, status=404)
        return Response.json({"message": f"unknown admin path /{path}"}, status=404)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: with Nagle on, each keep-alive response
    # waited ~40 ms for the client's delayed ACK, which swamped the latency being simulated.
    disable_nagle_algorithm = True
    sandbox: Sandbox

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            target=self.path,
        )
        try:
            response = self.sandbox.dispatch(request)
        except Exception:  # a simulator bug must show as a 500, not a hung connection
            LOGGER.exception("sandbox error on %s %s", self.command, parts.path)
            response = Response.json({"message": "sandbox internal error"}, status=500)
        if response is None:
            self.close_connection = True
            self.connection.close()
            return
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if isinstance(response.body, bytes):
            declared = int(response.headers.get("Content-Length", len(response.body)))
            if "Content-Length" not in response.headers:
                self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(response.body)
            if declared > len(response.body):  # a body that breaks off: the connection ends
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in response.body:
            if chunk:
                self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: t.Any) -> None:
        LOGGER.debug(format, *args)


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Bind a server for *sandbox*; the caller runs `serve_forever`."""
    handler = type("SandboxHandler", (_Handler,), {"sandbox": sandbox})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    """`tap-webinars-sandbox`: run the simulator until interrupted."""
    parser = argparse.ArgumentParser(prog="tap-webinars-sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--size", default="default", help="dataset size: small, default, large")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added per request")
    parser.add_argument("--fault-rate", type=float, default=0, help="share of requests that fail")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
    sandbox = Sandbox(seed=options.seed, size=options.size)
    sandbox.latency_ms = options.latency_ms
    sandbox.fault_rate = options.fault_rate
    server = serve(sandbox, options.host, options.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    platforms = ", ".join(f"/{p}" for p in sandbox.simulators)
    print(json.dumps({"url": f"http://{host}:{port}", "platforms": list(sandbox.simulators)}))
    sys.stdout.flush()
    LOGGER.info("serving %s on http://%s:%s", platforms, host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
