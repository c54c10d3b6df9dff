# Two commands on a fresh machine:
#   make run   -- set up, simulate the demo study into the SQLite store and analyse it
#   make test  -- set up and run the test suite (ruff + import contracts + pytest)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup system-deps run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/alliance-survey demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

system-deps:
	bash scripts/ensure-system-deps.sh

# two workers (this machine class has 2 cores); a test file stays on one worker, so its
# module fixtures are built once; TEST_WORKERS=0 runs the suite in this one process
TEST_WORKERS ?= 2

test: setup system-deps lint
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile --durations=40

clean:
	rm -rf $(VENV) build *.egg-info
