"""Webcasts: peak memory of the tap process against the size of one event's report.

    .venv/bin/python bench/webcasts_memory.py [--sizes 1000,10000,100000]

For each size the sandbox generates one event of that many viewers (its Audience Details
report is streamed, about 0.95 KB of XML per viewer) and the tap syncs only that event, as a
separate process with its output read line by line. The tap's peak resident memory comes from
the kernel's accounting of that one child (`os.wait4`), and is printed with its ratio to the
smallest size measured in the same invocation: a streaming parser keeps the ratio near 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _verdict import verdict
from _webcasts import large_event_config

from tests.harness import BIN, SandboxProcess

REPORT_PATH = "/api/reporting/audience_reports"
# Peak RSS of the same run differs by up to about this much between invocations here.
NOISE_MB = 2.0


def measure(sandbox: SandboxProcess, viewers: int) -> dict[str, object]:
    """Sync one event of *viewers* viewers; return peak RSS, time and what came out."""
    config = large_event_config(sandbox, viewers)
    sandbox.clear_requests()
    records: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        started = time.monotonic()
        process = subprocess.Popen(
            [str(BIN / "tap-webinars"), "--config", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(b'{"type":"RECORD"'):
                records[json.loads(line)["stream"]] += 1
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"tap failed on {viewers} viewers (exit {process.returncode})")
    reports = [r for r in sandbox.requests("webcasts") if r["path"] == REPORT_PATH]
    if records["registrants"] != viewers or len(reports) != 1:
        raise SystemExit(f"{viewers} viewers: {dict(records)}, {len(reports)} report requests")
    return {
        "viewers": viewers,
        "records": sum(records.values()),
        "seconds": elapsed,
        # ru_maxrss is in kilobytes on Linux.
        "peak_mb": usage.ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="viewers per report")
    options = parser.parse_args()
    sizes = sorted(int(size) for size in options.sizes.split(","))
    sandbox = SandboxProcess()
    try:
        results = [measure(sandbox, size) for size in sizes]
    finally:
        sandbox.stop()
    smallest = results[0]
    print(f"{'viewers':>9} {'records':>9} {'seconds':>8} {'peak RSS MB':>12} {'vs smallest':>12}")
    for result in results:
        ratio = float(result["peak_mb"]) / float(smallest["peak_mb"])  # type: ignore[arg-type]
        print(
            f"{result['viewers']:>9,} {result['records']:>9,} {result['seconds']:>8.1f} "
            f"{result['peak_mb']:>12.1f} {ratio:>11.2f}x"
        )
    peaks = {int(r["viewers"]): float(r["peak_mb"]) for r in results}  # type: ignore[call-overload,arg-type]
    if 10_000 in peaks and 100_000 in peaks:
        growth = peaks[100_000] - peaks[10_000]
        verdict(
            "Webcasts peak RSS, 10,000 -> 100,000 viewers",
            f"{peaks[10_000]:.1f} -> {peaks[100_000]:.1f} MB (+{growth:.1f} MB)",
            f"<= 150 MB, growth within {NOISE_MB:g} MB (run-to-run noise here)",
            met=peaks[100_000] <= 150 and growth <= NOISE_MB,
        )


if __name__ == "__main__":
    main()
