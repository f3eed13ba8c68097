"""Switchable hostile answers, for any platform: what real accounts and proxies send.

A scenario matches requests by platform and path (a regular expression over the path after
the platform prefix) and replaces or mangles the simulator's answer, a number of times or
for good. Tests switch them on through `/_admin/config`:

    {"scenarios": [{"platform": "on24", "path": "/poll$", "kind": "status", "status": 403}]}

Kinds:
    status      answer `status` with `body` (JSON) and `headers` instead: a permission
                withheld, a resource missing, a scope error, a 429 with `Retry-After`
    html        HTTP 200 with an HTML error page, as a proxy or a login wall sends it
    truncate    the real body cut to `keep` (a fraction, default 0.5) of its bytes
    cut         the real body breaking off: its whole length declared in Content-Length,
                `keep` (a fraction, default 0.5) of its bytes sent, then the connection
                closed, as a reset mid-transfer leaves it
    xml_bomb    HTTP 200, an XML document whose entities expand exponentially
    xml_entity  HTTP 200, an XML document with an external entity (a local file)
    body        HTTP `status` (default 200) with the given `text` and `content_type`
    charset     the real JSON body in another `charset` (default iso-8859-1), named in its
                Content-Type, as older APIs declare it; characters the charset lacks are
                written as JSON escapes, so the document means the same; `bom: true` starts
                it with a UTF-8 byte order mark, as some .NET services write UTF-8
    outage      a gateway restart or a deploy: from the `after`-th matching request on
                (default 1), every matching request for `seconds` answers 503 (`mode`
                "status", `status` to change it) or has its connection dropped (`mode`
                "drop"); then the platform answers as usual again
    redirect    HTTP `status` (default 302) with `Location` on another server (`to`, a base
                URL such as http://127.0.0.2:PORT): the same path and query there, as a
                misconfigured proxy or a hijacked name would send a client on

Platform simulators add their own, field-level drift (a field added, dropped or nulled) as
options of their own; these are the transport-level ones every platform can meet.
"""

from __future__ import annotations

import codecs
import json
import re
import threading
import time
import typing as t
from dataclasses import dataclass

from tap_webinars.sandbox.core import Request, Response

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p>"
    "</body></html>"
)
XML_BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n<convey_api><result><returnCode>&lol9;</returnCode></result></convey_api>\n"
)
XML_EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    "<convey_api><result><returnCode>&secret;</returnCode></result></convey_api>\n"
)


def _escape_for_json(error: UnicodeError) -> tuple[str, int]:
    r"""Encode what a charset lacks as JSON escapes (`\u00e9`, surrogate pairs beyond)."""
    assert isinstance(error, UnicodeEncodeError)
    lacking = error.object[error.start : error.end]
    return json.dumps(lacking)[1:-1], error.end


_JSON_ESCAPE = "sandbox-json-escape"
codecs.register_error(_JSON_ESCAPE, _escape_for_json)


def _produced(produce: t.Callable[[], Response]) -> tuple[Response, bytes]:
    """The simulator's own answer and its whole body (a streamed one joined)."""
    real = produce()
    return real, real.body if isinstance(real.body, bytes) else b"".join(real.body)


