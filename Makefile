# Two commands on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
# uv is used from PATH, or bootstrapped into .tools/ when missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif
HOST ?= 127.0.0.1
PORT ?= 8000
# Bounds on slow and oversized clients (docs/operations.md, "Limits"): the h11 protocol
# with a bounded header block and a deadline for it, and at most MAX_CONNECTIONS
# connections (or requests in flight) per process, then 503.
MAX_CONNECTIONS ?= 1000
SERVER_LIMITS = --http entrypoints.http.server:BoundedH11Protocol --limit-concurrency $(MAX_CONNECTIONS)
# Test processes (pytest-xdist); each test file runs whole in one of them.
TEST_WORKERS ?= 2
# Schemathesis does not spread its generated cases over xdist workers: it runs in a pytest
# of its own, beside the others (they spend much of their time waiting on the database).
SCHEMA_FUZZ := tests/reliability/test_schemathesis.py
FUZZ_LOG := .pytest-schemathesis.log

.PHONY: install run test lint format clean bench

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile every module again on every start (each `todo-admin` run, each server).
install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	$(UV) run --no-sync python -m compileall -q domain application adapters entrypoints

run: install
	$(UV) run --no-sync python scripts/ensure_dotenv.py
	$(UV) run --no-sync todo-admin db upgrade
	$(UV) run --no-sync uvicorn entrypoints.http.app:app --host $(HOST) --port $(PORT) --no-access-log $(SERVER_LIMITS)

test: install
	@$(UV) run --no-sync pytest $(SCHEMA_FUZZ) > $(FUZZ_LOG) 2>&1 & fuzz=$$!; \
	$(UV) run --no-sync pytest -n $(TEST_WORKERS) --dist loadfile --ignore=$(SCHEMA_FUZZ); \
	status=$$?; wait $$fuzz; fuzz_status=$$?; cat $(FUZZ_LOG); rm -f $(FUZZ_LOG); \
	test $$status -eq 0 -a $$fuzz_status -eq 0

lint: install
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy
	$(UV) run --no-sync lint-imports

# Round trips and latency with PostgreSQL 15 ms away (each way), then the A/B benchmark
# against the raw baseline on the local PostgreSQL (see docs/performance.md).
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(UV) run --no-sync python -m bench.latency $(LATENCY_ARGS)
	$(UV) run --no-sync python -m bench.run $(BENCH_ARGS)

format: install
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
