# Thin aliases of the commands the README documents. Read the README, not this file.
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8000
SCALE ?= small
SEED ?= 42
WORKERS ?= 2
# Test processes (pytest-xdist; a test database each, test_gridatlas_gw0, …); a module stays on one.
TEST_WORKERS ?= auto

.PHONY: run test setup db stop psql demo bench lint

# System packages, .venv, vendored JS, generated secrets, the local cluster (unless DATABASE_URL
# says otherwise), migrations.
setup:
	bash scripts/bootstrap.sh
	bash scripts/secrets.sh
	@if [ -z "$$DATABASE_URL" ]; then bash scripts/pg.sh start; fi
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable  # the rate-limit counters (geo/ratelimits.py)
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# gunicorn and the job worker side by side: Ctrl-C (or either one stopping) stops both.
run: setup
	$(PY) manage.py build_demo_city --scale $(SCALE) --seed $(SEED) --if-empty
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	$(PY) manage.py procrastinate worker & \
	.venv/bin/gunicorn geo.wsgi -c geo/gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile - & \
	wait -n

# The editor's logic first (Node's own runner, no npm package), then pytest.
test: setup
	node --test tests/js/*.test.mjs
	.venv/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

stop:
	bash scripts/pg.sh stop

psql:
	bash scripts/pg.sh psql

demo: setup
	$(PY) manage.py build_demo_city --scale $(SCALE) --seed $(SEED) --replace

bench: setup
	$(PY) bench/build_city.py --scale city

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
