# Two commands on a fresh machine:  make site  (build _site/)   make test  (run the test suite)
# Both create .venv themselves; torch is pinned to the local CPU wheel through constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# one pytest worker process per core (torch stays at one thread per process)
TEST_JOBS ?= auto

.PHONY: site test test-all system-deps lint bench clean help

help:
	@echo "make site         build the site into _site/ (creates .venv)"
	@echo "make test         run the test suite (creates .venv, installs chromium/fonts if missing)"
	@echo "make test-all     also the full-size (slow) experiment runs"
	@echo "make lint         ruff"
	@echo "make clean        remove _site/ and quick results (keeps figures/)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/mlcollage build

system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(TEST_JOBS) $(PYTEST_ARGS)

test-all: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(TEST_JOBS) -m "" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mlcollage tests site_src bench build.py

clean:
	-$(BIN)/mlcollage clean
