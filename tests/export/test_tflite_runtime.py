"""Our files on tflite-runtime 2.14 (numpy<2), in its own virtualenv.

`make test` creates `.venv-tflite-runtime`; the edge side (`export.runtime`,
`export.plan`, `export.flatbuffer`) must import there without TF or Keras.
"""

import subprocess
from pathlib import Path

import numpy as np
import pytest

import export
from tests.export.conftest import recurrent_model

pytestmark = pytest.mark.tensorflow_only

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-tflite-runtime" / "bin" / "python"

CHILD = """
import sys, numpy as np
from export import runtime
rt = runtime.load(sys.argv[1], backend="tflite_runtime")
np.save(sys.argv[3], rt(np.load(sys.argv[2])))
import tensorflow  # must not be importable here
"""


@pytest.mark.skipif(not PYTHON.exists(), reason="run `make venv-tflite-runtime` (make test does)")
@pytest.mark.parametrize("mode", ["float32", "int8"])
def test_same_outputs_on_tflite_runtime(mode, tmp_path, calib):
    model = recurrent_model(kind="lstm", bidirectional=True)
    data = calib(model, n=16)
    path = tmp_path / "m.tflite"
    export.to_tflite(model, path, quantize=mode, representative_data=data, validate=False)
    np.save(tmp_path / "x.npy", data[:4])
    proc = subprocess.run([str(PYTHON), "-c", CHILD, str(path), str(tmp_path / "x.npy"),
                           str(tmp_path / "y.npy")], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "No module named 'tensorflow'" in proc.stderr, proc.stderr[-2000:]
    got = np.load(tmp_path / "y.npy")
    expected = export.runtime.load(path)(data[:4])  # ai-edge-litert
    np.testing.assert_allclose(got, expected, atol=1e-6 if mode == "float32" else 1e-2)
    if mode == "float32":
        np.testing.assert_allclose(got, model.predict(data[:4], verbose=0), atol=1e-5)
