"""`python -m bench`: run every benchmark module in this folder, each in its own process.

Separate processes keep one benchmark's peak memory or threads out of another's figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    chosen = sys.argv[1:]
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_") or (chosen and script.stem not in chosen):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode:
            failed.append(script.stem)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")
