# Contact-centre sourcing toolkit. `make` (or `make help`) lists the targets.
# `make reports` and `make test` each set up what they need on a fresh clone.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
KERNEL := cc-toolkit
PERIOD ?=
EXECUTOR ?= local
SEED ?= 20261031
SETUP_STAMP := $(VENV)/.setup-done
DATA_FULL := data/raw/interval_stats.csv
DATA_SMALL := data/raw/small/interval_stats.csv
SAMPLE_DEPS := toolkit/sample.py $(wildcard toolkit/reference/contract_sample.yml)
# The notebook tests run on the small sample; the report plans on the full one.
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.DEFAULT_GOAL := help
.PHONY: help setup data data-small reports pdf test test-unit test-notebooks key-figures browser lab lint bench lock clean

help: ## List the targets
	@echo "Contact-centre sourcing toolkit — make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-15s %s\n", $$1, $$2}'
	@echo "Variables: PERIOD=YYYY-MM (reports, pdf), EXECUTOR=serial|local|dask, SEED=$(SEED)"

setup: $(SETUP_STAMP) ## Create .venv, install the locked set, register the Jupyter kernel

# Re-runs only when the lock or the package metadata change.
$(SETUP_STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python ($(KERNEL))" >/dev/null
	@touch $@

data: setup $(DATA_FULL) data-small ## Generate the sample data (full + small) and the processed Parquet files

$(DATA_FULL): $(SAMPLE_DEPS) | $(SETUP_STAMP)
	$(PY) -m toolkit.sample --out data/raw --seed $(SEED)
	$(PY) -m toolkit.io --raw data/raw --processed data/processed

data-small: setup $(DATA_SMALL) ## Generate only the small sample (for tests and notebook defaults)

$(DATA_SMALL): $(SAMPLE_DEPS) | $(SETUP_STAMP)
	$(PY) -m toolkit.sample --out data/raw/small --seed $(SEED) --small

reports: data ## Run every notebook on the sample data -> reports/<period>/index.html
	$(PY) -m toolkit run plans/default.yml --executor $(EXECUTOR) $(if $(PERIOD),--period $(PERIOD))

pdf: setup ## Print a period's reports into one A4 PDF -> reports/<period>/pack.pdf (needs chromium)
	$(PY) -m toolkit pdf $(if $(PERIOD),--period $(PERIOD))

test: setup data-small browser ## Lint, unit tests, and every notebook under nbval
	$(BIN)/ruff check .
	$(BIN)/pytest tests -q
	$(BIN)/pytest --nbval-lax --nbval-kernel-name $(KERNEL) -p no:cacheprovider -q $(NOTEBOOKS)

test-unit: setup data-small ## Unit tests only (no notebooks, no browser)
	$(BIN)/pytest tests -q

test-notebooks: setup data-small ## Every notebook under nbval on the small sample
	$(BIN)/pytest --nbval-lax --nbval-kernel-name $(KERNEL) -p no:cacheprovider -q $(NOTEBOOKS)

key-figures: setup data-small ## Re-store the key figures nbval checks (after a deliberate change)
	$(PY) scripts/refresh_key_figures.py

# Headless Chromium checks the reviewer HTML for script injection (tests/test_report_browser.py).
browser: ## Install Debian's chromium for the HTML safety test when missing (needs root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium (Debian package) for the report safety test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "chromium not found and cannot be installed here: the browser test will say so"; fi; }

lab: setup data-small ## Open JupyterLab with the project kernel
	$(BIN)/jupyter lab notebooks/

lint: setup ## ruff (style and security rules) and notebook hygiene
	$(BIN)/ruff check .
	$(BIN)/pytest -q tests/test_notebook_hygiene.py tests/test_environment.py

bench: setup data ## Accuracy and speed benchmarks side by side with the named peers
	$(PY) benchmarks/staffing_speed.py
	$(PY) benchmarks/forecast_accuracy.py
	$(PY) benchmarks/forecast_suite.py
	$(PY) benchmarks/forecast_suite.py --held-out
	$(PY) benchmarks/forecast_speed.py
	$(PY) benchmarks/costs_montecarlo.py
	$(PY) benchmarks/scheduling.py
	$(PY) benchmarks/pipeline.py

lock: ## Re-resolve the pinned set from pyproject.toml ranges (needs the registry)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e ".[dev,dask,bench]"
	{ grep '^#' requirements.lock; .venv-lock/bin/pip freeze --exclude-editable \
	  | grep -viE '^(rfc3987-syntax|lark)=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .venv-lock
	$(PYTHON) scripts/write_environment_yml.py

clean: ## Remove generated data, reports and caches (keeps .venv)
	find data/raw -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +
	find data/processed reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis
