# Two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
CODE := bot storage adapters tests bench
# `make run AS=guardian`: who you are in the console (an org file `console:` id tries that
# person's role). Not USER, which the shell sets to your login name; and AS only when given on
# the command line, as make itself sets AS (to its assembler) otherwise.
AS_USER := $(if $(filter command line,$(origin AS)),--user $(AS))

.PHONY: run console test lint typecheck contracts unit bench clean

run: $(VENV)/.installed  ## Start peerbot (the console opens when no Slack or Teams credentials are set)
	@$(BIN)/peerbot db upgrade
	@$(BIN)/peerbot demo load --fresh
	@$(BIN)/peerbot run $(AS_USER)

console: $(VENV)/.installed  ## Only the terminal console, no web server
	@$(BIN)/peerbot db upgrade
	@$(BIN)/peerbot demo load --fresh
	@$(BIN)/peerbot console $(AS_USER)

test: lint contracts typecheck unit  ## Lint, the dependency contract, types and every test

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

contracts: $(VENV)/.installed-dev
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

bench: $(VENV)/.installed-dev  ## Every benchmark (PostgreSQL at PEERBOT_BENCH_POSTGRES_URL), into bench/RESULTS.md
	PYTHONPATH=. $(BIN)/python bench/run.py

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "peerbot needs Python 3.11 or newer; this is " + sys.version.split()[0] + ". Try: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info
