"""`python -m bench`: run every benchmark module in this folder, one after another."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    chosen = sys.argv[1:]
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_") or (chosen and script.stem not in chosen):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        runpy.run_path(str(script), run_name="__main__")
