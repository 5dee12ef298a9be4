"""Site profiles: what to crawl on one portal family, as data (govcrawl/profiles/<name>.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

PROFILE_DIR = Path(__file__).with_name("profiles")


@dataclass(frozen=True)
class SiteProfile:
    name: str
    allowed_hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    list_paths: tuple[re.Pattern, ...]
    article_paths: tuple[re.Pattern, ...]
    title_keywords: tuple[str, ...]
    title_year: re.Pattern

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
    return SiteProfile(
        name=data["name"],
        allowed_hosts=tuple(data["allowed_hosts"]),
        start_urls=tuple(data["start_urls"]),
        list_paths=tuple(re.compile(p) for p in data["list_paths"]),
        article_paths=tuple(re.compile(p) for p in data["article_paths"]),
        title_keywords=tuple(data["title_keywords"]),
        title_year=re.compile(data["title_year"]),
    )


def parse_years(spec: str | None) -> range | None:
    """'2019-2025' -> range(2019, 2026); '2021' -> range(2021, 2022); None -> no restriction."""
    if not spec:
        return None
    first, _, last = spec.partition("-")
    start, end = int(first), int(last or first)
    if start > end:
        raise ValueError(f"years={spec!r}: the first year is after the last")
    return range(start, end + 1)
