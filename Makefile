# The README's two commands: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint check setup debian bench clean

# The hot modules are compiled with mypyc when a C compiler is there (setup.py,
# mailwarden.native), and rebuilt when any source of the package changes (compiled code
# depends on the others' NamedTuples). MAILWARDEN_PURE=1 installs pure Python (no
# compiler; the same results; no reinstall after each edit). Each mode has its own stamp,
# so switching reinstalls; old compiled modules are removed either way. A build meant to
# be compiled that fell back to pure Python (no gcc or no Python headers) gets the stamp
# .installed-fallback, never .installed-native: it stands while they are still missing
# (decided when setup runs, so `make test` compiles once its `debian` step installed
# them), and the next `make setup` after that compiles.
MODE   := $(if $(MAILWARDEN_PURE),pure,native)
STAMP  := $(VENV)/.installed-$(MODE)
FALLBACK := $(VENV)/.installed-fallback
SOURCES := $(shell find src/mailwarden -name '*.py' -o -name '*.c')

# The stamp is dated to when the build began: a source edited during it rebuilds next time.
# Byte code is written once here, as pip writes it for an installed package: with
# PYTHONDONTWRITEBYTECODE set (as on the CI machines), each run would compile the plain
# Python modules again (0.2 s a run, measured); an edited module is compiled afresh.
# `mailwarden.native` fails on a module older than its source; `--compiled` tells a
# compiled build from one that fell back.
define INSTALL
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	rm -f $(VENV)/.installed-*
	touch $(VENV)/.build-began
	find src -name '*.so' -delete
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src/mailwarden
	$(BIN)/python -m mailwarden.native
	@if [ -n "$(MAILWARDEN_PURE)" ] || $(BIN)/python -m mailwarden.native --compiled >/dev/null 2>&1; then \
		mv $(VENV)/.build-began $(STAMP); \
	else \
		mv $(VENV)/.build-began $(FALLBACK); \
		echo "mailwarden: installed pure Python (the same results, slower); to compile, install gcc and python3-dev (make debian, as root), then run make setup" >&2; \
	fi
endef

$(STAMP): pyproject.toml setup.py $(if $(MAILWARDEN_PURE),,$(SOURCES))
	$(INSTALL)

$(FALLBACK): pyproject.toml setup.py
	$(INSTALL)

ifeq ($(MODE),pure)
setup: $(STAMP)
else
setup:
	@if [ -e $(FALLBACK) ] && ! $(BIN)/python -m mailwarden.native --can-compile 2>/dev/null; \
	then $(MAKE) --no-print-directory $(FALLBACK); \
	else $(MAKE) --no-print-directory $(STAMP); fi
endif

# Debian's Postfix, Dovecot and nftables for the end-to-end tests, gcc and python3-dev for
# the compiled modules (root; skipped when present). Before setup in `make test`.
debian:
	scripts/install-debian-packages.sh

# The bundled samples (samples/README.md): the user's excerpt explained; three days of a
# company's mail server analysed (March 2026: their lines write no year, and a checkout's
# files are dated the day of the checkout, from which the year would be guessed); the user's Postfix 2.6 configuration audited (without
# postconf the files are read; exit status 3, high-severity findings, is the point here).
demo: setup
	$(BIN)/mailwarden explain samples/seed-excerpt.txt
	$(BIN)/mailwarden analyze --year 2026 --users samples/users.txt samples/mail.log*
	$(BIN)/mailwarden audit --postfix-dir samples/postfix-user-server --postfix-version 2.6.6 \
		|| test $$? = 3

lint: setup
	$(BIN)/ruff check src tests benchmarks setup.py
	$(BIN)/ruff format --check src tests benchmarks setup.py
	$(BIN)/mypy

test: debian setup lint
	$(BIN)/pytest

bench: setup
	scripts/install-debian-packages.sh fail2ban
	$(BIN)/python benchmarks/throughput.py --lines 1000000

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	find src -name '*.so' -delete
