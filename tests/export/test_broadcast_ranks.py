"""`export.flatbuffer.align_broadcast_ranks`: LiteRT.js WebGPU computes an int8
ADD/SUB/MUL wrong when its computed operand has a lower rank than the other (the
converter writes a `[n]` projection into every Keras LSTM step at batch 1, and a
`[1, d]` query against `[1, t, d]` keys in attention pooling), so every export gives
that operand the full rank: the same arithmetic, bit for bit on the CPU (the WebGPU
side: tests/web/test_gpu_check.py)."""

import keras
import numpy as np
import pytest

import export
from export import convert
from export.flatbuffer import align_broadcast_ranks, read_operators
from export.runtime import Runtime
from zoo.layers import AttentionPooling

from .conftest import recurrent_model

pytestmark = pytest.mark.tensorflow_only


def low_rank_operands(data):
    """`[(signature, op, producer of the lower-rank operand)]` over ADD/SUB/MUL whose
    operands differ in rank and whose lower-rank one is computed (no constant, no
    DEQUANTIZE of one), read with TF's own flatbuffer reader."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

    def name(op):
        c = model.operatorCodes[op.opcodeIndex]
        return names[max(c.builtinCode, c.deprecatedBuiltinCode)]

    found = []
    for sig in model.signatureDefs:
        sg = model.subgraphs[sig.subgraphIndex]
        made_by = {o: op for op in sg.operators for o in op.outputs}

        def constant(i):
            t = sg.tensors[i]
            if t.buffer and model.buffers[t.buffer].data is not None:
                return True
            op = made_by.get(i)
            return op is not None and name(op) == "DEQUANTIZE" and constant(op.inputs[0])

        for op in sg.operators:
            if name(op) in ("ADD", "SUB", "MUL") and len(op.inputs) == 2:
                a, b = (len(sg.tensors[i].shape) for i in op.inputs)
                low = op.inputs[0] if a < b else op.inputs[1]
                if a != b and not constant(low):
                    found.append((sig.signatureKey.decode(), name(op), name(made_by[low])))
    return found


def _both(tmp_path, monkeypatch, model, mode, data, layout):
    """The file as every export writes it, and as the converter alone writes it."""
    aligned = tmp_path / "aligned.tflite"
    export.to_tflite(model, aligned, mode, representative_data=data, layout=layout,
                     validate=False)
    monkeypatch.setattr(convert, "align_broadcast_ranks", lambda b: (b, 0))  # as converted
    plain = tmp_path / "plain.tflite"
    export.to_tflite(model, plain, mode, representative_data=data, layout=layout,
                     validate=False)
    return plain.read_bytes(), aligned.read_bytes()


def _same_outputs(before, after, x):
    np.testing.assert_array_equal(Runtime(after)(x), Runtime(before)(x))
    again, count = align_broadcast_ranks(after)
    assert count == 0 and again is after  # idempotent; nothing to do costs no rewrite
    np.testing.assert_array_equal(Runtime(align_broadcast_ranks(before)[0])(x), Runtime(after)(x))


@pytest.mark.parametrize("mode", ["int8", "float32"])
def test_lstm_steps_get_their_projection_at_full_rank(tmp_path, calib, monkeypatch, mode):
    """The rank-1 RESHAPE of a step's projection is given the shape [1, n] in place."""
    model = recurrent_model("lstm", steps=8, features=3, units=8, bidirectional=True)
    before, after = _both(tmp_path, monkeypatch, model, mode, calib(model, n=32), "stepped")
    assert sorted(low_rank_operands(before)) == [("rnn1_bw", "ADD", "RESHAPE"),
                                                 ("rnn1_fw", "ADD", "RESHAPE")]
    assert low_rank_operands(after) == []
    assert read_operators(after) == read_operators(before)  # same ops, one shape changed
    _same_outputs(before, after, np.random.default_rng(1).normal(size=(5, 8, 3)).astype("f4"))


def test_attention_pooling_query_gets_a_reshape_in_front(tmp_path, monkeypatch):
    """The pooling query `[1, d]` (a FULLY_CONNECTED output, read by other ops too) against
    the keys `[1, t, d]`: a RESHAPE to `[1, 1, d]` goes in front of the MUL."""
    x = keras.Input((8, 6))
    h = keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True))(x)
    model = keras.Model(x, keras.layers.Dense(4, activation="softmax")(
        AttentionPooling(query="middle")(h)))
    data = np.random.default_rng(0).normal(size=(32, 8, 6)).astype("f4")
    before, after = _both(tmp_path, monkeypatch, model, "int8", data, "single")
    assert low_rank_operands(before) == [("serving_default", "MUL", "FULLY_CONNECTED")]
    assert low_rank_operands(after) == []
    ops_before, ops_after = read_operators(before), read_operators(after)
    assert ops_after["serving_default"].count("RESHAPE") == \
        ops_before["serving_default"].count("RESHAPE") + 1
    _same_outputs(before, after, np.random.default_rng(1).normal(size=(5, 8, 6)).astype("f4"))
    # a file with standard metadata and labels.txt (a zip after the flatbuffer) keeps both
    from export import metadata
    from export.flatbuffer import read_metadata

    labels = b"a\nb\nc\nd\n"
    built = metadata.build("toy", "attention pooling", "1", "us", "Apache-2.0",
                           [metadata.TensorInfo("features")],
                           [metadata.TensorInfo("probabilities", labels_file="labels.txt")])
    stamped = metadata.attach(before, built, {"labels.txt": labels})
    assert metadata.read_associated(align_broadcast_ranks(stamped)[0]) == {}  # TF drops it
    aligned = metadata.keep_associated(stamped, lambda d: align_broadcast_ranks(d)[0])
    assert low_rank_operands(aligned) == []
    assert metadata.read_associated(aligned) == {"labels.txt": labels}
    assert read_metadata(aligned) == read_metadata(stamped)
    assert metadata.keep_associated(aligned, lambda d: align_broadcast_ranks(d)[0]) is aligned


def test_a_file_without_low_rank_computed_operands_comes_back_as_it_is(tmp_path, calib):
    model = recurrent_model("gru", steps=6, features=3, units=4)
    path = tmp_path / "gru.tflite"
    export.to_tflite(model, path, "int8", representative_data=calib(model, n=16),
                     layout="stepped", validate=False)
    data = path.read_bytes()
    assert low_rank_operands(data) == []
    assert align_broadcast_ranks(data) == (data, 0)
