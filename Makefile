# The README's two commands: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-spark bench bench-gates clean

# Two distributions from one checkout (docs/install.md): the taps (packaging/taps/) and orderlayer, both editable;
# a new taps/<x>/source.toml reinstalls (its tap-<x> console script comes from it).
$(STAMP): pyproject.toml packaging/taps/pyproject.toml $(wildcard taps/*/source.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./packaging/taps -e ".[test]"
	@# once more alone: in a venv from before the split, replacing the old orderlayer removed its tap-<x> scripts
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall -e ./packaging/taps
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/orderlayer demo

# The whole suite in one pass; the rule tests run in a non-UTC machine zone (rule T5, tests/dbt_rules/conftest.py).
# Two pytest-xdist workers: a test file stays on one worker and the files that read the shared demo form one group
# (tests/conftest.py).
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=25

# The engine-equality builds (a DuckDB and a Spark build of the models each, minutes apiece) run in `make test-spark`:
# with them `make test` took over an hour on 2 cores (issue 16 closing note).
test: $(STAMP)
	$(PYTEST) -m "not spark_build"

test-spark: $(STAMP)
	$(PYTEST) -m spark_build

bench: $(STAMP)
	$(BIN)/python bench/pipeline_bench.py --orders $(or $(ORDERS),1000000)

# The gate catalogue alone on a synthetic warehouse (add FRESHNESS=--freshness to time dbt source freshness too).
bench-gates: $(STAMP)
	$(BIN)/python bench/gates_bench.py --orders $(or $(ORDERS),1000000) $(FRESHNESS)

clean:
	rm -rf target logs warehouse bench/out
