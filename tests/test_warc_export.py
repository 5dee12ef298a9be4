"""`govcrawl export-warc`: a real crawl of the replica, exported and read back with warcio.

One database holds two real crawls of one replica (hostile cases and attachments on): the
plain portals (redirects, errors with and without an answer, gzip and deflate bodies, PDF,
DOCX and XLSX files, a gzip bomb) and 示例市 in Chromium (browser renders). The export is
read back with warcio's ArchiveIterator and checked against the stored rows and bodies, read
from the database here with plain SQL and zlib; the WACZ goes through `wacz validate`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils
from warcio.archiveiterator import ArchiveIterator

from govcrawl.cli import main as govcrawl_main
from govcrawl.warc_export import payload_headers, warc_date, warc_fields
from pipelines.store import FetchRecord, Store
from tests.replica.process import CRAWL_ENV, HOSTILE_SETTINGS, ROOT, Replica, high_water_rss, run_crawl

e2e = pytest.mark.e2e  # the tests of the replica crawl: it runs in real subprocesses


@dataclass
class Record:
    type: str
    uri: str
    fields: dict[str, str]
    status: str | None
    http_headers: list[tuple[str, str]]
    payload: bytes  # as the record holds it (no decoding)


@dataclass
class Export:
    db: sqlite_utils.Database
    warc: Path
    wacz: Path
    by_fetch: dict[int, list[Record]]
    records: list[Record]
    cli_status: int

    def fetches(self, where: str) -> list[dict]:
        return list(self.db.query(f"SELECT * FROM fetches WHERE {where} ORDER BY id"))

    def body(self, sha256: str) -> bytes:
        compression, content = self.db.execute(
            "SELECT compression, content FROM bodies WHERE sha256 = ?", [sha256]
        ).fetchone()
        return zlib.decompress(content) if compression == "zlib" else content

    def one(self, fetch_id: int, kind: str) -> Record:
        found = [r for r in self.by_fetch[fetch_id] if r.type == kind]
        assert len(found) == 1, (fetch_id, kind, [r.type for r in self.by_fetch[fetch_id]])
        return found[0]


def read_warc(path: Path) -> list[Record]:
    records = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            records.append(
                Record(
                    type=record.rec_type,
                    uri=record.rec_headers.get_header("WARC-Target-URI"),
                    fields=dict(record.rec_headers.headers),
                    status=record.http_headers.get_statuscode() if record.http_headers else None,
                    http_headers=list(record.http_headers.headers) if record.http_headers else [],
                    payload=record.raw_stream.read(),
                )
            )
    return records


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Export:
    directory = tmp_path_factory.mktemp("warc")
    path = directory / "govcrawl.db"
    with Replica(size=60, slow_seconds=1.0, hostile=True, attachments=True) as replica:
        for args in ((), ("site=shili",)):
            result = run_crawl(path, replica.proxy, *args, settings=HOSTILE_SETTINGS, timeout=900)
            assert result.returncode == 0, result.stderr[-3000:]
    warc, wacz = directory / "crawl.warc.gz", directory / "crawl.wacz"
    status = govcrawl_main(["export-warc", "--db", str(path), str(warc), "--wacz", str(wacz)])
    records = read_warc(warc)
    by_fetch = defaultdict(list)
    for record in records:
        if "Govcrawl-Fetch-Id" in record.fields:
            by_fetch[int(record.fields["Govcrawl-Fetch-Id"])].append(record)
    return Export(sqlite_utils.Database(path), warc, wacz, by_fetch, records, status)


def header(record: Record, name: str) -> list[str]:
    return [value for key, value in record.http_headers if key.lower() == name.lower()]


@e2e
def test_every_answered_fetch_is_one_request_and_one_response_pair(exported):
    answered = exported.fetches("status IS NOT NULL")
    assert len(answered) > 300
    for fetch in answered:
        response, request = exported.one(fetch["id"], "response"), exported.one(fetch["id"], "request")
        assert response.uri == request.uri == fetch["url"]
        assert response.status == str(fetch["status"])
        assert request.fields["WARC-Concurrent-To"] == response.fields["WARC-Record-ID"]
        assert response.fields["WARC-Date"] == request.fields["WARC-Date"] == warc_date(fetch["fetched_at"])
        assert "WARC-Payload-Digest" in response.fields
    assert exported.records[0].type == "warcinfo"
    assert exported.cli_status == 0


@e2e
def test_every_stored_body_is_in_the_warc_byte_for_byte(exported):
    http = exported.fetches("body_sha256 IS NOT NULL AND via = 'http'")
    assert any(f["url"].endswith((".pdf", ".docx", ".xlsx")) for f in http)  # binary files too
    for fetch in http:
        response = exported.one(fetch["id"], "response")
        assert response.payload == exported.body(fetch["body_sha256"]), fetch["url"]
        assert header(response, "Content-Length") == [str(fetch["body_length"])]


@e2e
def test_a_body_the_server_compressed_is_stored_decoded_with_its_encoding_kept_as_the_original(exported):
    compressed = [f for f in exported.fetches("body_sha256 IS NOT NULL") if "Content-Encoding" in json.loads(f["headers"])]
    assert {json.loads(f["headers"])["Content-Encoding"][0] for f in compressed} >= {"gzip", "deflate"}
    for fetch in compressed:
        response = exported.one(fetch["id"], "response")
        assert header(response, "Content-Encoding") == [] and header(response, "Transfer-Encoding") == []
        assert header(response, "X-Archive-Orig-Content-Encoding") == json.loads(fetch["headers"])["Content-Encoding"]
    # what a WARC reader hands on: the decoded page, as the crawl stored it
    page = compressed[0]
    with open(exported.warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_headers.get_header("Govcrawl-Fetch-Id") == str(page["id"]) and record.rec_type == "response":
                assert record.content_stream().read() == exported.body(page["body_sha256"])


@e2e
def test_redirects_are_3xx_responses_with_their_location(exported):
    redirects = exported.fetches("status BETWEEN 300 AND 399 AND redirect_to IS NOT NULL AND via = 'http'")
    assert len(redirects) >= 5  # the replica's moved pages, the redirect loop, off-site and bad-scheme hops
    for fetch in redirects:
        response = exported.one(fetch["id"], "response")
        assert response.status == str(fetch["status"])
        assert header(response, "Location") == json.loads(fetch["headers"])["Location"]


@e2e
def test_errors_are_metadata_records_and_failed_fetches_have_no_response(exported):
    unanswered = exported.fetches("status IS NULL")
    assert {f["error"].split(":")[0] for f in unanswered} >= {"timeout", "truncated", "too large"}
    for fetch in unanswered:
        assert [r.type for r in exported.by_fetch[fetch["id"]]] == ["metadata"]
        metadata = exported.one(fetch["id"], "metadata")
        assert metadata.uri == fetch["url"]
        assert metadata.fields["Content-Type"] == "application/warc-fields"
        assert f"error: {' '.join(fetch['error'].split())}\r\n".encode() in metadata.payload
    for fetch in exported.fetches("status IS NOT NULL AND error IS NOT NULL"):  # an answer that is an error
        metadata = exported.one(fetch["id"], "metadata")
        assert metadata.fields["WARC-Concurrent-To"] == exported.one(fetch["id"], "response").fields["WARC-Record-ID"]


@e2e
def test_an_answer_whose_body_was_not_kept_is_marked_truncated(exported):
    (bomb,) = exported.fetches("status = 200 AND error LIKE 'too large:%'")  # the gzip bomb
    response = exported.one(bomb["id"], "response")
    assert response.fields["WARC-Truncated"] == "length" and response.payload == b""
    assert header(response, "X-Archive-Orig-Content-Encoding") == ["gzip"]
    for fetch in exported.fetches("body_sha256 IS NOT NULL AND (error IS NULL OR error LIKE 'HTTP %')"):
        assert "WARC-Truncated" not in exported.one(fetch["id"], "response").fields


@e2e
def test_a_browser_render_is_a_resource_tied_to_the_response_with_the_servers_bytes(exported):
    rendered = exported.fetches("via = 'browser' AND raw_body_sha256 IS NOT NULL AND body_sha256 IS NOT NULL")
    assert len(rendered) >= 5
    for fetch in rendered:
        response, dom = exported.one(fetch["id"], "response"), exported.one(fetch["id"], "resource")
        assert response.payload == exported.body(fetch["raw_body_sha256"])
        assert dom.payload == exported.body(fetch["body_sha256"])
        assert dom.uri == f"urn:dom:{fetch['url']}"
        assert dom.fields["WARC-Refers-To"] == dom.fields["WARC-Concurrent-To"] == response.fields["WARC-Record-ID"]
        assert dom.fields["WARC-Refers-To-Target-URI"] == fetch["url"]
    # the exchanges inside a browser page are plain responses of the server's bytes
    for fetch in exported.fetches("via = 'browser' AND browser_reason LIKE '% of the page%' AND body_sha256 IS NOT NULL"):
        assert exported.one(fetch["id"], "response").payload == exported.body(fetch["body_sha256"])
        assert not [r for r in exported.by_fetch[fetch["id"]] if r.type == "resource"]


@e2e
def test_warcio_verifies_every_digest(exported):
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(exported.warc)], capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "failed" not in check.stdout
    assert check.stdout.count("digest pass") == len(exported.records)  # every record has its digest checked


@e2e
def test_the_wacz_validates_and_lists_each_report_page(exported):
    validate = subprocess.run(
        # the console script: `python -m wacz` drops the verdict's exit status
        [Path(sys.executable).with_name("wacz"), "validate", "-f", str(exported.wacz)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
    assert "Validation succeeded" in validate.stdout
    with zipfile.ZipFile(exported.wacz) as archive:
        assert "archive/crawl.warc.gz" in archive.namelist()
        lines = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines() if line]
    header_line, pages = lines[0], lines[1:]
    assert header_line["format"] == "json-pages-1.0"
    reports = exported.db.execute(
        "SELECT d.url, t.title FROM documents d JOIN document_texts t ON t.version_id = d.current_version_id"
        " WHERE t.doc_kind = 'annual_report'"
    ).fetchall()
    assert len(reports) > 50
    assert sorted((p["url"], p["title"]) for p in pages) == sorted(reports)
    responses = {(r.uri, r.fields["WARC-Date"][:19]) for r in exported.records if r.type == "response"}
    for page in pages:  # wacz writes ts to the second
        assert (page["url"], page["ts"][:19]) in responses


def test_wire_headers_are_replaced_by_the_payloads_own():
    stored = json.dumps({"Content-Type": ["text/html"], "Content-Encoding": ["gzip"], "Content-Length": ["812"],
                         "Set-Cookie": ["a=1", "b=2"]})  # fmt: skip
    assert payload_headers(stored, 3000) == [
        ("Content-Type", "text/html"),
        ("X-Archive-Orig-Content-Encoding", "gzip"),
        ("X-Archive-Orig-Content-Length", "812"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Length", "3000"),
    ]


def test_warc_dates_and_fields():
    assert warc_date("2026-11-30T17:55:23.123+00:00") == "2026-11-30T17:55:23.123Z"
    assert warc_date("2026-12-01T01:55:23.004+08:00") == "2026-11-30T17:55:23.004Z"
    assert warc_fields({"error": "timeout:\n  took\tlonger", "status": None, "via": "http"}) == (
        b"error: timeout: took longer\r\nvia: http\r\n"
    )


def test_a_body_missing_from_the_database_is_said_and_the_export_goes_on(tmp_path):
    """A damaged database (a body row lost): that fetch's payload is empty and marked, its
    metadata record says why, the next fetch is exported whole, and the command exits 1."""
    path = tmp_path / "damaged.db"
    store = Store(path)
    run_id = store.start_run("panzhihua", "test", {})
    lost, kept = "<html>一页</html>".encode(), b"%PDF-1.4 not lost"
    for url, body in (("http://www.example.test/lost.html", lost), ("http://www.example.test/kept.pdf", kept)):
        store.record_fetch(
            FetchRecord(run_id=run_id, url=url, status=200, headers={"Content-Type": ["text/html"]}, body=body)
        )
    store.finish_run(run_id, "finished", {}, None)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM bodies WHERE sha256 = ?", [hashlib.sha256(lost).hexdigest()])
    warc = tmp_path / "damaged.warc.gz"
    assert govcrawl_main(["export-warc", "--db", str(path), str(warc)]) == 1
    records = read_warc(warc)
    by_uri = defaultdict(dict)
    for record in records:
        by_uri[record.uri][record.type] = record
    damaged = by_uri["http://www.example.test/lost.html"]
    assert damaged["response"].payload == b"" and damaged["response"].fields["WARC-Truncated"] == "unspecified"
    assert b"export-problem: stored body " + hashlib.sha256(lost).hexdigest().encode() in damaged["metadata"].payload
    assert by_uri["http://www.example.test/kept.pdf"]["response"].payload == kept
    assert "metadata" not in by_uri["http://www.example.test/kept.pdf"]


def export_peak_rss(db: Path, warc: Path) -> int:
    """`govcrawl export-warc` in a process of its own: its peak resident set (VmHWM), in bytes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "govcrawl.cli", "export-warc", "--db", str(db), str(warc)],
        cwd=ROOT, env=CRAWL_ENV, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    peak = 0
    while process.poll() is None:
        peak = max(peak, high_water_rss(process.pid))
        time.sleep(0.01)
    assert process.returncode == 0
    return peak


