# Two commands: `make run` (set up everything and serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test lint format messages bench-report clean

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

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract and compile translations (needs GNU gettext: apt-get install gettext).
messages: setup
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hant --no-obsolete --ignore=.venv --ignore=staticfiles
	DEBUG=true $(BIN)/python manage.py compilemessages -l zh_Hant --ignore=.venv

# Report PDF speed and memory (needs the demo data: run `make run` once).
bench-report: setup
	DEBUG=true $(BIN)/python bench/report_pdf.py --runs 15

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media .pytest_cache .mypy_cache .ruff_cache
