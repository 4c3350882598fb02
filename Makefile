# Two commands on a fresh machine: `make run` starts the app, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the test suite needs; installed only when missing.
APT_PACKAGES ?= chromium bubblewrap

.PHONY: run test install lint schema bench clean system-deps services

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

services:
	@bash scripts/services.sh

run: install
	$(BIN)/python app.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install system-deps services lint
	$(BIN)/python -m pytest

schema: install
	$(BIN)/loom schema > schemas/workflow.schema.json

bench: install
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/code.py
	$(BIN)/python bench/builder.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-output
