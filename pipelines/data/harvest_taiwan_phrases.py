"""Harvest Taiwan vocabulary: phrases OpenCC's s2twp writes that plain s2t/s2tw never write."""
import logging, jieba, opencc
jieba.setLogLevel(logging.WARNING); jieba.initialize()
twp, tw, t = (opencc.OpenCC(c) for c in ("s2twp", "s2tw", "s2t"))
words = [w for w, f in jieba.dt.FREQ.items() if f >= 3 and 2 <= len(w) <= 6]
plain = set()
cands = {}
for w in words:
    a, b = twp.convert(w), tw.convert(w)
    plain.add(b); plain.add(t.convert(w))
    if a != b:
        cands[a] = w
t2s = opencc.OpenCC("t2s")
freq = jieba.dt.FREQ


def mainland(p):
    """The phrase's Simplified form reads as mainland words (档案, 线上, 工作+列): no evidence."""
    s = t2s.convert(p)
    if freq.get(s):
        return True
    return any(freq.get(s[:i]) and freq.get(s[i:]) for i in range(1, len(s)))


out = sorted(p for p in cands if p not in plain and len(p) >= 2 and not mainland(p))
# keep the shortest: a phrase containing a kept phrase adds nothing
kept = []
for p in sorted(out, key=len):
    if not any(k in p for k in kept):
        kept.append(p)
print(len(words), len(out), len(kept))
open("pipelines/data/taiwan_phrases.txt", "w").write(
    "# Taiwan vocabulary: phrases OpenCC s2twp writes where s2t and s2tw write none of them\n"
    "# and whose Simplified form is no mainland word or pair of words\n# (harvested from jieba's dictionary words by tw_phrases; one a line)\n" + "\n".join(sorted(kept)) + "\n")
