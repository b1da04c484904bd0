# Two commands on a fresh clone with only Python 3.11+ and make:
#   make run   creates .venv, installs newsletter, runs the main job on the sample site (build/sample)
#   make test  creates .venv with the test extras, runs ruff, mypy (strict) and pytest
# While editing, `make test-fast` skips the tests marked slow (browser, subprocesses, benchmarks,
# and the PostgreSQL half of the store tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-fast lint typecheck pytest pytest-fast fuzz bench clean dist docs web-tools web-audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per install flavour, redone when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# The sample site is rebuilt from examples/ into a git-ignored folder, its feeds dated
# around today, so the first digest has articles, questions and the exercise on any date.
SAMPLE := build/sample

run: $(VENV)/.installed-run
	$(BIN)/python -m newsletter.sample $(SAMPLE)
	NEWSLETTER_OUTBOX=outbox $(BIN)/newsletter --config $(SAMPLE)/feeds.yaml run
	@echo
	@echo "Now look at this week's digest:"
	@echo "  on the web:  $(SAMPLE)/public/archive/index.html (open it in a browser)"
	@echo "  the email:   $(BIN)/newsletter --config $(SAMPLE)/feeds.yaml preview --out $(SAMPLE)/preview.html"
	@echo "  the site:    $(BIN)/newsletter --config $(SAMPLE)/feeds.yaml serve  (then http://127.0.0.1:8000/)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check newsletter tests bench
	$(BIN)/ruff format --check newsletter tests bench
	$(BIN)/bandit --quiet --recursive --severity-level medium newsletter

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The whole suite on every core (pytest-xdist): each test makes its own folders, databases
# and loopback servers, so they run side by side; serially it takes several times as long.
pytest: $(VENV)/.installed-test
	$(BIN)/pytest -n auto

test: lint typecheck pytest

pytest-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not slow" -n auto

# The edit loop: under 90 s on a quiet machine. `make test` (and CI) still runs everything.
test-fast: lint pytest-fast

# The fuzz targets and properties at length (`make test` runs them briefly):
# `make fuzz FUZZ_EXAMPLES=20000` for a longer run.
FUZZ_EXAMPLES ?= 2000
fuzz: $(VENV)/.installed-test
	NEWSLETTER_TEST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q \
		tests/test_fuzz_*.py --durations=0

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

# About nine minutes on 2 cores, and three more as root (the Postfix row);
# `make bench BENCH_ARGS=--full` adds PostgreSQL at 1,000,000.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

# The README's command table, regenerated from each command's --help.
docs: $(VENV)/.installed-test
	$(BIN)/cog -r README.md

# The web pages' checkers from npm (Nu HTML Checker, axe-core, Lighthouse), pinned by
# tools/web/package-lock.json; the slow tests that use them skip, saying why, without them.
web-tools: tools/web/node_modules/.package-lock.json

tools/web/node_modules/.package-lock.json: tools/web/package.json tools/web/package-lock.json
	npm ci --prefix tools/web --no-audit --no-fund --ignore-scripts

# Lighthouse (mobile) on the home page, /ask, the archive and a digest page: the scores.
web-audit: $(VENV)/.installed-test web-tools
	$(BIN)/python -m bench.web_audit

# The release: a wheel and an sdist in dist/, their metadata checked as PyPI will.
dist: $(VENV)/.installed-test
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) public outbox db/*.sqlite3* db/*.lock $(SAMPLE) dist
