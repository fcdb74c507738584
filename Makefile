# The two commands a newcomer needs (each installs what it needs on first use):
#
#   make run     Azurite + the local Durable host; the app is served on http://localhost:7071
#   make test    lint (ruff), types (mypy), then the whole test suite; pytest starts its own
#                Azurite on free ports
#
# Also:
#   make test PYTEST_ARGS='-x -k approval'   pass arguments to pytest (e.g. -m fault for fault suites only)
#   make test FULL=1                         full-size fault/load suites (sets DURABLE_LOCAL_FULL=1)
#   make func                                Azurite + Azure Functions Core Tools' `func start`, if installed
#   make clean                               remove .venv, node_modules, Azurite data and local host state
#
# Needs python3 (3.11), node (20) + npm, GNU make and bash (README: Prerequisites). Azurite comes
# from package.json (npm ci); it is pinned to 3.35.0 because 3.36 and later require Node 21+.
# No root needed: without Debian's Chromium (root installs it) the browser tests are skipped.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# One shell per recipe, so a trap set in a recipe covers everything after it (see `run`).
.ONESHELL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The browser tests (tests/browser) drive Debian's Chromium through Playwright (no browser download).
CHROMIUM := /usr/bin/chromium
AZURITE := node_modules/.bin/azurite
AZURITE_DATA := .azurite
HOST_PORT := 7071

ifeq ($(FULL),1)
export DURABLE_LOCAL_FULL := 1
endif

.PHONY: help run func func-installed chromium test clean

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST))

# The venv is rebuilt when a requirements file or the durable-local metadata (pyproject.toml) changes.
# requirements-dev.txt installs the local host editable with its pytest extra (`-e .[pytest]`), as a user installs it into their app's
# venv: `make run` and the tests use its `durable-local` command and pytest plugin.
# wildcard: a missing file is pip's error to report.
$(VENV_STAMP): $(wildcard requirements*.txt) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Prints "azurite" if an Azurite answers on the default blob port 10000 (another `make run`),
# "free" if nothing listens there, "other" if some other program holds the port.
define AZURITE_PROBE
import sys, urllib.error, urllib.request
try:
    reply = urllib.request.urlopen("http://127.0.0.1:10000/", timeout=2)
except urllib.error.HTTPError as err:  # Azurite answers a bare GET with 400; its headers still tell
    reply = err
except OSError:
    print("free")
    sys.exit()
print("azurite" if reply.headers.get("Server", "").startswith("Azurite") else "other")
endef
export AZURITE_PROBE

# Shell lines shared by `run` and `func`: reuse a running Azurite, or start one on the default ports
# (10000 blob, 10001 queue, 10002 table) and stop it when the recipe's shell exits, Ctrl+C included.
# (A background job of a non-interactive shell ignores SIGINT, so the trap is what stops Azurite.)
define START_AZURITE
case "$$($(PYTHON) -c "$$AZURITE_PROBE")" in
  azurite)
    echo "make: Azurite is already running on 127.0.0.1:10000; reusing it" ;;
  free)
    mkdir -p $(AZURITE_DATA)
    $(AZURITE) --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      --location $(AZURITE_DATA) \
      --silent --skipApiVersionCheck --loose --disableTelemetry &
    azurite_pid=$$!
    trap 'kill $$azurite_pid 2>/dev/null || true; wait $$azurite_pid 2>/dev/null || true' EXIT
    # Ready when all three ports accept a connection (bash's /dev/tcp); 30 s at most.
    azurite_ready() { for port in 10000 10001 10002; do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null || return 1; done; }
    for _ in $$(seq 300); do
      azurite_ready && break
      kill -0 $$azurite_pid 2>/dev/null || { echo "make: Azurite exited; see its output above" >&2; exit 1; }
      sleep 0.1
    done
    azurite_ready || { echo "make: Azurite did not start within 30 s" >&2; exit 1; }
    echo "make: Azurite listening on 127.0.0.1:10000-10002 (data in $(AZURITE_DATA)/)" ;;
  *)
    echo "make: port 10000 is held by a program that is not Azurite; stop it and retry" >&2
    exit 1 ;;
esac
endef

# local.settings.json is personal (git-ignored); start from the committed example.
define ENSURE_LOCAL_SETTINGS
if [[ ! -f local.settings.json ]]; then
  if [[ -f local.settings.json.example ]]; then
    cp local.settings.json.example local.settings.json
    echo "make: created local.settings.json from local.settings.json.example"
  else
    echo "make: warning: no local.settings.json and no local.settings.json.example to copy" >&2
  fi
fi
endef

run: $(VENV_STAMP) $(NODE_STAMP)
	@$(START_AZURITE)
	$(ENSURE_LOCAL_SETTINGS)
	# Not exec'd: this shell must outlive the host to run the trap that stops Azurite.
	# The installed command, run from the app's folder as a user runs it (--app defaults to .).
	$(VENV)/bin/durable-local start --port $(HOST_PORT)

# Azure Functions Core Tools are not installable here (they download a binary); `make run` is the
# equivalent. Documented for machines that have `func`.
# (Prerequisites are made left to right, so a missing `func` is reported before any install.)
func: func-installed $(VENV_STAMP) $(NODE_STAMP)
	@$(START_AZURITE)
	$(ENSURE_LOCAL_SETTINGS)
	source $(VENV)/bin/activate
	func start --port $(HOST_PORT)

func-installed:
	@if ! command -v func >/dev/null; then
	  echo "make: Azure Functions Core Tools ('func') are not installed." >&2
	  echo "      Install them (https://learn.microsoft.com/azure/azure-functions/functions-run-local)" >&2
	  echo "      or use 'make run', which serves the same app with the local Durable host." >&2
	  exit 1
	fi

# Debian's Chromium for the browser tests: installed with apt-get only where that needs no
# password (root, as in CI). Anywhere else `make test` still runs: the browser tests are then
# skipped with this reason and the command that enables them (tests/browser/conftest.py); under
# CI (CI=true) they fail instead, so a CI machine without a browser cannot pass unnoticed.
chromium:
	@if [[ -x $(CHROMIUM) || -n "$${CHROMIUM_PATH:-}" ]]; then exit 0; fi
	if [[ $$(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
	  echo "make: installing Chromium for the browser tests (apt-get install chromium)"
	  if DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	      && [[ -x $(CHROMIUM) ]]; then
	    exit 0
	  fi
	  echo "make: warning: apt-get did not install $(CHROMIUM); the browser tests will be skipped (failed under CI)" >&2
	else
	  echo "make: $(CHROMIUM) is missing and installing it needs root; the browser tests will be skipped." >&2
	  echo "make: to run them: sudo apt-get install chromium" >&2
	fi

# Lint and types first: they take seconds and fail CI as surely as a test does.
test: $(VENV_STAMP) $(NODE_STAMP) chromium
	@$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules $(AZURITE_DATA) .durable_local .pytest_cache .hypothesis .mypy_cache .ruff_cache
	rm -rf build dist *.egg-info
	rm -f *.sqlite *.sqlite-wal *.sqlite-shm
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
