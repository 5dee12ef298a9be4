"""`govcrawl merge`: SQLite shards (one per crawl worker) merged into one database by natural keys.

Row ids are local to a file, so nothing is matched by id: a run is its `run_uuid` (written
when the run starts; a run recorded before that column existed gets one derived from what
identifies it: kind, site, start time, code version and settings), a body its SHA-256, a
fetch its run with its URL, method, time, status and body, a document its URL, a version its
document with its body, fetch, run and time. Ids are remapped as rows are copied, so every
foreign key of the merged file points at the merged rows.

Idempotent: a row already in the output (by its natural key) is not added again, so merging
a shard twice, or merging a shard that grew since the last merge (a worker still running,
or killed and then resumed), adds only what is new. A run keeps the figures its worker
recorded; a run the output holds as still `running` (or `abandoned`, as the output's next
crawl or process stage marks runs it finds running) takes the shard's newer row.

Documents are one per URL whatever the shards: first seen is the earliest sighting, last seen
the latest, gone only when a 404/410 came after the last sighting, and the current version is
the latest fetched. A version whose body equals its neighbour in time (the same page fetched
by two workers, e.g. through two URLs that redirect to it) is the same version, as in one
process, where an unchanged body adds no version.

Processing results (`document_texts`, `report_values`, `validations`) travel with their
version: they are a function of the stored bytes and the processor version, so carrying them
costs a copy where processing again costs minutes; `govcrawl process` afterwards does the
versions still pending and those of an older processor, as after any crawl. The wide
`report_figures` rows come along too (made from the values when the shard's table differs),
and the full-text index is brought up to date for the versions that arrive.

Crash-safe: each shard is merged in one transaction (a crash leaves the output as it was
before that shard, and merging again finishes it); shards are opened read-only. The
`govcrawl merge` command holds the output's crawl lock (a crawl numbers its fetch rows
itself, so none may write the output meanwhile) and its process-stage lock. A merge
that would put runs of the offline replica beside runs of real portals is refused before
anything is written (govcrawl.run_origin).

Hand-written: no library merges SQLite files by natural keys (sqlite-utils and sqldiff
copy or compare rows by primary key).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from govcrawl.run_origin import is_replica_run
from pipelines.copies import is_official_host, relink
from pipelines.figures import write_figures
from pipelines.store import PROCESSED_TABLES, TABLES, ensure_schema, write_transaction

# Namespace of run identities derived for runs recorded before `run_uuid` existed.
DERIVED_RUNS = uuid.UUID("5d0b2f0e-3c1a-4d8e-9f0a-6b7c8d9e0f12")
# Columns of a run that change while it runs (its worker brings them up to date).
RUN_PROGRESS = ("finished_at", "status", "finish_reason", "failure", "requests", "errors", "new_documents",
                "new_versions", "unchanged", "gone", "stats", "resumed_from")  # fmt: skip


OPEN_RUN = ("running", "abandoned")


class MergeRefused(ValueError):
    """The merge cannot start (nothing written): a missing shard, a shard that is the output,
    replica and real runs together."""


@dataclass
class ShardSummary:
    """What one shard brought, counted."""

    path: str
    added: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        names = ("runs", "runs_updated", "bodies", "fetches", "documents", "documents_updated", "versions",
                 "versions_same", "processed", "links")  # fmt: skip
        return f"{self.path}: " + ", ".join(f"{self.added[name]} {name.replace('_', ' ')}" for name in names)


def derived_run_uuid(kind: str | None, site: str | None, started_at: str | None, code_version: str | None,
                     settings: str | None) -> str:  # fmt: skip
    """The identity of a run recorded without one: the same run gives the same one in every file."""
    return str(uuid.uuid5(DERIVED_RUNS, json.dumps([kind, site, started_at, code_version, settings])))


def database_origins(conn: sqlite3.Connection, schema: str = "main") -> set[bool]:
    """{True} for a file of replica crawls, {False} for real ones, {} for no crawl yet."""
    try:
        rows = conn.execute(f"SELECT settings FROM {schema}.crawl_runs WHERE kind = 'crawl'").fetchall()
    except sqlite3.OperationalError:
        return set()
    return {is_replica_run(json.loads(settings or "{}")) for (settings,) in rows}


def merge(
    shards: list[str | Path],
    out: str | Path,
    merged: Callable[[ShardSummary], None] | None = None,
    is_official: Callable[[str], bool] = is_official_host,
) -> list[ShardSummary]:
    """Merge each shard into `out` (created when missing), one transaction per shard;
    `merged` is told each shard's summary once it is committed. Then the copies of the whole
    file are linked to their originals again (pipelines.copies: a copy and its original may
    come from two shards), `is_official` telling an agency's own hosts."""
    out = Path(out)
    check_shards([Path(shard) for shard in shards], out)
    db = sqlite_utils.Database(out)
    db.execute("PRAGMA busy_timeout = 30000")
    db.enable_wal()
    ensure_schema(db)
    conn = db.conn
    summaries = []
    try:
        with write_transaction(db):
            fill_run_uuids(conn)
        for shard in shards:
            conn.execute("ATTACH DATABASE ? AS shard", [f"{Path(shard).resolve().as_uri()}?mode=ro"])
            try:
                summary = ShardSummary(str(shard))
                with write_transaction(db):
                    merge_shard(conn, summary.added)
                summaries.append(summary)
                if merged is not None:
                    merged(summary)
            finally:
                conn.execute("DETACH DATABASE shard")
        with write_transaction(db):
            relink(conn, is_official)
    finally:
        db.close()
    return summaries


