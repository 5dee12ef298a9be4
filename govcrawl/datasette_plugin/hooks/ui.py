"""Datasette plugin: the small things researchers trip over.

- Column descriptions folded under "Column descriptions" (they pushed the rows 1,200-1,900 px
  down), year facets ordered by year, a "CSV for Excel" link beside each CSV link.
- `_bom=1` on any .csv response starts it with a UTF-8 byte order mark, so that Excel on a
  Chinese Windows reads UTF-8 (Datasette has no such option; an ASGI wrapper adds it, streamed
  exports included).
- A search of one or two characters in a table's search box goes to the `search` query, which
  finds substrings; the trigram full-text index cannot match fewer than three characters.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode

from datasette import hookimpl

BOM = "\ufeff".encode()
YEAR_COLUMNS = ("report_year", "year")

PAGE_SCRIPT = """
(() => {
  const dl = document.querySelector('dl.column-descriptions');
  if (dl) {
    const details = document.createElement('details');
    details.className = 'column-descriptions-folded';
    const summary = document.createElement('summary');
    summary.textContent = 'Column descriptions';
    dl.before(details);
    details.append(summary, dl);
  }
  for (const column of %(years)s) {
    const list = document.querySelector(`.facet-info[data-column="${column}"] ul`);
    if (!list) continue;
    const more = list.querySelector(':scope > li.facet-truncated');  // "…" stays last
    const items = [...list.querySelectorAll(':scope > li:not(.facet-truncated)')];
    const year = li => parseInt(li.innerText, 10) || 0;
    items.sort((a, b) => year(a) - year(b)).forEach(li => list.insertBefore(li, more));
  }
  for (const link of document.querySelectorAll('a[href*=".csv"]')) {
    if (link.href.includes('_bom=1')) continue;
    const excel = document.createElement('a');
    excel.href = link.href + (link.href.includes('?') ? '&' : '?') + '_bom=1';
    excel.textContent = 'CSV for Excel';
    excel.className = 'csv-bom';
    link.after(', ', excel);
  }
})();
"""


@hookimpl
def extra_body_script():
    return PAGE_SCRIPT % {"years": list(YEAR_COLUMNS)}


def short_search_redirect(scope) -> str | None:
    """/<db>/<table>?_search=复议 -> /<db>/search?q=复议 for terms of one or two characters."""
    parts = scope["path"].strip("/").split("/")
    if len(parts) != 2 or parts[1].endswith((".json", ".csv")):
        return None
    query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    term = (query.get("_search") or [""])[0].strip()
    if not 0 < len(term) < 3:
        return None
    return f"/{quote(parts[0])}/search?{urlencode({'q': term})}"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            target = short_search_redirect(scope)
            if target:
                await send({"type": "http.response.start", "status": 302,
                            "headers": [(b"location", target.encode()), (b"content-length", b"0")]})
                return await send({"type": "http.response.body", "body": b""})
            query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
            if not (scope["path"].endswith(".csv") and query.get("_bom") == ["1"]):
                return await app(scope, receive, send)
            pending = False  # a CSV answer whose first body chunk is still to come

            async def send_with_bom(message):
                nonlocal pending
                if message["type"] == "http.response.start":
                    headers = message.get("headers", [])
                    if message["status"] == 200:  # an error page stays as it is
                        pending = True
                        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                        message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and pending:
                    pending = False
                    message = {**message, "body": BOM + message.get("body", b"")}
                await send(message)

            return await app(scope, receive, send_with_bom)

        return wrapped

    return wrap
