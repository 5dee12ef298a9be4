"""Copies linked to their originals: which stored documents are one report.

A report circulates: the agency's page, its mobile twin, the file it attaches, and copies on
mirror and content-farm hosts (Traditional, pinyin-annotated, mojibake). Each processed report
version has a fingerprint (pipelines.fingerprint: agency, year, numbers, text sketch, all taken
after de-garbling). `link_reports` groups the current versions' fingerprints into reports and
names each report's original; `relink` rebuilds the `copy_links` table from what is stored.

Where it runs: at the end of every process stage run (govcrawl/stage.py), over every stored
fingerprint, in one transaction. Linking is a function of the stored fingerprints only, so it
is re-runnable and order-free: `govcrawl process --all`, a database merged from shards, or an
older database (whose versions have no fingerprint yet: `relink` makes the missing ones from
the stored text and values) all get the same links as one crawl would give.

Besides fingerprints alike, an attachment and the page that offered it (`document_links`) are
one report when nothing conflicts: a page saying "详见附件" holds no numbers to match.

The original of a report, in this order (the first difference decides):
1. a document on an official host over one that is not: the agency publishes on its own
   portal (a `.gov.cn` host, or a host of a portal profile); a mirror or content farm can only
   copy it, however early we happened to see the copy;
2. of the agency's own publications (page, file, mobile twin), the one holding more of the
   report's numbers: it is what `reports` and the wide views read (a "详见附件" page stands
   behind its file, a page that prints the tables before its file);
3. an HTML page over an attachment: the page is what the agency's list links to and carries
   the page's metadata (publisher, date); the file stays linked to it in `document_links`;
4. the desktop page over its mobile twin (wap., m.): the lists the profiles start from;
5. the earliest seen, then the lowest document id (so the choice is stable).
Nothing is ever linked across a conflict: two documents are in one report only when no pair
of its members has different years, different agencies or a number that differs.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pipelines.fingerprint import (
    MIN_SHARED_NUMBERS,
    REPORT_KINDS,
    Fingerprint,
    Match,
    conflict,
    report_fingerprint_rows,
    same_report,
)

OFFICIAL_SUFFIXES = (".gov.cn",)  # the government's reserved domain
MOBILE_PREFIXES = ("wap.", "m.")
SKETCH_BUCKETS = 3  # a text's smallest hashes used to find candidates (alike texts share them)
# A text hash shared by more documents than this is boilerplate (the national template's
# phrases), which tells nothing: its bucket is not compared (bounded work, no quadratic blow-up).
MAX_SKETCH_BUCKET = 32


@dataclass
class Member:
    """A current report document, as linking sees it."""

    document_id: int
    url: str
    first_seen_at: str
    fingerprint: Fingerprint
    official: bool = False
    offered_by: frozenset[int] = frozenset()  # an attachment: the documents of the pages offering it

    @property
    def attachment(self) -> bool:
        return bool(self.offered_by)

    def precedence(self) -> tuple:
        """Lower is the better original (see the module doc)."""
        host = urlsplit(self.url).hostname or ""
        return (not self.official, -len(self.fingerprint.numbers), self.attachment, host.startswith(MOBILE_PREFIXES),
                self.first_seen_at, self.document_id)  # fmt: skip


@dataclass
class Link:
    """One document's place in its report: rank 0 is the original (report_id is its own id)."""

    document_id: int
    report_id: int
    rank: int
    official: bool
    reason: str | None = None  # how a copy matched its original
    shared_numbers: int = 0
    text_similarity: float | None = None


def is_official_host(host: str, portal_hosts: Collection[str] = ()) -> bool:
    return host.endswith(OFFICIAL_SUFFIXES) or host in portal_hosts


