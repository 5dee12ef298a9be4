"""A tiny HTTP proxy on 127.0.0.1 for the downloader-side tests: it answers absolute-URL
requests (as GOVCRAWL_PROXY sends them) from a table of routes, each a function writing a
raw HTTP answer, and logs what was asked when. Anything not in the table is a 404."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


def page(body: bytes, status: int = 200, headers: dict[str, str] | None = None, encoding: str | None = None) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = body
        sent = dict(headers or {})
        if encoding == "gzip":
            data = gzip.compress(body)
        elif encoding == "deflate":
            data = zlib.compress(body)
        if encoding:
            sent["Content-Encoding"] = encoding
        handler.send_response(status)
        sent.setdefault("Content-Type", "text/html; charset=utf-8")
        for name, value in sent.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def redirect(location: str, status: int = 302) -> Route:
    return page(b"", status=status, headers={"Location": location})


def stream_without_length(size: int, chunk: int = 1 << 20) -> Route:
    """A body of `size` bytes with no Content-Length, ended by closing the connection."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n")
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(b"x" * chunk)
                sent += chunk
        except OSError:  # the crawler hung up: that is the point
            pass

    return answer


def truncated(promised: int, sent: bytes) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % promised + sent
        )

    return answer


class Proxy:
    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.log: list[tuple[float, str]] = []
        self.release = threading.Event()  # silent routes wait on it
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy.log.append((time.monotonic(), self.path))
                route = proxy.routes.get(self.path)
                if route is None:
                    page(b"not here", status=404)(self)
                else:
                    route(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def silent(self) -> Route:
        """Accept the request and never answer (until the test ends)."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            self.release.wait(300)

        return answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def asked(self, url: str) -> list[float]:
        return [t for t, path in self.log if path == url]

    def __enter__(self) -> Proxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
