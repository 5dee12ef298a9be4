"""Site profiles: what to crawl on one portal family, as data (govcrawl/profiles/<name>.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

PROFILE_DIR = Path(__file__).with_name("profiles")
# Links to these are files (attachments), whatever the portal: a profile may list its own.
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".odt", ".ods", ".zip")
# CMS families the spider knows the list machinery of (govcrawl/pagers.py); `plain` is any
# portal whose lists are pages with links (a script pager is read whatever the family).
FAMILIES = ("plain", "trs", "hanweb", "gkmlpt", "xxgk_platform")
# Families whose lists are asked of an API, and what their `api:` mapping must give.
API_KEYS = {"hanweb": ("path", "perpage", "group_pages", "form"), "gkmlpt": ("path",)}
# An image is followed only where it is offered as the report itself (图片版).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp")


@dataclass(frozen=True)
class SiteProfile:
    name: str
    allowed_hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    list_paths: tuple[re.Pattern, ...]
    article_paths: tuple[re.Pattern, ...]
    title_keywords: tuple[str, ...]
    title_year: re.Pattern
    # (path pattern, hosts or () for all) of pages marked `render: browser`
    browser_paths: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = ()
    # Download endpoints that serve a file whatever their URL ends with (downfile.jsp?…)
    download_paths: tuple[re.Pattern, ...] = ()
    attachment_extensions: tuple[str, ...] = ATTACHMENT_EXTENSIONS
    family: str = "plain"
    # the family's list API (hanweb: path, perpage, group_pages, form; gkmlpt: path)
    api: dict = field(default_factory=dict, hash=False, compare=False)
    # the suffix of page 2 (index_1 or index_2) when the profile says it (`pager.second_page`);
    # None: read from the page's script pager, or 1 for a pager that only states its count
    second_page: int | None = None
    # `copies: true`: its hosts republish other portals' reports (no agency publishes there)
    copies: bool = False

    def _on_site(self, url: str) -> str | None:
        parts = urlsplit(url)
        return parts.path if parts.hostname in self.allowed_hosts else None

    def is_on_site(self, url: str) -> bool:
        return self._on_site(url) is not None

    def is_list_page(self, url: str) -> bool:
        path = self._on_site(url)
        return path is not None and any(p.search(path) for p in self.list_paths)

    def is_article_page(self, url: str) -> bool:
        path = self._on_site(url)
        return path is not None and any(p.search(path) for p in self.article_paths)

    def is_download_endpoint(self, url: str) -> bool:
        path = self._on_site(url)
        return path is not None and any(p.search(path) for p in self.download_paths)

    def needs_browser(self, url: str) -> bool:
        """Marked `render: browser` in the profile: fetch it in the browser from the start."""
        if not self.browser_paths:
            return False
        parts = urlsplit(url)
        return any(
            (not hosts or parts.hostname in hosts) and pattern.search(parts.path)
            for pattern, hosts in self.browser_paths
        )

    def title_may_be_report(self, title: str) -> bool:
        return any(keyword in title for keyword in self.title_keywords)

    def year_in_title(self, title: str) -> int | None:
        match = self.title_year.search(title)
        return int(match.group(1)) if match else None


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name: str) -> SiteProfile:
    path = PROFILE_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"unknown site profile {name!r}; available: {', '.join(available_profiles())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    family, api = data.get("family", "plain"), data.get("api") or {}
    if family not in FAMILIES:
        raise ValueError(f"profile {name}: family {family!r} (expected one of {', '.join(FAMILIES)})")
    missing = [key for key in API_KEYS.get(family, ()) if key not in api]
    if missing:
        raise ValueError(f"profile {name}: family {family} needs api.{missing[0]}")
    second_page = (data.get("pager") or {}).get("second_page")
    if second_page not in (None, 1, 2):
        raise ValueError(f"profile {name}: pager.second_page {second_page!r} (expected 1 or 2)")
    entries = [path_entry(e) for key in ("list_paths", "article_paths") for e in data[key]]
    return SiteProfile(
        name=data["name"],
        allowed_hosts=tuple(data["allowed_hosts"]),
        start_urls=tuple(data["start_urls"]),
        list_paths=tuple(path_entry(e)[0] for e in data["list_paths"]),
        article_paths=tuple(path_entry(e)[0] for e in data["article_paths"]),
        title_keywords=tuple(data["title_keywords"]),
        title_year=re.compile(data["title_year"]),
        browser_paths=tuple((pattern, hosts) for pattern, hosts, render in entries if render == "browser"),
        download_paths=tuple(re.compile(p) for p in data.get("download_paths", ())),
        attachment_extensions=tuple(e.lower() for e in data.get("attachment_extensions", ATTACHMENT_EXTENSIONS)),
        family=family,
        api=api,
        second_page=second_page,
        copies=bool(data.get("copies")),
    )


def path_entry(entry: str | dict) -> tuple[re.Pattern, tuple[str, ...], str]:
    """A list/article path entry: a regex, or {pattern, hosts, render} -> (regex, hosts, render)."""
    if isinstance(entry, str):
        return re.compile(entry), (), "http"
    render = entry.get("render", "http")
    if render not in ("http", "browser"):
        raise ValueError(f"render: {render!r} (expected http or browser) in {entry!r}")
    return re.compile(entry["pattern"]), tuple(entry.get("hosts", ())), render


YEARS = re.compile(r"(\d{4})(?:\s*-\s*(\d{4}))?")


def parse_years(spec: str | None) -> range | None:
    """'2019-2025' -> range(2019, 2026); '2021' -> range(2021, 2022); None -> no restriction."""
    if not spec:
        return None
    match = YEARS.fullmatch(spec.strip())
    if match is None:
        raise ValueError(f"years={spec!r}: expected a year (2021) or a range of years (2019-2025)")
    start, end = int(match[1]), int(match[2] or match[1])
    if start > end:
        raise ValueError(f"years={spec!r}: the first year is after the last")
    return range(start, end + 1)
