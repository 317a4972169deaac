# Hörclub — everything a fresh machine needs goes through these targets.
#   make run    install, then the bot (TELEGRAM_BOT_TOKEN set) or the offline demo
#   make test   install, then lint, type checks and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test lint typecheck pytest bench reliability clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Hörclub needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bundled]'
	@touch $(STAMP)

run: install
	$(BIN)/hoerclub run

demo: install
	$(BIN)/hoerclub demo

lint: install
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench

# Every test marked `reliability` (tests/faults, tests/fuzz, tests/security and the rest);
# the table of what they tried, passed and showed the user goes to docs/reliability.md.
reliability: install
	$(BIN)/python -m pytest -q -m "reliability and not network" tests --reliability-report=docs/reliability.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data artikel.mp3
