# The two commands of the README: `make demo` and `make test`. Each works on a machine that has
# only python3: it creates .venv, installs what is needed and runs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# xstatic-bootstrap builds from source with a setup.py that imports pkg_resources, which
# setuptools >= 82 removed: pin its build environment (keeping any constraint file the machine
# already sets).
export PIP_CONSTRAINT := $(strip $(PIP_CONSTRAINT) $(CURDIR)/build-constraints.txt)
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs in parallel (pytest-xdist), one worker per core: each worker has its own test
# database (SQLite file or PostgreSQL database test_trustplan_gwN). TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= auto

.PHONY: install browser demo test test-only lint format clean bench

$(STAMP): pyproject.toml build-constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Debian's packages: Chromium for the browser tests (never `playwright install`: it cannot
# download here), pango for the PDF board papers, poppler-utils for the tests' PNGs of them.
browser:
	@scripts/ensure-system-packages

demo: install browser
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Serving http://$(HOST):$(PORT)/ – sign in with a demo account above (Ctrl-C to stop)."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install browser test-only

test-only:
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=15

# Benchmarks (not part of `make test`): SQLite, and PostgreSQL too when DATABASE_URL is set.
bench: install
	$(BIN)/python -m pip install --quiet ".[bench]"
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles build *.egg-info test-artifacts
