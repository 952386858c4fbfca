# The two commands a newcomer needs: `make run` and `make test`. Both work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint policy build unit integration e2e fuzz bench install system-deps format clean

POLICY_VENV := .venv-policy
CHECKOV_VERSION := 3.3.30
SAM_VENV := .venv-sam
SAM_CLI_VERSION := 1.170.0

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

AXE_VERSION := 4.10.3
AXE := .cache/axe/node_modules/axe-core/axe.min.js

# axe-core for the accessibility checks of every page (tests/e2e/test_browser_panel.py), from npm.
$(AXE):
	@command -v npm >/dev/null || { echo "npm missing: 'apt-get install npm' (accessibility checks need axe-core)" >&2; exit 1; }
	npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION) >/dev/null

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
system-deps: $(AXE)
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

# sam build for the template's architecture (arm64) into .aws-sam/build; tests/build checks what it produced.
# aws-sam-cli lives in its own venv on Python 3.13, the template's runtime: `sam build` finds python3.13 in that
# venv's bin/ (first on PATH), so the layer's dependencies are resolved for exactly that Python.
$(SAM_VENV)/.installed:
	@python313=$$(for candidate in python3.13 $$(ls -d "$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")"/versions/3.13.*/bin/python3.13 2>/dev/null | sort -r -V); do \
		if "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then echo "$$candidate"; break; fi; \
	done); \
	if [ -z "$$python313" ]; then \
		echo "make build: no Python 3.13 found (template.yaml's runtime is python3.13). Put python3.13 on PATH or install it with pyenv ('pyenv install 3.13')." >&2; \
		exit 1; \
	fi; \
	echo "$(SAM_VENV): aws-sam-cli $(SAM_CLI_VERSION) on $$python313"; \
	"$$python313" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	touch $@

build: $(SAM_VENV)/.installed
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build --template-file template.yaml --build-dir .aws-sam/build

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q $(PYTEST_ARGS)

e2e: $(STAMP) system-deps
	$(BIN)/pytest tests/e2e -q $(PYTEST_ARGS)

# Whole suite: lint, policy scan and sam build, then every tier (slow ones included), two workers; loadgroup keeps
# the tests that share one sam build (xdist_group) on one worker.
test: $(STAMP) system-deps lint policy build
	$(BIN)/pytest -q -n 2 --dist loadgroup --timeout 600 $(PYTEST_ARGS)

# The long schemathesis run against the local stack (100 fuzzed examples per operation; make test runs 10).
fuzz: $(STAMP)
	FOLLOWUP_FUZZ=long $(BIN)/pytest tests/e2e/test_api_fuzz.py -q -s --timeout 1600 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(POLICY_VENV) $(SAM_VENV) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache .cache