def candidate_pairs(group: list[Member]) -> set[tuple[int, int]]:
    """Pairs (indexes into group) worth comparing: same agency, same numbers (enough of them to
    match on), or sharing one of the smallest text hashes that is not boilerplate (texts alike
    share them with the probability of their likeness)."""
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, member in enumerate(group):
        found = member.fingerprint
        if found.agency:
            buckets["agency", found.agency].append(i)
        if len(found.numbers) >= MIN_SHARED_NUMBERS:
            buckets["numbers", frozenset(found.numbers.items())].append(i)
        for value in found.sketch[:SKETCH_BUCKETS]:
            buckets["sketch", value].append(i)
    pairs = set()
    for (kind, _), members in buckets.items():
        if kind == "sketch" and len(members) > MAX_SKETCH_BUCKET:
            continue
        pairs.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
    return pairs


def offer_pairs(group: list[Member]) -> set[tuple[int, int]]:
    """(attachment, page offering it), both in the group."""
    index = {member.document_id: i for i, member in enumerate(group)}
    return {(i, index[page]) for i, member in enumerate(group) for page in member.offered_by if page in index}


def match_of(a: Member, b: Member, offered: bool) -> Match:
    """same_report, or an attachment and its page with nothing conflicting."""
    match = same_report(a.fingerprint, b.fingerprint)
    if match.same or not offered or conflict(a.fingerprint, b.fingerprint):
        return match
    return Match(True, "attachment of its page", match.shared_numbers, match.text_similarity)


def link_reports(members: list[Member]) -> list[Link]:
    """Every member's Link: members found to be one report share a report_id (the original's)."""
    by_year: dict[int | None, list[Member]] = defaultdict(list)
    for member in members:
        by_year[member.fingerprint.report_year].append(member)
    links = []
    for year, group in by_year.items():
        clusters = [[i] for i in range(len(group))] if year is None else clusters_of(group)
        for cluster in clusters:
            links.extend(cluster_links([group[i] for i in cluster]))
    return sorted(links, key=lambda link: link.document_id)


def clusters_of(group: list[Member]) -> list[list[int]]:
    """Members of one year joined by their strongest matches first; two clusters join only when
    no member of one conflicts with a member of the other."""
    matches: list[tuple[Match, int, int]] = []
    offers = offer_pairs(group)
    for a, b in candidate_pairs(group) | offers:
        match = match_of(group[a], group[b], (a, b) in offers or (b, a) in offers)
        if match.same:
            matches.append((match, a, b))
    matches.sort(key=lambda m: (-m[0].shared_numbers, -m[0].text_similarity, m[1], m[2]))
    cluster_of = list(range(len(group)))
    clusters: dict[int, list[int]] = {i: [i] for i in range(len(group))}
    for _, a, b in matches:
        ca, cb = cluster_of[a], cluster_of[b]
        if ca == cb:
            continue
        if any(conflict(group[x].fingerprint, group[y].fingerprint) for x in clusters[ca] for y in clusters[cb]):
            continue
        for member in clusters[cb]:
            cluster_of[member] = ca
        clusters[ca].extend(clusters.pop(cb))
    return list(clusters.values())


def cluster_links(cluster: list[Member]) -> list[Link]:
    ordered = sorted(cluster, key=Member.precedence)
    original = ordered[0]
    links = [Link(original.document_id, original.document_id, 0, original.official)]
    for rank, member in enumerate(ordered[1:], start=1):
        offered = original.document_id in member.offered_by or member.document_id in original.offered_by
        match = match_of(member, original, offered)
        reason = match.reason if match.same else "through another copy"
        links.append(Link(member.document_id, original.document_id, rank, member.official, reason,
                          match.shared_numbers, round(match.text_similarity, 3)))  # fmt: skip
    return links


