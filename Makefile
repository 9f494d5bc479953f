# Robo Notes: every target works on a fresh machine with nothing but Python installed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(VENV)-uv/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: install demo test test-fast lint format migrate eval bench lock clean

$(VENV)-uv/bin/uv:
	$(PYTHON) -m venv $(VENV)-uv
	$(VENV)-uv/bin/pip install -q uv

$(BIN)/python: | $(UV)
	$(UV) venv -q --python $(PYTHON) $(VENV)

$(VENV)/.installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(UV) pip sync -q --python $(BIN)/python requirements/dev.lock
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/robonotes demo

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

migrate: install
	$(BIN)/robonotes db upgrade

eval: install
	$(BIN)/robonotes eval tests/data/gold/gold.jsonl --provider offline

# The peers live in venvs of their own: .venv-bench (ours on the project's pins, SAQ, taskiq,
# Dramatiq, RQ); arq (redis-py < 6) and Celery 5.7 (python-dateutil 2.9) each in another.
BENCH_ARGS ?=
bench: | $(UV)
	test -x .venv-bench/bin/python || $(UV) venv -q --python $(PYTHON) .venv-bench
	$(UV) pip sync -q --python .venv-bench/bin/python requirements/bench.lock
	$(UV) pip install -q --python .venv-bench/bin/python --no-deps -e .
	for peer in arq celery; do \
	  test -x .venv-bench-$$peer/bin/python || $(UV) venv -q --python $(PYTHON) .venv-bench-$$peer; \
	  $(UV) pip sync -q --python .venv-bench-$$peer/bin/python bench/locks/$$peer.lock || exit 1; \
	done
	.venv-bench/bin/python -m bench.run_all $(BENCH_ARGS)

lock:
	$(UV) pip compile -q --no-header --no-annotate pyproject.toml -o requirements/main.lock
	$(UV) pip compile -q --no-header --no-annotate pyproject.toml --extra dev -o requirements/dev.lock
	$(UV) pip compile -q --no-header --no-annotate pyproject.toml --extra dev --extra bench \
	  -c requirements/dev.lock -o requirements/bench.lock
	# arq caps redis-py below 6 and Celery 5.7 pins python-dateutil 2.9: venvs of their own.
	printf 'arq>=0.26\n' | $(UV) pip compile -q --no-header --no-annotate - -o bench/locks/arq.lock
	printf 'celery[redis]>=5.7\n' | $(UV) pip compile -q --no-header --no-annotate - -o bench/locks/celery.lock

clean:
	rm -rf $(VENV) $(VENV)-uv .venv-bench .venv-bench-arq .venv-bench-celery .robonotes \
	  .pytest_cache .mypy_cache .ruff_cache
