"""`govcrawl reparse`: the old name of `govcrawl process --all` (govcrawl/stage.py).

Nothing is fetched. Every document's current version is processed again from its stored
bytes; where the result differs (a parser change), a new version is added from the same
bytes and fetch, and the document points at it. The old version and its values stay. The
pass is recorded as a `crawl_runs` row of kind `reparse`.
"""

from __future__ import annotations

from pathlib import Path

from govcrawl.stage import StageSettings, run_stage


def reparse(path: str | Path, workers: int = 0) -> dict:
    """run_stage(all_versions=True); its summary with `errors` (versions stored unparsed)."""
    summary = run_stage(path, all_versions=True, settings=StageSettings(workers=workers))
    return {**summary, "errors": summary["unparsed"]}
