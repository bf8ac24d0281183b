# Helpwire: `make run` starts the server on SQLite; `make test` runs the whole suite.
# Both set up what they need first (a virtual environment in .venv and node_modules).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8080
CONFIG ?=

.PHONY: run test install lint typecheck unit browser clean bench-signalling bench-relay bench-churn bench-logins

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(PY) -m server $(if $(CONFIG),--config $(CONFIG)) serve --port $(PORT) --demo

lint: install
	$(PY) -m ruff check server consent tests media_tests bench

typecheck: install
	$(PY) -m mypy

test: install lint typecheck
	$(PY) -m pytest -ra $(PYTEST_ARGS)

# thousands of idle kiosks + chatting pairs vs bare python-socketio and Node socket.io (docs/performance.md)
bench-signalling: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.signalling $(BENCH_ARGS)

# kiosks connecting and disconnecting in rounds: server RSS, loop lag, leftovers (docs/performance.md)
bench-churn: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.signalling_churn $(BENCH_ARGS)

# N simultaneous 1:1 video calls through Helpwire vs aiortc MediaRelay and Janus (docs/performance.md)
bench-relay: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.relay $(BENCH_ARGS)

# event-loop lag during 100 agent login attempts per second (real Argon2; docs/performance.md)
bench-logins: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.logins $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var test-artifacts .pytest_cache .mypy_cache
