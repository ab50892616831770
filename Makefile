# storyrender: `make demo` renders the example offline; `make test` runs every test, `make test-fast`
# the ones not marked slow.
# Both create the virtualenv and install everything they need on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLUGINS := $(wildcard plugins/storyrender-*)
PYTEST_ARGS ?=

.PHONY: install system-deps demo test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]' $(foreach p,$(PLUGINS),-e '$(p)[test]')
	@touch $(STAMP)

## install: the virtualenv, storyrender, its plugins and test tools
install: $(STAMP) system-deps

## system-deps: Debian packages for the optional offline voice (espeak-ng); best effort
system-deps:
	@bash scripts/system-deps.sh

## demo: render storyboards/example.yaml offline and print the MP4's path
demo: install
	@$(BIN)/storyrender build --offline storyboards/example.yaml

## test: every test (core and plugins); also installs Chromium for the review-page browser test
test: export STORYRENDER_BROWSER_DEPS = 1
test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup $(PYTEST_ARGS) tests $(foreach p,$(PLUGINS),$(p)/tests)

## test-fast: the inner loop, every test not marked slow (under a minute on 2 cores)
test-fast: install
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow" $(PYTEST_ARGS) tests $(foreach p,$(PLUGINS),$(p)/tests)

## bench: speed and memory targets, as a table (and bench/results/latest.json)
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache storyboards/.storyrender storyboards/out bench/results
