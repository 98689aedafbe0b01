# Antrian MPP — every command a newcomer needs. Needs only Python 3.11+ and pip.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-fast lint bench simulate up down clean chaos

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.synced ## create .venv with the locked dependencies

run: install ## start broker, database and the three services on this machine
	$(BIN)/python -m scripts.run

test: install ## every test, against a real broker and PostgreSQL
	$(BIN)/python -m pytest

chaos: install ## the long fault-injection run (30 min soak; see tests/chaos)
	CHAOS_LONG=1 $(BIN)/python -m pytest tests/chaos -s

test-fast: install ## unit tests only
	$(BIN)/python -m pytest tests/unit

lint: install
	$(BIN)/ruff check shared services tests scripts bench
	$(BIN)/ruff format --check shared services tests scripts bench
	$(BIN)/mypy

bench: install ## throughput and latency figures (see bench/README.md)
	$(BIN)/python -m bench.run

simulate: install ## replay a busy day against a counter plan
	$(BIN)/python -m scripts.simulator $(ARGS)

up: ## the same system in docker compose (needs a Docker engine and MPP_DEMO_PASSWORD)
	docker compose up --build

down:
	docker compose down

clean:
	rm -rf $(VENV) $(TOOLS) .data
