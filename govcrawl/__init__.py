"""govcrawl: crawl government portals for 政府信息公开工作年度报告 and keep them in SQLite."""

__version__ = "0.1.0"
