"""The marginal cost of a record: the tap against a fixed floor, at two sizes (issue 20).

For one workload at sizes N1 < N2 (Webcasts: viewers in one report; ON24: registrants in one
event, every stream), over the sandbox with no latency:
  tap    the tap as a separate process writing to a file, its CPU from `os.wait4`; the
         least of --tap-runs (3) runs per size;
  floor  in this process, the same response bytes (fetched again from the sandbox's request
         log) parsed with the standard library's C parsers (`ElementTree.iterparse`, each
         element cleared as it closes, or `json.loads`), plus `json.dumps` of the same RECORD
         messages the tap wrote (read back from its file); the least of --floor-runs (5);
  ratio  (tap CPU at N2 - tap CPU at N1) / (floor at N2 - floor at N1): start-up, login and
         listings cancel out, what remains is what each extra record costs.
The ratio of each round (one tap run and one floor at each size, back to back) is printed too.
"""

from __future__ import annotations

import io
import json
import time
import typing as t
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import requests

from tap_webinars.sandbox import on24
from tap_webinars.sandbox.webcasts import PASSWORD, USERNAME
from tests.harness import SandboxProcess

REPORT_PATH = "/api/reporting/audience_reports"


@dataclass
class Size:
    """One size of the workload: its config, what the tap wrote, and the floor's inputs."""

    count: int
    config: dict[str, t.Any]
    messages: list[dict[str, t.Any]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    xml: bool = False
    taps: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)

    @property
    def records(self) -> int:
        return len(self.messages)


def floor_cpu(size: Size) -> float:
    """Parse the bodies with the stdlib C parser and dump the RECORD messages with json."""
    started = time.process_time()
    for body in size.bodies:
        if size.xml:
            for _event, element in ET.iterparse(io.BytesIO(body)):
                element.clear()
        else:
            json.loads(body)
    for message in size.messages:
        json.dumps(message)
    return time.process_time() - started


def recorded(output: t.Any) -> list[dict[str, t.Any]]:
    """The RECORD messages of a tap's output file."""
    with output.open("rb") as lines:
        messages = [json.loads(line) for line in lines]
    return [m for m in messages if m["type"] == "RECORD"]


def webcasts_bodies(sandbox: SandboxProcess) -> list[bytes]:
    """The report the tap read (the rest is the same at both sizes), fetched again."""
    log = sandbox.requests("webcasts")
    entry = next(r for r in log if r["path"] == REPORT_PATH and r["status"] == 200)
    base = sandbox.api_url("webcasts")
    login = requests.get(
        base + "/api/login",
        params={"username": USERNAME, "password": PASSWORD, "ver": "2.0"},
        timeout=60,
    )
    root = ET.fromstring(login.content)
    session = {
        "si": root.findtext("result/success/sessionid/value") or "",
        "ui": root.findtext("result/success/userid/value") or "",
    }
    response = requests.get(base + REPORT_PATH, params={**entry["query"], **session}, timeout=600)
    response.raise_for_status()
    return [response.content]


def on24_bodies(sandbox: SandboxProcess) -> list[bytes]:
    """Every ON24 response the tap read, fetched again with the same query."""
    headers = {
        "accessTokenKey": on24.ACCESS_TOKEN_KEY,
        "accessTokenSecret": on24.ACCESS_TOKEN_SECRET,
    }
    bodies = []
    with requests.Session() as session:
        for entry in sandbox.requests("on24"):
            if entry["method"] == "GET" and entry["status"] == 200:
                url = sandbox.api_url("on24") + entry["path"]
                response = session.get(url, params=entry["query"], headers=headers, timeout=60)
                response.raise_for_status()
                bodies.append(response.content)
    return bodies


def prepare(
    sandbox: SandboxProcess,
    size: Size,
    platform: str,
    run_tap: t.Callable[[dict[str, t.Any]], tuple[t.Any, float, float]],
) -> None:
    """One sync of *size* whose output and requests give the floor its inputs."""
    sandbox.clear_requests()
    output, cpu, _wall = run_tap(size.config)
    size.taps.append(cpu)
    size.messages = recorded(output)
    output.unlink()
    size.bodies = webcasts_bodies(sandbox) if platform == "webcasts" else on24_bodies(sandbox)
    size.xml = platform == "webcasts"


def measure(
    name: str,
    sandbox: SandboxProcess,
    platform: str,
    sizes: tuple[Size, Size],
    run_tap: t.Callable[[dict[str, t.Any]], tuple[t.Any, float, float]],
    tap_runs: int,
    floor_runs: int,
) -> float:
    """Measure both sizes in rounds, print the figures; the marginal ratio."""
    small, large = sizes
    for size in sizes:
        prepare(sandbox, size, platform, run_tap)
    rounds = []
    for index in range(max(tap_runs, floor_runs)):
        if index < tap_runs:
            for size in sizes:
                if index > 0 or not size.taps:  # the preparing sync was the first run
                    output, cpu, _wall = run_tap(size.config)
                    output.unlink()
                    size.taps.append(cpu)
        for size in sizes:
            size.floors.append(floor_cpu(size))
        if index < tap_runs:
            tap = large.taps[index] - small.taps[index]
            floor = large.floors[index] - small.floors[index]
            rounds.append(tap / floor)
    extra = large.records - small.records
    tap = min(large.taps) - min(small.taps)
    floor = min(large.floors) - min(small.floors)
    ratio = tap / floor
    print(f"{name} marginal: {small.count:,} vs {large.count:,}")
    for size in sizes:
        print(
            f"  N={size.count:>7,}: {size.records:>8,} records, tap {min(size.taps):6.2f} s CPU "
            f"(least of {len(size.taps)}), floor {min(size.floors):6.2f} s "
            f"(least of {len(size.floors)}; {sum(map(len, size.bodies)) / 1e6:.1f} MB)"
        )
    print(
        f"  extra {extra:,} records: tap {tap:.2f} s = {tap / extra * 1e6:.1f} us a record "
        f"({extra / tap:,.0f}/s), floor {floor:.2f} s = {floor / extra * 1e6:.1f} us a record "
        f"({extra / floor:,.0f}/s)"
    )
    print(f"  ratio: marginal tap / floor = {ratio:.2f}x")
    print(f"  rounds: {', '.join(f'{r:.2f}x' for r in rounds)}")
    return ratio


def webcasts_sizes(
    sandbox: SandboxProcess, counts: tuple[int, int], config: t.Callable[..., dict[str, t.Any]]
) -> tuple[Size, Size]:
    """Two Webcasts events of *counts* viewers, each read alone."""
    sizes = []
    for count in counts:
        event_id = sandbox.admin("webcasts", "create_event", viewers=count)["event_id"]
        sizes.append(Size(count, config(sandbox, event_ids=[event_id])))
    return sizes[0], sizes[1]


def on24_sizes(
    sandbox: SandboxProcess, counts: tuple[int, int], config: t.Callable[..., dict[str, t.Any]]
) -> tuple[Size, Size]:
    """Two new ON24 events of *counts* attending registrants, each read alone."""
    sizes = []
    for count in counts:
        event_id = sandbox.admin("on24", "add_event", days_ahead=-30)["eventid"]
        sandbox.admin("on24", "add_activity", event_id=event_id, registrants=count, hours_ago=2)
        sizes.append(Size(count, config(sandbox, event_ids=[str(event_id)])))
    return sizes[0], sizes[1]
