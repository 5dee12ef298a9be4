"""A real crawl of the replica with reports published as files (`--attachments`): each file is
fetched, stored as a document linked to the page that offered it, typed from its bytes,
re-crawled like any document; one too large for GOVCRAWL_MAX_ATTACHMENT_BYTES is a recorded
error and the crawl goes on."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from pipelines.filetype import binary_kind
from pipelines.store import read_body
from tests.conftest import ATTACHMENT_LIMIT, attachments_crawl
from tests.replica.attachment_pages import DECORATIVE_IMAGE, HOST
from tests.replica.process import Replica, run_crawl

pytestmark = pytest.mark.e2e  # crawls in real subprocesses

LIMIT = ATTACHMENT_LIMIT
SETTINGS = {"GOVCRAWL_MAX_ATTACHMENT_BYTES": str(LIMIT)}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """Three runs over one database: a first crawl (the suite's shared one, tests/conftest.py),
    an incremental one, a revalidating one (of a replica serving the same files)."""
    path, first = attachments_crawl(tmp_path_factory, tmp_path_factory.mktemp("attachments") / "govcrawl.db")
    with Replica(size=60, attachments=True) as replica:
        logs = [first["server_log"]]
        for args in ((), ("revalidate=1",)):
            before = len(replica.request_log())
            result = run_crawl(path, replica.proxy, *args, settings=SETTINGS)
            assert result.returncode == 0, result.stderr[-3000:]
            logs.append(replica.request_log()[before:])
        yield sqlite_utils.Database(path), replica.manifest(), logs


def files(manifest: dict) -> dict[str, dict]:
    return {p["url"]: p for p in manifest["pages"] if p["kind"] == "attachment"}


def test_every_file_is_a_document_of_the_bytes_served_linked_to_its_page(crawls):
    db, manifest, _ = crawls
    expected = {url: p for url, p in files(manifest).items() if p["link_style"] != "too_large"}
    assert {p["link_style"] for p in expected.values()} == {
        "article_link", "downfile", "attach_endpoint", "html_doc", "list_link", "image"}  # fmt: skip
    rows = db.execute(
        "SELECT d.url, v.body_sha256, l.offered_by, o.url, l.offered_as, l.link_text FROM documents d"
        " JOIN document_versions v ON v.id = d.current_version_id JOIN document_links l ON l.document_id = d.id"
        " LEFT JOIN documents o ON o.id = l.offered_by_document_id"
    ).fetchall()
    stored = {row[0]: row[1:] for row in rows}
    assert set(stored) == set(expected)
    for url, page in expected.items():
        sha, offered_by, offering_document, offered_as, link_text = stored[url]
        assert page["length"] == len(read_body(db, sha)), url
        assert offered_by == page["offered_by"], url
        if page["link_style"] == "list_link":  # a list page is no document
            assert offering_document is None and link_text == page["title"]
        else:
            assert offering_document == page["offered_by"], url
        assert offered_as == ("image" if page["link_style"] == "image" else "document"), url


def test_files_are_typed_from_their_bytes_not_their_names(crawls):
    db, manifest, _ = crawls
    for url, page in files(manifest).items():
        if page["link_style"] == "too_large":
            continue
        (sha,) = db.execute(
            "SELECT v.body_sha256 FROM documents d JOIN document_versions v ON v.id = d.current_version_id"
            " WHERE d.url = ?",
            [url],
        ).fetchone()
        assert binary_kind(read_body(db, sha)) == page.get("true_type"), url  # the .doc of HTML: text
    served = {p["link_style"]: p.get("content_type") for p in files(manifest).values()}
    assert served["downfile"] == "application/octet-stream" and served["html_doc"] == "application/msword"


def test_a_picture_that_is_no_report_is_never_requested(crawls):
    _, _, logs = crawls
    assert not [e for log in logs for e in log if urlsplit(e["url"]).path == DECORATIVE_IMAGE]


def test_a_file_over_the_limit_is_a_recorded_error_and_the_crawl_goes_on(crawls):
    db, manifest, logs = crawls
    big = next(p for p in files(manifest).values() if p["link_style"] == "too_large")
    assert big["length"] > LIMIT
    errors = [e for (e,) in db.execute("SELECT error FROM fetches WHERE url = ? ORDER BY id", [big["url"]])]
    assert len(errors) == 3  # asked again by each run: its page, stored, does not offer it again
    assert all(e and e.startswith("too large: ") and str(LIMIT) in e for e in errors), errors
    assert db.execute("SELECT count(*) FROM documents WHERE url = ?", [big["url"]]).fetchone()[0] == 0
    runs = db.execute("SELECT status FROM crawl_runs WHERE kind = 'crawl' ORDER BY id").fetchall()
    assert runs == [("finished",)] * 3


def test_a_recrawl_treats_files_like_any_document(crawls):
    db, manifest, logs = crawls
    stored = {url for url, p in files(manifest).items() if p["link_style"] != "too_large"}
    # incremental: stored files are not asked for again
    second = {e["url"] for e in logs[1]}
    assert stored & second == set()
    # revalidating: every stored file is asked for conditionally, answers 304, adds no version
    third = [e for e in logs[2] if e["url"] in stored]
    assert sorted(e["url"] for e in third) == sorted(stored)
    assert {e["status"] for e in third} == {304}
    versions = db.execute(
        "SELECT count(*) FROM document_versions v JOIN documents d ON d.id = v.document_id"
        f" WHERE d.url IN ({','.join('?' * len(stored))})",
        sorted(stored),
    ).fetchone()[0]
    assert versions == len(stored)
    last_run = db.execute("SELECT max(id) FROM crawl_runs WHERE kind = 'crawl'").fetchone()[0]
    seen = db.execute(
        f"SELECT count(*) FROM documents WHERE last_seen_run = ? AND url IN ({','.join('?' * len(stored))})",
        [last_run, *sorted(stored)],
    ).fetchone()[0]
    assert seen == len(stored)


def test_the_manifest_bytes_are_what_the_generator_builds(crawls):
    """The stored bytes are the served file, byte for byte (not a decoded or re-encoded copy)."""
    from tests.replica.generator import build_portal

    db, manifest, _ = crawls
    portal = build_portal(manifest["size"], manifest["seed"], attachments=True)
    for url in files(manifest):
        row = db.execute("SELECT body_sha256 FROM fetches WHERE url = ? AND status = 200", [url]).fetchone()
        if row is not None:
            assert row[0] == hashlib.sha256(portal.pages[url].body).hexdigest(), url
    assert HOST in {urlsplit(url).hostname for url in files(manifest)}


def test_reports_published_as_files_are_read_like_any_report(crawls):
    """Crawl and process stage together: each PDF, OFD, DOCX and XLSX report's stored values are the
    figures the generator printed into the file (the manifest's), key for key."""
    db, manifest, _ = crawls
    read, boxed = 0, 0
    for url, page in files(manifest).items():
        if page["link_style"] in ("too_large", "image", "html_doc") or not page.get("values"):
            continue
        version = db.execute("SELECT current_version_id FROM documents WHERE url = ?", [url]).fetchone()
        assert version is not None, url
        stored = dict(db.execute("SELECT key, value FROM report_values WHERE version_id = ?", [version[0]]).fetchall())
        assert stored == pytest.approx(page["values"]), url
        places = db.execute("SELECT page, bbox, sheet FROM report_values WHERE version_id = ?", [version[0]]).fetchall()
        if page["file_kind"] in ("pdf", "ofd"):  # each value points at its page and box
            assert all(number >= 1 and len(json.loads(box)) == 4 for number, box, _ in places), url
            boxed += 1
        read += 1
    assert read >= 7 and boxed >= 3  # pdf, ofd, docx, xlsx offered by article pages, lists and download endpoints
