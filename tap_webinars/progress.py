"""A run that says what it did: progress while it works, a summary when it ends.

Both go to the `tap_webinars.run` logger at INFO, the default level, so they reach stderr
in every runner (shell, Meltano, Airbyte's log messages) and pass through redaction like
every other line. Progress is at most one line every `interval` seconds; the summary is a
few compact lines: records per stream, requests per endpoint, retries, rate-limit waits,
events listed and read, what was skipped and why, and the wall time.
"""

from __future__ import annotations

import logging
import threading
import time
import typing as t
from collections import Counter

from tap_webinars.http import HttpStats

LOGGER = logging.getLogger("tap_webinars.run")
PROGRESS_INTERVAL_SECONDS = 30.0


class RunReport:
    """Counts what one run does and reports it."""

    def __init__(
        self,
        platform: str,
        stats: HttpStats,
        *,
        interval: float = PROGRESS_INTERVAL_SECONDS,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.stats = stats
        self.interval = interval
        self._clock = clock
        self.started = clock()
        self.records: Counter[str] = Counter()
        self.events_listed = 0
        self.events_to_read = 0
        self.events_read = 0
        self.skipped: dict[str, str] = {}
        self._last_progress = self.started
        self._lock = threading.Lock()
        self._summarised = False

    def planned(self, listed: int, to_read: int) -> None:
        """The listing is done: *listed* events seen, *to_read* of them to be read."""
        self.events_listed, self.events_to_read = listed, to_read

    def event_done(self) -> None:
        """One event (and all its children) emitted."""
        with self._lock:
            self.events_read += 1
        self._maybe_progress()

    def skip(self, what: str, why: str) -> None:
        """Note that *what* (a stream, an endpoint's columns) was skipped, and why."""
        with self._lock:
            self.skipped.setdefault(what, why)

    def _maybe_progress(self) -> None:
        now = self._clock()
        if now - self._last_progress < self.interval:
            return
        with self._lock:
            if now - self._last_progress < self.interval:
                return
            self._last_progress = now
            line = self.progress_line(now)
        LOGGER.info("%s", line)

    def progress_line(self, now: float) -> str:
        """One line: event k of n, records so far, requests, and an ETA once there is one."""
        elapsed = now - self.started
        done, total = self.events_read, self.events_to_read
        eta = ""
        if 0 < done < total:
            eta = f", about {_duration(elapsed / done * (total - done))} left"
        return (
            f"{self.platform}: event {done} of {total}, "
            f"{sum(self.records.values())} records, "
            f"{sum(self.stats.requests.values())} requests, {_duration(elapsed)}{eta}"
        )

    def summary_lines(self) -> list[str]:
        """The end-of-run summary, a few compact lines."""
        wall = self._clock() - self.started
        records = ", ".join(f"{name} {count}" for name, count in sorted(self.records.items()))
        requests = ", ".join(
            f"{endpoint} {count}" for endpoint, count in self.stats.requests.most_common()
        )
        lines = [
            f"{self.platform}: run summary: {sum(self.records.values())} records "
            f"({records or 'none'}) in {_duration(wall)}",
            f"{self.platform}: events: {self.events_listed} listed, {self.events_read} read",
            f"{self.platform}: requests: {sum(self.stats.requests.values())} "
            f"({requests or 'none'}); retries {self.stats.retries} "
            f"({self.stats.retry_seconds:.1f}s waiting); rate-limit waits "
            f"{self.stats.rate_limit_waits} ({self.stats.rate_limit_seconds:.1f}s)",
        ]
        # A platform's own quotas (a daily cap), where its HTTP stats count them.
        quotas: t.Mapping[str, t.Any] = getattr(self.stats, "quotas", None) or {}
        if quotas:
            counted = ", ".join(f"{name} {value}" for name, value in sorted(quotas.items()))
            lines.append(f"{self.platform}: quotas: {counted}")
        skipped = "; ".join(f"{what}: {why}" for what, why in sorted(self.skipped.items()))
        lines.append(f"{self.platform}: skipped: {skipped or 'nothing'}")
        return lines

    def summarise(self) -> None:
        """Log the summary, once."""
        if self._summarised:
            return
        self._summarised = True
        for line in self.summary_lines():
            LOGGER.info("%s", line)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
