"""`export.flatbuffer.hybrid_fully_connected`: the FULLY_CONNECTED ops of a marked name scope
get int8 weights (one scale per tensor) and quantize their float input at each call
(what an int8 single file's recurrent steps and head run, `export.single`): checked against
a NumPy reference with the weights rounded the same way, within the input's own rounding."""

import numpy as np
import pytest

from export.flatbuffer import float16_constants, hybrid_fully_connected
from tests.export.test_float16_constants import _run

pytestmark = pytest.mark.tensorflow_only

MARK = "zoo_float_hybrid"


def _file(w, b, v):
    """Float32 TFLite bytes of `tanh(x @ w + b) @ v`, the first matmul under `MARK`."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1, w.shape[0]), tf.float32)])
    def fn(x):
        with tf.name_scope(MARK):
            y = tf.matmul(x, tf.constant(w)) + tf.constant(b)
        return {"y": tf.matmul(tf.tanh(y), tf.constant(v))}

    return tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()],
                                                           fn).convert()


def _fully_connected(data):
    """[(opcode version, asymmetric inputs, weights type, weight scales, bias type)]."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    sg, out = model.subgraphs[0], []
    for op in sg.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) != \
                schema.BuiltinOperator.FULLY_CONNECTED:
            continue
        w = sg.tensors[op.inputs[1]]
        bias = sg.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        scales = None if w.quantization is None or w.quantization.scale is None \
            else np.asarray(w.quantization.scale)
        out.append((code.version, bool(op.builtinOptions.asymmetricQuantizeInputs), w.type,
                    scales, None if bias is None else bias.type))
    return out


def test_marked_weights_become_int8_per_channel_and_the_input_is_quantized_per_call():
    from tensorflow.lite.python import schema_py_generated as schema

    rng = np.random.default_rng(0)
    w = rng.normal(size=(24, 300)).astype(np.float32)
    b = rng.normal(size=(300,)).astype(np.float32)  # >= 256 values: float16 unless hybrid
    v = rng.normal(size=(300, 8)).astype(np.float32)
    x = (rng.normal(size=(6, 24)) * rng.uniform(0.5, 4, size=(6, 1))).astype(np.float32)
    data = _file(w, b, v)
    hybrid, count = hybrid_fully_connected(data, MARK)
    assert count == 1
    half, _ = float16_constants(hybrid)  # what the exporter runs next
    marked, other = _fully_connected(half)
    version, asymmetric, wtype, scales, btype = marked
    scale = np.abs(w).max() / 127  # one for the tensor
    assert (version, asymmetric, wtype, btype) == (9, True, schema.TensorType.INT8,
                                                   schema.TensorType.FLOAT32)
    np.testing.assert_allclose(scales, [scale], rtol=1e-6)
    assert other[:3] == (1, False, schema.TensorType.FLOAT32)  # unmarked: float (float16 store)
    # the 24 x 300 weights in 1 byte instead of 4
    assert len(data) - len(hybrid) > 0.95 * 3 * w.size
    w_q = np.round(w / scale) * scale
    v16 = v.astype(np.float16).astype(np.float64)
    for xnnpack in (True, False):  # XNNPack's kernel and the builtin one
        got = _run(half, x, xnnpack)
        # the input rounds to 8 bits over its own range [min(x, 0), max(x, 0)] at each call
        step = (np.maximum(x.max(1), 0) - np.minimum(x.min(1), 0)) / 255
        y_bound = (step[:, None] / 2) * np.abs(w_q).sum(0) + 1e-4   # on x @ w_q + b
        ref = np.tanh(x @ w_q + b)
        # tanh is 1-Lipschitz; then @ v16
        bound = y_bound @ np.abs(v16) + 1e-3
        assert np.all(np.abs(got - ref @ v16) <= bound), (xnnpack, np.abs(got - ref @ v16).max())
        # a real difference from the float file (weights and input rounded)
        assert not np.allclose(got, _run(data, x, xnnpack), rtol=1e-5, atol=1e-5)


def test_files_without_marked_fully_connected_ops_are_left_as_they_are():
    rng = np.random.default_rng(1)
    data = _file(*(rng.normal(size=s).astype(np.float32) for s in ((4, 8), (8,), (8, 2))))
    assert hybrid_fully_connected(data, "no_such_scope") == (data, 0)