# -- the database side -------------------------------------------------------------------------
KINDS = ", ".join(f"'{kind}'" for kind in REPORT_KINDS)
UNFINGERPRINTED = f"""
SELECT t.version_id FROM documents d
CROSS JOIN document_texts t ON t.version_id = d.current_version_id
LEFT JOIN report_fingerprints f ON f.version_id = t.version_id
WHERE f.version_id IS NULL AND t.doc_kind IN ({KINDS})
"""
TEXTS = "SELECT version_id, doc_kind, agency, report_year, validation_status, text FROM document_texts WHERE version_id IN"
BATCH = 200
MEMBERS = f"""
SELECT d.id, d.url, d.first_seen_at,
       (SELECT group_concat(l.offered_by_document_id) FROM document_links l WHERE l.document_id = d.id),
       f.agency_key, f.report_year, f.numbers, f.sketch, f.shingles, f.tables_intact
FROM documents d CROSS JOIN document_texts t ON t.version_id = d.current_version_id
JOIN report_fingerprints f ON f.version_id = d.current_version_id
WHERE t.doc_kind IN ({KINDS}) AND f.report_year IS ?
"""
# CROSS JOIN: documents first. Left to itself, SQLite starts from the kind index of
# document_texts and scans documents for each row (no index on current_version_id).
LINK_COLUMNS = ("document_id", "report_id", "rank", "official", "reason", "shared_numbers", "text_similarity",
                "linked_at")  # fmt: skip


def backfill_fingerprints(conn: sqlite3.Connection) -> int:
    """Fingerprints of current report versions processed before fingerprints existed, a batch
    of BATCH texts at a time (a whole database's texts would not fit in memory)."""
    pending = [version_id for (version_id,) in conn.execute(UNFINGERPRINTED)]
    columns = ("version_id", "agency_key", "report_year", "numbers", "numbers_digest", "sketch", "shingles",
               "tables_intact")  # fmt: skip
    made = 0
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        rows = []
        for version_id, doc_kind, agency, year, status, text in conn.execute(
            f"{TEXTS} ({', '.join('?' * len(batch))})", batch
        ).fetchall():
            values = [{"key": key, "value": value} for key, value in
                      conn.execute("SELECT key, value FROM report_values WHERE version_id = ?", [version_id])]  # fmt: skip
            text_row = {"doc_kind": doc_kind, "agency": agency, "report_year": year, "validation_status": status,
                        "text": text}  # fmt: skip
            rows += [(version_id, *row.values()) for row in report_fingerprint_rows(text_row, values)]
        conn.executemany(
            f"INSERT INTO report_fingerprints ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )
        made += len(rows)
    return made


def stored_members(
    conn: sqlite3.Connection, is_official: Callable[[str], bool], year: int | None
) -> list[Member]:
    """The stored reports of one year (only reports of one year can be copies of each other:
    a year at a time keeps the fingerprints in memory few)."""
    members = []
    for document_id, url, first_seen, offered_by, agency, report_year, numbers, sketch, shingles, intact in (
        conn.execute(MEMBERS, [year])
    ):
        found = Fingerprint(agency, report_year, json.loads(numbers or "{}"), tuple(json.loads(sketch or "[]")), shingles,
                            intact != 0)  # fmt: skip
        official = is_official(urlsplit(url).hostname or "")
        pages = frozenset(int(page) for page in (offered_by or "").split(",") if page)
        members.append(Member(document_id, url, first_seen or "", found, official, pages))
    return members


def relink(conn: sqlite3.Connection, is_official: Callable[[str], bool] = is_official_host) -> dict[str, int]:
    """Rebuild `copy_links` from every stored fingerprint, in the caller's transaction; returns
    how many fingerprints were made, reports found and copies linked."""
    made = backfill_fingerprints(conn)
    years = [year for (year,) in conn.execute("SELECT DISTINCT report_year FROM report_fingerprints")]
    links = sorted(
        (link for year in years for link in link_reports(stored_members(conn, is_official, year))),
        key=lambda link: link.document_id,
    )
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    conn.execute("DELETE FROM copy_links")
    conn.executemany(
        f"INSERT INTO copy_links ({', '.join(LINK_COLUMNS)}) VALUES ({', '.join('?' * len(LINK_COLUMNS))})",
        [(link.document_id, link.report_id, link.rank, int(link.official), link.reason, link.shared_numbers,
          link.text_similarity, now) for link in links],
    )  # fmt: skip
    copies = sum(link.rank > 0 for link in links)
    return {"fingerprinted": made, "reports": len(links) - copies, "copies": copies}
