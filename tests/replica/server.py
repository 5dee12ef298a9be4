"""The replica portal's server: answers as an HTTP proxy for the real hostnames, on loopback.

Run: python -m tests.replica.server --size 200 --port 0 --port-file PATH
A crawler pointed at it as its HTTP proxy fetches http://www.panzhihua.gov.cn/... and gets the
generated pages. Requests addressed to the server itself (not in proxy form) reach control
endpoints under /__replica__/: `log` (every proxied request so far, in order, with the times
it arrived and was answered), `manifest`,
and time travel for incremental re-crawls (POST): `publish` (every agency still reporting
publishes the next year), `edit` (one report is corrected), `delete` (one report is taken
down); each answers with the URLs it changed.

Pages carry ETag and Last-Modified; a conditional request for an unchanged page gets 304.

Faults are stateful: a `flaky_500` page answers 500 to its first request, a `slow` page waits
`--slow-seconds` before answering.

Real HTTP: bodies are gzipped (deflated on www.screnhe.gov.cn, never compressed on
www.scyanbian.gov.cn) when the request's Accept-Encoding allows it, with Content-Encoding and
Vary; list pages go out chunked (no Content-Length). The manifest and `Page.body` hold the
decoded entity. `--hostile` adds every hostile case of tests/replica/hostile.py,
`--attachments` the reports published as files of tests/replica/attachment_pages.py,
`--families` the cities of other CMS families of tests/replica/families.py (with their
dynamic endpoints: a POST to Hanweb's dataproxy.jsp, gkmlpt's JSON API).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from twisted.internet import reactor
from twisted.web import resource, server

from tests.replica import families
from tests.replica.browser_pages import js_check, secret_answer, with_port
from tests.replica.generator import Portal, PortalBuilder, build_portal, error_page
from tests.replica.hostile import SILENT_HOST, Hostile, trap_page

REASONS = {429: b"Too Many Requests"}  # Twisted knows no phrase for it
# Content-Encoding by host when the client accepts it; every other host gzips.
HOST_ENCODING = {"www.screnhe.gov.cn": "deflate", "www.scyanbian.gov.cn": None}


class ReplicaResource(resource.Resource):
    isLeaf = True

    def __init__(self, portal: Portal, slow_seconds: float):
        super().__init__()
        self.portal = portal
        self.slow_seconds = slow_seconds
        self.hostile = Hostile() if portal.hostile else None
        self.log: list[dict] = []
        self.served: dict[str, int] = {}

    def render(self, request: server.Request) -> bytes | int:
        target = request.uri.decode("latin-1")
        if not target.startswith("http://"):
            return self.control(request, urlsplit(target).path)
        url = target.split("#", 1)[0]
        page = (
            self.portal.pages.get(url)
            or families.answer(self.portal.builder, request.method.decode(), url, request.content.read())
            or (trap_page(url) if self.hostile else None)
        )
        count = self.served[url] = self.served.get(url, 0) + 1
        if self.hostile:
            answer = self.hostile.respond(request, url, page, count)
            if answer is not None:
                status = None if url.split("/")[2] == SILENT_HOST else request.code  # None: never answered
                self.record(request, {"url": url, "status": status, "method": request.method.decode()})
                return answer
        if challenge := js_check(url, request.getHeader("Cookie")):
            status, headers, body = 200, [("Content-Type", "text/html; charset=utf-8")], challenge
        elif page is None:
            status, headers, body = 404, [("Content-Type", "text/html; charset=utf-8")], error_page(404)
        elif page.fault == "flaky_500" and count == 1:
            status, headers, body = 500, [("Content-Type", "text/html; charset=utf-8")], error_page(500)
        elif page.status == 200 and not_modified(request, dict(page.validators())):
            status, headers, body = 304, page.validators(), b""
        else:
            status, headers, body = page.status, page.headers(), with_port(page.body, request.getHost().port)
        self.record(request, {"url": url, "status": status, "method": request.method.decode()})
        request.setResponseCode(status, REASONS.get(status))
        for name, value in headers:
            request.setHeader(name, value)
        if status == 200 and body:
            body = encode(request, url, body)
        if page is not None and page.fault == "slow":
            reactor.callLater(self.slow_seconds, self.finish_later, request, body)
            return server.NOT_DONE_YET
        if page is not None and page.kind == "list":  # chunked: written in parts, no Content-Length
            for start in range(0, len(body), 4096):
                request.write(body[start : start + 4096])
            request.finish()
            return server.NOT_DONE_YET
        return body

    def record(self, request: server.Request, entry: dict) -> None:
        """Log a proxied request: `time` when it arrived, `end` when its answer was finished
        or its connection lost (the fleet's politeness test counts overlaps from these)."""
        entry["time"] = time.time()
        self.log.append(entry)
        request.notifyFinish().addBoth(lambda _: entry.__setitem__("end", time.time()))

    @staticmethod
    def finish_later(request: server.Request, body: bytes) -> None:
        if not request._disconnected:
            request.write(body)
            request.finish()

    def control(self, request: server.Request, path: str) -> bytes:
        request.setHeader("Content-Type", "application/json")
        if path == "/__replica__/log":
            return json.dumps(self.log).encode()
        if path == "/__replica__/manifest":
            return json.dumps(self.portal.manifest(), ensure_ascii=False).encode()
        if path == "/__replica__/secret":  # a local service a browser page must never reach
            self.log.append({"url": path, "status": 200, "time": time.time(), "method": request.method.decode()})
            request.setHeader("Access-Control-Allow-Origin", "*")
            return secret_answer()
        travel = TIME_TRAVEL.get(path.removeprefix("/__replica__/"))
        if travel and request.method == b"POST":
            changed = travel(self.portal.builder)
            pages = changed if isinstance(changed, list) else [changed]
            return json.dumps({"urls": [p.url for p in pages]}).encode()
        request.setResponseCode(404)
        return b'{"error": "unknown control endpoint"}'


def encode(request: server.Request, url: str, body: bytes) -> bytes:
    """The body with the host's Content-Encoding, when the request accepts it (and Vary)."""
    host = url.split("/")[2]
    coding = HOST_ENCODING.get(host, "gzip")
    if coding is None:
        return body
    request.setHeader("Vary", "Accept-Encoding")
    if coding not in accepted_codings(request.getHeader("Accept-Encoding")):
        return body
    request.setHeader("Content-Encoding", coding)
    if coding == "gzip":
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    else:  # HTTP's "deflate" is the zlib format (RFC 9110 8.4.1.2)
        packer = zlib.compressobj(6, zlib.DEFLATED, 15)
    return packer.compress(body) + packer.flush()


def accepted_codings(header: str | None) -> set[str]:
    """Codings an Accept-Encoding header allows (q=0 refuses one)."""
    accepted = set()
    for item in (header or "").split(","):
        name, *params = [part.strip() for part in item.split(";")]
        refused = any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params)
        if name and not refused:
            accepted.add(name.lower())
    return accepted


