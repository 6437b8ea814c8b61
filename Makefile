# The README's two commands: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint check setup debian bench clean

# The hot modules are compiled with mypyc when a C compiler is there (setup.py,
# mailwarden.native); any change to their source rebuilds them. MAILWARDEN_PURE=1 skips
# the compiler (pure Python, same results): old compiled modules are removed either way.
NATIVE := $(wildcard src/mailwarden/*.py src/mailwarden/parsers/*.py src/mailwarden/detect/*.py) \
	src/mailwarden/report/events.py

$(STAMP): pyproject.toml setup.py $(NATIVE)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	find src -name '*.so' -delete
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m mailwarden.native
	touch $(STAMP)

setup: $(STAMP)

# Debian's Postfix, Dovecot and nftables for the end-to-end tests (root; skipped when present).
debian:
	scripts/install-debian-packages.sh

# The bundled samples (samples/README.md): the user's excerpt explained; three days of a
# company's mail server analysed; the user's Postfix 2.6 configuration audited (without
# postconf the files are read; exit status 3, high-severity findings, is the point here).
demo: setup
	$(BIN)/mailwarden explain samples/seed-excerpt.txt
	$(BIN)/mailwarden analyze --users samples/users.txt samples/mail.log*
	$(BIN)/mailwarden audit --postfix-dir samples/postfix-user-server --postfix-version 2.6.6 \
		|| test $$? = 3

lint: setup
	$(BIN)/ruff check src tests benchmarks setup.py
	$(BIN)/ruff format --check src tests benchmarks setup.py
	$(BIN)/mypy

test: setup debian lint
	$(BIN)/pytest

bench: setup
	scripts/install-debian-packages.sh fail2ban
	$(BIN)/python benchmarks/throughput.py --lines 1000000

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
	find src -name '*.so' -delete
