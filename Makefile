# The two entry points of the README: `make demo` and `make test` (the fast tier);
# `make test-all` runs every test, as CI (.ci/run) does.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q -c constraints.txt

.PHONY: demo test test-all checks install install-dev lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) -e .

# The tests start a local Ray instance, drive beets and build the docs: the dev install
# takes the ray, beets and docs extras too.
# musicnn holds the TensorFlow checkpoints that tools/convert_musicnn.py converted into the
# weights genriflow ships; only that tool and its test read it (genriflow never does). Its
# own pinned requirements (numpy < 1.17, TensorFlow) cannot install on Python 3.11 and are
# not needed: --no-deps.
# Installed again only when pyproject.toml or constraints.txt change (a stamp file): pip's
# check of every requirement, even with nothing to do, costs ~40 s of each `make test`.
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e ".[dev,ray,beets,docs]"
	$(PIP) --no-deps musicnn==0.1.0
	touch $@

demo: install
	$(BIN)/genriflow demo --out demo-output

# The tiers (markers registered in pyproject.toml, applied in tests/conftest.py): the fast
# one leaves out what is slow, starts child processes, a real socket, a browser or Ray.
FAST_TIER := not (slow or subprocess or network or browser or ray)

# The documentation site is built (never with --quiet, which hides the warnings --strict
# counts) into .venv/site: a broken link or docstring fails the build.
checks: lint
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(VENV)/site

test: checks
	$(BIN)/pytest -q -n 2 --dist loadfile -m "$(FAST_TIER)"

test-all: checks
	$(BIN)/pytest -q -n 2 --dist loadfile

# ruff's linter and the import layers. The code is wrapped by hand at 100 columns (ruff's
# line-length), not by `ruff format`, so its check is not part of this.
lint: install-dev
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) demo-output
