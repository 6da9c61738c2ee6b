# Startrip: `make run` serves the app with demo data; `make test` runs every check and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test test-postgres setup system-deps lint i18n i18n-extract i18n-update migrate demo makemigrations clean

## run: install everything, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/python -m pwa migrate
	$(BIN)/python -m pwa demo
	$(BIN)/python -m pwa serve --port $(PORT)

## test: install everything (Chromium and CJK fonts too), then ruff, the import contract
## (lint-imports), the type checker (mypy), the JS check and the outbox's node tests
## (check-js), every test on SQLite, then every database test again on PostgreSQL when one answers at TEST_POSTGRES_URL
## (scripts/postgres.sh installs and starts one; .ci/run does, and sets REQUIRE_POSTGRES=1)
test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	@$(MAKE) --no-print-directory check-js
	TEST_POSTGRES_URL= $(BIN)/pytest
	@$(MAKE) --no-print-directory test-postgres

TEST_POSTGRES_URL ?= postgres://startrip_test:startrip_test@127.0.0.1:5432/postgres
PG := TEST_POSTGRES_URL=$(TEST_POSTGRES_URL)

## test-postgres: the tests that touch the database, on PostgreSQL, with the browser tests of
## offline sync and of paying at the till (the other browser tests and SQLite's own backup are
## left to the SQLite run)
test-postgres: setup
	@if $(PG) $(BIN)/python -m tests.databases; then \
	  echo "again on PostgreSQL ($(TEST_POSTGRES_URL))"; \
	  $(PG) $(BIN)/pytest -m "(not browser or both_databases) and not sqlite_only"; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
	  echo "REQUIRE_POSTGRES is set but PostgreSQL does not answer"; exit 1; \
	else \
	  echo "PostgreSQL does not answer: the tests ran on SQLite only (scripts/postgres.sh starts one)"; \
	fi

setup: $(VENV)/.installed node_modules/.installed i18n

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## check-js: the ES modules of static/js/ type-checked by TypeScript (tsconfig.json for the
## pages, tsconfig.sw.json for the service worker), and the outbox's unit tests (tests/js/) run
## by node's own test runner (files named, not the folder: Node 22 no longer searches a folder)
.PHONY: check-js
check-js: node_modules/.installed
	node_modules/.bin/tsc --noEmit -p tsconfig.json
	node_modules/.bin/tsc --noEmit -p tsconfig.sw.json
	node --test tests/js/*.test.mjs

## system-deps: Debian's Chromium and the CJK fonts for the browser tests
system-deps:
	@scripts/system-deps.sh

lint: setup
	$(BIN)/ruff check .

## i18n: compile the catalogues (the app refuses to start without them)
i18n: $(VENV)/.installed
	$(BIN)/python -m pwa i18n-compile

## i18n-extract / i18n-update: after changing strings, then translate both .po files
i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel extract --no-location --no-wrap --sort-output -F babel.cfg -k _ -o locales/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i locales/messages.pot -d locales -D messages
	$(BIN)/python scripts/fill_source_catalogue.py

migrate: setup
	$(BIN)/python -m pwa migrate

demo: migrate
	$(BIN)/python -m pwa demo

## makemigrations: after changing pwa/models.py
makemigrations: setup
	$(BIN)/tortoise makemigrations

clean:
	rm -rf $(VENV) node_modules

## bench-lighthouse: Lighthouse mobile scores of the five pages of issue 8 (bench/lighthouse.py).
## Lighthouse has its own package.json in bench/lighthouse/, so `make run` does not install it;
## PUPPETEER_SKIP_DOWNLOAD: it runs Debian's Chromium and cannot download a browser here.
.PHONY: bench-lighthouse
bench-lighthouse: setup system-deps bench/lighthouse/node_modules/.installed
	$(BIN)/python bench/lighthouse.py

bench/lighthouse/node_modules/.installed: bench/lighthouse/package.json bench/lighthouse/package-lock.json
	cd bench/lighthouse && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@
