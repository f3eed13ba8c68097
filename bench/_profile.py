"""Profile one large sync with py-spy (issue 20): the top of its own and inclusive time.

    .venv/bin/python bench/_profile.py webcasts 40000 [--py-spy PATH] [--rate 250]
    .venv/bin/python bench/_profile.py on24 16000

The workload is `_marginal`'s larger size (one Webcasts report of N viewers, or one ON24
event of N attending registrants, every stream). py-spy samples the thread holding the GIL
(`--gil`: where the CPU goes; `--all-threads` samples the waiting ones too), stacks of every
thread merged, from its start to its end; the tops are printed as shares of the samples.
Not part of `make bench` (py-spy is not a dependency of the project).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _marginal
from _on24 import all_events_config

from tests.harness import BIN, SandboxProcess
from tests.test_webcasts import config as webcasts_config


def tops(collapsed: Path, limit: int) -> None:
    """Print the frames with the most own samples, and with the most samples below them."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].rsplit(":", 1)[0].split("/")[-1] + ")"
            if " (" in f
            else f
            for f in stack.split(";")
        ]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    print(f"  {total} samples")
    print("  own time:")
    for frame, count in own.most_common(limit):
        print(f"    {100 * count / total:5.1f}%  {frame}")
    print("  inclusive time:")
    for frame, count in inclusive.most_common(limit + 12)[12:]:
        print(f"    {100 * count / total:5.1f}%  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("platform", choices=["webcasts", "on24"])
    parser.add_argument("count", type=int)
    parser.add_argument("--py-spy", default="/tmp/spyenv/bin/py-spy")
    parser.add_argument("--rate", type=int, default=250)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="sample threads waiting without the GIL too (wall time, not CPU)",
    )
    options = parser.parse_args()
    sandbox = SandboxProcess()
    try:
        counts = (1, options.count)
        if options.platform == "webcasts":
            size = _marginal.webcasts_sizes(sandbox, counts, webcasts_config)[1]
        else:
            size = _marginal.on24_sizes(sandbox, counts, all_events_config)[1]
        folder = Path(tempfile.mkdtemp(prefix="profile-"))
        (folder / "config.json").write_text(json.dumps(size.config))
        collapsed = folder / "profile.txt"
        command = [
            options.py_spy,
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            str(options.rate),
            "--output",
            str(collapsed),
            *([] if options.all_threads else ["--gil"]),
            "--",
            str(BIN / "tap-webinars"),
            "--config",
            str(folder / "config.json"),
        ]
        with (folder / "out.jsonl").open("wb") as sink:
            subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True)
    finally:
        sandbox.stop()
    print(f"{options.platform} {options.count:,}: {collapsed}")
    tops(collapsed, options.limit)


if __name__ == "__main__":
    main()
