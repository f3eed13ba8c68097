"""The README's settings table is what `tap-webinars --about --format markdown` prints."""

from __future__ import annotations

import subprocess

from tests.harness import BIN, ROOT


def test_readme_settings_table_matches_about_output() -> None:
    about = subprocess.run(
        [str(BIN / "tap-webinars"), "--about", "--format", "markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    table = [line for line in about.splitlines() if line.startswith("|")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- settings:start", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert [line for line in section.splitlines() if line.startswith("|")] == table
