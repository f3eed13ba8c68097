"""ON24: CPU of one event's reading and mapping, in this process, without HTTP or threads.

    .venv/bin/python bench/on24_mapping.py [--registrants 16000] [--repeat 5]

The marginal measure (`throughput.py`) runs the whole tap, its HTTP client and threads
included, and its figures spread by about 10% here. This one takes the pages of one event
of --registrants attending registrants (the marginal measure's larger event, its surveys
included) from the sandbox once, then times, over the same bytes, what the adapter does
with them:
  listing   each page's envelope and keys, the consistency check, the attendees' answers
            (`saw`), the page spool;
  attendees viewers, survey responses and questions (`AttendeeReader.read`);
  registrants, sessions
            their records (`EventMapping`);
  emit      the record lines as the writer takes them (blocks);
and, as context, the same pages through `json.loads` (the marginal floor's parse). Each
figure is the least of --repeat runs (`time.process_time`). Context only: no target (not part
of the verdict table); this machine's speed itself drifts by half over an hour, so compare
figures of one invocation, or of invocations close together.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import typing as t
from concurrent.futures import Future
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _marginal
from _on24 import all_events_config

from tap_webinars.platforms import load_settings
from tap_webinars.platforms.base import CHILD_STREAMS, EventBundle
from tap_webinars.platforms.on24 import On24Adapter
from tap_webinars.platforms.on24 import api as on24_api
from tap_webinars.platforms.on24.attendees import AttendeeReader
from tap_webinars.platforms.on24.listing import ListingCheck
from tap_webinars.platforms.on24.mapping import EventMapping
from tap_webinars.raw_pages import PageSpool
from tap_webinars.sandbox import on24
from tests.harness import SandboxProcess

LISTINGS = {
    "attendee": on24_api.ATTENDEES,
    "registrant": on24_api.REGISTRANTS,
    "attendeesession": on24_api.SESSIONS,
}


def fetch(sandbox: SandboxProcess, event_id: str) -> dict[str, t.Any]:
    """Every page of the event's three listings (as bytes) and its two catalogs."""
    headers = {
        "accessTokenKey": on24.ACCESS_TOKEN_KEY,
        "accessTokenSecret": on24.ACCESS_TOKEN_SECRET,
    }
    base = f"{sandbox.api_url('on24')}/v2/client/{on24.CLIENT_ID}/event/{event_id}"
    pages: dict[str, t.Any] = {}
    with requests.Session() as session:
        for resource, collection in LISTINGS.items():
            bodies = []
            for offset in range(100_000):
                query: dict[str, t.Any] = {"pageOffset": offset, "itemsPerPage": on24_api.PAGE_SIZE}
                if resource != "attendeesession":
                    query["userStatus"] = "any"
                response = session.get(f"{base}/{resource}", params=query, headers=headers)
                response.raise_for_status()
                if not response.json()[collection.items]:
                    break
                bodies.append(response.content)
            pages[resource] = bodies
        for catalog in ("survey", "poll"):
            pages[catalog] = session.get(f"{base}/{catalog}", headers=headers).json()
    return pages


def page(body: bytes) -> requests.Response:
    """A response as the HTTP layer hands it to the paginator (no request is made)."""
    response = requests.Response()
    response._content = body  # a body without a server
    response.encoding = "utf-8"
    response.status_code = 200
    response.url = "https://api.on24.com/v2/client/1/event/2/listing"
    return response


def listing(
    collection: on24_api.Collection,
    bodies: list[bytes],
    seen: t.Callable[[t.Sequence[bytes]], None] | None = None,
) -> PageSpool:
    """One listing's first pass, as `listing._read_once` makes it over its pages."""
    pages, check, spool = collection.pages(), ListingCheck(), PageSpool()
    for body in bodies:
        response = page(body)
        pages.check(response)
        items = pages.items(response)
        check.see(items, pages.keys(response), pages.total)
        if seen is not None:
            seen(items)
        spool.append_page(items)
    if check.problem(pages.total):
        raise SystemExit(f"{collection.path}: {check.problem(pages.total)}")
    return spool


