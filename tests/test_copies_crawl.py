"""Real crawls of the replica linking copies: the panzhihua profile (city, mobile twin,
districts) and the copies profile (mirror, content farm, broken-encoding archives) into one
database, and a crawl with reports published as files. The links must be exactly the
manifest's relations (copy_of, twin_of, an attachment's offered_by): precision and recall 100%."""

from __future__ import annotations

from collections import defaultdict

import pytest
import sqlite_utils

from tests.conftest import attachments_crawl
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e  # crawls in real subprocesses


def crawl(path, replica, *args: str, settings: dict | None = None) -> None:
    result = run_crawl(path, replica.proxy, *args, settings=settings)
    assert result.returncode == 0, result.stderr[-3000:]


def stored_reports(db: sqlite_utils.Database) -> dict[str, str]:
    """Every linked report document: URL -> its original's URL."""
    return dict(db.execute(
        "SELECT d.url, o.url FROM copy_links c JOIN documents d ON d.id = c.document_id"
        " JOIN documents o ON o.id = c.report_id"
    ).fetchall())  # fmt: skip


def groups(pairs: dict[str, str]) -> list[list[str]]:
    by_report = defaultdict(list)
    for url, report in pairs.items():
        by_report[report].append(url)
    return sorted(sorted(urls) for urls in by_report.values())


def test_copies_and_twins_are_linked_to_their_originals_as_the_manifest_says(tmp_path):
    path = tmp_path / "govcrawl.db"
    with Replica(size=200, slow_seconds=1.0) as replica:
        crawl(path, replica, "site=panzhihua")
        crawl(path, replica, "site=copies")
        manifest = {page["url"]: page for page in replica.manifest()["pages"]}
    db = sqlite_utils.Database(path)
    linked = stored_reports(db)
    # the copies profile stored every copy the replica serves
    copies = {url for url, page in manifest.items() if page.get("copy_of")}
    assert copies <= set(linked) and len(copies) >= 24

    def original(url: str) -> str:
        page = manifest[url]
        return original(page.get("copy_of") or page.get("twin_of")) if page.get("copy_of") or page.get("twin_of") else url

    assert groups(linked) == groups({url: original(url) for url in linked})
    # and the original of each is the desktop page on the agency's portal
    assert {report for report in linked.values()} == {original(url) for url in linked}
    # `reports` counts each once, whatever the number of copies
    reports = {row["url"]: row for row in db["reports"].rows}
    assert set(reports) == set(linked.values())
    assert all(row["copy_only"] == 0 for row in reports.values())
    sizes = defaultdict(int)
    for report in linked.values():
        sizes[report] += 1
    assert {url: row["copies"] for url, row in reports.items()} == dict(sizes)
    # the copies view: every copy, on its host, with what was undone
    listed = {row["url"]: row for row in db["copies"].rows}
    assert set(listed) == {url for url, report in linked.items() if url != report}
    assert {row["host"] for row in listed.values()} == {
        "wap.panzhihua.gov.cn", "www.pzh-mirror.test", "old.pzh-mirror.test", "www.pzh-archive.test",
        "www.gwy-fanwen.test"}  # fmt: skip
    farm = [row for url, row in listed.items() if manifest[url].get("garbling", "").startswith("annotations:")]
    assert farm and all("annotations" in (row["damage_undone"] or "") for row in farm)
    # the content farm's essays are stored but are no report, so never linked
    essays = db.execute("SELECT d.url FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
                        " WHERE t.doc_kind = 'template_essay'").fetchall()  # fmt: skip
    assert essays and not {url for (url,) in essays} & set(linked)


def test_a_file_and_the_page_offering_it_are_one_report(tmp_path_factory, tmp_path):
    path, facts = attachments_crawl(tmp_path_factory, tmp_path / "govcrawl.db")  # shared, tests/conftest.py
    manifest = {page["url"]: page for page in facts["manifest"]["pages"]}
    db = sqlite_utils.Database(path)
    linked = stored_reports(db)

    def original(url: str) -> str:
        page = manifest[url]
        if page.get("twin_of"):
            return page["twin_of"]
        if page["kind"] == "attachment_article":  # "详见附件": it stands behind its file
            files = [u for u, p in manifest.items() if p.get("offered_by") == url and u in linked]
            return files[0] if len(files) == 1 else url
        return url

    assert groups(linked) == groups({url: original(url) for url in linked})
    pairs = [url for url in linked if manifest[url]["kind"] == "attachment_article" and original(url) != url]
    assert len(pairs) >= 3  # PDF, DOCX, DOC, XLSX files behind their pages
    reports = {row["url"] for row in db["reports"].rows}
    assert not reports & set(pairs)
