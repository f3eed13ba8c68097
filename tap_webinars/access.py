"""`tap-webinars-access`: which streams these credentials can read, and what to ask for.

    tap-webinars-access --config config.json [--format table|json]

Each platform plug-in lists one small read per resource (`access_probes`); this runs them,
one request each, and reports per stream: readable, or refused with the permission or scope
to request. Refused credentials (401) stop it with one line, as they stop a sync. Airbyte's
`check` uses the same report.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing as t
from dataclasses import dataclass

from tap_webinars import redaction
from tap_webinars.errors import AuthenticationError, SettingsError, TapWebinarsError
from tap_webinars.permissions import is_refusal
from tap_webinars.platforms import adapter_class, load_settings
from tap_webinars.platforms.base import CHILD_STREAMS, PlatformAdapter

REFUSED = frozenset({403, 404})
STREAMS = ("events", *CHILD_STREAMS)


@dataclass
class StreamAccess:
    """What one stream can do with these credentials."""

    stream: str
    readable: bool
    missing: list[str]  # permissions or scopes to request
    partial: list[str]  # enrichment refused: readable, some columns stay null
    filled: bool  # whether this platform fills the stream at all


def access_report(adapter: PlatformAdapter) -> list[StreamAccess]:
    """Run the adapter's probes, one request each; raise AuthenticationError on bad keys."""
    missing: dict[str, list[str]] = {s: [] for s in STREAMS}
    partial: dict[str, list[str]] = {s: [] for s in STREAMS}
    for probe in adapter.access_probes():
        try:
            probe.read()
        except AuthenticationError:
            raise
        except TapWebinarsError as error:
            if not is_refusal(error, REFUSED):
                raise
            for stream in probe.streams:
                (partial if probe.enrichment else missing)[stream].append(probe.permission)
    filled = {"events", *adapter.filled_streams}
    return [StreamAccess(s, not missing[s], missing[s], partial[s], s in filled) for s in STREAMS]


def describe(report: list[StreamAccess]) -> str:
    """The report as a short table."""
    lines = [f"{'stream':<20} access"]
    for row in report:
        if not row.filled:
            state = "not filled by this platform"
        elif row.readable:
            state = "ok"
            if row.partial:
                state += f" (some columns need: {', '.join(row.partial)})"
        else:
            state = f"refused: ask for {', '.join(row.missing)}"
        lines.append(f"{row.stream:<20} {state}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the access report for a config file."""
    redaction.install()
    parser = argparse.ArgumentParser(prog="tap-webinars-access", description=__doc__)
    parser.add_argument("--config", required=True, help="the tap's config JSON file")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    options = parser.parse_args(argv)
    try:
        with open(options.config, encoding="utf-8") as handle:  # noqa: PTH123
            config: dict[str, t.Any] = json.load(handle)
        settings = load_settings(config)
        adapter = adapter_class(settings.platform)(settings)
        report = access_report(adapter)
    except SettingsError as error:
        sys.exit(f"tap-webinars-access: config error: {redaction.redact(str(error))}")
    except (OSError, ValueError, TapWebinarsError) as error:
        sys.exit(f"tap-webinars-access: {redaction.redact(str(error))}")
    if options.format == "json":
        print(json.dumps([row.__dict__ for row in report], indent=2))
    else:
        print(describe(report))


if __name__ == "__main__":
    main()
