"""GoTo Webinar: wall time of a backfill at 100 ms latency against its bound.

    .venv/bin/python bench/goto_backfill.py [--latency-ms 100] [--concurrency 8]
                                            [--rate-limit 10] [--size default]

One full sync (no state) over real HTTP to one sandbox process, every request delayed by
the latency, the sandbox answering 429 past the rate limit and the tap pacing at it. The
wall time is the whole tap process, start-up included. No client can beat the larger of
two bounds: requests x latency / max_concurrency (the cap on requests in flight) and
requests / rate limit (GoTo's 10 a second by default); the target is within 1.3x of it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _verdict import verdict

from tap_webinars.sandbox import goto
from tests.harness import BIN, SandboxProcess

TARGET = 1.3


def main() -> None:
    """Run the backfill once and print its figures and verdict."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate-limit", type=int, default=10)
    parser.add_argument("--size", default="default")
    args = parser.parse_args()
    sandbox = SandboxProcess("--size", args.size)
    try:
        sandbox.configure(latency_ms=args.latency_ms, goto={"rate_limit": args.rate_limit})
        url = sandbox.api_url("goto")
        config = {
            "platform": "goto",
            "goto_client_id": goto.CLIENT_ID,
            "goto_client_secret": goto.CLIENT_SECRET,
            "goto_refresh_token": goto.REFRESH_TOKEN,
            "api_url": url,
            "goto_auth_url": url,
            "start_date": "2024-01-01T00:00:00Z",
            "max_concurrency": args.concurrency,
            "goto_rate_limit": args.rate_limit,
        }
        sandbox.clear_requests()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "config.json")
            path.write_text(json.dumps(config))
            started = time.monotonic()
            run = subprocess.run(
                [str(BIN / "tap-webinars"), "--config", str(path)],
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            wall = time.monotonic() - started
        if run.returncode != 0:
            raise SystemExit(f"tap failed:\n{run.stderr[-2000:]}")
        records: Counter[str] = Counter()
        for line in run.stdout.splitlines():
            if line.startswith("{"):
                message = json.loads(line)
                if message["type"] == "RECORD":
                    records[message["stream"]] += 1
        log = sandbox.requests("goto")
    finally:
        sandbox.stop()
    requests = len(log)
    statuses = Counter(r["status"] for r in log)
    latency = args.latency_ms / 1000
    by_latency = requests * latency / args.concurrency
    by_rate = requests / args.rate_limit
    bound = max(by_latency, by_rate)
    ratio = wall / bound
    print(f"records: {sum(records.values())} ({', '.join(f'{k} {v}' for k, v in records.items())})")
    print(
        f"requests: {requests} ({statuses[429]} answered 429); wall {wall:.1f} s; "
        f"bound max({requests} x {latency:.2f} s / {args.concurrency} = {by_latency:.1f} s, "
        f"{requests} / {args.rate_limit} a second = {by_rate:.1f} s) = {bound:.1f} s; "
        f"ratio {ratio:.2f}x"
    )
    verdict(
        "GoTo backfill wall / bound",
        f"{wall:.1f} s / {bound:.1f} s = {ratio:.2f}x ({requests} requests)",
        f"<= {TARGET}x",
        met=ratio <= TARGET,
    )


if __name__ == "__main__":
    main()
