"""Content-farm damage on copies of report pages (facts in tests/golden/garbling/):

- spam title lines (`亚洲国产成人精品…_韩日欧美一区_…`, `免费菠萝视频app下载`): a short line made
  mostly of spam terms is removed;
- a gambling keyword put in place of 政府信息公开 (`2025年澳門賭場推薦工作年度报告`): put back,
  since that is the phrase those report titles and sentences carry;
- a lone gambling heading (`澳門賭場`): removed;
- the mirror's own domain put where the portal's address was (`网站(//m.example-mirror.com/)`):
  flagged (the portal's address is not known here, so nothing is written in its place).
Each is counted, and the page gets a problem line naming what was found, so a copy from a farm
can be told from the portal's page.
"""

from __future__ import annotations

import re

from pipelines.limits import note

SPAM_TERMS = re.compile(
    "国产|精品|一区|二区|三区|久久|成人|亚洲|欧美|日韩|韩日|中文字幕|乱码|在线观看|视频app|菠萝视频|激情|无码|"
    "高清|免费|app下载|一级|国语|小说|在线|网站|公司|大陆"
)
# Spam needs at least two of its own terms (网站, 公司, 在线 alone are ordinary words).
SPAM_ONLY = re.compile(
    "免费|app下载|国产|精品|一区|二区|久久|成人|亚洲|欧美|日韩|韩日|中文字幕|乱码|视频app|菠萝视频|激情|无码"
)
GAMBLING = (
    "(?:澳[門门](?:賭場|赌场|博彩|金沙|葡京|威尼斯人)|[賭赌]場|[賭赌]场|博彩|百家[樂乐]|[娛娱][樂乐]城)"
)
GAMBLING_FOR_DISCLOSURE = re.compile(GAMBLING + "(?:推薦|推荐)")
LONE_GAMBLING = re.compile(rf"^[ \t]*{GAMBLING}[ \t]*\n", re.M)
# A line of text, or the text of one element (a <title>): between line ends and tag marks.
# The site named as the portal: "…网站(//host/)", "网址：http://host".
PORTAL_URL = re.compile(r"(?:网站|网址|门户)[^\n<>]{0,12}?[(（:：]\s*(?:https?:)?//([A-Za-z0-9.-]+)")
OFFICIAL_HOSTS = (".gov.cn", ".gov", ".org.cn", ".edu.cn")
MAX_URLS = 200
LINE = re.compile(r"(?:(?<=\n)|(?<=>)|^)([^\n<>]{1,200})(?:\n|(?=<)|$)")


# Substring tests before any regex: a clean page pays a few microseconds.
# Farms put their spam and keywords in the page's title and first lines: the gates look there.
HEAD = 3000
SPAM_GATE = ("国产", "精品", "视频", "久久")  # spam lines seen all hold one of these
GAMBLING_GATE = ("澳", "賭", "赌", "博彩", "百家", "樂城", "乐城")


def remove_farm_damage(text: str) -> tuple[str, int]:
    count = 0
    head = text[:HEAD]
    if any(term in head for term in SPAM_GATE) and SPAM_ONLY.search(text):

        def spam(match: re.Match) -> str:
            nonlocal count
            line = match.group(1)
            if len(set(SPAM_ONLY.findall(line))) < 2:
                return match.group()
            covered = sum(len(m) for m in SPAM_TERMS.findall(line))
            if covered < 0.4 * len(line.replace("_", "").replace(" ", "")):
                return match.group()
            count += 1
            note(f"content farm: spam line removed: {line[:60]}")
            return ""

        text = LINE.sub(spam, text)
    if any(term in head for term in GAMBLING_GATE) and re.search(GAMBLING, text):
        text, n = GAMBLING_FOR_DISCLOSURE.subn("政府信息公开", text)
        if n:
            note(f"content farm: a gambling keyword stood for 政府信息公开 {n} times")
        text, m = LONE_GAMBLING.subn("", text)
        if m:
            note("content farm: gambling heading removed")
        count += n + m
    host = mirror_host(text)
    if host:
        note(f"content farm: a site's address given as {host}, not a government host")
    return text, count


def mirror_host(text: str) -> str | None:
    """The first host named as the site's address that is not a government host. Looks only
    where `//` is (str.find: a clean page pays microseconds), at most MAX_URLS of them."""
    start = text.find("//")
    for _ in range(MAX_URLS):
        if start < 0:
            return None
        found = PORTAL_URL.search(text, max(0, start - 24), start + 256)
        if found and found.start(1) == start + 2:
            host = found.group(1).lower()
            if not host.endswith(OFFICIAL_HOSTS):
                return host
        start = text.find("//", start + 2)
    return None
