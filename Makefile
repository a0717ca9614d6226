# pgsweep — every target creates what it needs (venv, system packages) by itself.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
REPO ?=
ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: scan test bench bench-startup bench-audit bench-channels lint system-deps clean help

help:
	@echo "make scan [REPO=path] [ARGS=...]   scan a repository (default: a demo repository)"
	@echo "make test                          lint, then run the test suite (installs what it needs)"
	@echo "make bench REPO=path               benchmark against gitleaks and Kingfisher"
	@echo "make bench-startup [ARGS=...]      --version and scan --staged against gitleaks"
	@echo "make bench-audit [ARGS=...]        audit of 200 small repositories vs a loop of scan"
	@echo "make bench-channels [ARGS=...]     image and chat export readers vs a plain folder scan"
	@echo "make lint                          ruff, mypy and the stage layers"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,live,fast,cluster]'
	touch $(STAMP)

# System packages the tests use: a PostgreSQL server (started per test session as an
# unprivileged user on a loopback port), git, chromium (the HTML report test), and umoci and
# skopeo (container images built offline for the image reader's tests).
system-deps:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	   || ! command -v git >/dev/null; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql git >/dev/null; \
	fi
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@{ command -v umoci && command -v skopeo; } >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq umoci skopeo >/dev/null; }

scan: $(STAMP)
	@if [ -z "$(REPO)" ]; then \
	  rm -rf build/demo && $(PY) -m pgsweep demo build/demo && target=build/demo; \
	else target="$(REPO)"; fi; \
	$(PY) -m pgsweep scan "$$target" $(ARGS); rc=$$?; [ $$rc -le 1 ] || exit $$rc

test: $(STAMP) system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider $(ARGS)

bench: $(STAMP)
	@[ -n "$(REPO)" ] || { echo "usage: make bench REPO=<path to a git repository>"; exit 2; }
	$(PY) bench/run.py "$(REPO)" $(ARGS)
	$(PY) bench/rescan.py "$(REPO)"
	$(PY) bench/startup.py

bench-startup: $(STAMP)
	$(PY) bench/startup.py $(ARGS)
	$(PY) bench/audit.py
	$(PY) bench/audit_executors.py

bench-audit: $(STAMP)
	$(PY) bench/audit.py $(ARGS)

bench-channels: $(STAMP)
	$(PY) bench/channels.py $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src tests
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) build dist
