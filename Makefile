# The two commands of the README:  `make demo`  and  `make test`.
# Both create (or reuse) the virtualenv .venv by themselves.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-tf test-jax test-slow clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) -m zoo.quickstart

# Default test run: everything on the TensorFlow backend, then the layer
# suite again on JAX (layers use keras.ops only).
test: $(STAMP)
	$(PY) -m pytest -q
	KERAS_BACKEND=jax $(PY) -m pytest -q tests/layers

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

clean:
	rm -rf $(VENV) .pytest_cache
