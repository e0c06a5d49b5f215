# Two commands: `make run` (set up everything and serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test faults lint format messages bench-report bench-dashboard bench-enrolment bench-api bench-index bench load check-deploy audit deps-check backup restore clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	@test -f .env || cp .env.example .env
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py load_framework
	DEBUG=true $(BIN)/python manage.py seed_demo
	@echo
	@echo "  Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo "  Demo logins above; Django admin at http://$(HOST):$(PORT)/admin/ (admin@example.org)"
	@echo
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		DEBUG=true $(BIN)/celery -A config worker --loglevel=info --concurrency=1 & \
		trap "kill $$! 2>/dev/null" EXIT INT TERM; \
		DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
		DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

test: setup
	$(BIN)/pytest

# Only the fault tests: a worker killed mid-report, Redis stopped, PostgreSQL restarted,
# two people saving one answer (real gunicorn, workers, private Redis and PostgreSQL;
# needs DATABASE_URL on PostgreSQL; docs/SECURITY.md, "Faults"). `make test` runs them too.
faults: setup
	$(BIN)/pytest tests/faults

# lint-imports: apps import one way (pyproject.toml [tool.importlinter], ARCHITECTURE.md).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Django's deployment checks under production settings (DEBUG off, a throwaway random key,
# a real host name); any warning fails.
check-deploy: setup
	DEBUG=false ALLOWED_HOSTS=ai-readiness.example.org \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Known vulnerabilities in the pinned requirements, transitive ones included (PyPI's JSON
# API, whose advisories come from OSV). --strict: a package that could not be checked fails the audit instead of
# being skipped with "No known vulnerabilities found". AUDIT_ARGS="-s osv" switches service.
audit: setup
	$(BIN)/pip-audit --strict --progress-spinner off $(AUDIT_ARGS) \
		-r requirements.txt -r requirements-dev.txt

# Pins behind their minor series' latest patch (e.g. Django 5.2.19 → 5.2.20), from the package
# index that is reachable (PEP 503 simple API); fails on a security-relevant package
# (config/deps_check.py SECURITY_RELEVANT; docs/SECURITY.md, "Dependencies").
deps-check: setup
	$(BIN)/python -m config.deps_check requirements.txt requirements-dev.txt

# One archive of the PostgreSQL database (pg_dump custom format) and the stored report
# files, with a manifest of checksums, into BACKUP_DIR (default ./backups; keeps the
# BACKUP_KEEP newest, 14). `make restore FILE=…` restores one into an EMPTY database and
# storage and refuses anything else (README, "Backups"; core/backup.py).
backup: setup
	$(BIN)/python manage.py backup $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)")

restore: setup
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/ai-readiness-<time>.tar" >&2; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)"

# Extract and compile translations (needs GNU gettext: apt-get install gettext).
messages: setup
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hant --no-obsolete --ignore=.venv --ignore=staticfiles
	DEBUG=true $(BIN)/python manage.py compilemessages -l zh_Hant --ignore=.venv

# Report PDF speed and memory (needs the demo data: run `make run` once).
bench-report: setup
	DEBUG=true $(BIN)/python bench/report_pdf.py --runs 15

# Cohort dashboard and peer benchmarks at market scale: generates 100, then 2,600 issuers
# × 5 programme years into its own PostgreSQL database (created if missing; the name must
# contain "bench"), then times warm requests (docs/PERFORMANCE.md).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ai_readiness_bench
bench-dashboard: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) DEBUG=true $(BIN)/python bench/dashboard.py

# Enrolment preview of a 2,000-row messy CSV (bench/enrolment.py; target ≤ 3 s), in its own
# database ai_readiness_bench_enrol (created and migrated if missing). About a minute.
bench-enrolment: setup
	$(BIN)/python -m bench.enrolment

# The JSON API's cohort issuer list at 2,600 issuers, pages of 100 on gunicorn (bench/api.py;
# target p95 ≤ 100 ms). Needs the market in BENCH_DATABASE_URL's database (make bench-dashboard).
bench-api: setup
	$(BIN)/python -m bench.api --db $(notdir $(BENCH_DATABASE_URL))

# The cohort index report at market scale (bench/index_report.py; targets ≤ 5 s, ≤ 400 MB):
# generates 2,600 issuers × 5 years in ai_readiness_bench_index if missing (a few minutes).
bench-index: setup
	$(BIN)/python bench/index_report.py

# Every benchmark (bench/run.py) against gunicorn (2 sync workers) + PostgreSQL + Redis on
# 127.0.0.1, in databases of its own (ai_readiness_bench*, Redis 8-9): wizard step vs a bare
# view and vs django-survey-and-report, report PDFs, bulk reports, dashboard, exports, the API, load.
# Prints a table and writes it to docs/PERFORMANCE.md. 6-15 minutes (host-dependent); not run in CI.
# Optional: `apt-get install wrk` adds a raw-throughput cross-check. BENCH_ARGS=--quick: 4 min.
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Load test (bench/load.py): 50 users for 60 s through login, wizard steps, saves and report
# requests, with a Celery worker; p50/p95 per request type into docs/PERFORMANCE.md and
# docs/SECURITY.md ("Load"); fails on any error. CI runs it with LOAD_ARGS=--no-docs.
load: setup
	$(BIN)/python -m bench.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media .pytest_cache .mypy_cache .ruff_cache bench/.work
