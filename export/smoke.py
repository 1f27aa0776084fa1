"""Run a fresh `.tflite` file once in a child process before anyone relies on it.

Some quantized kernels abort the whole process instead of raising (seen with
int16x8 LSTM steps on TF 2.21 / LiteRT 2.3: SIGABRT inside `invoke`). The
export runs the file in a subprocess first, so such a file becomes an
`ExportError` that names the crashing signature, not a dead Python.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

import numpy as np

from export.errors import ExportError

_CHILD = r"""
import sys
import numpy as np
from export import runtime, plan as stepped
rt = runtime.load(sys.argv[1])
data = np.load(sys.argv[2])
inputs = [data[f"arg{i}"] for i in range(len(data.files))]
def call(signature, feed):
    print("signature", signature, flush=True)
    return rt._call_signature(signature, feed)
outputs = stepped.run_plan(rt.plan, call, inputs)
bad = [i for i, o in enumerate(outputs) if not np.all(np.isfinite(o))]
print("nonfinite" if bad else "ok", flush=True)
"""


def check_file_runs(path, example_inputs, timeout=120):
    """Run the plan of `path` on one example (list of `(1, ...)` arrays)."""
    with tempfile.TemporaryDirectory(prefix="zoo-smoke-") as tmp:
        npz = os.path.join(tmp, "x.npz")
        np.savez(npz, **{f"arg{i}": np.asarray(a, np.float32) for i, a in enumerate(example_inputs)})
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), npz], env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ExportError(f"the exported file did not finish one inference in {timeout} s") from None
    lines = proc.stdout.splitlines()
    last = next((ln.split(" ", 1)[1] for ln in reversed(lines) if ln.startswith("signature ")), "?")
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise ExportError(
            f"the exported file crashes the TFLite runtime ({name}) in signature {last!r}; "
            "this quantization mode is not usable for this model; try quantize='int8' or "
            "'dynamic'")
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise ExportError(f"the exported file fails to run in signature {last!r}: {tail}")
    if lines and lines[-1] == "nonfinite":
        raise ExportError("the exported file produces NaN/Inf outputs on the calibration data")
