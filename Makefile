# Two commands do everything: `make run` starts the hub, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run demo test lint format worker sync-client clean

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev,hashing]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/python -m hub serve --host $(HOST) --port $(PORT)

demo: $(BIN)/.installed
	$(BIN)/python -m hub demo --hub http://$(HOST):$(PORT)

worker: $(BIN)/.installed
	$(BIN)/python -m hub worker

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# The sync SDK client is generated from the async one (tests/clients/test_unasync.py checks).
sync-client: $(BIN)/.installed
	$(BIN)/python scripts/unasync.py

clean:
	rm -rf $(VENV) build *.egg-info
