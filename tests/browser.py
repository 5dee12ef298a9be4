"""A real Datasette process and Debian's headless Chromium, for the UI tests (loopback only)."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from govcrawl.browser import CHROMIUM_ARGS, default_chromium
from govcrawl.serve import datasette_command
from tests.replica.process import free_port

# the same binary and flags as the crawl's browser pages (no calls home: the network is closed)
CHROMIUM = Path(default_chromium())


@contextmanager
def datasette_server(db: Path, log: Path) -> Iterator[str]:
    """`govcrawl serve`'s Datasette over `db`; yields its base URL once it answers."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(datasette_command(db, port=port), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"datasette did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def printed_pdf(html: str) -> bytes:
    """A page printed to PDF (A4, 2 cm margins) by Chromium, as a reader's "print" or a
    portal's export makes one. No request leaves the page: every resource it names is refused."""
    with chromium() as browser:
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())
        page.set_content(html, wait_until="load")
        return page.pdf(format="A4", margin=dict.fromkeys(("top", "right", "bottom", "left"), "2cm"))


def table_rows(page: Page) -> list[dict[str, str]]:
    """The rows of the Datasette results table on the page, by column name, as displayed."""
    return page.evaluate(
        """() => {
          const table = document.querySelector('table.rows-and-columns');
          if (!table) return [];
          const names = [...table.querySelectorAll('thead th')].map(
            th => th.dataset.column || th.innerText.trim());
          return [...table.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
            [...tr.querySelectorAll('td')].map((td, i) => [names[i], td.innerText.trim()])));
        }"""
    )
