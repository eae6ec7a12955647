# familyfinder: the two commands are `make run` and `make test`.
#
#   make run    create .venv if needed, install, and serve the demo (familyfinder serve
#               --demo: fixtures/demo imported into the embedded SQLite database
#               familyfinder-demo.db when it is empty, one demo user per role). The
#               README's CLI examples use the default familyfinder.db: nothing they
#               import lands in the demo.
#   make test   install, then ruff check, ruff format --check, mypy, lint-imports, pytest
#   make lint   the static checks only
#
# Tests use FAMILYFINDER_TEST_DATABASE_URL when set (PostgreSQL in CI), else SQLite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO_DIR ?= fixtures/demo
RUN_DATABASE_URL ?= sqlite:///familyfinder-demo.db
# Reference date for the demo import (ages, unborn children): the date fixtures/demo was
# generated for (see its README); empty means today.
DEMO_AS_OF ?= 2026-11-01

.PHONY: install run test lint validator-env

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependencies change.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	FAMILYFINDER_DATABASE_URL=$(RUN_DATABASE_URL) $(BIN)/familyfinder serve --demo --demo-dir $(DEMO_DIR) $(if $(DEMO_AS_OF),--demo-as-of $(DEMO_AS_OF))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# The DfE return's validator (csc-validator-be-903) in its own environment: it pins
# numpy<1.25 and pandas<2. tests/matching/test_ssda903_validator.py uses it when built.
validator-env:
	$(PYTHON) -m venv .venv-903
	.venv-903/bin/python -m pip install --quiet csc-validator-be-903 pytest
