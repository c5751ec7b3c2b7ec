# Two commands: `make run` serves the archive, `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test lint format bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/archive serve --demo --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check archive tests bench
	$(BIN)/ruff format --check archive tests bench
	$(BIN)/pytest -q

lint: install-test
	$(BIN)/ruff check archive tests bench
	$(BIN)/ruff format --check archive tests bench

format: install-test
	$(BIN)/ruff format archive tests bench
	$(BIN)/ruff check --fix archive tests bench

bench: install
	$(BIN)/python bench/search.py --raw-every 10

clean:
	rm -rf $(VENV) index/* uploads/*
