"""One line per target a benchmark checks, which `python -m bench` gathers into its summary."""

from __future__ import annotations

PREFIX = "VERDICT"


def verdict(what: str, measured: str, target: str, *, met: bool) -> None:
    """Print *what* measured against its *target* (from the issue), and whether it was met."""
    print(f"{PREFIX} | {what} | {measured} | {target} | {'met' if met else 'MISSED'}", flush=True)
