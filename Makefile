# Two commands do all set-up on a fresh machine:
#   make run    create .venv, install glassnet, run the main example
#   make test   create .venv, install glassnet with its test extras, run lint and the tests
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

run: $(STAMP)
	$(PY) examples/xor_mlp.py

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples

test: $(TEST_STAMP) lint
	$(PY) -m pytest

bench: $(TEST_STAMP)
	$(PY) benchmarks/mlp_step.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
