"""Decode gzip/deflate/br/zstd bodies before anything else looks at them.

Scrapy's own HttpCompressionMiddleware does the decoding (streamed in 64 KiB chunks and
stopped at DOWNLOAD_MAXSIZE, so a gzip bomb is never fully inflated). This subclass sits
nearest the downloader, so the fetch recorder and the browser routing see the decoded
entity, and it keeps what Scrapy drops:

- the response's original `Content-Encoding`, in meta `govcrawl_content_encoding`, so the
  recorded headers of the fetch still say how the server sent the body;
- a body that inflates beyond DOWNLOAD_MAXSIZE is not raised past the recorder (whose row
  would then be lost) but handed to it as meta `govcrawl_drop` = `too large: …`; the
  recorder records that error and drops the response.

Browser responses (scrapy-playwright) come already decoded by Chromium, without a
Content-Encoding header, so they are never decoded twice.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

from govcrawl.middlewares import DROP, ORIGINAL_ENCODING


class DecodingMiddleware(HttpCompressionMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:
        encoding = response.headers.getlist("Content-Encoding")
        request.meta.pop(ORIGINAL_ENCODING, None)  # meta travels with redirect hops and retries
        if not encoding or request.method == "HEAD":
            return response
        request.meta[ORIGINAL_ENCODING] = [value.decode("latin-1") for value in encoding]
        # Scrapy's replace() evaluates every attribute of the response it copies, and a
        # TextResponse's `encoding` runs charset detection over the still compressed bytes (a
        # tenth of the crawl's CPU, for nothing: the class and encoding are chosen again after
        # decoding). A plain Response has no such attribute. It shares the Headers object
        # (Response() would copy and normalise every header again): Scrapy only sets
        # Content-Encoding on it once the body is decoded, and builds the decoded response's
        # own copy from it; the compressed one is dropped then.
        compressed = Response(**{name: getattr(response, name) for name in Response.attributes if name != "headers"})
        compressed.headers = response.headers
        try:
            return super().process_response(request, compressed)
        except IgnoreRequest as error:
            if not isinstance(error.__cause__, _DecompressionMaxSizeExceeded):
                raise
            limit = request.meta.get("download_maxsize", self._max_size)
            request.meta[DROP] = (
                f"too large: body over DOWNLOAD_MAXSIZE ({limit} bytes) once decompressed"
                f" ({len(response.body)} bytes {b','.join(encoding).decode('latin-1')})"
            )
            return response.replace(body=b"")
        except Exception as error:  # a corrupt stream (zlib.error, OSError from gzip, ...)
            request.meta[DROP] = (
                f"bad encoding: the {b','.join(encoding).decode('latin-1')} body could not be decoded"
                f" ({type(error).__name__}: {' '.join(str(error).split())[:200]})"
            )
            return response.replace(body=b"")
