# govcrawl: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
DB ?= data/govcrawl.db

.PHONY: install chromium crawl demo test lint bench clean-data

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

# Debian's Chromium for pages that need a browser (never `playwright install`: no downloads).
chromium:
	@if [ ! -x /usr/lib/chromium/chromium ] && ! command -v chromium >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium; \
	fi

# The scheduled job: crawl the real portals (politely) into $(DB), then summarise. Exits
# non-zero when the run failed (the summary is printed either way). Extra spider arguments:
# make crawl ARGS="-a revalidate=1"
crawl: $(INSTALLED) chromium
	GOVCRAWL_DB=$(DB) $(VENV)/bin/scrapy crawl reports $(ARGS); status=$$?; \
	$(VENV)/bin/govcrawl stats --db $(DB); exit $$status

# The same crawl against the offline replica portal (loopback only), into $(DB).
demo: $(INSTALLED)
	$(PY) -m tests.replica.demo --db $(DB)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

test: lint chromium
	$(PY) -m pytest

bench: $(INSTALLED) chromium
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench.crawl_throughput
	$(PY) -m bench.degarble_cost
	$(PY) -m bench.parse_speed
	$(PY) -m bench.recrawl
	$(PY) -m bench.browser_cost

# Start over: the database, its WAL files and the crawl lock.
clean-data:
	rm -f $(DB) $(DB)-wal $(DB)-shm $(DB).lock
