"""The record-identity reference: what every platform's default sandbox dataset yields.

`tests/test_record_identity.py` compares each run with `tests/data/record_identity.json`,
written by this module from the code as it was at the start of issue 20 (commit af115e4):

    python -m tests.record_identity --write tests/data/record_identity.json

run with the tap of the commit whose records you trust installed (for af115e4, which predates
this module, copy it and `tests/frozen_sandbox.py` into that checkout first).

Regenerate it only when a change is meant to alter records, and say so in the commit.
A stream's fingerprint is its record count and the SHA-256 of its records, each as canonical
JSON (sorted keys, no spaces, ASCII) on a line of its own, in the order the tap wrote them.
The sandbox runs with its clock stopped (`tests/frozen_sandbox.py`), so its default dataset is
the same bytes on any day. What the tap dates by its own clock (an event with no activity is
bookmarked at the run's start) is written as `@run`: a date-time within the run's wall time,
far from the sandbox's frozen one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
import typing as t
from datetime import datetime
from pathlib import Path

from tap_webinars.sandbox.cvent_conference import API_TOKEN
from tests.frozen_sandbox import FrozenSandboxProcess
from tests.harness import SandboxProcess, TapRun, run_tap
from tests.platform_configs import CASES, STREAMS

REFERENCE = Path(__file__).parent / "data" / "record_identity.json"


def conference_config(api_url: str) -> dict[str, t.Any]:
    """Cvent's Conference API (XML) on the sandbox, the way its own tests read it."""
    return {
        "platform": "cvent",
        "cvent_api": "conference",
        "cvent_event_url": api_url + "/conference",
        "cvent_api_token": API_TOKEN,
        "start_date": "2020-01-01T00:00:00Z",
        "lookback_hours": 0,
    }


# Every current platform and API: name -> (sandbox platform, config for its api_url).
TARGETS: dict[str, tuple[str, t.Callable[[str], dict[str, t.Any]]]] = {
    "on24": ("on24", CASES["on24"].config),
    "webinarfuel": ("webinarfuel", CASES["webinarfuel"].config),
    "webcasts": ("webcasts", CASES["webcasts"].config),
    "cvent_rest": ("cvent", CASES["cvent"].config),
    "cvent_conference": ("cvent", conference_config),
}


# An RFC 3339 date-time with its offset, as the tap writes them.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def masked(value: t.Any, run_span: tuple[float, float]) -> t.Any:
    """*value* with every date-time inside *run_span* (the tap's own clock) as `@run`."""
    if isinstance(value, str) and DATE_TIME.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        return "@run" if run_span[0] <= moment <= run_span[1] else value
    if isinstance(value, dict):
        return {k: masked(v, run_span) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, run_span) for v in value]
    return value


def canonical(record: t.Any) -> bytes:
    """One record as canonical JSON: the same bytes for the same parsed value."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def fingerprint(run: TapRun, run_span: tuple[float, float]) -> dict[str, dict[str, t.Any]]:
    """Per stream: how many records, and the SHA-256 of their canonical lines in order."""
    result = {}
    for stream in STREAMS:
        digest = hashlib.sha256()
        records = run.records(stream)
        for record in records:
            digest.update(canonical(masked(record, run_span)) + b"\n")
        result[stream] = {"count": len(records), "sha256": digest.hexdigest()}
    return result


def sync(sandbox: SandboxProcess, target: str) -> dict[str, dict[str, t.Any]]:
    """One full sync of *target* on the sandbox's default dataset (seed 7): its fingerprint."""
    platform, config = TARGETS[target]
    sandbox.reset()
    before = time.time() - 1
    run = run_tap(config(sandbox.api_url(platform)))
    after = time.time() + 1
    assert run.returncode == 0, run.stderr[-2000:]
    return fingerprint(run, (before, after))


def capture() -> dict[str, dict[str, dict[str, t.Any]]]:
    """Fingerprints of every target, from one sandbox process."""
    sandbox = FrozenSandboxProcess()
    try:
        return {target: sync(sandbox, target) for target in TARGETS}
    finally:
        sandbox.stop()


def main() -> None:
    """Print the reference, or write it to a file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the reference here")
    args = parser.parse_args()
    text = json.dumps(capture(), indent=1, sort_keys=True) + "\n"
    if args.write:
        args.write.write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
