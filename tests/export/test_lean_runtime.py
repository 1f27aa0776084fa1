"""`export.runtime` binds each signature's tensors once and runs `run_plan`'s step loop
without per-step dicts, resizes or allocations. Its outputs must be bit-identical to a
straightforward reference: the interpreter's own `SignatureRunner` per call (which
resizes and allocates every time) under `run_plan` without a bound step, on shipped
files, on ai-edge-litert and on tflite-runtime 2.14 (its own virtualenv)."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from export import runtime

ROOT = Path(__file__).resolve().parents[2]
PRETRAINED = ROOT / "zoo" / "pretrained"
TFLITE_RUNTIME_PYTHON = ROOT / ".venv-tflite-runtime" / "bin" / "python"

# The reference, as plain as it gets; the same source runs in the tflite-runtime child.
REFERENCE = '''
import numpy as np
from export import plan as _plan

def reference_call(interpreter):
    """`call(signature, feed)` for `run_plan` through `SignatureRunner`s (float interfaces
    only: the shipped files quantize inside, so no quantize step is needed here)."""
    runners = {}

    def call(key, feed):
        runner = runners.get(key) or runners.setdefault(key, interpreter.get_signature_runner(key))
        details = runner.get_input_details()
        fed = {}
        for name, value in feed.items():
            d = details[name]
            assert not d["quantization"][0], "reference handles float interfaces only"
            value = np.asarray(value, np.float32)
            if np.issubdtype(d["dtype"], np.integer):
                value = np.round(value)
            fed[name] = value.astype(d["dtype"]).reshape(d["shape"])
        out = runner(**fed)
        for name, d in runner.get_output_details().items():
            assert not d["quantization"][0], "reference handles float interfaces only"
        return out

    return call

def reference_run(interpreter_class, path, plan, inputs):
    """Outputs of one example (a list of `(1, ...)` arrays), each signature a runner call."""
    interpreter = interpreter_class(model_path=str(path), num_threads=1)
    return _plan.run_plan(plan, reference_call(interpreter), inputs)
'''
namespace = {}
exec(REFERENCE, namespace)
reference_call, reference_run = namespace["reference_call"], namespace["reference_run"]


def shipped(name, mode):
    path = PRETRAINED / name / f"{name}.{mode}.tflite"
    if not path.is_file():
        pytest.skip(f"{path} is not shipped")
    return path


def lean(path):
    rt = runtime.load(path, threads=1)
    assert rt._bound is not None
    rt._runners = {}  # the per-call SignatureRunner path is not used: it would fail now
    return rt


def audio_inputs(n=3):
    rng = np.random.default_rng(0)
    clips = [0.1 * rng.normal(size=(1, 16000)), np.zeros((1, 16000)),
             np.sin(np.linspace(0, 2000, 16000))[None] * 0.5]
    return [c.astype("float32") for c in clips[:n]]


def token_inputs(length, lengths):
    """One `(1, length)` id row per entry of `lengths` (ids, then padding zeros): the
    masked recurrent steps differ from row to row."""
    rng = np.random.default_rng(1)
    rows = []
    for n in lengths:
        row = np.zeros((1, length), np.float32)
        row[0, :n] = rng.integers(3, 40, n)
        rows.append(row)
    return rows


def assert_same(lean_outputs, reference_outputs):
    assert len(lean_outputs) == len(reference_outputs)
    for a, b in zip(lean_outputs, reference_outputs):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b), f"max |diff| {np.max(np.abs(a - b))}"


@pytest.mark.parametrize("mode", ["float32", "int8"])
def test_kws_bit_identical_to_signature_runner(mode):
    from ai_edge_litert.interpreter import Interpreter

    path = shipped("kws-att-bilstm", mode)
    rt = lean(path)
    for x in audio_inputs():
        got = rt(x)
        want = reference_run(Interpreter, path, rt.plan, [x])[0]
        assert_same([got], [want])
    # the benchmark's comparison path (the old runtime) gives the same too
    old = runtime.load(path, threads=1)
    old._legacy = True
    assert_same([old(x)], [rt(x)])


@pytest.mark.parametrize("name, mode", [("text-att-bigru", "int8"), ("text-att-bigru", "float32"),
                                        ("mt-en-de-bahdanau", "int8")])
def test_variable_length_text_bit_identical(name, mode):
    """Masked text models: a different number of real tokens per sentence changes which
    steps run (and, for translators, what the encoder plan returns)."""
    from ai_edge_litert.interpreter import Interpreter

    path = shipped(name, mode)
    rt = lean(path)
    length = rt.input_shapes[0][1]
    for x in token_inputs(length, [1, 5, length // 2, length]):
        got = rt(x)
        got = got if isinstance(got, list) else [got]
        assert_same(got, reference_run(Interpreter, path, rt.plan, [x]))


def test_translator_step_signature_bit_identical():
    """`call_signature` (the translators' greedy/beam decoding step) through the bound
    tensors equals a `SignatureRunner` call, several steps in a row."""
    from ai_edge_litert.interpreter import Interpreter

    path = shipped("mt-en-de-bahdanau", "int8")
    rt = lean(path)
    reference = reference_call(Interpreter(model_path=str(path), num_threads=1))
    ins, _ = rt.signature_details("decode_step")
    rng = np.random.default_rng(2)
    feed = {n: rng.normal(size=tuple(d["shape"])).astype("float32") for n, d in ins.items()}
    for token in (1, 7, 30):
        feed["token"] = np.array([[token]], np.float32)
        got = rt.call_signature("decode_step", feed)
        want = reference("decode_step", feed)
        assert sorted(got) == sorted(want)
        assert_same([got[k] for k in sorted(got)], [want[k] for k in sorted(want)])
        feed["state"], feed["attention_vector"] = got["state"], got["attention_vector"]


CHILD = REFERENCE + '''
import sys
from tflite_runtime.interpreter import Interpreter
from export import runtime
path, inputs = sys.argv[1], np.load(sys.argv[2])
rt = runtime.load(path, threads=1, backend="tflite_runtime")
assert rt._bound is not None
rt._runners = {}
for key in sorted(inputs.files):
    x = inputs[key]
    got = rt(x)
    got = got if isinstance(got, list) else [got]
    want = reference_run(Interpreter, path, rt.plan, [x])
    same = all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(got, want))
    print(key, "same" if same else "DIFFERENT", flush=True)
import tensorflow  # must not be importable here
'''


@pytest.mark.skipif(not TFLITE_RUNTIME_PYTHON.exists(),
                    reason="run `make venv-tflite-runtime` (make test does)")
@pytest.mark.parametrize("name, mode", [("kws-att-bilstm", "float32"), ("kws-att-bilstm", "int8"),
                                        ("text-att-bigru", "int8")])
def test_bit_identical_on_tflite_runtime(name, mode, tmp_path):
    path = shipped(name, mode)
    if name.startswith("kws"):
        xs = audio_inputs()
    else:
        xs = token_inputs(runtime.load(path).input_shapes[0][1], [2, 9])
    np.savez(tmp_path / "x.npz", **{f"x{i}": x for i, x in enumerate(xs)})
    proc = subprocess.run([str(TFLITE_RUNTIME_PYTHON), "-c", CHILD, str(path),
                           str(tmp_path / "x.npz")], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert "No module named 'tensorflow'" in proc.stderr, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("x")]
    assert lines == [f"x{i} same" for i in range(len(xs))], proc.stdout


@pytest.mark.tensorflow_only
def test_changed_input_length_resizes(tmp_path):
    """A signature with a dynamic length (`-1` in its shape signature, any converter's
    file) takes inputs of another length: the bound input is resized and the tensors
    re-allocated then, and only then; a length that does not fit is a clear error."""
    import tensorflow as tf

    weights = np.arange(4, dtype=np.float32) + 1.0
    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([1, None, 4], tf.float32, name="x")])
    def serve(x):
        return {"y": tf.reduce_sum(x * weights, axis=-1), "total": tf.reduce_sum(x, axis=[1, 2])}

    module.serve = serve
    tf.saved_model.save(module, str(tmp_path / "saved"), signatures={"serve": serve})
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "saved"))
    path = tmp_path / "dynamic.tflite"
    path.write_bytes(converter.convert())
    rt = runtime.load(path, threads=1)
    key = rt.signatures[0]
    bound = rt._bound[key]
    allocations = []
    allocate = bound._allocate
    bound._allocate = lambda: (allocations.append(1), allocate())[1]
    rng = np.random.default_rng(3)
    for length in (5, 9, 9, 2, 5):
        x = rng.normal(size=(1, length, 4)).astype("float32")
        got = rt.call_signature(key, {"x": x})
        np.testing.assert_allclose(got["y"], (x * weights).sum(-1), atol=1e-5)
        np.testing.assert_allclose(got["total"], x.sum(axis=(1, 2)), atol=1e-5)
        assert got["y"].shape == (1, length)
    assert len(allocations) == 4  # the first call, then 9, 2 and 5: not the repeated 9
    with pytest.raises(ValueError, match=r"input 'x' must have shape \(1, None, 4\); got \(1, 3, 5\)"):
        rt.call_signature(key, {"x": np.zeros((1, 3, 5), np.float32)})
