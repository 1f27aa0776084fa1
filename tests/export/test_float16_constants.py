"""`export.flatbuffer.float16_constants`: the float part of a single-layout integer file
(the log-mel filter bank, a streaming spotter's float GRU cell) stores its weights as
float16 behind a DEQUANTIZE, as the converter's float16 mode and a stepped file's float
signatures do: checked against a NumPy reference with float16-rounded weights."""

import numpy as np
import pytest

import export
from export.flatbuffer import FLOAT16_MIN_ELEMENTS, float16_constants
from tests.export.test_float_segments import audio, speech_model

pytestmark = pytest.mark.tensorflow_only


def _dense_file(w, b, v):
    """A float32 TFLite file computing `tanh(x @ w + b) @ v` (weights as constants)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, w.shape[0]), tf.float32)])
    def fn(x):
        return {"y": tf.matmul(tf.tanh(tf.matmul(x, tf.constant(w)) + tf.constant(b)),
                               tf.constant(v))}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    return converter.convert()


def _run(data, x, xnnpack=True):
    """Outputs of the one-input file `data` for the rows of `x`, one invoke each; with
    `xnnpack=False` on the builtin kernels (no default delegate)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(model_content=data, experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    rows = []
    for row in x:
        interpreter.set_tensor(inp["index"], row[None])
        interpreter.invoke()
        rows.append(interpreter.get_tensor(out["index"]))
    return np.concatenate(rows)


def _constants(data):
    """{tensor type name: [element counts]} of the constant tensors of subgraph 0, and the
    operator names, read with TF's own flatbuffer reader."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    types = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    ops = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    sg = model.subgraphs[0]
    out = {}
    for t in sg.tensors:
        b = model.buffers[t.buffer] if t.buffer else None
        if b is not None and b.data is not None:
            out.setdefault(types[t.type], []).append(int(np.prod(t.shape)))
    names = [ops[max(model.operatorCodes[op.opcodeIndex].builtinCode,
                     model.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)]
             for op in sg.operators]
    return out, names


def test_large_weights_become_float16_and_compute_as_their_rounded_values():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(24, 40)).astype(np.float32)     # 960 values: float16
    v = rng.normal(size=(40, 8)).astype(np.float32)      # 320 values: float16
    b = rng.normal(size=(40,)).astype(np.float32)        # 40 values: stays float32
    x = rng.normal(size=(6, 24)).astype(np.float32)
    data = _dense_file(w, b, v)
    half, count = float16_constants(data)
    assert count == 2
    before, _ = _constants(data)
    after, ops = _constants(half)
    assert sorted(before["FLOAT32"]) == [40, 320, 960]
    assert after["FLOAT32"] == [40] and sorted(after["FLOAT16"]) == [320, 960]
    assert ops[:2] == ["DEQUANTIZE", "DEQUANTIZE"]
    # the matrices' 2 x 1,280 bytes saved, less two small tensors and ops (~300 bytes)
    assert len(data) - len(half) > 0.8 * 2 * (960 + 320)
    w16, v16 = (m.astype(np.float16).astype(np.float64) for m in (w, v))
    reference = np.tanh(x @ w16 + b) @ v16
    np.testing.assert_allclose(_run(half, x), reference, rtol=1e-4, atol=1e-4)
    # and the float32 file computes with the unrounded weights: a real difference
    assert not np.allclose(_run(data, x), reference, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_run(data, x), np.tanh(x @ w + b) @ v, rtol=1e-4, atol=1e-4)


def test_small_constants_and_files_without_float_weights_are_left_as_they_are():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 8)).astype(np.float32)
    v = rng.normal(size=(8, 2)).astype(np.float32)
    data = _dense_file(w, rng.normal(size=(8,)).astype(np.float32), v)
    assert float16_constants(data) == (data, 0)
    assert 4 * 8 < FLOAT16_MIN_ELEMENTS
    _, count = float16_constants(data, min_elements=1)
    assert count == 3


def test_single_int8_file_keeps_its_front_end_weights_in_float16(tmp_path):
    """The log-mel filter bank of a single-layout int8 file: float16 storage, float compute;
    the file's outputs stay close to Keras."""
    import keras

    keras.utils.set_random_seed(0)
    model = speech_model()
    path = tmp_path / "m.int8.tflite"
    report = export.to_tflite(model, path, quantize="int8", representative_data=audio(48),
                              validation_data=audio(24, seed=1), layout="single")
    consts, ops = _constants(path.read_bytes())
    assert all(n < FLOAT16_MIN_ELEMENTS for n in consts.get("FLOAT32", []))
    assert max(consts["FLOAT16"]) >= FLOAT16_MIN_ELEMENTS  # the filter bank
    assert "DEQUANTIZE" in ops
    assert report.validation["relative_mean_error"] < 0.05, report.validation