def check_shards(shards: list[Path], out: Path) -> None:
    """Every shard a govcrawl database other than the output; one origin (replica or real) in all."""
    origins: dict[bool, str] = {}
    for path in [*shards, out]:
        if path is out and (not out.exists() or out.stat().st_size == 0):
            continue  # created (an empty file: SQLite makes it a database)
        if not path.is_file():
            raise MergeRefused(f"no database at {path}")
        if path is not out and out.exists() and os.path.samefile(path, out):
            raise MergeRefused(f"{path} is the output itself")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'crawl_runs'").fetchone():
                raise MergeRefused(f"{path} is not a govcrawl database (no crawl_runs table)")
            for replica in database_origins(conn):
                origins.setdefault(replica, str(path))
        except sqlite3.DatabaseError as error:
            raise MergeRefused(f"{path} cannot be read as a database: {error}") from None
        finally:
            conn.close()
    if len(origins) > 1:
        raise MergeRefused(
            f"{origins[True]} holds crawls of the offline replica and {origins[False]} crawls of real portals;"
            " the replica's invented reports never go into a database beside real ones"
        )


def fill_run_uuids(conn: sqlite3.Connection) -> None:
    """Runs of the output recorded before `run_uuid` existed get their derived identity."""
    rows = conn.execute(
        "SELECT id, kind, site, started_at, code_version, settings FROM crawl_runs WHERE run_uuid IS NULL"
    ).fetchall()
    conn.executemany("UPDATE crawl_runs SET run_uuid = ? WHERE id = ?",
                     [(derived_run_uuid(*row[1:]), row[0]) for row in rows])  # fmt: skip


