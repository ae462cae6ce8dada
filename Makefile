# Two commands do all the set-up on a fresh machine: `make shop` (install and run the shop) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint shop run example bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[shop,test,sql,postgres,mysql]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

shop: $(STAMP)
	$(BIN)/python -m shop

run: shop

example: $(STAMP)
	$(BIN)/python examples/quickstart.py

bench: $(STAMP)
	$(BIN)/python bench/broker_bench.py
	$(BIN)/python bench/db_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
