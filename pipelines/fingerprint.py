"""A report version's fingerprint, and whether two fingerprints are one report.

A fingerprint is made from what processing found after decoding and de-garbling, so a
Traditional, pinyin-annotated or mojibake copy fingerprints like its original: the agency,
the year, the numbers of its tables (canonical key -> value) and a sketch of its text.

The sketch is a bottom-k MinHash (Broder 1997) of the text's character 5-grams: the k
smallest CRC-32s of the shingles (a page has a few thousand shingles: 32 bits are plenty, and
zlib's CRC costs a third of a cryptographic hash). Two sketches estimate the Jaccard similarity of the
two shingle sets. Hand-written because it is a dozen lines over hashlib; the MinHash
libraries (datasketch, …) bring numpy-sized dependencies for that dozen lines and hash with
k functions, where one hash and the k smallest is enough here.

Deciding "one report" (`same_report`): the numbers decide. Two reports of one year whose
agencies are both known and differ are never one report, however alike their text (the
templates are national); two whose tables disagree on any number are never one report (a
corrected edition on another URL is another report, not a copy), unless one of the two
readings is damaged (its identities incomplete or failing: repairing mojibake can lose or
misread a cell) and the agency is the same, when 2% of the numbers may differ; otherwise they are one
report when their tables agree on enough numbers and the text is alike, or, with too few
numbers to tell, when the agency is the same and the text is nearly the same.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass

REPORT_KINDS = ("annual_report", "work_summary")  # the kinds fingerprinted (and linked)
SHINGLE = 5  # characters: long enough that boilerplate phrases are not shared by chance
SKETCH_SIZE = 128  # hashes kept: Jaccard estimated within ~±0.05 around 0.8
# Numbers that tell reports apart: at least this many keys the two have in common, and at
# least this share of the keys of the one with fewer (a damaged copy may lose a table).
MIN_SHARED_NUMBERS = 10
MIN_SHARED_SHARE = 0.2
# A damaged reading (its identities incomplete or failing: a cell lost or misread in the
# de-garbling) may differ from its original in this share of the numbers both have (at least
# one), when its agency is the same and its text alike; two intact readings may differ in none.
DAMAGED_TABLES = ("incomplete", "failed")
DAMAGED_TOLERANCE = 0.02
SIMILAR_WITH_NUMBERS = 0.5  # text Jaccard when the numbers already agree
SIMILAR_WITHOUT_NUMBERS = 0.8  # text Jaccard when they are too few to decide
# What the text is compared on: Han characters and digits. Punctuation, spacing, Latin
# (pinyin left over, host names in a mirror's header) say nothing about the report.
KEPT = re.compile(r"[0-9\u3400-\u4dbf\u4e00-\u9fff]+")
# Spaces inside an agency's name are layout, not part of it.
AGENCY_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Fingerprint:
    agency: str | None
    report_year: int | None
    numbers: dict[str, float]  # canonical key -> value, as parsed
    sketch: tuple[int, ...]  # bottom-k hashes of the text's shingles, ascending
    shingles: int  # how many distinct shingles the text has
    # its tables were read whole (validation ok or unchecked); a damaged copy's reading
    # (incomplete, failed) may have a cell wrong
    tables_intact: bool = True

    def row(self) -> dict:
        """The `report_fingerprints` row (without its version id)."""
        return {
            "agency_key": self.agency,
            "report_year": self.report_year,
            "numbers": json.dumps(self.numbers, ensure_ascii=False, sort_keys=True),
            "numbers_digest": numbers_digest(self.numbers),
            "sketch": json.dumps(list(self.sketch)),
            "shingles": self.shingles,
            "tables_intact": int(self.tables_intact),
        }

    @classmethod
    def from_row(cls, row: dict) -> Fingerprint:
        return cls(
            row["agency_key"],
            row["report_year"],
            json.loads(row["numbers"] or "{}"),
            tuple(json.loads(row["sketch"] or "[]")),
            row["shingles"] or 0,
            bool(row.get("tables_intact", 1)),
        )


def fingerprint(
    text: str, agency: str | None, report_year: int | None, numbers: dict[str, float], tables_intact: bool = True
) -> Fingerprint:
    """The fingerprint of a processed version: its clean text, agency, year and values."""
    shingles = text_shingles(text)
    return Fingerprint(agency_key(agency), report_year, dict(numbers), sketch_of(shingles), len(shingles),
                       tables_intact)  # fmt: skip


def report_fingerprint_rows(text_row: dict, values: list[dict]) -> list[dict]:
    """A processed version's `report_fingerprints` row, when it is a report: [] otherwise."""
    if text_row.get("doc_kind") not in REPORT_KINDS:
        return []
    numbers = {row["key"]: row["value"] for row in values}
    intact = text_row.get("validation_status") not in DAMAGED_TABLES
    found = fingerprint(text_row.get("text") or "", text_row.get("agency"), text_row.get("report_year"), numbers,
                        intact)  # fmt: skip
    return [found.row()]


