"""`python -m bench`: run every benchmark module in this folder, each in its own process.

Separate processes keep one benchmark's peak memory or threads out of another's figures.
Each prints its own figures as it goes; the `VERDICT` lines they print (`_verdict.py`) are
gathered into one table of targets at the end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench._verdict import PREFIX

HERE = Path(__file__).parent


def run(script: Path) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; return its exit code and its verdict lines."""
    verdicts = []
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith(PREFIX):
                verdicts.append(line.rstrip("\n"))
    return process.returncode, verdicts


if __name__ == "__main__":
    chosen = sys.argv[1:]
    failed = []
    summary = []
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_") or (chosen and script.stem not in chosen):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        code, verdicts = run(script)
        summary += [(script.stem, line) for line in verdicts]
        if code:
            failed.append(script.stem)
    print("\n=== targets (issues 10 and 20) ===")
    for stem, line in summary:
        _prefix, what, measured, target, outcome = (part.strip() for part in line.split("|"))
        print(f"{outcome:>6}  {stem}: {what}: {measured} (target {target})")
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")
