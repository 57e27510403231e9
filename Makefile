# Two commands do all the set-up on a fresh machine with only Python 3.11:
#   make run   - install, migrate, publish the rubrics, create demo data, serve on 127.0.0.1:5000
#   make test  - install and run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The Welsh catalogue: the .po is the source, kept in git; the .mo is built from it.
TRANSLATIONS := qualitymark/translations
MESSAGES_MO := $(TRANSLATIONS)/cy/LC_MESSAGES/messages.mo
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench install migrate publish demo clean-instance messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip

# Reinstall whenever the dependencies change.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED) $(MESSAGES_MO)

$(MESSAGES_MO): $(TRANSLATIONS)/cy/LC_MESSAGES/messages.po | $(INSTALLED)
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# After changing interface text: collect every string into the template and merge it into the
# Welsh catalogue; then translate the new (empty or fuzzy) entries.
messages: $(INSTALLED)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --no-wrap -k lazy_gettext -k _l \
		--project "Care Quality Mark" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap

migrate: install
	$(BIN)/qualitymark db upgrade

publish: migrate
	$(BIN)/qualitymark rubrics publish

demo: publish
	$(BIN)/qualitymark demo

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ (jobs run in-process; mail is written to this log)"
	$(BIN)/qualitymark run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks on the local PostgreSQL and Redis
# (see bench/README.md), with gunicorn and wrk; figures go to bench/results/.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean-instance:
	rm -rf instance
