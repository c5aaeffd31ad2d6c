# Two commands for a newcomer: `make run` and `make test` (docs/contract.md).
# Everything they need is installed here, into .venv, from requirements*.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: run test lint format bench loadtest install browsers serve-prod clean backup restore

# Rebuilt only when the requirements change, so a second `make run` is quick.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip 2>/dev/null || true
	$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_study_data
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

# Benchmarks print ratios measured in one run (bench/bench_*.py); they use
# PostgreSQL at BENCH_DATABASE_URL (a scratch database they create and drop).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/testimony_bench
bench: install
	@for script in bench/bench_*.py; do \
		echo "== $$script"; BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) $$script || exit 1; \
	done

# Load test (bench/loadtest.py): locust on 127.0.0.1 against gunicorn (DEBUG=0) on a free port in 8411-8419,
# 10 users for LOADTEST_SECONDS, then the same through a PostgreSQL restart of a THROWAWAY cluster
# (LOADTEST_RESTART_URL / LOADTEST_RESTART_COMMAND; empty skips it). Never point these at the shared cluster.
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/testimony_load
LOADTEST_RESTART_URL ?=
LOADTEST_RESTART_COMMAND ?=
loadtest: install
	LOADTEST_DATABASE_URL=$(LOADTEST_DATABASE_URL) LOADTEST_RESTART_URL=$(LOADTEST_RESTART_URL) \
		LOADTEST_RESTART_COMMAND="$(LOADTEST_RESTART_COMMAND)" $(PY) bench/loadtest.py

# Production: DEBUG=0 with SECRET_KEY and ALLOWED_HOSTS set (README, "Security").
# gunicorn serves the app, whitenoise the collected static files.
GUNICORN_WORKERS ?= 3
serve-prod: install
	DEBUG=0 $(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=0 $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=0 $(PY) manage.py migrate --noinput
	# Background jobs wait in the database (TESTIMONY_TASKS=database); one db_worker
	# beside gunicorn runs them, and stops with it (README, "Background jobs").
	DEBUG=0 TESTIMONY_TASKS=database $(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=0 TESTIMONY_TASKS=database $(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(GUNICORN_WORKERS) --access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

# Backups of the database DATABASE_URL names: pg_dump -Fc on PostgreSQL, dumpdata on SQLite.
# `make restore FILE=...` loads one into an empty database, then applies newer migrations.
backup: install
	$(PY) manage.py backup_database $(if $(FILE),--output $(FILE))

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/testimony-....dump|json" >&2; exit 2; }
	$(PY) manage.py restore_database $(FILE) $(RESTORE_ARGS)
	$(PY) manage.py migrate --noinput

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
