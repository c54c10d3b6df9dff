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

test: setup system-deps lint
	$(PY) -m pytest -q -m "not slow" --durations=40

clean:
	rm -rf $(VENV) build *.egg-info
