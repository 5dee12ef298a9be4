"""govcrawl: crawl government portals for 政府信息公开工作年度报告 and keep them in SQLite."""

from __future__ import annotations

import subprocess
from pathlib import Path

__version__ = "0.1.0"


def code_version() -> str:
    """Package version plus the git commit when run from a checkout (recorded with each run).
    Here, not beside the crawl's recorder, so that the process stage does not import Scrapy
    for it (a third of the stage's start-up)."""
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__
