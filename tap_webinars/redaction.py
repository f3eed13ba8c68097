"""Keeps secrets out of every log line, error message and traceback.

Secrets are registered once, when the settings are read; from then on every log record is
scrubbed as it is created (so no handler, level or third-party logger can leak one), and the
query-string parameters that carry secrets on some platforms (one sends its password in the
login URL) are masked wherever a URL is shown.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Query/form parameter names whose values are secret on one platform or another.
SECRET_PARAMETERS = frozenset(
    {"password", "si", "sessionid", "apitoken", "access_token", "client_secret", "token"}
)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_installed = False


def register_secret(value: object) -> None:
    """Remember a secret value so that it is masked wherever it would appear."""
    global _pattern  # noqa: PLW0603 - one process-wide registry is the point
    text = str(value or "")
    if len(text) < 4:  # too short to mask without mangling ordinary text
        return
    with _lock:
        _secrets.add(text)
        # Longest first, so a secret that contains another is masked whole.
        alternatives = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def redact(text: str) -> str:
    """Return *text* with every registered secret and secret URL parameter masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)


_SECRET_PARAM_RE = re.compile(
    r"(?i)\b(" + "|".join(sorted(SECRET_PARAMETERS)) + r")=([^&\s\"'<>]+)"
)


def redact_url(url: str) -> str:
    """Return *url* with secret query parameters masked, for logs and error messages."""
    parts = urlsplit(url)
    if not parts.query:
        return redact(url)
    query = [
        (k, MASK if k.lower() in SECRET_PARAMETERS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return redact(urlunsplit(parts._replace(query=urlencode(query, safe="*"))))


def install() -> None:
    """Scrub every log record and uncaught traceback in this process from now on."""
    global _installed  # noqa: PLW0603
    if _installed:
        return
    _installed = True
    previous_factory = logging.getLogRecordFactory()

    def scrubbing_factory(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(scrubbing_factory)

    def scrubbing_hook(kind: type[BaseException], error: BaseException, tb: t.Any) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        sys.stderr.write(redact(text))

    sys.excepthook = scrubbing_hook