TIME_TRAVEL = {
    "publish": PortalBuilder.publish_next_year,
    "edit": PortalBuilder.edit_report,
    "delete": PortalBuilder.delete_report,
}


def not_modified(request: server.Request, validators: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    etags = request.getHeader("If-None-Match")
    if etags is not None:
        return validators["ETag"] in [tag.strip() for tag in etags.split(",")]
    since = request.getHeader("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(validators["Last-Modified"]) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="approximate number of pages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    parser.add_argument("--manifest", type=Path, help="also write the manifest here")
    parser.add_argument("--slow-seconds", type=float, default=1.5)
    parser.add_argument("--hostile", action="store_true", help="add every hostile case (issue 12)")
    parser.add_argument("--attachments", action="store_true", help="add reports published as files (issue 16)")
    parser.add_argument("--families", action="store_true", help="add the cities of other CMS families (issue 19)")
    args = parser.parse_args(argv)

    portal = build_portal(
        args.size, args.seed, hostile=args.hostile, attachments=args.attachments, families=args.families
    )
    if args.manifest:
        args.manifest.write_text(json.dumps(portal.manifest(), ensure_ascii=False), encoding="utf-8")
    site = server.Site(ReplicaResource(portal, args.slow_seconds))
    site.noisy = False
    site.log = lambda request: None  # the replica keeps its own request log
    port = reactor.listenTCP(args.port, site, interface="127.0.0.1")
    actual = port.getHost().port
    if args.port_file:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(str(actual))
        tmp.replace(args.port_file)
    print(
        f"replica portal: {len(portal.pages)} pages, proxy http://127.0.0.1:{actual}",
        file=sys.stderr,
        flush=True,
    )
    reactor.run()


if __name__ == "__main__":
    main()
