"""Every run ends with a summary on stderr, and long runs show progress with an ETA.

The summary's figures are checked against what the tap actually printed and what the
sandbox's request log recorded, not against the code that counts them.
"""

from __future__ import annotations

import re
from collections import Counter

from tap_webinars.http import HttpStats
from tap_webinars.progress import RunReport
from tests.harness import SandboxProcess, run_tap

STREAMS = ("events", "registrants", "registrant_sessions", "viewers")


def test_summary_matches_the_output_and_the_request_log(sandbox: SandboxProcess) -> None:
    config = {
        "platform": "webinarfuel",
        "webinarfuel_api_key": "wf-sandbox-key",
        "api_url": sandbox.api_url("webinarfuel"),
        "start_date": "2020-01-01T00:00:00Z",
    }
    run = run_tap(config)
    assert run.returncode == 0, run.stderr
    log = sandbox.requests("webinarfuel")
    assert log
    summary = [line for line in run.stderr.splitlines() if "webinarfuel: " in line]
    text = "\n".join(summary)

    emitted = {stream: len(run.records(stream)) for stream in STREAMS}
    assert all(emitted.values())
    match = re.search(r"run summary: (\d+) records \(([^)]*)\) in ([\d.]+s|\d+m\d\ds)", text)
    assert match, text
    assert int(match.group(1)) == sum(emitted.values())
    reported = dict(
        (name, int(count))
        for name, count in (part.rsplit(" ", 1) for part in match.group(2).split(", "))
    )
    assert reported == emitted

    events = re.search(r"events: (\d+) listed, (\d+) read", text)
    assert events, text
    assert int(events.group(2)) == emitted["events"]
    assert int(events.group(1)) >= emitted["events"]

    requests = re.search(
        r"requests: (\d+) \(([^)]*)\); retries (\d+) \(([\d.]+)s waiting\); "
        r"rate-limit waits (\d+)",
        text,
    )
    assert requests, text
    assert int(requests.group(1)) == len(log)
    # The sandbox logs paths without the platform prefix; ids become {id} in the summary.
    per_path = Counter(
        "/webinarfuel" + re.sub(r"/\d+(?=/|$)", "/{id}", entry["path"]) for entry in log
    )
    reported_paths = {}
    for part in requests.group(2).split(", "):
        endpoint, count = part.rsplit(" ", 1)
        reported_paths[endpoint] = int(count)
    assert reported_paths == dict(per_path)
    assert "/webinarfuel/webinars" in reported_paths
    assert "skipped: nothing" in text
    assert "wf-sandbox-key" not in run.stderr


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_at_most_every_interval_with_an_eta(caplog) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    stats = HttpStats()
    report = RunReport("demo", stats, interval=30.0, clock=clock)
    report.planned(listed=12, to_read=10)
    caplog.set_level("INFO", logger="tap_webinars.run")
    for _ in range(4):  # 4 events in 20 s: no progress line yet
        clock.now += 5
        stats.count("https://api.example/x")
        report.event_done()
    assert [r for r in caplog.records if "event" in r.getMessage()] == []
    clock.now += 11  # 31 s in: one line; 5 events took 31 s, so 5 more take about 31 s
    report.event_done()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["demo: event 5 of 10, 0 records, 4 requests, 31.0s, about 31.0s left"]
    clock.now += 10  # within the interval again: nothing more
    report.event_done()
    assert len(caplog.records) == 1
