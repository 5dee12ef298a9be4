"""`govcrawl reparse`: run encoding, de-garbling and parsing again over the stored bodies.

Nothing is fetched. Each document's current version is processed again from its stored
bytes; where the result differs (a parser change), a new version is added from the same
bytes and fetch, and the document points at it. The old version and its values stay. The
pass is recorded as a `crawl_runs` row of kind `reparse`.
"""

from __future__ import annotations

import json
from pathlib import Path

from govcrawl.recorder import code_version
from pipelines.encoding import content_type_of
from pipelines.process import PROCESSOR_VERSION, process_page, stored_rows
from pipelines.store import Store, read_body

CURRENT_VERSIONS = """
SELECT v.id, v.body_sha256, f.headers, t.result_sha256
FROM documents d
JOIN document_versions v ON v.id = d.current_version_id
LEFT JOIN fetches f ON f.id = v.fetch_id
LEFT JOIN document_texts t ON t.version_id = v.id
ORDER BY v.id
"""


def reparse(path: str | Path) -> dict:
    store = Store(path)
    run_id = store.start_run(
        "reparse", code_version(), {"processor_version": PROCESSOR_VERSION}, kind="reparse"
    )
    counts = {"run_id": run_id, "versions": 0, "changed": 0, "unchanged": 0, "errors": 0}
    errors = []
    for version_id, sha, headers, old_hash in store.db.execute(CURRENT_VERSIONS).fetchall():
        counts["versions"] += 1
        try:
            page = process_page(read_body(store.db, sha), content_type_of(json.loads(headers or "{}")))
            rows = stored_rows(page.decoded, page.clean, page.parsed)
        except Exception as error:  # one bad body must not stop the pass
            counts["errors"] += 1
            errors.append({"version_id": version_id, "error": f"{type(error).__name__}: {error}"})
            continue
        if rows.text["result_sha256"] == old_hash:
            counts["unchanged"] += 1
        else:
            store.add_reprocessed_version(version_id, run_id, rows)
            counts["changed"] += 1
    store.finish_run(run_id, "finished", {**counts, "error_details": errors})
    store.close()
    return counts