def test_the_export_holds_one_body_at_a_time_not_the_crawl(tmp_path):
    """40 bodies of 1 MiB (random: no compression helps) cost the export about what one does."""
    rss = {}
    for count in (1, 40):
        path = tmp_path / f"{count}.db"
        store = Store(path)
        run_id = store.start_run("panzhihua", "test", {})
        for n in range(count):
            store.record_fetch(
                FetchRecord(run_id=run_id, url=f"http://www.example.test/{n}.pdf", status=200, body=os.urandom(2**20))
            )
            store.flush()  # the store's own batches would hold them
        store.finish_run(run_id, "finished", {}, None)
        store.close()
        rss[count] = export_peak_rss(path, tmp_path / f"{count}.warc.gz")
        assert len([r for r in read_warc(tmp_path / f"{count}.warc.gz") if r.type == "response"]) == count
    assert rss[40] - rss[1] < 12 * 2**20, rss  # holding the 40 bodies would be 39 MiB more


def test_a_database_without_reports_still_makes_a_valid_wacz_with_an_empty_page_list(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    warc, wacz = tmp_path / "new.warc.gz", tmp_path / "new.wacz"
    assert govcrawl_main(["export-warc", "--db", str(path), str(warc), "--wacz", str(wacz)]) == 0
    assert [r.type for r in read_warc(warc)] == ["warcinfo"]
    with zipfile.ZipFile(wacz) as archive:
        assert [json.loads(line)["format"] for line in archive.read("pages/pages.jsonl").splitlines()] == [
            "json-pages-1.0"
        ]
    validate = subprocess.run(
        [Path(sys.executable).with_name("wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 0 and "Validation succeeded" in validate.stdout, validate.stdout + validate.stderr
