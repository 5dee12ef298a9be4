from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils
from filelock import FileLock

import pipelines.ocr
import pipelines.office_convert
from govcrawl.profiles import available_profiles, load_profile
from pipelines.collector import collect_less
from tests.replica import demo, process
from tests.replica.process import Replica, run_crawl


def other_sites_hosts(site: str) -> set[str]:
    """Hosts the replica serves for other site profiles (e.g. 示例市 for `shili`)."""
    return {h for name in available_profiles() if name != site for h in load_profile(name).allowed_hosts}


@dataclass
class CrawlResult:
    db: sqlite_utils.Database
    path: Path
    manifest: dict
    server_log: list[dict]
    stderr: str
    site: str = "panzhihua"

    def pages(self, kind: str | None = None) -> list[dict]:
        """The manifest's pages of kind `kind`, leaving out those of other site profiles."""
        others = other_sites_hosts(self.site)
        return [
            p
            for p in self.manifest["pages"]
            if (kind is None or p["kind"] == kind) and p["url"].split("/")[2] not in others
        ]

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


def crawl_replica(tmp_path: Path, *args: str, size: int = 200) -> CrawlResult:
    """A fresh replica and one real `scrapy crawl reports` of it into a new SQLite file."""
    path = tmp_path / "govcrawl.db"
    with Replica(size=size, slow_seconds=1.0) as replica:
        result = run_crawl(path, replica.proxy, *args)
        assert result.returncode == 0, result.stderr[-3000:]
        site = next((a.split("=", 1)[1] for a in args if a.startswith("site=")), "panzhihua")
        return CrawlResult(
            sqlite_utils.Database(path), path, replica.manifest(), replica.request_log(), result.stderr, site
        )


# Tests that crawl or browse in real subprocesses are marked `e2e` in their modules, and those
# that run a whole document through an outside program by tests/outside_programs.py
# (`pytest -m "not e2e"` leaves them out); so is every test that uses the shared replica crawl.
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "crawled" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
    # The longest modules first, each module's tests kept together: pytest-xdist with
    # `--dist loadfile --no-loadscope-reorder` (`make test`) hands out whole files in this
    # order, so the quick files fill in at the end instead of one worker finishing a long one
    # alone. How long each took is from the last runs; one never timed counts as the longest
    # if it crawls (a fresh clone: the crawls first) and as quick if not.
    seconds = module_seconds(config)
    end_to_end = {module_path(item) for item in items if item.get_closest_marker("e2e") is not None}

    def longest_first(item: pytest.Item) -> float:
        path = module_path(item)
        return -(seconds.get(path) or (math.inf if path in end_to_end else 0.0))

    items.sort(key=longest_first)


MODULE_SECONDS = "govcrawl/module_seconds"  # pytest's cache: seconds each test module took


def module_path(item_or_report: pytest.Item | pytest.TestReport) -> str:
    return item_or_report.nodeid.split("::")[0]


def module_seconds(config: pytest.Config) -> dict[str, float]:
    """The last recorded time of each module. pytest-xdist's workers get the controller's copy
    (pytest_configure_node): every worker must collect the same order, whatever another run
    writes to the cache meanwhile."""
    if hasattr(config, "workerinput"):
        return config.workerinput.get(MODULE_SECONDS, {})
    cache = getattr(config, "cache", None)  # none with `-p no:cacheprovider`
    return cache.get(MODULE_SECONDS, {}) if cache is not None else {}


