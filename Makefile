# ledgerlab — `make run` and `make test` are the contract with users.
# Needs only python3 (>= 3.11), make and git; everything else is installed
# here, into .venv, from uv.lock. uv never downloads a Python.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOTSTRAP := build/uv-bootstrap
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
# `uv sync` removes what the asked extras do not name: once the Spark extra is
# in .venv, every later sync keeps it.
EXTRAS = --extra dev $(if $(wildcard $(SPARK_STAMP)),--extra spark)

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Write .pyc files at install: with PYTHONDONTWRITEBYTECODE set (as on CI
# machines) every process would otherwise recompile scikit-learn, dbt and GX
# from source, which costs 5-9 s per `dbt`, `ledgerlab` or pytest start.
export UV_COMPILE_BYTECODE := 1
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

ACCOUNTS ?= 4500
SEED ?= 42

.DEFAULT_GOAL := help
.PHONY: help install install-spark check-java run test test-spark test-fast lint docs bench bench-smoke clean distclean

help: ## List every target with a one-line description
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BOOTSTRAP)/bin/uv:
	@echo "uv not found: installing it with pip into $(BOOTSTRAP)"
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen $(EXTRAS) --python $(PYTHON)
	@touch $(STAMP)

$(SPARK_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --extra spark --python $(PYTHON)
	@touch $(SPARK_STAMP) $(STAMP)

install: $(STAMP) ## Create .venv with the locked dependencies (uv sync --frozen)

check-java: ## Check that Java 17+ (which Spark needs) is on PATH
	@command -v java >/dev/null 2>&1 || { echo "Java not found: the Spark engine needs Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)" >&2; exit 1; }

install-spark: $(SPARK_STAMP) check-java ## Also install the Spark engine (dbt-spark[session], pyspark 4.1; needs Java 17)

run: install ## Run the whole pipeline on the embedded synthetic bank (ACCOUNTS=4500 SEED=42)
	$(BIN)/ledgerlab run --accounts $(ACCOUNTS) --seed $(SEED)

test: install-spark ## Run the test suite (pytest: DuckDB and Spark, every mart and GX result equal on both)
	@# Both cores; a module's fixtures (e.g. the end-to-end run) are built once per file, and
	@# tests/conftest.py hands out the longest files first (--no-loadscope-reorder keeps that order):
	@# the Spark file (parity and validation on both engines) starts first, on one worker.
	@# dbt's data and unit tests on Spark (marked spark_dbt_tests) would break the 10-minute
	@# budget: make test-spark runs them, and .ci/run runs both targets.
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not spark_dbt_tests"

test-spark: install-spark ## Run only the Spark tests, with dbt's data and unit tests on Spark (CI runs it after make test)
	$(BIN)/pytest -m spark

test-fast: install ## Run the tests not marked slow (nor spark)
	$(BIN)/pytest -m "not slow and not spark"

lint: install ## Lint Python with ruff (rules in pyproject.toml) and the dbt SQL with sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# The dbt templater opens a connection: give it a scratch file, not the warehouse.
	@mkdir -p build
	LEDGERLAB_WAREHOUSE=build/lint.duckdb DBT_TARGET_PATH=build/lint_target \
		$(BIN)/sqlfluff lint models_sql dbt_project/macros dbt_project/tests

docs: install ## Build dbt docs as one static HTML file (target/static_index.html)
	$(BIN)/ledgerlab docs

bench: install ## Run the scale benchmarks (slow; not part of make test)
	$(BIN)/python -m bench.run

clean: ## Remove build outputs (warehouse, reports, models, generated data)
	rm -rf warehouse reports models data build target logs

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)
