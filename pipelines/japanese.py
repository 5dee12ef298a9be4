"""Japanese pages (EUC-JP, Shift_JIS) read as GBK: not Chinese, never to be "repaired" into it.

- EUC-JP read as GBK keeps its kana (GB2312 has hiragana and katakana at the same places),
  while its kanji turn into other hanzi: kana among the hanzi are the sign.
- Shift_JIS read as GBK keeps no kana; its bytes read back (GBK, `€` for 0x80) as Shift_JIS
  give Japanese with kana.
Either way the page gets a problem line and de-garbling leaves its text as it was.
"""

from __future__ import annotations

import re

from pipelines.hanzi import HANZI

KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
KANA_SHARE = 0.05  # of kana among kana and hanzi; Chinese text has none
MIN_KANA = 20
SAMPLE = 20_000
NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{4,}")


def _kana_heavy(text: str) -> bool:
    kana = len(KANA.findall(text))
    return kana >= MIN_KANA and kana >= KANA_SHARE * (kana + len(HANZI.findall(text)))


def _shift_jis_view(text: str) -> str:
    """The page's non-ASCII runs read back as Shift_JIS (those that are not, left out)."""
    out = []
    for run in NON_ASCII_RUN.findall(text):
        try:
            raw = b"\x80".join(part.encode("gb18030") for part in run.split("€"))  # € is 0x80
            out.append(raw.decode("shift_jis"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return "".join(out)


def japanese_reading(text: str) -> str | None:
    """Why the page is Japanese rather than Chinese, or None."""
    sample = text[:SAMPLE]
    if _kana_heavy(sample):
        return "not Chinese: Japanese text (kana among the hanzi; EUC-JP read as GBK or a Japanese page)"
    if _kana_heavy(_shift_jis_view(sample)):
        return "not Chinese: Japanese text (Shift_JIS read as GBK)"
    return None