@dataclass
class Scenario:
    """One switched-on hostile answer."""

    platform: str
    path: re.Pattern[str]
    kind: str
    times: int  # answers left; -1 for every matching request
    options: dict[str, t.Any]
    seen: int = 0  # matching requests so far (the outage counts them)
    outage_since: float | None = None

    @classmethod
    def from_json(cls, spec: t.Mapping[str, t.Any]) -> Scenario:
        """Build a scenario from its admin-hook description."""
        options = {k: v for k, v in spec.items() if k not in ("platform", "path", "kind", "times")}
        return cls(
            platform=str(spec["platform"]),
            path=re.compile(str(spec.get("path", ".*"))),
            kind=str(spec["kind"]),
            times=int(spec.get("times", -1)),
            options=options,
        )

    def matches(self, platform: str, path: str) -> bool:
        """Whether this scenario applies to a request (and has answers left)."""
        return self.times != 0 and platform == self.platform and bool(self.path.search(path))

    def replace(self, produce: t.Callable[[], Response], request: Request) -> Response | None:
        """The hostile answer (None: drop the connection); *produce* gives the simulator's own."""
        kind, options = self.kind, self.options
        if kind == "outage":
            return self._outage(produce)
        if kind == "redirect":
            location = str(options["to"]).rstrip("/") + request.target
            return Response(int(options.get("status", 302)), b"", {"Location": location})
        if kind == "status":
            body = options.get("body", {"message": "access denied"})
            headers = {str(k): str(v) for k, v in options.get("headers", {}).items()}
            return Response.json(body, status=int(options.get("status", 403)), **headers)
        if kind == "html":
            return Response.text(HTML_ERROR_PAGE, content_type="text/html")
        if kind == "xml_bomb":
            return Response.xml(XML_BOMB)
        if kind == "xml_entity":
            return Response.xml(XML_EXTERNAL_ENTITY)
        if kind == "body":
            return Response.text(
                str(options.get("text", "")),
                status=int(options.get("status", 200)),
                content_type=str(options.get("content_type", "application/json")),
            )
        if kind == "charset":
            real, data = _produced(produce)
            charset = str(options.get("charset", "iso-8859-1"))
            text = json.dumps(json.loads(data), ensure_ascii=False)
            content_type = f"application/json; charset={charset}"
            headers = {**real.headers, "Content-Type": content_type}
            body = text.encode(charset, errors=_JSON_ESCAPE)
            if options.get("bom"):
                body = codecs.BOM_UTF8 + body
            return Response(real.status, body, headers)
        if kind == "truncate":
            real, data = _produced(produce)
            keep = max(1, int(len(data) * float(options.get("keep", 0.5))))
            return Response(real.status, data[:keep], dict(real.headers))
        if kind == "cut":
            real, data = _produced(produce)
            keep = max(1, int(len(data) * float(options.get("keep", 0.5))))
            headers = {**real.headers, "Content-Length": str(len(data))}
            return Response(real.status, data[:keep], headers)
        msg = f"unknown scenario kind {kind!r}"
        raise ValueError(msg)

    def _outage(self, produce: t.Callable[[], Response]) -> Response | None:
        """503 (or a dropped connection) for `seconds` from the `after`-th request on."""
        self.seen += 1
        now = time.monotonic()
        if self.outage_since is None and self.seen >= int(self.options.get("after", 1)):
            self.outage_since = now
        if self.outage_since is None or now - self.outage_since >= float(self.options["seconds"]):
            return produce()
        if self.options.get("mode", "status") == "drop":
            return None
        status = int(self.options.get("status", 503))
        return Response.json({"message": "service unavailable (outage)"}, status=status)


class Scenarios:
    """The scenarios switched on now, thread-safe."""

    def __init__(self) -> None:
        self._active: list[Scenario] = []
        self._lock = threading.Lock()

    def set(self, specs: t.Iterable[t.Mapping[str, t.Any]]) -> None:
        """Replace every scenario with *specs* (an empty list switches them all off)."""
        built = [Scenario.from_json(spec) for spec in specs]
        with self._lock:
            self._active = built

    def take(self, platform: str, path: str) -> Scenario | None:
        """The first scenario matching a request, counting one of its answers."""
        with self._lock:
            for scenario in self._active:
                if scenario.matches(platform, path):
                    if scenario.times > 0:
                        scenario.times -= 1
                    return scenario
        return None

    def describe(self) -> str:
        """The active scenarios, for the admin hook's answer."""
        with self._lock:
            return json.dumps([(s.platform, s.path.pattern, s.kind, s.times) for s in self._active])
