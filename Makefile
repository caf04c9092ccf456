# Two entry points a newcomer needs: `make demo` and `make test`. Both set up first, into the
# active virtual environment or (non-base) conda environment when there is one, else .venv.
PYTHON ?= python3
PYTEST_ARGS ?=

ifneq ($(VIRTUAL_ENV),)
ENV := $(VIRTUAL_ENV)
else ifneq ($(and $(CONDA_PREFIX),$(filter-out base,$(CONDA_DEFAULT_ENV))),)
ENV := $(CONDA_PREFIX)
else
ENV := .venv
endif
BIN := $(ENV)/bin
STAMP := $(ENV)/.argil-nb-dev

# $(call install,BIN): pip install into that environment; INSTALLER=uv (what .ci/run sets)
# does the same installs through uv, about 3x faster than pip on CI's two cores; compiled,
# as pip does (PYTHONDONTWRITEBYTECODE=1 here: without .pyc every subprocess of the tests
# compiled pandas and jupyter again, and the suite took 40 % longer).
ifeq ($(INSTALLER),uv)
install = $(1)/python -m pip install --quiet uv && $(1)/python -m uv pip install --compile-bytecode --python $(1)/python
else
install = $(1)/python -m pip install
endif

# The floors job: every runtime dependency and the notebooks extra at its floor.
FLOORS := .venv-floors
NBVAL := --nbval --nbval-sanitize-with notebooks/sanitize.cfg

.PHONY: setup demo test lint lab bench notebooks reliability architecture floors test-floors clean

setup: $(STAMP)

$(STAMP): pyproject.toml
ifeq ($(ENV),.venv)
	$(PYTHON) -m venv $(ENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endif
	@echo "installing argil_nb (editable) and its dev tools into $(ENV)"
	$(call install,$(BIN)) --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/argil-nb demo

lint: setup
	$(BIN)/ruff check argil_nb tests bench scripts setup.py
	$(BIN)/ruff format --check argil_nb tests bench scripts setup.py
	$(BIN)/mypy

test: setup
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest tests notebooks $(NBVAL) $(PYTEST_ARGS)

lab: setup
	$(BIN)/argil-nb lab notebooks

notebooks: setup
	$(BIN)/python scripts/refresh_notebooks.py

bench: setup
	$(BIN)/python bench/run_all.py

# docs/reliability.md, from the cases in tests/test_bad_input.py (its soak rows are kept).
reliability: setup
	$(BIN)/python -m tests.test_bad_input --write

# docs/architecture.md's imports table, from the code (tests/test_architecture.py checks it).
architecture: setup
	$(BIN)/python -m tests.test_architecture --write

# .ci/floors.txt, from the floors declared in pyproject.toml.
floors: setup
	$(BIN)/python scripts/floors.py

$(FLOORS)/.installed: pyproject.toml .ci/floors.txt
	rm -rf $(FLOORS)
	$(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet --upgrade pip
	$(call install,$(FLOORS)/bin) --quiet -c .ci/floors.txt -e '.[test]'
	touch $@

test-floors: $(FLOORS)/.installed
	$(FLOORS)/bin/python scripts/floors.py --installed
	$(FLOORS)/bin/python -m pytest tests notebooks $(NBVAL) -m "not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf .venv $(FLOORS) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
