# govcrawl: every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
DB ?= data/govcrawl.db
# the replica's invented reports live in a database of their own (a crawl refuses to mix them)
DEMO_DB ?= data/demo.db
PORT ?= 8001
# make demo WORKERS=3: a fleet of 3 workers on a private Redis, shards merged into $(DEMO_DB)
WORKERS ?= 0

.PHONY: install crawl demo process serve chromium office-tools redis test lint bench clean-data

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

# The scheduled job: crawl the real portals (politely) into $(DB), then summarise. The crawl
# runs the process stage beside itself and waits for it, so the database ends fully processed.
# Exits non-zero when the run failed (the summary is printed either way). Extra spider
# arguments: make crawl ARGS="-a revalidate=1"
crawl: $(INSTALLED) chromium office-tools
	GOVCRAWL_DB=$(DB) $(VENV)/bin/scrapy crawl reports $(ARGS); status=$$?; \
	$(VENV)/bin/govcrawl stats --db $(DB); exit $$status

# The same crawl against the offline replica portal (loopback only), every replica city with its
# profile (示例市 needs the browser), into $(DEMO_DB), processed; then `make serve DB=data/demo.db`.
# WORKERS=3: a fleet of 3 workers on a private redis-server, their shards merged into $(DEMO_DB).
demo: $(INSTALLED) chromium redis
	$(PY) -m tests.replica.demo --db $(DEMO_DB) --workers $(WORKERS)

# Process what is pending in $(DB) (after a crawl with GOVCRAWL_PROCESS_BESIDE=0, or a parser
# change: PROCESSOR_VERSION bumped); ARGS="--all" processes every current version again.
process: $(INSTALLED)
	$(VENV)/bin/govcrawl process --db $(DB) $(ARGS)

# Browse $(DB) with Datasette on http://127.0.0.1:$(PORT)/: read-only (a crawl may write it
# meanwhile), SQL time limit, data/metadata.yml (descriptions, facets, canned queries), report
# pages and the chart plugin. make serve DB=data/demo.db PORT=8002
serve: $(INSTALLED)
	$(VENV)/bin/govcrawl serve --db $(DB) --port $(PORT)

# Debian's Chromium, for pages that need a browser and for the Datasette UI tests (never
# `playwright install`: browser downloads are impossible here), and a CJK font so that
# screenshots show Chinese.
chromium:
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-zenhei)

# Debian's programs the file readers run: poppler's pdftotext (second PDF reader), tesseract
# with its Simplified Chinese data (scans), LibreOffice without a GUI (DOC, WPS, ET), a CJK font
# (the replica's PDFs), and LibreOffice's Python bridge (the replica's password-protected DOC).
office-tools:
	command -v pdftotext >/dev/null && command -v tesseract >/dev/null && command -v soffice >/dev/null \
	  && tesseract --list-langs 2>/dev/null | grep -q chi_sim && fc-list :lang=zh | grep -q . \
	  && /usr/bin/python3 -c "import uno" 2>/dev/null || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils tesseract-ocr \
	    tesseract-ocr-chi-sim libreoffice-writer-nogui libreoffice-calc-nogui python3-uno fonts-wqy-zenhei)

# Debian's redis-server: the tests and the demo start a private one on loopback for a fleet of
# workers (govcrawl/fleet/private_redis.py); a real deployment gives workers its REDIS_URL.
redis:
	command -v redis-server >/dev/null || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

# Three workers on 2 cores, each taking whole test files (a module's crawl fixture runs once):
# the suite's crawls mostly wait on sockets, timeouts and subprocesses, so a third worker still
# gains (2 cores busy 1.8 of the time, against 1.5 with two workers). Files are handed out in
# collection order (tests/conftest.py: the longest in the last runs first), not pytest-xdist's
# default of most tests first, which left the one-test fleet demo to run alone at the end.
test: lint chromium office-tools redis
	$(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder

bench: $(INSTALLED) chromium office-tools redis
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench.crawl_throughput
	$(PY) -m bench.degarble_cost
	$(PY) -m bench.parse_speed
	$(PY) -m bench.write_cost
	$(PY) -m bench.recrawl
	$(PY) -m bench.browser_cost
	$(PY) -m bench.hostile
	$(PY) -m bench.file_speed
	$(PY) -m bench.datasette_pages
	$(PY) -m bench.distributed_crawl
	$(PY) -m bench.merge_shards
	$(PY) -m bench.export_warc

# Start over: the database, its WAL files and the crawl and process locks.
clean-data:
	rm -f $(DB) $(DB)-wal $(DB)-shm $(DB).lock $(DB).process.lock