def shard_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Columns the shard's table and ours share (an older shard lacks some; [] when it lacks
    the table)."""
    present = {row[1] for row in conn.execute(f"PRAGMA shard.table_info({table})")}
    return [name for name in TABLES[table][0] if name in present]


def merge_shard(conn: sqlite3.Connection, added: Counter[str]) -> None:
    runs = merge_runs(conn, added)
    if not runs:
        return
    merge_bodies(conn, added)
    fetches = merge_fetches(conn, runs, added)
    documents = merge_documents(conn, runs, added)
    versions = merge_versions(conn, runs, fetches, documents, added)
    settle_documents(conn, documents)
    merge_links(conn, runs, documents, added)
    carry_processed(conn, versions, added)
    check_foreign_keys(conn)


def merge_runs(conn: sqlite3.Connection, added: Counter[str]) -> dict[int, int]:
    """Shard run id -> output run id; new runs inserted, a running one brought up to date."""
    columns = shard_columns(conn, "crawl_runs")
    if not columns:
        return {}
    known = dict(conn.execute("SELECT run_uuid, id FROM main.crawl_runs"))
    status_of = dict(conn.execute("SELECT id, status FROM main.crawl_runs"))
    runs: dict[int, int] = {}
    copied = [name for name in columns if name not in ("id", "run_uuid")]
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM shard.crawl_runs ORDER BY id").fetchall():
        run = dict(zip(columns, row, strict=True))
        identity = run.get("run_uuid") or derived_run_uuid(
            run.get("kind"), run.get("site"), run.get("started_at"), run.get("code_version"), run.get("settings")
        )
        if run.get("resumed_from") is not None:
            run["resumed_from"] = runs.get(run["resumed_from"])
        if identity in known:
            runs[run["id"]] = known[identity]
            # the shard is the run's own file: its row is newer than an output's still open
            # one (or one the output's next crawl or stage marked abandoned meanwhile)
            if status_of[known[identity]] in OPEN_RUN and run.get("status") != status_of[known[identity]]:
                progress = [name for name in RUN_PROGRESS if name in run]
                conn.execute(
                    f"UPDATE main.crawl_runs SET {', '.join(f'{name} = ?' for name in progress)} WHERE id = ?",
                    [*(run[name] for name in progress), known[identity]],
                )
                added["runs_updated"] += 1
            continue
        runs[run["id"]] = conn.execute(
            f"INSERT INTO main.crawl_runs (run_uuid, {', '.join(copied)}) VALUES (?{', ?' * len(copied)})",
            [identity, *(run[name] for name in copied)],
        ).lastrowid
        known[identity] = runs[run["id"]]
        added["runs"] += 1
    return runs


def merge_bodies(conn: sqlite3.Connection, added: Counter[str]) -> None:
    """Bodies by hash, copied compressed as they are."""
    columns = ", ".join(shard_columns(conn, "bodies"))
    if not columns:
        return
    added["bodies"] += conn.execute(
        f"INSERT INTO main.bodies ({columns}) SELECT {columns} FROM shard.bodies"
        " WHERE sha256 NOT IN (SELECT sha256 FROM main.bodies)"
    ).rowcount


def fetch_key(run_id: int, url: str, method: str | None, fetched_at: str | None, status: int | None,
              body_sha256: str | None) -> tuple:  # fmt: skip
    return run_id, url, method, fetched_at, status, body_sha256


def merge_fetches(conn: sqlite3.Connection, runs: dict[int, int], added: Counter[str]) -> dict[int, int]:
    """Shard fetch id -> output fetch id. Fetches with the same natural key in one run (the
    same URL answered alike in the same millisecond) are matched in order, so none is lost."""
    columns = shard_columns(conn, "fetches")
    if not columns:
        return {}
    existing: dict[tuple, list[int]] = defaultdict(list)
    runs_before = sorted(set(runs.values()) & {run for (run,) in conn.execute("SELECT DISTINCT run_id FROM main.fetches")})
    for start in range(0, len(runs_before), 500):
        chunk = runs_before[start : start + 500]
        for row in conn.execute(
            "SELECT id, run_id, url, method, fetched_at, status, body_sha256 FROM main.fetches"
            f" WHERE run_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        ):
            existing[fetch_key(*row[1:])].append(row[0])
    seen: Counter[tuple] = Counter()
    next_id = (conn.execute("SELECT max(id) FROM main.fetches").fetchone()[0] or 0) + 1
    fetches: dict[int, int] = {}
    rows = []
    errors = []
    copied = [name for name in columns if name != "id"]
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM shard.fetches ORDER BY id"):
        fetch = dict(zip(columns, row, strict=True))
        fetch["run_id"] = runs[fetch["run_id"]]
        key = fetch_key(fetch["run_id"], fetch["url"], fetch.get("method"), fetch.get("fetched_at"),
                        fetch.get("status"), fetch.get("body_sha256"))  # fmt: skip
        nth = seen[key]
        seen[key] += 1
        if nth < len(existing[key]):
            fetches[fetch["id"]] = existing[key][nth]
            if fetch.get("error") is not None:  # an error recorded after the last merge
                errors.append((fetch["error"], existing[key][nth]))
            continue
        fetches[fetch["id"]] = next_id
        rows.append((next_id, *(fetch[name] for name in copied)))
        next_id += 1
    conn.executemany(f"INSERT INTO main.fetches (id, {', '.join(copied)}) VALUES (?{', ?' * len(copied)})", rows)
    conn.executemany("UPDATE main.fetches SET error = ? WHERE id = ? AND error IS NULL", errors)
    added["fetches"] += len(rows)
    return fetches


@dataclass
class Sighting:
    """A document's dates in one file."""

    first: tuple[str | None, int | None]  # (first_seen_at, first_seen_run)
    last: tuple[str | None, int | None]
    gone: tuple[str | None, int | None, int | None]  # (gone_at, gone_run, gone_status)


