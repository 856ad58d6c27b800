# Scenario Showcase — the two commands a newcomer needs: `make run`, `make test`.
SHELL := /bin/bash
# The distribution's Python when it is 3.11 or newer (Debian 12, Ubuntu 24.04): the one deploy/
# runs, and built with profile-guided optimisation and LTO, where pyenv's default build is not
# (WeasyPrint renders the brochure in about 15 % less CPU on it). Else the newest >= 3.11 on the PATH.
PYTHON ?= $(shell for p in /usr/bin/python3 python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test test-fast lint-imports bench system-deps system-deps-test install install-test translations extract-messages migrate demo clean

## run: install everything, migrate the SQLite database, load demo data when empty, serve on :5000
## (with a job worker for brochure builds in the background, stopped with the server)
## (HOST and PORT reach the app too: without BASE_URL, links in mails, QR codes and printed
## addresses follow them, e.g. PORT=5701 make run)
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: install translations
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask db upgrade
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask demo load --if-empty
	@echo "Serving on http://$(HOST):$(PORT), with a job worker  (Ctrl+C to stop both)"
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install what the tests need, check the import contracts (pyproject.toml), run the suite
## on SQLite, then on PostgreSQL when reachable
test: install-test translations lint-imports
	scripts/run-tests.sh

## test-fast: the same without the browser tests, for quick local loops
test-fast: install-test translations lint-imports
	scripts/run-tests.sh -m "not browser"

## lint-imports: the architecture's import contracts (layers, no cycles, pure modules); fails on a broken one
lint-imports: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-cache

## bench: run the benchmarks in bench/ (figures: bench/README.md); the PostgreSQL ones use
## BENCH_DATABASE_URL, by default the local server (the load bench empties that database, the
## search bench makes a database of its own beside it)
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/showcase_bench
bench: export BENCH_DATABASE_URL := $(BENCH_DATABASE_URL)
bench: install translations
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh run

system-deps-test:
	@PYTHON=$(PYTHON) scripts/system-deps.sh test

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: sudo apt-get install python3.11 python3.11-venv (or a newer one)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: system-deps $(VENV)/.installed

install-test: system-deps-test $(VENV)/.installed-test

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/translations

## extract-messages: refresh the message catalog after changing user-facing strings
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-output -o app/translations/messages.pot \
		--project "Scenario Showcase" --copyright-holder "Scenario Showcase" .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

migrate: install
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask db upgrade

demo: migrate
	SHOWCASE_ENV=$${SHOWCASE_ENV:-development} $(BIN)/flask demo load

clean:
	rm -rf $(VENV) .pytest_cache test-results
