# Settlebridge: two commands for a new user.
#   make run   create .venv, install, start the app on the Demo Company (http://localhost:8501)
#   make test  create .venv if needed, install, run ruff, mypy and the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench sandbox clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port 8501 --server.headless true

lint: $(STAMP)
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy

pytest: $(STAMP)
	$(PY) -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(PY) -m bench

sandbox: $(STAMP)
	$(PY) -m qbo_sandbox --port 8765 --data data/sandbox --seed demo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