def pytest_configure_node(node) -> None:
    node.workerinput[MODULE_SECONDS] = module_seconds(node.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = getattr(session.config, "cache", None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if cache is None or reporter is None or hasattr(session.config, "workerinput"):
        return
    took: dict[str, float] = {}
    for reports in reporter.stats.values():
        for report in reports:
            if isinstance(report, pytest.TestReport):
                took[module_path(report)] = took.get(module_path(report), 0.0) + report.duration
    if took:
        cache.set(MODULE_SECONDS, {**cache.get(MODULE_SECONDS, {}), **{m: round(s, 2) for m, s in took.items()}})


# Test modules that read the same costly, cached work (here the garbled corpus, degarbled once
# per process by tests/garbled_corpus.py): with `--dist loadfile` each goes to the worker of
# the first, which then does that work once instead of each worker doing it.
SHARES_WORK_WITH = {"tests/test_degarble_untouched.py": "tests/test_degarble_corpus.py"}


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> object | None:
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class SharedWorkScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return SHARES_WORK_WITH.get(module, module)

    return SharedWorkScheduling(config, log)


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every pytest-xdist worker of this run sees (the parent of the workers' own
    base temporary directories), or this process's own one without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def copy_database(source: Path, target: Path) -> Path:
    """A byte copy of an SQLite file no process has open (with its -wal if one was left), so
    the copy is the file as its crawl left it, journal mode included."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def shared_crawl(
    tmp_path_factory: pytest.TempPathFactory, name: str, crawl: Callable[[Path], dict], copy_to: Path
) -> tuple[Path, dict]:
    """The database `crawl(path)` leaves, crawled once per test run under `name` whichever
    xdist worker asks first (the others wait on a file lock), and copied to `copy_to` for the
    asker, who may write to its copy. `crawl` returns what else the tests need of the run
    (JSON: manifest, request log, stderr), given back with the copy."""
    directory = shared_root(tmp_path_factory) / "shared-crawls" / name
    directory.mkdir(parents=True, exist_ok=True)
    database, facts = directory / "govcrawl.db", directory / "facts.json"
    with FileLock(str(directory / "lock")):
        if not facts.exists():  # a crawl that failed left none: the next asker tries again
            database.unlink(missing_ok=True)
            facts.write_text(json.dumps(crawl(database)), encoding="utf-8")
    return copy_database(database, copy_to), json.loads(facts.read_text(encoding="utf-8"))


def shared_files(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], dict[str, bytes]]
) -> dict[str, bytes]:
    """The files `make()` gives (by name), made once per test run under `name` whichever xdist
    worker asks first (the others wait on a file lock and read them): inputs that cost seconds
    of LibreOffice to make, read by tests on either worker."""
    directory = shared_root(tmp_path_factory) / "shared-files" / name
    directory.mkdir(parents=True, exist_ok=True)
    done = directory / "names.json"
    with FileLock(str(directory / "lock")):
        if not done.exists():  # a make that failed left none: the next asker tries again
            files = make()
            for key, body in files.items():
                (directory / key).write_bytes(body)
            done.write_text(json.dumps(sorted(files)), encoding="utf-8")
    return {key: (directory / key).read_bytes() for key in json.loads(done.read_text(encoding="utf-8"))}


def default_crawl(tmp_path_factory: pytest.TempPathFactory, copy_to: Path) -> CrawlResult:
    """The default replica (size 200, site panzhihua) crawled once per test run: `crawled`,
    the merge tests and the fleet's one-process reference all judge this same crawl."""

    def crawl(path: Path) -> dict:
        result = crawl_replica(path.parent)
        result.db.close()
        return {"manifest": result.manifest, "server_log": result.server_log, "stderr": result.stderr}

    path, facts = shared_crawl(tmp_path_factory, "default", crawl, copy_to)
    return CrawlResult(sqlite_utils.Database(path), path, **facts)


ATTACHMENT_LIMIT = 200_000  # bytes: the replica's too_large PDF is larger, every other file smaller


def attachments_crawl(tmp_path_factory: pytest.TempPathFactory, copy_to: Path) -> tuple[Path, dict]:
    """The replica publishing reports as files (size 60), crawled once per test run with
    GOVCRAWL_MAX_ATTACHMENT_BYTES = ATTACHMENT_LIMIT; with its manifest and request log."""

    def crawl(path: Path) -> dict:
        with Replica(size=60, attachments=True) as replica:
            result = run_crawl(path, replica.proxy, settings={"GOVCRAWL_MAX_ATTACHMENT_BYTES": str(ATTACHMENT_LIMIT)})
            assert result.returncode == 0, result.stderr[-3000:]
            return {"manifest": replica.manifest(), "server_log": replica.request_log()}

    return shared_crawl(tmp_path_factory, "attachments", crawl, copy_to)


@pytest.fixture(autouse=True)
def no_crawl_unless_e2e(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `e2e` that starts a crawl, or runs tesseract, LibreOffice or Chromium
    on a document, fails, saying so (`-m "not e2e"` stays fast)."""
    if request.node.get_closest_marker("e2e") is not None:
        return

    def refused(what: str) -> Callable:
        def refuse(*args, **kwargs):
            raise AssertionError(f"{request.node.nodeid} {what}: mark it e2e (tests/outside_programs.py)")

        return refuse

    for module in (process, demo):
        monkeypatch.setattr(module, "crawl_command", refused("starts a subprocess crawl"))
    monkeypatch.setattr(pipelines.ocr, "tesseract_words", refused("runs tesseract"))
    monkeypatch.setattr(pipelines.office_convert, "convert", refused("runs LibreOffice"))
    if "tests.browser" in sys.modules:  # imported by the tests that print or browse
        monkeypatch.setattr(sys.modules["tests.browser"], "chromium", refused("starts Chromium"))


@pytest.fixture(scope="session")
def crawled(tmp_path_factory) -> CrawlResult:
    return default_crawl(tmp_path_factory, tmp_path_factory.mktemp("crawl") / "govcrawl.db")


def holdings(db: Path) -> dict[str, set]:
    """What a processed database holds, by natural keys."""
    conn = sqlite3.connect(db)
    try:
        documents = {url for (url,) in conn.execute("SELECT url FROM documents")}
        versions = set(
            conn.execute(
                "SELECT d.url, v.body_sha256 FROM document_versions v JOIN documents d ON d.id = v.document_id"
            )
        )
        values = set(
            conn.execute(
                "SELECT d.url, v.body_sha256, r.key, r.value, r.unit FROM report_values r"
                " JOIN document_versions v ON v.id = r.version_id JOIN documents d ON d.id = v.document_id"
            )
        )
        pending = conn.execute(
            "SELECT count(*) FROM document_versions v LEFT JOIN document_texts t ON t.version_id = v.id"
            " WHERE t.version_id IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    return {"documents": documents, "versions": versions, "values": values, "pending": pending}


@pytest.fixture(scope="module")
def fleet_replica():
    """The replica the fleet tests crawl (size 200: the default crawl's pages)."""
    with Replica(size=200) as replica:
        yield replica


@pytest.fixture(scope="module")
def one_process_holdings(tmp_path_factory) -> dict[str, set]:
    """What the one-process crawl of the fleet's replica (processed beside itself) holds: the
    suite's shared crawl of the default replica (the replica is the same pages for the same
    size and seed, whichever server serves them)."""
    result = default_crawl(tmp_path_factory, tmp_path_factory.mktemp("single") / "single.db")
    result.db.close()
    return holdings(result.path)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The suite's processes run the cycle collector as govcrawl's crawl and workers do
    (pipelines.collector): the tests build portals and process pages by the thousand."""
    collect_less()
