# The newcomer contract: `make demo` and `make test` work from nothing with Python 3.11 + pip.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --no-input

.PHONY: demo test lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The runtime install: the package, its two core dependencies, and the `score` extra
# (pyarrow for CSV/Parquet, matplotlib for the report's figures, rich for the tables).
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[score]"
	@touch $@

# The test install adds the reference libraries (torch pinned to 2.13.0, CPU wheel).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed-core

demo: $(VENV)/.installed-core
	@echo "== The guided tour: surprise, entropy, cross-entropy, the Iris network, a trained model"
	$(BIN)/crossentropy tour --out demo-output/tour --force
	@echo "== Cat/dog/horse: the prediction (0.4, 0.4, 0.2) against the target 'dog' (0, 1, 0)"
	$(BIN)/crossentropy compute --p 0,1,0 --q 0.4,0.4,0.2
	@echo "== The prediction (0.1, 0.2, 0.7) against the target 'horse' (0, 0, 1)"
	$(BIN)/crossentropy compute --p 0,0,1 --q 0.1,0.2,0.7
	@echo "== The same first example in bits, both directions shown"
	$(BIN)/crossentropy compute --p 0.4,0.4,0.2 --q 0,1,0 --base 2
	@echo "== Iris rows: -ln 0.57, -ln 0.58, -ln 0.52 and their sum"
	$(BIN)/crossentropy examples iris
	@echo "== A uniform distribution has more entropy than a skewed one"
	$(BIN)/crossentropy compute --p 0.25,0.25,0.25,0.25 --q 0.7,0.1,0.1,0.1 --base bits
	@echo "== Judge a model: score the bundled Iris predictions (out-of-fold, logistic regression)"
	@mkdir -p demo-output
	$(BIN)/crossentropy score --example iris --report demo-output/iris-report.html --plots demo-output --force
	@echo "== 85% accurate yet worse than guessing: over-confident naive Bayes on digits"
	$(BIN)/crossentropy score --example digits --worst 3

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis build dist demo-output
