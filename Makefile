# Two commands do all set-up on a fresh machine:
#   make run    create .venv, install glassnet, fetch MNIST, train the default MLP, report
#   make test   create .venv, install glassnet with its test extras, lint, run the tests
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
	$(PY) -m pip install -q -e ".[cli]"
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -q -e ".[test]"
	touch $@

run: $(STAMP)
	$(VENV)/bin/glassnet train

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check glassnet tests benchmarks examples

# pytest exits 5 when it collects no test; make passes that on as a failure.
test: $(TEST_STAMP) lint
	$(PY) -m pytest

bench: $(TEST_STAMP)
	$(PY) benchmarks/mlp_step.py
	$(PY) benchmarks/step_overhead.py
	$(PY) benchmarks/mnist_mlp.py
	$(PY) benchmarks/train_process.py
	$(PY) benchmarks/cnn.py
	$(PY) benchmarks/lstm.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
