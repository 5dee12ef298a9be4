"""Cost per page of encoding detection + de-garbling on the replica portal's pages.

Run from the repository root: `python -m bench.degarble_cost [--size 2000]`.

Over every article page the replica serves (reports in all formats and encodings, near
misses, and the garbled copies: Traditional, pinyin-annotated, mojibake, GBK declared as
UTF-8), in-process, it times per page:

- `govcrawl`: pipelines.encoding.decode_page + de-garbling of the page's text (its tags left
  out, as processing does: pipelines.process.degarble_html), and the whole cleaning step
  (pipelines.process.clean_document: de-garbling, the page's one parse and its plain text);
- `charset-normalizer`: from_bytes(body).best() alone, as a detector would be used;
- `opencc t2s`: OpenCC's t2s over the decoded page alone.

Prints median and p95 in milliseconds, overall, for the clean pages and for the garbled
copies, and writes bench/results/degarble_cost.json. Each module's one-time start-up (OpenCC
dictionaries, pypinyin, jieba) is paid before timing.

Then, on the garbled corpus made by the real mechanisms (tests/garbled_corpus.py), it prints
character accuracy per kind and variant of damage: de-garbling against the naive baseline
(regex removal of `(pinyin)` + OpenCC t2s). `--accuracy` prints only that table.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import charset_normalizer
import opencc

from pipelines.degarble import degarble
from pipelines.encoding import decode_page
from pipelines.mojibake import repair_mojibake
from pipelines.process import clean_document, degarble_html
from pipelines.simplify import t2s
from pipelines.text import looks_like_html, strip_scripts
from tests.replica.generator import build_portal

RESULTS = Path(__file__).parent / "results" / "degarble_cost.json"
ARTICLE_KINDS = {"annual_report", "work_summary", "notice", "other", "copy"}


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="replica size (pages)")
    parser.add_argument("--accuracy", action="store_true", help="only the per-kind accuracy table")
    parser.add_argument("--passages", type=int, default=2, help="garbled corpus: passages per clean source")
    args = parser.parse_args(argv)
    accuracy = accuracy_table(args.passages)
    if args.accuracy:
        return

    pages = [p for p in build_portal(args.size).pages.values() if p.kind in ARTICLE_KINDS]
    converter = opencc.OpenCC("t2s")
    # one-time start-up of every library, outside the timings
    degarble("區(qū)2019312")
    t2s()
    repair_mojibake("鏀�鏋濊姳甯傝")

    rows: dict[str, dict[str, list[float]]] = {"all": {}, "clean pages": {}, "garbled copies": {}}
    for page in pages:
        content_type = page.headers()[0][1]
        decoded = decode_page(page.body, content_type)

        def step(page=page, content_type=content_type) -> str:
            text = decode_page(page.body, content_type).text
            return degarble_html(strip_scripts(text)).text if looks_like_html(text) else degarble(text).text

        clean = step()
        measures = {
            "govcrawl: encoding + de-garbling": timed(step),
            "govcrawl: encoding + cleaning (one parse, plain text)": timed(
                lambda page=page, content_type=content_type: clean_document(
                    decode_page(page.body, content_type).text
                )
            ),
            "charset-normalizer from_bytes alone": timed(
                lambda page=page: charset_normalizer.from_bytes(page.body).best()
            ),
            "opencc t2s alone": timed(lambda decoded=decoded: converter.convert(decoded.text)),
        }
        assert clean
        for group in ("all", "garbled copies") if page.kind == "copy" else ("all", "clean pages"):
            for name, value in measures.items():
                rows[group].setdefault(name, []).append(value)

    result = {
        "replica_size": args.size,
        "pages": len(pages),
        "garbled_copies": sum(1 for p in pages if p.kind == "copy"),
        "python": platform.python_version(),
        "results": {
            group: {name: summary(v) for name, v in measures.items()} for group, measures in rows.items()
        },
        "accuracy": accuracy,
    }
    print(
        f"{result['pages']} article pages of a {args.size}-page replica ({result['garbled_copies']} garbled copies)\n"
    )
    print("| pages | measure | median ms | p95 ms | mean ms |\n|---|---|---|---|---|")
    for group, measures in result["results"].items():
        for name, figures in measures.items():
            print(
                f"| {group} | {name} | {figures['median_ms']} | {figures['p95_ms']} | {figures['mean_ms']} |"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))


def accuracy_table(per_source: int) -> dict:
    """Character accuracy per kind of damage, ours and the naive baseline's; prints the table."""
    from tests.garbled_corpus import corpus, measure, naive, pooled

    samples = corpus(per_source=per_source)
    ours = measure(samples, lambda text: degarble(text).text)
    baseline = measure(samples, naive)
    print(f"Garbled corpus: {len(samples)} passages made by the real mechanisms\n")
    print("| kind | variant | characters | govcrawl | naive baseline |\n|---|---|---|---|---|")
    table: dict = {}
    for kind in dict.fromkeys(k for k, _ in ours):
        for (k, variant), (value, size) in ours.items():
            if k == kind:
                print(f"| {kind} | {variant} | {size} | {value:.4f} | {baseline[(k, variant)][0]:.4f} |")
                table[f"{kind}: {variant}"] = {
                    "govcrawl": round(value, 4),
                    "naive": round(baseline[(k, variant)][0], 4),
                }
        mine, theirs = pooled(ours, kind), pooled(baseline, kind)
        print(f"| **{kind}** | all | | **{mine:.4f}** | {theirs:.4f} |")
        table[kind] = {"govcrawl": round(mine, 4), "naive": round(theirs, 4)}
    print(f"| **all** | | | **{pooled(ours):.4f}** | {pooled(baseline):.4f} |\n")
    table["all"] = {"govcrawl": round(pooled(ours), 4), "naive": round(pooled(baseline), 4)}
    return table


if __name__ == "__main__":
    main()
