"""Rewrite the README's settings table from `tap-webinars --about --format markdown`.

The table is derived from the plug-in registry like every other list of settings;
`tests/test_readme.py` fails when the README falls behind. Run: `make readme`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- settings:start", "<!-- settings:end -->"


def main() -> None:
    """Replace the table between the markers with the one `--about` prints."""
    about = subprocess.run(  # noqa: S603 - our own entry point, no user input
        [str(Path(sys.executable).parent / "tap-webinars"), "--about", "--format", "markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    table = "\n".join(line for line in about.splitlines() if line.startswith("|"))
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    head, rest = readme.split(START, 1)
    marker_line, _, after_marker = rest.partition("\n")
    _, tail = after_marker.split(END, 1)
    readme_path.write_text(f"{head}{START}{marker_line}\n{table}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
