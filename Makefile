# Two commands do everything: `make run` starts the hub, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run demo test lint format worker clean

# The sync SDK client is generated from the async one (scripts/unasync.py), never committed.
SYNC_CLIENT := clients/_sync.py

$(SYNC_CLIENT): clients/_async.py scripts/unasync.py
	$(PYTHON) scripts/unasync.py

$(BIN)/.installed: pyproject.toml | $(SYNC_CLIENT)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev,hashing]'
	@touch $@

run: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/python -m hub serve --host $(HOST) --port $(PORT)

demo: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/python -m hub demo --hub http://$(HOST):$(PORT)

worker: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/python -m hub worker

test: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(BIN)/.installed $(SYNC_CLIENT)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info $(SYNC_CLIENT)