def merge_documents(conn: sqlite3.Connection, runs: dict[int, int], added: Counter[str]) -> dict[int, int]:
    """Shard document id -> output document id, by URL; the dates of both files combined."""
    columns = shard_columns(conn, "documents")
    if not columns:
        return {}
    documents: dict[int, int] = {}
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM shard.documents ORDER BY id").fetchall():
        doc = dict(zip(columns, row, strict=True))
        theirs = Sighting(
            (doc.get("first_seen_at"), runs.get(doc.get("first_seen_run"))),
            (doc.get("last_seen_at"), runs.get(doc.get("last_seen_run"))),
            (doc.get("gone_at"), runs.get(doc.get("gone_run")), doc.get("gone_status")),
        )
        ours = conn.execute(
            "SELECT id, first_seen_at, first_seen_run, last_seen_at, last_seen_run, gone_at, gone_run, gone_status"
            " FROM main.documents WHERE url = ?",
            [doc["url"]],
        ).fetchone()
        if ours is None:
            documents[doc["id"]] = conn.execute(
                "INSERT INTO main.documents (url, first_seen_at, first_seen_run, last_seen_at, last_seen_run,"
                " gone_at, gone_run, gone_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [doc["url"], *theirs.first, *theirs.last, *theirs.gone],
            ).lastrowid
            added["documents"] += 1
            continue
        documents[doc["id"]] = ours[0]
        combined = combine(Sighting(tuple(ours[1:3]), tuple(ours[3:5]), tuple(ours[5:8])), theirs)
        if combined != [*ours[1:]]:
            conn.execute(
                "UPDATE main.documents SET first_seen_at = ?, first_seen_run = ?, last_seen_at = ?, last_seen_run = ?,"
                " gone_at = ?, gone_run = ?, gone_status = ? WHERE id = ?",
                [*combined, ours[0]],
            )
            added["documents_updated"] += 1
    return documents


def combine(ours: Sighting, theirs: Sighting) -> list:
    """First seen: the earlier; last seen: the later; gone: the first 404/410 after the last
    sighting, if any came after it (as one process, whose next sighting clears `gone`)."""
    sightings = [s for s in (ours, theirs) if s.first[0] is not None]
    first = min((s.first for s in sightings), key=lambda f: f[0], default=ours.first)
    lasts = [s.last for s in (ours, theirs) if s.last[0] is not None]
    last = max(lasts, key=lambda f: f[0], default=ours.last)
    gones = [s.gone for s in (ours, theirs) if s.gone[0] is not None and (last[0] is None or s.gone[0] > last[0])]
    gone = min(gones, key=lambda g: g[0], default=(None, None, None))
    return [*first, *last, *gone]


VERSION_COLUMNS = ("document_id", "body_sha256", "fetch_id", "run_id", "fetched_at", "reprocessed_from")


