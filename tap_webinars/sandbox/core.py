"""What every simulated platform shares: requests, responses, the clock, seeded data, faults.

A platform module subclasses `PlatformSimulator`, handles its own paths under its prefix, and
offers test hooks through `admin` (add data between runs, expire sessions, ...). The server
(`server.py`) routes, injects latency and faults, and logs every request for the tests'
request counts.
"""

from __future__ import annotations

import json
import random
import threading
import time
import typing as t
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs


@dataclass
class Request:
    """One HTTP request, with the platform prefix already removed from `path`."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    target: str = ""  # the path and query as sent, platform prefix included

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query (or form) parameter."""
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (`tags[]=a&tags[]=b`)."""
        return self.query.get(name, []) + self.form.get(name, [])

    def header(self, name: str) -> str | None:
        """A request header, looked up case-insensitively."""
        return self.headers.get(name.lower())

    @property
    def form(self) -> dict[str, list[str]]:
        """The body as form fields, when it is URL-encoded."""
        content_type = self.headers.get("content-type", "")
        if self.body and "application/x-www-form-urlencoded" in content_type:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {}

    def json(self) -> t.Any:
        """The body as JSON (admin hooks)."""
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    """A response; `body` may be an iterator of chunks for reports too large to build."""

    status: int = 200
    body: bytes | t.Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: t.Any, status: int = 200, **headers: str) -> Response:
        """A JSON response."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})

    @classmethod
    def xml(cls, body: str | bytes | t.Iterable[bytes], status: int = 200) -> Response:
        """An XML response (string, bytes or a chunk iterator)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, data, {"Content-Type": "text/xml; charset=utf-8"})

    @classmethod
    def text(cls, body: str, status: int = 200, content_type: str = "text/plain") -> Response:
        """A plain-text (or CSV) response."""
        return cls(status, body.encode("utf-8"), {"Content-Type": f"{content_type}; charset=utf-8"})


class SlidingWindowLimit:
    """Counts requests per key over a sliding window, as platforms' rate limiters do."""

    def __init__(self, calls: int, period: float) -> None:
        self.calls = calls
        self.period = period
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record a request; return None if allowed, else seconds until the window frees."""
        now = time.time()
        with self._lock:
            hits = [h for h in self._hits.get(key, []) if h > now - self.period]
            if len(hits) >= self.calls:
                self._hits[key] = hits
                return hits[0] + self.period - now
            hits.append(now)
            self._hits[key] = hits
            return None

    def reset(self) -> None:
        """Forget every request (tests, between phases)."""
        with self._lock:
            self._hits.clear()


class PlatformSimulator:
    """Base of the four simulated platforms."""

    prefix: t.ClassVar[str]

    def __init__(self, seed: int, size: str) -> None:
        self.seed = seed
        self.size = size
        self.random = random.Random(f"{self.prefix}:{seed}")  # noqa: S311 - test data
        self.lock = threading.RLock()
        self.started_at = datetime.now(timezone.utc).replace(microsecond=0)

    def handle(self, request: Request) -> Response:
        """Answer one request under this platform's prefix."""
        raise NotImplementedError

    def admin(self, action: str, payload: dict[str, t.Any]) -> t.Any:
        """Test hook: change data or behaviour between runs."""
        raise KeyError(action)

    def dataset(self) -> dict[str, t.Any]:
        """The platform's current data, as the API would expose it, for tests to compare."""
        raise NotImplementedError

    def configure(self, options: dict[str, t.Any]) -> None:
        """Apply runtime options (rate limits, session lifetime) that tests set."""
        del options


def utc(moment: datetime) -> str:
    """ISO 8601 with a `Z`, as WebinarFuel and REST APIs write UTC times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


FIRST_NAMES = [
    "Ana",
    "José",
    "Zoë",
    "Björn",
    "Aisha",
    "Wei",
    "Olu",
    "Priya",
    "Łukasz",
    "Chloé",
    "Mateo",
    "Yuki",
    "Søren",
    "Fatima",
    "Noah",
    "Émilie",
    "Dmitri",
    "Grace",
    "Ngozi",
    "Liam",
    "王",
    "Sven",
    "İlkay",
    "Mårten",
]
LAST_NAMES = [
    "García",
    "Müller",
    "O'Brien",
    "Nakamura",
    "Singh",
    "Kowalski",
    "Smith",
    "Dubois",
    "Okafor",
    "Ivanova",
    "Jensen",
    "Rossi",
    "Chen",
    "Novák",
    "Hernández",
    "Øvergaard",
    "李",
]
COMPANIES = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella GmbH",
    "Soylent & Co",
    "Hooli",
    "Vandelay",
    "Ünited Widgets",
    "",
    "Stark Industries",
    "Wayne Enterprises",
    "Tyrell",
]
CITIES = [
    ("Berlin", "DE"),
    ("São Paulo", "BR"),
    ("Austin", "US"),
    ("Kraków", "PL"),
    ("Tokyo", "JP"),
    ("Lagos", "NG"),
    ("Zürich", "CH"),
    ("Toronto", "CA"),
    ("", ""),
    ("Sydney", "AU"),
]
