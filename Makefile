# make demo / make test: each sets up .venv (pinned by requirements/constraints-<python>.txt) itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CONSTRAINTS := $(wildcard requirements/constraints-$(PYVER).txt)
STAMP := $(VENV)/.installed

.PHONY: setup test demo lint bench soak emulator constraints clean e2e live screenshots

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -e ".[dev]"
	touch $@

setup: $(STAMP)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: setup
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/run.py

# The soak (issue 10): every service's waits under a seeded fault mix, credentials rotated mid-wait.
soak: setup
	$(BIN)/python -m soak.run $(SOAK_ARGS)

# A real deployment (issue 13): emulator + scheduler, dag-processor, triggerers, api-server; logs in .e2e/.
e2e: setup
	$(BIN)/python -m e2e $(E2E_ARGS)

# The same stack left running for a person: UI on 127.0.0.1:8080 (admin / admin), Ctrl-C stops it.
live: setup
	$(BIN)/python -m e2e.live $(LIVE_ARGS)

# The README's pictures (docs/images/): headless system Chromium (apt-get install chromium) against the live stack.
PLAYWRIGHT ?= playwright>=1.49,<2
screenshots: setup
	$(BIN)/uv pip install --python $(BIN)/python --quiet "$(PLAYWRIGHT)"
	$(BIN)/python -m e2e.screenshots $(SCREENSHOTS_ARGS)

emulator: setup
	$(BIN)/python -m airflow_workflow_runs.emulator --scenario demo

constraints: setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version $(PYVER) --no-header --quiet \
		-o requirements/constraints-$(PYVER).txt

clean:
	rm -rf $(VENV) .demo .live .pytest_cache .ruff_cache .mypy_cache
