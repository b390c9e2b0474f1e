# The README's two commands: `make run` (embedded default) and `make test` (whole suite).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test guide bench lint clean-data browser

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

# The French catalogue is committed as .po and compiled here, in Python (no gettext).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
$(MO_FILES): %.mo: %.po $(VENV)/.installed-run
	$(BIN)/python -m avataq.dev.compilemessages

run: $(VENV)/.installed-run $(MO_FILES)
	$(BIN)/python -m avataq.dev.run

# The S3 test server comes from the npm registry (package-lock.json pins it).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	 else echo "npm not found: the S3 tests will be skipped"; fi

# The end-to-end tests drive Debian's Chromium through Playwright (which downloads no
# browser here). Installed when missing and we may; otherwise those tests say they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "chromium not found and not installable here: the browser tests will be skipped"; exit 0; fi; \
	  $$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null \
	  || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; } \
	  || echo "chromium could not be installed: the browser tests will be skipped"; }

test: $(VENV)/.installed-dev node_modules/.installed $(MO_FILES) browser
	$(BIN)/python -m avataq.dev.test $(ARGS)

# The guide (docs/): the browser journeys refresh its screenshots, then the site is built
# into docs/site/. `make test` builds it too, with --strict, from the run's screenshots.
guide: $(VENV)/.installed-dev node_modules/.installed $(MO_FILES) browser
	$(BIN)/python -m avataq.dev.guide $(ARGS)

bench: $(VENV)/.installed-dev node_modules/.installed $(MO_FILES)
	$(BIN)/python -m bench $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean-data:
	rm -rf .data
