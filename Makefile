# Two commands: `make demo` (install + run the offline demo suite) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,ecosystems]'

demo: install
	$(BIN)/qaeval run evals/demo.yaml

test: install
	DEEPEVAL_TELEMETRY_OPT_OUT=YES DEEPEVAL_FILE_SYSTEM=READ_ONLY $(BIN)/python -m pytest -n 2 -p no:cacheprovider
