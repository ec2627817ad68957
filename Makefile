# Two commands for a new machine: `make demo` and `make test`. Each bootstraps what it needs.
VENV := .venv
BIN := $(VENV)/bin
export QT_QPA_PLATFORM ?= offscreen

.PHONY: bootstrap demo test lint unit integration gui gui-soak bench clean

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

# the GUI suite N times (default 20), each in a fresh process: counts native crashes
N ?= 20
gui-soak: bootstrap
	$(BIN)/python scripts/gui-soak -n $(N)

bench: bootstrap
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
