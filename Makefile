# The few targets a newcomer needs. Everything installs into .venv from the project's own files.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The demo needs Interlock and its runtime dependencies only: no test toolchain, and no
# byte-compiling of every dependency up front (Python compiles what the demo imports).
DEMO_STAMP := $(VENV)/.demo-stamp
PIP    := $(PY) -m pip install --disable-pip-version-check --progress-bar on

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade --default-pip >/dev/null
	$(PIP) --quiet -e '.[test,fast]'
	touch $(STAMP) $(DEMO_STAMP)

# The demo's venv: without its own pip when this python's pip can install into it
# (`pip --python`, pip 22.3+), which saves seconds; `make test` adds pip later.
$(DEMO_STAMP): pyproject.toml
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then touch $@; exit 0; fi; \
	echo "make demo: installing Interlock and its runtime dependencies into $(VENV) (no test tools)"; \
	if python3 -m pip install --help 2>/dev/null | grep -q -- '--python '; then \
	  test -x $(PY) || python3 -m venv --without-pip $(VENV) || exit 1; \
	  python3 -m pip --python $(PY) install --disable-pip-version-check --progress-bar on \
	    --no-compile -e . || exit 1; \
	else \
	  test -x $(PY) || python3 -m venv $(VENV) || exit 1; \
	  $(PIP) --no-compile -e . || exit 1; \
	fi; \
	touch $@

install: $(STAMP)  ## create .venv and install Interlock with its test tools

demo: $(DEMO_STAMP)  ## replay the incident on loopback, without and with Interlock (~5 s)
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
