# The two commands: `make run` (set up and start everything) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The suite runs in one process per core (pytest-xdist); PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= auto
export DJANGO_SETTINGS_MODULE ?= servicedesk.settings

# A failed install leaves no activate script behind, so the next make installs again.
.DELETE_ON_ERROR:

.PHONY: run setup test lint format migrations-check messages bench bench-http clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

setup: $(BIN)/activate
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo

run: setup
	@echo ""
	@echo "  Service Desk is starting at http://localhost:$(PORT)/  (web + Celery worker + beat; Ctrl-C stops)"
	@echo ""
	PATH=$(CURDIR)/$(BIN):$$PATH WEB_PORT=$(PORT) $(BIN)/honcho start

test: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy
	$(BIN)/pytest --ds=servicedesk.settings_test -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(BIN)/activate
	$(BIN)/python manage.py makemessages -l fa -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

bench: $(BIN)/activate
	$(BIN)/python -m bench

# What users see: pages and API over HTTP against gunicorn, and 50 agents clicking at once.
bench-http: $(BIN)/activate
	$(BIN)/python -m bench.over_http

clean:
	rm -rf $(VENV) var
