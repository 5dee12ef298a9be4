"""The `govcrawl` command: inspect and process the database the crawls write."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

import sqlite_utils

from govcrawl.serve import DEFAULT_PORT, SQL_TIME_LIMIT_MS, datasette_command
from pipelines.coverage import DEADLINE_MONTH_DAY, latest_due_year, missing_reports, new_reports
from pipelines.store import RUN_FIGURES

DEFAULT_DB = os.environ.get("GOVCRAWL_DB", "data/govcrawl.db")


def crawl_summary(db: sqlite_utils.Database) -> dict:
    """Totals over the whole database plus the last run's own figures."""
    from govcrawl.stage import pending_counts  # versions without a result of this processor
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    last = db.execute(
        "SELECT id, site, started_at, finished_at, status, failure, resumed_from,"
        f" {', '.join(RUN_FIGURES)} FROM crawl_runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    summary = {
        "runs": one("SELECT count(*) FROM crawl_runs"),
        "fetches": one("SELECT count(*) FROM fetches"),
        "fetch_errors": one("SELECT count(*) FROM fetches WHERE error IS NOT NULL"),
        "documents": one("SELECT count(*) FROM documents"),
        "documents_by_kind": dict(
            db.execute(
                "SELECT coalesce(t.doc_kind, CASE WHEN t.version_id IS NULL THEN 'pending' ELSE 'unparsed' END),"
                " count(*) FROM documents d"
                " LEFT JOIN document_texts t ON t.version_id = d.current_version_id GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        ),
        "reports": one("SELECT count(*) FROM reports"),
        "reports_failing_checks": one("SELECT count(*) FROM reports WHERE validation_status = 'failed'"),
        "values": one("SELECT count(*) FROM report_values rv JOIN reports r USING (version_id)"),
        "document_versions": one("SELECT count(*) FROM document_versions"),
        "pending_versions": sum(pending_counts(db)),
        "bodies": one("SELECT count(*) FROM bodies"),
        "stored_bytes": one("SELECT coalesce(sum(length(content)), 0) FROM bodies"),
    }
    if last:
        names = ("id", "site", "started_at", "finished_at", "status", "failure", "resumed_from", *RUN_FIGURES)
        summary["last_run"] = dict(zip(names, last, strict=True))
        summary["last_run"]["new_reports"] = new_reports(db, last[0])
    today = date.today()
    summary["missing_reports"] = {"as_of": today.isoformat(), "year_due": latest_due_year(today)}
    summary["missing_reports"]["agencies"] = [agency for agency, _ in missing_reports(db, today)]
    return summary


def print_summary(summary: dict) -> None:
    print(
        f"runs: {summary['runs']}  fetches: {summary['fetches']}  errors: {summary['fetch_errors']}  "
        f"documents: {summary['documents']}  versions: {summary['document_versions']}  "
        f"bodies: {summary['bodies']} ({summary['stored_bytes'] / 1e6:.1f} MB compressed)"
    )
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["documents_by_kind"].items())
    print(
        f"documents by kind: {kinds}\n"
        f"reports: {summary['reports']} (one per report; twins at other URLs counted once), "
        f"{summary['values']} table values, {summary['reports_failing_checks']} failing an identity check"
    )
    if summary["pending_versions"]:
        print(f"pending: {summary['pending_versions']} versions not processed yet (`govcrawl process` does them)")
    last = summary.get("last_run")
    if last:
        until = last["finished_at"] or "still running"  # a running run's figures are as of its last batch
        print(
            f"last run #{last['id']} ({last['site']}, {last['started_at']} → {until}, "
            f"{last['status']}): {last['requests'] or 0} requests, {last['errors'] or 0} errors, "
            f"{last['new_documents'] or 0} new documents, {last['new_versions'] or 0} new versions, "
            f"{last['unchanged'] or 0} unchanged, {last['gone'] or 0} gone"
        )
        if last["failure"]:
            print(f"  failed: {last['failure']}")
        new = [f"{agency} {year}" for agency, year in last["new_reports"]]
        print(f"  new agency-years: {len(new)}" + listing(new))
    missing = summary["missing_reports"]
    print(
        f"missing reports on {missing['year_due']} (due by {missing['year_due'] + 1}-{DEADLINE_MONTH_DAY}): "
        f"{len(missing['agencies'])}" + listing(missing["agencies"])
    )


def listing(items: list[str], limit: int = 10) -> str:
    more = f"\n    … and {len(items) - limit} more (the coverage view has them all)" if len(items) > limit else ""
    return "".join(f"\n    {item}" for item in items[:limit]) + more


def cmd_stats(args: argparse.Namespace) -> int:
    if not os.path.exists(args.db):
        print(
            f"no database at {args.db}: run `make crawl` first (or `make demo`, then `make serve DB=data/demo.db`)",
            file=sys.stderr,
        )
        return 1
    summary = crawl_summary(sqlite_utils.Database(args.db))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_summary(summary)
    return 0


UNREADABLE = 2  # exit status of `govcrawl parse` for input that is no text page (empty, binary)
OVER_A_LIMIT = 3  # exit status of `govcrawl parse` for a file over the time or memory limit


def parse_bounded(body: bytes, content_type: str | None, url: str | None) -> dict | str:
    """One page or file processed as the process stage processes it: in a worker process under
    GOVCRAWL_PROCESS_TIMEOUT and GOVCRAWL_PROCESS_MEMORY_MB, so a hostile file (an OFD whose
    objects refer back to themselves, a page that needs gigabytes) ends with the limit it met
    instead of hanging the shell. The result as `govcrawl parse --json` prints it, or the limit."""
    import multiprocessing

    from pebble import ProcessExpired, ProcessPool

    from govcrawl import settings
    from govcrawl.stage import limit_memory, memory_limit

    memory_mb, timeout = settings.GOVCRAWL_PROCESS_MEMORY_MB, settings.GOVCRAWL_PROCESS_TIMEOUT
    pool = ProcessPool(
        max_workers=1, initializer=limit_memory, initargs=(memory_mb,), context=multiprocessing.get_context("fork")
    )
    try:
        return pool.schedule(parsed_page, (body, content_type, url), timeout=timeout).result()
    except TimeoutError:
        return f"limit: processing took more than GOVCRAWL_PROCESS_TIMEOUT ({timeout:g} s)"
    except (MemoryError, ProcessExpired):  # a worker at its address-space limit may die outright
        return memory_limit(memory_mb)
    finally:
        pool.stop()
        pool.join(timeout=30)


def parsed_page(body: bytes, content_type: str | None, url: str | None) -> dict:
    from govcrawl.stage import peak_address_space, ran_out_of_memory
    from pipelines.process import process_page  # pulls in OpenCC; only the worker needs it

    peak_before = peak_address_space()
    result = process_page(body, content_type, url).as_json()
    if ran_out_of_memory("\n".join(result["problems"]), peak_before):
        raise MemoryError  # caught inside processing (as whatever allocated last), the limit all the same
    return result


def cmd_parse(args: argparse.Namespace) -> int:
    from pipelines.file_dispatch import KINDS as FILE_KINDS
    from pipelines.filetype import describe, file_kind

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 1
    body = path.read_bytes()
    if not body:
        print(f"empty file: {path} has no bytes, so no page to parse", file=sys.stderr)
        return UNREADABLE
    kind = file_kind(body)  # PDF, Office files and scans have readers; other binary bytes do not
    if kind is not None and kind not in FILE_KINDS:
        print(f"not a text page: {path} is {describe(kind)} ({len(body)} bytes); nothing parsed", file=sys.stderr)
        return UNREADABLE
    parsed = parse_bounded(body, args.content_type, args.url)
    if isinstance(parsed, str):
        print(f"{parsed}; {path} not parsed", file=sys.stderr)
        return OVER_A_LIMIT
    result = {"file": str(path), "url": args.url, **parsed}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    evidence = result["encoding"]
    print(f"kind: {result['doc_kind']}  format: {result['format']}  title: {result['title']}")
    print(
        f"agency: {result['agency']}  report year: {result['report_year']}  "
        f"published: {result['published_date']}  source: {result['source']}"
    )
    if evidence["chosen"] == "file":
        print(f"file: {evidence['detected']} read by {evidence['method']}")
    else:
        print(
            f"encoding: {evidence['chosen']} ({evidence['method']}, confidence {evidence['confidence']}, "
            f"declared {evidence['declared']}, undecodable spans {evidence['undecodable']})"
        )
    print("transforms: " + ", ".join(f"{t['name']} {t['count']}" for t in result["transforms"]))
    failed = [c for c in result["validation"] if not c["ok"]]
    print(
        f"values: {len(result['values'])}  checks: {len(result['validation'])} "
        f"({result['validation_status']}, {len(failed)} failed)"
    )
    for check in failed:
        print(
            f"  failed {check['rule']} {check['subject']}: printed {check['expected']:g}, parts {check['actual']:g}"
        )
    for problem in result["problems"]:
        print(f"  problem: {problem}")
    print()
    print(result["text"])
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    import logging
    import signal

    from scrapy.settings import Settings

    from govcrawl.stage import StageSettings, run_stage  # pulls in the processing stack

    if not os.path.exists(args.db):
        print(f"no database at {args.db}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [govcrawl.process] %(levelname)s: %(message)s")

    def stop(signum, frame):  # SIGTERM as Ctrl-C: write what is done, leave the rest pending
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    settings = Settings()
    settings.setmodule("govcrawl.settings")
    stage = StageSettings(
        workers=args.workers if args.workers is not None else settings.getint("GOVCRAWL_PROCESS_WORKERS"),
        timeout=settings.getfloat("GOVCRAWL_PROCESS_TIMEOUT"),
        memory_mb=settings.getint("GOVCRAWL_PROCESS_MEMORY_MB"),
    )
    summary = run_stage(args.db, all_versions=args.all, follow=args.follow, settings=stage)
    print(
        f"{'reparse' if args.all else 'process'} run #{summary['run_id']}: {summary['versions']} versions processed:"
        f" {summary['processed']} pending ones, {summary['changed']} changed (new versions),"
        f" {summary['unchanged']} unchanged; {summary['unparsed']} stored unparsed (a limit or an error);"
        f" {summary['pending']} still pending",
        flush=True,
    )
    if summary["failure"]:
        print(f"  failed: {summary['failure']}", file=sys.stderr)
        return 1
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from govcrawl.recorder import CrawlRefused, lock_database
    from govcrawl.stage import lock_stage, official_host, pending_counts
    from pipelines.merge import MergeRefused, merge

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    try:
        crawl_lock = lock_database(args.out)  # a crawl numbers its rows itself: none may write meanwhile
    except CrawlRefused:
        print(f"not merging: a crawl is writing {args.out}; merge once it has finished", file=sys.stderr)
        return 1
    stage_lock = lock_stage(Path(args.out))  # a process stage on the output: wait for it
    try:
        merge(args.shards, args.out, lambda summary: print(f"merged {summary.line()}", flush=True), official_host)
    except MergeRefused as error:
        print(f"not merging: {error}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:  # the output not writable, a shard unreadable halfway
        print(f"merge stopped: {error}; the shards reported merged are in {args.out}, the one under way"
              " left no trace: run the same command again", file=sys.stderr)  # fmt: skip
        return 1
    finally:
        stage_lock.close()
        crawl_lock.close()
    pending = sum(pending_counts(sqlite_utils.Database(args.out)))
    if pending:
        print(f"{args.out}: {pending} versions pending: `govcrawl process --db {args.out}` processes them")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not os.path.exists(args.db):
        print(
            f"no database at {args.db}: run `make crawl` first (or `make demo`, then `make serve DB=data/demo.db`)",
            file=sys.stderr,
        )
        return 1
    command = datasette_command(
        args.db, port=args.port, host=args.host, sql_time_limit_ms=args.sql_time_limit_ms,
        raw_bodies=args.raw_bodies,
    )
    print(f"serving {args.db} read-only on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    os.execv(command[0], command)  # Datasette takes over the process (and its Ctrl-C)


def cmd_export_warc(args: argparse.Namespace) -> int:
    from govcrawl.warc_export import export  # warcio and wacz only for this command

    if not os.path.exists(args.db):
        print(f"no database at {args.db}", file=sys.stderr)
        return 1
    figures = export(args.db, args.warc, args.wacz)
    records = ", ".join(f"{count} {kind}" for kind, count in sorted(figures.records.items()))
    print(f"{args.warc}: {figures.fetches} fetches as {records}")
    if figures.unreadable_bodies:
        print(f"  {figures.unreadable_bodies} stored bodies could not be read: empty payloads, each said in its"
              " fetch's metadata record (export-problem)", file=sys.stderr)  # fmt: skip
    if args.wacz:
        print(f"{args.wacz}: the WARC, its index and {figures.pages} report pages")
        for url in figures.pages_unmatched:
            print(f"  listed page without a response record in the WARC: {url}", file=sys.stderr)
    return 1 if figures.pages_unmatched or figures.unreadable_bodies else 0


def cmd_profile_draft(args: argparse.Namespace) -> int:
    from govcrawl.profile_draft import crawl, draft_yaml  # Scrapy's reactor only for this command

    overrides = dict(setting.split("=", 1) for setting in args.set or ())
    findings = crawl(args.url, overrides)
    text = draft_yaml(findings)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"profile draft written to {args.output}: {len(findings.columns)} report columns", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0 if findings.columns else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="govcrawl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    stats = sub.add_parser("stats", help="summarise the database: runs, fetches, errors, report pages")
    stats.add_argument("--db", default=DEFAULT_DB)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)
    parse = sub.add_parser(
        "parse",
        help="process one saved page or file (HTML, text, PDF, DOC/DOCX/WPS, XLS/XLSX/ET, a scanned"
        " PNG/JPEG/TIFF) and print the result; exit 2 when it is empty or of no readable type (the type is named)",
    )
    parse.add_argument("file")
    parse.add_argument("--url", help="where the page came from (recorded in the output, and evidence of its kind and year)")
    parse.add_argument("--content-type", help="the HTTP Content-Type it was served with, if known")
    parse.add_argument("--json", action="store_true")
    parse.set_defaults(func=cmd_parse)
    process = sub.add_parser(
        "process",
        help="process the stored versions that have no result of the current processor, in a pool of workers",
    )
    process.add_argument("--db", default=DEFAULT_DB)
    process.add_argument(
        "--all", action="store_true",
        help="every current version again (after a parser change); new versions only where the result changed",
    )  # fmt: skip
    process.add_argument("--workers", type=int, help="worker processes (default GOVCRAWL_PROCESS_WORKERS: the cores)")
    process.add_argument(
        "--follow", action="store_true",
        help="keep taking versions as a running crawl stores them; drain and exit once it has finished",
    )  # fmt: skip
    process.set_defaults(func=cmd_process)
    reparse = sub.add_parser("reparse", help="the same as `process --all`")
    reparse.add_argument("--db", default=DEFAULT_DB)
    reparse.add_argument("--workers", type=int)
    reparse.set_defaults(func=cmd_process, all=True, follow=False)
    merge = sub.add_parser(
        "merge",
        help="merge crawl shards (one SQLite file per worker) into one database by URL, body hash and run;"
        " merging a shard again adds nothing twice",
    )
    merge.add_argument("shards", nargs="+", metavar="SHARD.db")
    merge.add_argument("-o", "--out", required=True, metavar="OUT.db", help="created when missing, else added to")
    merge.set_defaults(func=cmd_merge)
    serve = sub.add_parser(
        "serve", help="browse the database with Datasette (read-only, with the metadata, canned queries, charts)"
    )
    serve.add_argument("--db", default=DEFAULT_DB)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--sql-time-limit-ms", type=int, default=SQL_TIME_LIMIT_MS)
    serve.add_argument(
        "--raw-bodies", action="store_true", help="let queries read bodies.content (the stored bytes); off by default"
    )
    serve.set_defaults(func=cmd_serve)
    export_warc = sub.add_parser(
        "export-warc",
        help="write every fetch as WARC 1.1 (request, response, errors as metadata, browser renders as"
        " resources); with --wacz also a WACZ listing the report pages, for pywb and ReplayWeb.page",
    )
    export_warc.add_argument("--db", default=DEFAULT_DB)
    export_warc.add_argument("warc", metavar="OUT.warc.gz")
    export_warc.add_argument("--wacz", metavar="OUT.wacz", help="also package the WARC as a WACZ")
    export_warc.set_defaults(func=cmd_export_warc)
    profile = sub.add_parser("profile", help="site profiles")
    profile_sub = profile.add_subparsers(dest="profile_command", required=True)
    draft = profile_sub.add_parser(
        "draft",
        help="draft a site profile from a portal's home page: its report columns, CMS family and pager"
        " (a polite Scrapy crawl with the project's settings; exit 1 when no report column is found)",
    )
    draft.add_argument("url", help="the portal's home page")
    draft.add_argument("-o", "--output", help="write the YAML draft here (default: standard output)")
    draft.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for this crawl")
    draft.set_defaults(func=cmd_profile_draft)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
