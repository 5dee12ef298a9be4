"""A fleet of crawl workers sharing one frontier in Redis (scrapy-redis); see the README's
"Several workers, several machines". Off unless REDIS_URL is set (govcrawl.fleet.addon)."""
