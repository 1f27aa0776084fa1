# The two commands of the README:  `make demo`  and  `make test`.
# Both create (or reuse) the virtualenv .venv by themselves.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

TFLITE_VENV := .venv-tflite-runtime
TFLITE_STAMP := $(TFLITE_VENV)/.installed

.PHONY: venv venv-tflite-runtime demo test test-slow clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

# tflite-runtime 2.14 (2023, the last release) needs numpy<2: its own venv.
$(TFLITE_STAMP):
	test -x $(TFLITE_VENV)/bin/python || $(PYTHON) -m venv $(TFLITE_VENV)
	$(TFLITE_VENV)/bin/python -m pip install -q "numpy<2" "tflite-runtime==2.14.*"
	touch $(TFLITE_STAMP)

venv-tflite-runtime: $(TFLITE_STAMP)

# The main job: attention on a toy seq2seq (weights printed); the shipped
# keyword spotter loaded by name, exported to int8 TFLite, run on bundled WAVs;
# then streaming keyword detection on a bundled recording.
demo: $(STAMP)
	$(PY) -m zoo.quickstart
	$(PY) -m zoo.kws_demo
	$(PY) -m zoo.demo --wav zoo/demo_audio/sentence.wav

# Browser demo (LiteRT.js): copy the model, install the pinned npm package,
# serve on http://127.0.0.1:8000/ (open it, allow the microphone).
.PHONY: web-demo
web-demo: $(STAMP)
	$(PY) -m web_demo.prepare
	cd web_demo && npm ci --no-audit --no-fund
	$(PY) -m web_demo.serve --port $${PORT:-8000}

# Default test run: everything on the TensorFlow backend, then the layer
# suite again on JAX (layers use keras.ops only).
test: $(STAMP) $(TFLITE_STAMP)
	$(PY) -m pytest -q
	KERAS_BACKEND=jax $(PY) -m pytest -q tests/layers

# Benchmarks (not tests): JSON + Markdown into benchmarks/results, README regenerated.
# KWS_DATA=DIR (a built speech-commands set) adds the keyword-in-a-window benchmark.
.PHONY: bench bench-quick
BENCH_KWS = $(if $(KWS_DATA),--kws-data $(KWS_DATA))
bench: $(STAMP) $(TFLITE_STAMP)
	$(PY) -m benchmarks $(BENCH_KWS)

bench-quick: $(STAMP) $(TFLITE_STAMP)
	$(PY) -m benchmarks --quick $(BENCH_KWS)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

clean:
	rm -rf $(VENV) $(TFLITE_VENV) .pytest_cache
