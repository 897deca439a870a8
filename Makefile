# Fresh clone to running platform: `make demo` (synthetic data, Airflow, a nightly run, model training, a second
# nightly run that scores the review list with the promoted models, identifier scan) or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
CLI := $(VENV)/bin/youth-safety
TODAY := $(shell TZ=Europe/London date +%F)
YESTERDAY := $(shell TZ=Europe/London date -d yesterday +%F)

.PHONY: demo test bench

# Bootstrap once: a virtualenv with the pinned uv, then the locked dependencies.
$(VENV)/.synced: uv.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(VENV)/bin/pip install uv==0.13.9
	UV_PYTHON_DOWNLOADS=never $(VENV)/bin/uv sync --frozen
	touch $@

demo: $(VENV)/.synced
	$(CLI) dev-key
	$(CLI) generate --scale 1.0 --seed 42 --start 2016-04-01 --end $(TODAY)
	$(CLI) airflow-init
	$(CLI) run --date $(YESTERDAY)
	$(CLI) train
	$(CLI) run --date $(TODAY)
	$(CLI) scan-identifiers

# Two workers (pytest-xdist); tests/conftest.py groups modules that share a costly fixture and starts the longest.
test: $(VENV)/.synced
	$(VENV)/bin/pytest -n 2 --dist loadgroup --no-loadscope-reorder

# Scale 1 and 10: a full and an incremental night through the real DAG, timed per stage (see README, Benchmark).
bench: $(VENV)/.synced
	$(CLI) bench --scales 1,10
