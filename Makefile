# The README's quick start: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint requirements.lock --editable '.[dev]'
	touch $@

## install: a virtual environment in .venv with newsdigest and its tools, pinned by requirements.lock
install: $(STAMP)

## run: start newsdigest on the embedded default (SQLite, default feeds, console output)
run: $(STAMP)
	$(BIN)/newsdigest run

## test: every check CI runs: lint, format, types, then the test suite
test: $(STAMP)
	$(MAKE) --no-print-directory lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

## lock: re-pin requirements.lock after changing dependencies in pyproject.toml
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--quiet -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
