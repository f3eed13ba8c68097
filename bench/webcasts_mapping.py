"""Webcasts: CPU of the report reader's mapping, in this process, against bare parsing.

    .venv/bin/python bench/webcasts_mapping.py [--viewers 20000] [--body FILE] [--profile 15]

One Audience Details report of --viewers viewers is fetched from the sandbox once (or read
from --body FILE, which a fetch also writes when given). Then, over the same bytes:
  parse    defusedxml iterparse with start and end events, each viewer removed from
           `viewers` once complete (`throughput.webcasts_parse_cpu`, the floor);
  reader   `ReportReader.read`, as the adapter calls it: a `ReportMapping` with the
           adapter's `record`, an `EventBundle` (its record spools included), every stream
           wanted;
  mapping  reader - parse: what the per-viewer mapping costs.
Each figure is the least of --repeat runs (`time.process_time`). --profile N prints
cProfile's top N functions (by own time) of one more reader run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import typing as t
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _webcasts import large_event_config
from throughput import WEBCASTS_REPORT_PATH, least, webcasts_parse_cpu

from tap_webinars.platforms.base import EventBundle, EventRef
from tap_webinars.platforms.webcasts_report import ReportMapping, ReportReader
from tap_webinars.sandbox.webcasts import PASSWORD, USERNAME
from tests.harness import SandboxProcess

STREAMS = frozenset(
    {"registrants", "registrant_sessions", "viewers", "survey_responses", "questions"}
)
TIME_ZONE = "GMT"


def fetch_report(viewers: int) -> tuple[str, bytes]:
    """Create an event of *viewers* viewers in a fresh sandbox; its id and report body."""
    sandbox = SandboxProcess()
    try:
        event_id = large_event_config(sandbox, viewers)["event_ids"][0]
        base = sandbox.api_url("webcasts")
        login = requests.get(
            base + "/api/login",
            params={"username": USERNAME, "password": PASSWORD, "ver": "2.0"},
            timeout=60,
        )
        login.raise_for_status()
        session = {
            "si": _between(login.text, "<sessionid>", "</sessionid>"),
            "ui": _between(login.text, "<userid>", "</userid>"),
        }
        query = {"ver": "2.0", "ei": event_id, "tz": TIME_ZONE, **session}
        response = requests.get(base + WEBCASTS_REPORT_PATH, params=query, timeout=600)
        response.raise_for_status()
        return event_id, response.content
    finally:
        sandbox.stop()


def _between(text: str, start: str, end: str) -> str:
    inner = text.split(start, 1)[1].split(end, 1)[0]
    return inner.split("<value>", 1)[1].split("</value>", 1)[0].strip()


def record(event_id: str, **columns: t.Any) -> dict[str, t.Any]:
    """`PlatformAdapter.record` of the sandbox account."""
    return {
        "platform": "webcasts",
        "account_id": "webcasts-sandbox",
        "event_id": event_id,
        **columns,
    }


def read(body: bytes, event_id: str) -> EventBundle:
    """The reader over *body*, as the adapter runs it; the filled bundle."""
    mapping = ReportMapping(
        record,
        time_zone=TIME_ZONE,
        report_url="http://sandbox" + WEBCASTS_REPORT_PATH,
        event_list_url="http://sandbox/api/reporting/eventlist",
        warn=lambda *_args: None,
    )
    bundle = EventBundle(event={})
    ReportReader(mapping, EventRef(event_id, None), bundle, STREAMS).read(io.BytesIO(body))
    return bundle


def reader_cpu(body: bytes, event_id: str) -> float:
    started = time.process_time()
    bundle = read(body, event_id)
    spent = time.process_time() - started
    bundle.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20_000)
    parser.add_argument("--body", type=Path, help="report file: read if present, else written")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (least kept)")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    options, _ = parser.parse_known_args()  # `python -m bench NAME` passes its own argv
    if options.body is not None and options.body.exists():
        event_id, _, body = options.body.read_bytes().partition(b"\n")
        event_id_text = event_id.decode()
    else:
        event_id_text, body = fetch_report(options.viewers)
        if options.body is not None:
            options.body.write_bytes(event_id_text.encode() + b"\n" + body)
    bundle = read(body, event_id_text)  # warm-up; and what it yields
    counts = {stream: len(spool) for stream, spool in bundle.records.items()}
    bundle.close()
    parse = least(options.repeat, lambda: webcasts_parse_cpu(body))
    reader = least(options.repeat, lambda: reader_cpu(body, event_id_text))
    total = sum(counts.values())
    print(f"report: {len(body) / 1e6:.1f} MB of XML, {total:,} records {counts}")
    print(f"  parse:   {parse:6.2f} s CPU (bare iterparse)")
    print(f"  reader:  {reader:6.2f} s CPU (ReportReader.read)")
    print(f"  mapping: {reader - parse:6.2f} s CPU (reader - parse)")
    if options.profile:
        profile = cProfile.Profile()
        profile.runcall(read, body, event_id_text).close()
        pstats.Stats(profile).sort_stats("tottime").print_stats(options.profile)


if __name__ == "__main__":
    main()
