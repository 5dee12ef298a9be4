"""Writes taiwan_phrases.txt: Taiwan vocabulary, the phrases OpenCC's s2twp writes for jieba's
dictionary words that neither s2t nor s2tw writes for any word, and whose Simplified form is no
mainland word or pair of words (so 檔案, also the mainland 档案, and 線上 are left out).

Run from the repository root: `python -m pipelines.data.harvest_taiwan_phrases` (~1 minute).
"""

from __future__ import annotations

import logging
from pathlib import Path

import jieba
import opencc

OUT = Path(__file__).with_name("taiwan_phrases.txt")


def main() -> None:
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    freq = jieba.dt.FREQ
    twp, tw, s2t, t2s = (opencc.OpenCC(c) for c in ("s2twp", "s2tw", "s2t", "t2s"))
    words = [w for w, f in freq.items() if f >= 3 and 2 <= len(w) <= 6]
    plain: set[str] = set()
    taiwan: set[str] = set()
    for word in words:
        localised, characters = twp.convert(word), tw.convert(word)
        plain |= {characters, s2t.convert(word)}
        if localised != characters:
            taiwan.add(localised)

    def mainland(phrase: str) -> bool:
        simple = t2s.convert(phrase)
        return bool(freq.get(simple)) or any(
            freq.get(simple[:i]) and freq.get(simple[i:]) for i in range(1, len(simple))
        )

    found = sorted(p for p in taiwan if p not in plain and len(p) >= 2 and not mainland(p))
    kept: list[str] = []
    for phrase in sorted(found, key=len):  # a phrase holding a kept one adds nothing
        if not any(k in phrase for k in kept):
            kept.append(phrase)
    header = (
        "# Taiwan vocabulary: phrases OpenCC s2twp writes where s2t and s2tw write none of them\n"
        "# and whose Simplified form is no mainland word or pair of words\n"
        "# (harvested from jieba's dictionary words by harvest_taiwan_phrases.py; one a line)\n"
    )
    OUT.write_text(header + "\n".join(sorted(kept)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