def merge_versions(
    conn: sqlite3.Connection, runs: dict[int, int], fetches: dict[int, int], documents: dict[int, int],
    added: Counter[str],
) -> dict[int, int]:  # fmt: skip
    """Shard version id -> output version id.

    A version already there (same document, body, fetch, run, time and origin) is that one;
    a version whose body equals the one before or after it in time, in the same document, is
    that neighbour (two workers fetched the same page); reprocessed versions (a new result
    from the same bytes) are always their own."""
    columns = shard_columns(conn, "document_versions")
    if not columns:
        return {}
    copied = [name for name in columns if name != "id"]
    versions: dict[int, int] = {}
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM shard.document_versions ORDER BY id").fetchall():
        version = dict(zip(columns, row, strict=True))
        version["document_id"] = documents.get(version["document_id"])
        if version["document_id"] is None:
            continue  # a version of no document of the shard: nothing to attach it to
        version["fetch_id"] = fetches.get(version["fetch_id"])
        version["run_id"] = runs.get(version["run_id"])
        if version.get("reprocessed_from") is not None:
            version["reprocessed_from"] = versions.get(version["reprocessed_from"])
        same = same_version(conn, version)
        if same is not None:
            versions[version["id"]] = same
            added["versions_same"] += 1
            continue
        versions[version["id"]] = conn.execute(
            f"INSERT INTO main.document_versions ({', '.join(copied)}) VALUES ({', '.join('?' * len(copied))})",
            [version[name] for name in copied],
        ).lastrowid
        added["versions"] += 1
    return versions


def same_version(conn: sqlite3.Connection, version: dict) -> int | None:
    """The output's version this shard version is, or None (it is new)."""
    exact = conn.execute(
        "SELECT id FROM main.document_versions WHERE document_id = ? AND body_sha256 = ? AND fetch_id IS ?"
        " AND run_id IS ? AND fetched_at IS ? AND reprocessed_from IS ? ORDER BY id LIMIT 1",
        [version.get(name) for name in VERSION_COLUMNS],
    ).fetchone()
    if exact is not None or version.get("reprocessed_from") is not None:
        return exact[0] if exact else None
    # the first-fetched versions (not reprocessed ones) of this document just before and after it
    originals = "FROM main.document_versions WHERE document_id = ? AND reprocessed_from IS NULL"
    at = version.get("fetched_at") or ""
    before = conn.execute(
        f"SELECT id, body_sha256 {originals} AND fetched_at <= ? ORDER BY fetched_at DESC, id DESC LIMIT 1",
        [version["document_id"], at],
    ).fetchone()
    after = conn.execute(
        f"SELECT id, body_sha256 {originals} AND fetched_at > ? ORDER BY fetched_at, id LIMIT 1",
        [version["document_id"], at],
    ).fetchone()
    for neighbour in (before, after):
        if neighbour is not None and neighbour[1] == version["body_sha256"]:
            return neighbour[0]
    return None


