# The README's two commands: `make run` (embedded default) and `make test` (whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench lint clean-data

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python -m avataq.dev.run

# The S3 test server comes from the npm registry (package-lock.json pins it).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	 else echo "npm not found: the S3 tests will be skipped"; fi

test: $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/python -m avataq.dev.test $(ARGS)

bench: $(VENV)/.installed-dev node_modules/.installed
	$(BIN)/python -m bench $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean-data:
	rm -rf .data
