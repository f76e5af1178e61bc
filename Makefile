# The few targets a newcomer needs. Everything installs into .venv from the project's own files.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,fast]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install Interlock with its test tools

demo: $(STAMP)     ## replay the incident on loopback, without and with Interlock (~5 s)
	$(VENV)/bin/interlock demo

test: $(STAMP)     ## the whole test suite
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)     ## ruff (lint and format check) and mypy (strict)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)    ## run benchmarks/, write .bench/results.json
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .bench .pytest_cache .mypy_cache .ruff_cache