def agency_key(agency: str | None) -> str | None:
    if not agency:
        return None
    return AGENCY_SPACES.sub("", unicodedata.normalize("NFKC", agency)) or None


def text_shingles(text: str) -> set[str]:
    kept = "".join(KEPT.findall(unicodedata.normalize("NFKC", text)))
    return {kept[i : i + SHINGLE] for i in range(len(kept) - SHINGLE + 1)}


def sketch_of(shingles: set[str]) -> tuple[int, ...]:
    """The SKETCH_SIZE smallest hashes. CRC-32s are spread evenly, so about twice SKETCH_SIZE
    of them lie below `bound`: only those are sorted (a filter in C, not a heap in Python),
    and all of them in the rare text where fewer than SKETCH_SIZE do."""
    hashes = list(map(zlib.crc32, map(str.encode, shingles)))
    bound = (2 * SKETCH_SIZE << 32) // max(len(hashes), 1)
    smallest = sorted(filter(bound.__gt__, hashes))
    if len(smallest) < SKETCH_SIZE:
        smallest = sorted(hashes)
    return tuple(smallest[:SKETCH_SIZE])


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts from their bottom-k sketches: of the k
    smallest hashes of the union, the share both texts have."""
    if not a or not b:
        return 0.0
    first, second = set(a), set(b)
    union = sorted(first | second)[:SKETCH_SIZE]
    return len((first & second).intersection(union)) / len(union)


def numbers_digest(numbers: dict[str, float]) -> str | None:
    """One report's numbers as a short digest: equal numbers, equal digest (None: no numbers)."""
    if not numbers:
        return None
    canonical = json.dumps(sorted(numbers.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Match:
    """Why two versions were found to be one report (or why not: `same` False)."""

    same: bool
    reason: str
    shared_numbers: int = 0
    text_similarity: float = 0.0


def conflict(a: Fingerprint, b: Fingerprint) -> str | None:
    """Why two fingerprints can never be one report, or None."""
    if a.report_year is None or b.report_year is None or a.report_year != b.report_year:
        return "years differ or unknown"
    if a.agency and b.agency and a.agency not in b.agency and b.agency not in a.agency:
        return "agencies differ"  # one name inside the other (a copy that drops the city) may be one
    if a.numbers == b.numbers:  # the common case (a twin, a clean copy), compared in C
        return None
    shared = a.numbers.keys() & b.numbers.keys()
    differing = [key for key in shared if a.numbers[key] != b.numbers[key]]
    if differing and len(differing) > misreadings_allowed(a, b, len(shared)):
        return f"numbers differ ({len(differing)}: {sorted(differing)[0]}, …)"
    return None


def misreadings_allowed(a: Fingerprint, b: Fingerprint, shared: int) -> int:
    """How many numbers may differ: none between intact readings, a few (DAMAGED_TOLERANCE)
    when one is damaged and the agency is known to be the same."""
    if (a.tables_intact and b.tables_intact) or not a.agency or a.agency != b.agency or shared < MIN_SHARED_NUMBERS:
        return 0
    return max(1, int(shared * DAMAGED_TOLERANCE))


def same_report(a: Fingerprint, b: Fingerprint) -> Match:
    """Whether two versions are one report (see the module doc)."""
    why_not = conflict(a, b)
    if why_not:
        return Match(False, why_not)
    shared = len(a.numbers.keys() & b.numbers.keys())
    fewer = min(len(a.numbers), len(b.numbers))
    text = similarity(a.sketch, b.sketch)
    if shared >= MIN_SHARED_NUMBERS and shared >= MIN_SHARED_SHARE * fewer:
        if text >= SIMILAR_WITH_NUMBERS:
            return Match(True, "numbers", shared, text)
        return Match(False, "numbers agree, text unlike", shared, text)
    if a.agency and a.agency == b.agency and text >= SIMILAR_WITHOUT_NUMBERS:
        return Match(True, "agency and text", shared, text)
    return Match(False, "too little in common", shared, text)
