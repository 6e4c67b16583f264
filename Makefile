# Two commands matter: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint test-moments bench bench-dashboard setup setup-dev migrate browser clean lock

run: setup migrate
	$(BIN)/python -m bot serve

# Every test, then the date-sensitive ones again under moments that break date arithmetic
# (tests/pinned_moments.py: 00:00 UTC, a Saturday dawn, a Monday holiday, New Year's Eve).
test: setup-dev browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m tests.pinned_moments

# The code's own checks, before the tests: lint and format (pyproject.toml), the layer rules (.importlinter),
# types (strict for bot/flows, bot/domain, bot/services). `ruff format .` applies the format.
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy bot storage

test-moments: setup-dev
	$(BIN)/python -m tests.pinned_moments

# Benchmarks (bench/README.md): several minutes, noisy on a busy machine, never part of `make test`.
# BENCH_DB=postgresql runs them against the PostgreSQL of bench/common.py (BENCH_PG_URL).
BENCH_DB ?= sqlite
bench: setup-dev
	$(BIN)/python bench/inbound.py --db $(BENCH_DB) --citizens 300
	$(BIN)/python bench/latency.py --db $(BENCH_DB) --rate 200 --seconds 30
	$(BIN)/python bench/delivery.py --db $(BENCH_DB) --messages 2000 --contacts 1600
	$(BIN)/python bench/memory.py --db $(BENCH_DB) --conversations 10000

# PostgreSQL only; generating a million requests takes 5-8 minutes (--keep/--reuse skip it next time).
bench-dashboard: setup-dev
	$(BIN)/python bench/dashboard.py --rows 1000000 --repeat 20 --keep --reuse

# Two locks: requirements.lock is what the service runs on (`make run` installs only it);
# requirements-dev.lock adds the test, lint and bench tools on the same pins.
setup: $(STAMP)
setup-dev: $(DEV_STAMP)

# Reinstall whenever a lock file changes; each stamp records the lock that was installed.
$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	cp requirements.lock $(STAMP)

$(DEV_STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	cp requirements-dev.lock $(DEV_STAMP)

migrate: setup
	$(BIN)/python -m bot migrate

# Browser tests drive Debian's Chromium; install it when it is missing and we may (root with apt-get).
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: install Debian's 'chromium' package for the browser tests."; fi; }

# Regenerate both locks from pyproject.toml (needs network access to PyPI); pins already in a lock are kept
# unless pyproject.toml rules them out.
lock:
	$(PYTHON) -m venv /tmp/uv-lock-venv && /tmp/uv-lock-venv/bin/pip install --quiet uv
	/tmp/uv-lock-venv/bin/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	/tmp/uv-lock-venv/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache
