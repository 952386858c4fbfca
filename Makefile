# The two commands a newcomer needs: `make run` and `make test`. Both work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint policy unit integration e2e fuzz bench install system-deps format clean

POLICY_VENV := .venv-policy
CHECKOV_VERSION := 3.3.30

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing: run 'sudo apt-get install chromium' (browser tests will be skipped)"; fi; \
	fi

run: $(STAMP)
	PORT=$(PORT) $(BIN)/followup run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# checkov over template.yaml (its own venv: its pins clash with the project's); skips are explained in .checkov.yaml.
$(POLICY_VENV)/.installed:
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/pip install --quiet --upgrade pip
	$(POLICY_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $@

policy: $(STAMP) $(POLICY_VENV)/.installed
	$(BIN)/cfn-lint template.yaml
	$(POLICY_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml --skip-download 2>/dev/null

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q $(PYTEST_ARGS)

e2e: $(STAMP) system-deps
	$(BIN)/pytest tests/e2e -q $(PYTEST_ARGS)

# Whole suite: lint, then every tier (slow ones included, schemathesis in its short run), two workers.
test: $(STAMP) system-deps lint policy
	$(BIN)/pytest -q -n 2 --timeout 600 $(PYTEST_ARGS)

# The long schemathesis run against the local stack (100 fuzzed examples per operation; make test runs 10).
fuzz: $(STAMP)
	FOLLOWUP_FUZZ=long $(BIN)/pytest tests/e2e/test_api_fuzz.py -q -s --timeout 1600 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(POLICY_VENV) .local .pytest_cache .mypy_cache .ruff_cache
