# Helpwire: `make run` starts the server on SQLite; `make test` runs the whole suite.
# Both set up what they need first (a virtual environment in .venv and node_modules).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8080
CONFIG ?=
WIDGET_BUNDLE := web_client/widget/helpwire.js

.PHONY: run test install widget lint typecheck unit browser clean bench-signalling bench-relay bench-churn fuzz bench-logins bench-dispatch-state bench-upgrade bench-feed-lag

# the package build copies the vendored browser libraries from node_modules and the widget's
# bundle, so npm and the bundle go first
$(VENV)/.installed: pyproject.toml setup.py node_modules/.installed $(WIDGET_BUNDLE)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# the Help widget: ES modules in web_client/widget/src, one minified bundle (plus lazy chunks)
# beside them, built with esbuild (docs/widget.md, "The bundle")
$(WIDGET_BUNDLE): $(wildcard web_client/widget/src/*) web_client/widget/build.mjs node_modules/.installed
	node web_client/widget/build.mjs

widget: $(WIDGET_BUNDLE)

install: $(VENV)/.installed node_modules/.installed $(WIDGET_BUNDLE)

run: install
	$(PY) -m server $(if $(CONFIG),--config $(CONFIG)) serve --port $(PORT) --demo

lint: install
	$(PY) -m ruff check server consent tests media_tests bench
	npx --no-install eslint
	npx --no-install tsc -p tsconfig.json

typecheck: install
	$(PY) -m mypy

test: install lint typecheck
	$(PY) -m pytest -ra $(PYTEST_ARGS)

# everything but the browser tests (no Chromium needed)
unit: install
	$(PY) -m pytest -ra -m 'not browser' $(PYTEST_ARGS)

# only the tests that drive headless Chromium (tests/browser, tests/ship, tests/deploy)
browser: install
	$(PY) -m pytest -ra -m browser $(PYTEST_ARGS)

# a longer random-mutation campaign of every event, SDP and candidate (FUZZ_SECONDS per fuzz test);
# what it finds is kept in var/hypothesis and replayed first; figures in var/fuzz-report.json
FUZZ_SECONDS ?= 180
fuzz: install
	HYPOTHESIS_PROFILE=campaign FUZZ_SERVER=process FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -q -p no:cacheprovider \
		-o timeout=0 tests/fuzz $(PYTEST_ARGS)
	@cat var/fuzz-report.json

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

# dispatch-state commands/s and p99, in memory vs Redis (needs Redis at 127.0.0.1:6379)
bench-dispatch-state: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.dispatch_state $(BENCH_ARGS)

# Help press → agent joined / first line, accept voice → first audio, voice → video first frame, in
# headless Chromium on both sides, direct and through coturn (docs/performance.md "Upgrade latency")
bench-upgrade: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.upgrade $(BENCH_ARGS)

# how long a change on one node takes to reach another node's view (the change feed)
bench-feed-lag: install
	flock /tmp/helpwire-bench.lock $(PY) -m bench.feed_lag $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var test-artifacts .pytest_cache .mypy_cache
