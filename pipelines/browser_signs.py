"""Does a page need a browser? The signs of a script-built page in its plain HTML.

Pure: bytes in, a reason out. The crawl asks this of every plain HTML response, so a cheap
byte scan comes first and only pages with a script that fetches data or sets a cookie are
parsed.

- `js_challenge`: a near-empty page whose script sets a cookie and reloads or redirects (the
  JavaScript checks some portals put in front of their content);
- `js_list`: a list container (`ul`, `ol`, `tbody` or a `div` whose class or id says list)
  with no items, on a page whose script fetches data (fetch, XMLHttpRequest, $.ajax/getJSON)
  and writes it into the page.
"""

from __future__ import annotations

import re

import lxml.html

JS_CHALLENGE = "js_challenge"
JS_LIST = "js_list"

_SCRIPT_HINT = re.compile(rb"document\.cookie|fetch\s*\(|XMLHttpRequest|\$\.(?:ajax|get|getJSON|post)\s*\(")
_SETS_COOKIE = re.compile(r"document\.cookie\s*=")
_RELOADS = re.compile(r"location\.(?:reload\s*\(|replace\s*\(|href\s*=|assign\s*\()|location\s*=|\.submit\s*\(")
_FETCHES = re.compile(r"fetch\s*\(|XMLHttpRequest|\$\.(?:ajax|get|getJSON|post)\s*\(")
_WRITES = re.compile(r"innerHTML|appendChild|insertAdjacentHTML|document\.write|\.append\s*\(|\.html\s*\(")
_WHITESPACE = re.compile(r"\s+")
_LISTISH = re.compile(r"list|news|article|content|result|data", re.I)
# A challenge page shows a line or two ("checking your browser"); real pages say much more.
CHALLENGE_MAX_TEXT = 200


def browser_reason(body: bytes) -> str | None:
    """Why this HTML needs a browser (JS_CHALLENGE or JS_LIST), or None when it does not."""
    lowered = body.lower()
    if b"<script" not in lowered or not _SCRIPT_HINT.search(script_markup(body, lowered)):
        return None
    try:
        root = lxml.html.document_fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return None
    scripts = " ".join(s.text_content() for s in root.iter("script"))
    if _SETS_COOKIE.search(scripts) and _RELOADS.search(scripts) and len(visible_text(root)) <= CHALLENGE_MAX_TEXT:
        return JS_CHALLENGE
    if _FETCHES.search(scripts) and _WRITES.search(scripts) and any(is_empty_list(e) for e in list_containers(root)):
        return JS_LIST
    return None


def script_markup(body: bytes, lowered: bytes) -> bytes:
    """Every `<script` of the page up to its `</script` (or the end): all the text the verdict
    reads (the scripts' text) and a little more, so the hint need not be searched over the
    whole page (on a plain article page that search was most of the routing's cost)."""
    parts = []
    start = lowered.find(b"<script")
    while start != -1:
        end = lowered.find(b"</script", start)
        parts.append(body[start : len(body) if end == -1 else end])
        start = -1 if end == -1 else lowered.find(b"<script", end)
    return b"\n".join(parts)


def visible_text(root) -> str:
    parts = root.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
    return _WHITESPACE.sub("", "".join(parts))


def list_containers(root):
    for element in root.iter("ul", "ol", "tbody", "div"):
        if element.tag != "div" or _LISTISH.search(f"{element.get('class', '')} {element.get('id', '')}"):
            yield element


def is_empty_list(element) -> bool:
    """No items and no text: a container waiting for a script to fill it."""
    return len(element) == 0 and not (element.text or "").strip()
