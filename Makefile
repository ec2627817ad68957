# Two commands for a new machine: `make demo` and `make test`. Each bootstraps what it needs.
VENV := .venv
BIN := $(VENV)/bin
export QT_QPA_PLATFORM ?= offscreen

.PHONY: bootstrap demo test lint unit integration gui bench clean

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	$(BIN)/python scripts/demo.py

lint: bootstrap
	$(BIN)/ruff check app drivers server tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -p no:cacheprovider

unit: bootstrap
	$(BIN)/python -m pytest tests/unit

integration: bootstrap
	$(BIN)/python -m pytest tests/integration

gui: bootstrap
	$(BIN)/python -m pytest tests/gui

bench: bootstrap
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
