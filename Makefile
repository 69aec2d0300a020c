# Two commands on a fresh machine with Python 3.11+ and make: `make run`, `make test`.
# uv is used from PATH, or bootstrapped into .tools/ when missing.
# `make run` and `make serve` install what runs (the project's dependencies); `make install`,
# `make test`, `make lint` and `make bench` add the dev and benchmark groups (ADR 0027).
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
# `make serve` (docs/deploy.md): server processes, and the addresses whose X-Forwarded-For
# and X-Forwarded-Proto are believed (comma-separated; the reverse proxy's, never "*" on a
# port others can reach).
WORKERS ?= 2
TRUSTED_PROXIES ?= 127.0.0.1
# Test processes (pytest-xdist); each test file runs whole in one of them.
TEST_WORKERS ?= 2
# Schemathesis does not spread its generated cases over xdist workers: it runs in a pytest
# of its own, beside the others (they spend much of their time waiting on the database).
SCHEMA_FUZZ := tests/reliability/test_schemathesis.py
FUZZ_LOG := .pytest-schemathesis.log

.PHONY: install install-runtime run serve test test-fast lint format clean bench

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile every module again on every start (each `todo-admin` run, each server).
COMPILE_PROJECT = $(UV) run --no-sync python -m compileall -q domain application adapters entrypoints
UV_BOOTSTRAP = $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)

# The runtime and the dev and benchmark tools (pytest, ruff, mypy, schemathesis, py-spy).
install: $(UV_BOOTSTRAP)
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	$(COMPILE_PROJECT)

# What runs, only. --inexact: the dev tools a `make test` installed stay (switching between
# `make run` and `make test` would otherwise remove and reinstall them every time); a
# machine that only ever serves never gets them.
install-runtime: $(UV_BOOTSTRAP)
	$(UV) sync --locked --no-default-groups --inexact --compile-bytecode --python $(PYTHON) $(INSTALL_QUIET)
	$(COMPILE_PROJECT)

run: install-runtime
	$(UV) run --no-sync python scripts/ensure_dotenv.py
	$(UV) run --no-sync todo-admin db upgrade
	$(UV) run --no-sync uvicorn entrypoints.http.app:app --host $(HOST) --port $(PORT) --no-access-log $(SERVER_LIMITS)

# Production (docs/deploy.md): several workers, JSON lines from every process (the
# supervisor's through the log config, the workers' through LOG_FORMAT), forwarded headers
# from TRUSTED_PROXIES only. It does not migrate: that is a deploy step of its own, on the
# direct database URL (`todo-admin db upgrade`). The server replaces the shell (exec) and
# runs from .venv directly, with no uv process between it and its supervisor's signals.
# Quiet install: nothing but JSON lines on the output.
serve: INSTALL_QUIET = --quiet
serve: install-runtime
	LOG_FORMAT=json exec .venv/bin/uvicorn entrypoints.http.app:app --host $(HOST) --port $(PORT) --workers $(WORKERS) --proxy-headers --forwarded-allow-ips '$(TRUSTED_PROXIES)' --no-access-log --log-config entrypoints/uvicorn_logging.json $(SERVER_LIMITS)

test: install
	@$(UV) run --no-sync pytest $(SCHEMA_FUZZ) > $(FUZZ_LOG) 2>&1 & fuzz=$$!; \
	$(UV) run --no-sync pytest -n $(TEST_WORKERS) --dist loadfile --ignore=$(SCHEMA_FUZZ); \
	status=$$?; wait $$fuzz; fuzz_status=$$?; cat $(FUZZ_LOG); rm -f $(FUZZ_LOG); \
	test $$status -eq 0 -a $$fuzz_status -eq 0

# For local work: the unit tests and the end-to-end tests on memory:// and SQLite, without
# PostgreSQL, Redis, the fuzzer or the fault-injection suites (README, "Tests").
test-fast: install
	$(UV) run --no-sync pytest -n $(TEST_WORKERS) --dist loadfile -m "not postgres and not redis" tests/unit tests/e2e

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