def settle_documents(conn: sqlite3.Connection, documents: dict[int, int]) -> None:
    """Each document's current version: its latest fetched, the latest reprocessing of it
    (versions of one fetch time: the highest id, as one process adds them)."""
    ids = sorted(set(documents.values()))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(
            "UPDATE main.documents SET current_version_id = (SELECT v.id FROM main.document_versions v"
            " WHERE v.document_id = documents.id ORDER BY v.fetched_at DESC, v.id DESC LIMIT 1)"
            f" WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        )


def merge_links(conn: sqlite3.Connection, runs: dict[int, int], documents: dict[int, int], added: Counter[str]) -> None:
    """Attachment links (once per attachment and offering page); the offering page's
    document found by its URL when the shard did not have it."""
    columns = shard_columns(conn, "document_links")
    if not columns:
        return
    rows = []
    for row in conn.execute(f"SELECT {', '.join(columns)} FROM shard.document_links ORDER BY id"):
        link = dict(zip(columns, row, strict=True))
        link["document_id"] = documents.get(link["document_id"])
        if link["document_id"] is None:
            continue  # a link to no document of the shard: nothing to point at
        link["offered_by_document_id"] = documents.get(link.get("offered_by_document_id"))
        link["run_id"] = runs.get(link.get("run_id"))
        rows.append(link)
    copied = [name for name in columns if name != "id"]
    before = conn.execute("SELECT count(*) FROM main.document_links").fetchone()[0]
    conn.executemany(
        f"INSERT OR IGNORE INTO main.document_links ({', '.join(copied)}) VALUES ({', '.join('?' * len(copied))})",
        [[link[name] for name in copied] for link in rows],
    )
    added["links"] += conn.execute("SELECT count(*) FROM main.document_links").fetchone()[0] - before
    conn.execute(
        "UPDATE main.document_links SET offered_by_document_id = (SELECT id FROM main.documents d WHERE d.url = offered_by)"
        " WHERE offered_by_document_id IS NULL AND offered_by IN (SELECT url FROM main.documents)"
    )


def carry_processed(conn: sqlite3.Connection, versions: dict[int, int], added: Counter[str]) -> None:
    """Each version's processing rows, for output versions that have none yet; then their
    wide figures row and full-text index entry."""
    if not shard_columns(conn, "document_texts"):
        return
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS merged_versions (shard_id INTEGER PRIMARY KEY, out_id INTEGER)")
    conn.execute("DELETE FROM temp.merged_versions")
    conn.executemany("INSERT INTO temp.merged_versions VALUES (?, ?)", versions.items())
    # only shard versions with rows, for output versions without; one each (two shard
    # versions may be one output version)
    conn.execute(
        "DELETE FROM temp.merged_versions WHERE shard_id NOT IN (SELECT version_id FROM shard.document_texts)"
        " OR out_id IN (SELECT version_id FROM main.document_texts)"
    )
    conn.execute(
        "DELETE FROM temp.merged_versions WHERE shard_id NOT IN (SELECT max(shard_id) FROM temp.merged_versions"
        " GROUP BY out_id)"
    )
    for table in PROCESSED_TABLES:
        columns = [name for name in shard_columns(conn, table) if name not in ("id", "version_id")]
        if not columns:
            continue
        count = conn.execute(
            f"INSERT INTO main.{table} (version_id, {', '.join(columns)})"
            f" SELECT m.out_id, {', '.join(f't.{c}' for c in columns)}"
            f" FROM shard.{table} t JOIN temp.merged_versions m ON m.shard_id = t.version_id ORDER BY t.rowid"
        ).rowcount
        if table == "document_texts":
            added["processed"] += count
    carry_figures(conn)
    conn.execute(
        "INSERT INTO main.document_texts_fts (rowid, title, text) SELECT t.version_id, t.title, t.text"
        " FROM main.document_texts t JOIN temp.merged_versions m ON m.out_id = t.version_id"
    )


def carry_figures(conn: sqlite3.Connection) -> None:
    """The carried versions' wide figures rows: copied when the shard's table has our columns
    (they are a function of the values just copied), else made from the values."""
    ours = [row[1] for row in conn.execute("PRAGMA main.table_info(report_figures)")]
    if [row[1] for row in conn.execute("PRAGMA shard.table_info(report_figures)")] == ours:
        conn.execute(
            f"INSERT INTO main.report_figures ({', '.join(ours)}) SELECT m.out_id, {', '.join(f'f.{c}' for c in ours[1:])}"
            " FROM shard.report_figures f JOIN temp.merged_versions m ON m.shard_id = f.version_id"
        )
    write_figures(conn, [out_id for (out_id,) in conn.execute(
        "SELECT out_id FROM temp.merged_versions WHERE out_id NOT IN (SELECT version_id FROM main.report_figures)"
    )])  # fmt: skip


def check_foreign_keys(conn: sqlite3.Connection) -> None:
    """A merge that would leave a dangling id is a bug: its transaction is rolled back."""
    broken = conn.execute("PRAGMA main.foreign_key_check").fetchmany(5)
    if broken:
        raise sqlite3.IntegrityError(f"the merge would leave dangling ids (table, row, parent): {broken}")
