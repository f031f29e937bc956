# Tocsin's two everyday commands:
#
#   make run    a demo server on http://127.0.0.1:8080 (SQLite, in-process worker, simulator)
#   make test   lint, type check and the test suite
#
# Both make .venv with `python3 -m venv` when it is missing and install into it, at the versions
# constraints.txt pins; the install is skipped until pyproject.toml or constraints.txt changes
# (a stamp file in .venv remembers it).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
LINTED := src tests benchmarks
CONSTRAINTS := constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test lint bench constraints

help:
	@echo "make run     set up a demo endpoint and serve on http://127.0.0.1:8080"
	@echo "make test    everything make lint runs, then pytest (PostgreSQL too if TOCSIN_TEST_DATABASE_URL is set)"
	@echo "make lint    ruff, mypy, import-linter (docs/architecture.md), hadolint, systemd-analyze verify"
	@echo "make bench   every benchmark, one table of figures against goals and same-run references (artifacts/)"
	@echo "make constraints  re-pin constraints.txt from a fresh install of the dev extra"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "Tocsin needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; \
		exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
		rm -rf $(VENV); \
		echo "'$(PYTHON) -m venv' failed; on Debian or Ubuntu: apt-get install python3-venv" >&2; \
		exit 1; }

# Installing the dev extra also installs everything `run` needs, so it satisfies both stamps.
$(RUNTIME_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install -c $(CONSTRAINTS) -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@ $(RUNTIME_STAMP)

# The demo calls through the simulator, chosen explicitly as every provider must be.
run: export TOCSIN_PROVIDER ?= simulator
# The demo lives in the repository (./tocsin.db, ./tocsin-data), as the README says; the first
# quickstart names it in ~/.config/tocsin/config.toml, so `tocsin` finds it from anywhere.
run: export TOCSIN_HOME ?= $(CURDIR)
run: $(RUNTIME_STAMP)
	$(BIN)/tocsin quickstart
	exec $(BIN)/tocsin serve

# Every step runs even after one fails, so a lint error does not hide test results; the target
# fails at the end if any step did. pytest runs one xdist worker per core (tests/conftest.py
# says which tests share one worker).
test: $(DEV_STAMP)
	@failed=""; \
	step() { echo "+ $$*"; "$$@" || failed="$$failed\n  $$*"; }; \
	step $(BIN)/ruff check $(LINTED); \
	step $(BIN)/ruff format --check $(LINTED); \
	step $(BIN)/mypy; \
	step $(BIN)/lint-imports --no-cache; \
	step $(BIN)/hadolint Dockerfile; \
	step deploy/systemd/verify $(abspath $(BIN)/tocsin); \
	step $(BIN)/python -m pytest -q -n auto; \
	if [ -n "$$failed" ]; then printf "make test: these steps failed:$$failed\n" >&2; exit 1; fi

lint: $(DEV_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile
	deploy/systemd/verify $(abspath $(BIN)/tocsin)

bench: $(RUNTIME_STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# A new venv resolves the dev extra afresh; its `pip freeze` (less Tocsin itself) becomes
# constraints.txt under the file's own header comment.
constraints:
	@fresh=$$(mktemp -d) && trap 'rm -rf "$$fresh"' EXIT && \
	$(PYTHON) -m venv "$$fresh" && \
	"$$fresh/bin/python" -m pip --disable-pip-version-check --quiet install '.[dev]' && \
	{ sed '/^[^#]/,$$d' $(CONSTRAINTS); \
	  "$$fresh/bin/python" -m pip freeze --exclude-editable --exclude tocsin; } > $(CONSTRAINTS).new && \
	mv $(CONSTRAINTS).new $(CONSTRAINTS) && echo "constraints.txt re-pinned; now run make test"