def run(adapter: On24Adapter, pages: dict[str, t.Any]) -> tuple[dict[str, float], int]:
    """One event's reading and mapping; each phase's CPU, and the records made."""
    bundle = EventBundle(event={})
    wanted = frozenset(CHILD_STREAMS)
    lines = {stream: bundle.lines(stream, adapter.record("1")) for stream in CHILD_STREAMS}
    mapping = EventMapping(adapter.base_url, "1")
    reader = AttendeeReader(adapter, mapping, wanted, lines)

    def catalog(path: str, _role: object) -> Future[t.Any]:
        read: Future[t.Any] = Future()
        read.set_result(pages["survey" if "survey" in path else "poll"])
        return read

    reader._catalog_read = catalog  # type: ignore[method-assign,assignment] # read already
    cpu: dict[str, float] = {}
    started = time.process_time()
    spools = {
        resource: listing(
            collection, pages[resource], reader.saw if resource == "attendee" else None
        )
        for resource, collection in LISTINGS.items()
    }
    cpu["listing"] = time.process_time() - started
    started = time.process_time()
    for attendee in spools["attendee"]:
        reader.read(attendee)
    cpu["attendees"] = time.process_time() - started
    started = time.process_time()
    for registrant in spools["registrant"]:
        record = mapping.registrant(registrant, reader.attended)
        reader.know_registrant(registrant, record)
        lines["registrants"].append(record)
    cpu["registrants"] = time.process_time() - started
    started = time.process_time()
    for session in spools["attendeesession"]:
        lines["registrant_sessions"].append(mapping.session(session, reader.registrant_of(session)))
    cpu["sessions"] = time.process_time() - started
    started = time.process_time()
    for stream_lines in lines.values():
        for block in stream_lines.blocks():
            block.replace(b"\n", b'\n{"type":"RECORD","record":')
    cpu["emit"] = time.process_time() - started
    records = sum(len(stream_lines) for stream_lines in lines.values())
    for spool in spools.values():
        spool.close()
    bundle.close()
    return cpu, records


def parse(pages: dict[str, t.Any]) -> float:
    """`json.loads` of the same pages: the marginal floor's parse."""
    started = time.process_time()
    for resource in LISTINGS:
        for body in pages[resource]:
            json.loads(body)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrants", type=int, default=16_000)
    parser.add_argument("--repeat", type=int, default=5)
    options, _ = parser.parse_known_args()  # `python -m bench NAME` passes its own argv
    sandbox = SandboxProcess()
    try:
        size = _marginal.on24_sizes(sandbox, (1, options.registrants), all_events_config)[1]
        pages = fetch(sandbox, size.config["event_ids"][0])
        adapter = On24Adapter(load_settings(size.config))
    finally:
        sandbox.stop()
    megabytes = sum(len(b) for r in LISTINGS for b in pages[r]) / 1e6
    gc.freeze()  # as the tap does when its sync starts
    best: dict[str, float] = {}
    records = 0
    for _ in range(options.repeat):
        cpu, records = run(adapter, pages)
        for phase, seconds in cpu.items():
            best[phase] = min(best.get(phase, float("inf")), seconds)
    total = sum(best.values())
    parses = [parse(pages) for _ in range(options.repeat)]
    print(f"ON24 event of {options.registrants:,} registrants: {megabytes:.1f} MB of pages")
    print(
        f"  {records:,} records: {total:.3f} s CPU = {total / records * 1e6:.1f} us a record "
        f"(least of {options.repeat} per phase: "
        + ", ".join(f"{phase} {seconds:.3f} s" for phase, seconds in best.items())
        + ")"
    )
    print(
        f"  context: json.loads of the same pages {min(parses):.3f} s "
        "(the marginal floor's parse; its json.dumps of the records comes on top)"
    )


if __name__ == "__main__":
    main()
