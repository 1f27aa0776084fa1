"""`layout="single"`: one signature, one invoke, the recurrence unrolled in the fused
form (`export.single`), checked against Keras and against NumPy references."""

import collections

import keras
import numpy as np
import pytest

import export
from export import single, stepped
from export.errors import ExportError
from tests.export.conftest import recurrent_model
from tests.export.test_float_segments import audio, speech_model

pytestmark = pytest.mark.tensorflow_only


def _stock(path):
    """The file through a stock interpreter's default signature, nothing of ours."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    assert list(interpreter.get_signature_list()) == ["serving_default"]
    return interpreter.get_signature_runner()


def _run_stock(path, x):
    runner = _stock(path)
    (name,) = runner.get_input_details()
    outs = [runner(**{name: x[i:i + 1]}) for i in range(len(x))]
    (out,) = outs[0]
    return np.concatenate([o[out] for o in outs])


CASES = {
    "lstm": dict(kind="lstm"),
    "gru-seq": dict(kind="gru", return_sequences=True),
    "bilstm-seq": dict(kind="lstm", bidirectional=True, return_sequences=True),
    "bigru-last": dict(kind="gru", bidirectional=True),
    "bigru-sum": dict(kind="gru", bidirectional=True, return_sequences=True, merge_mode="sum"),
    "lstm-backwards-seq": dict(kind="lstm", go_backwards=True, return_sequences=True),
    "simple-rnn (generic unroll)": dict(kind="simple", bidirectional=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_file_equals_keras_with_one_invoke(case, tmp_path, calib):
    keras.utils.set_random_seed(1)
    model = recurrent_model(**CASES[case])
    x = calib(model, n=8)
    path = tmp_path / "m.tflite"
    report = export.to_tflite(model, path, layout="single", validate=False)
    assert list(report.ops_by_signature) == ["serving_default"]
    assert "WHILE" not in report.ops_by_signature["serving_default"]
    np.testing.assert_allclose(_run_stock(path, x), model.predict(x, verbose=0), atol=1e-5)
    # export.runtime runs it too, by the model's own input name
    np.testing.assert_allclose(export.runtime.load(path)(x), model.predict(x, verbose=0),
                               atol=1e-5)


def test_fused_recurrence_equals_keras_states_and_sequences(calib):
    """Bidirectional LSTM with return_state: sequence and all four final states."""
    import tensorflow as tf

    keras.utils.set_random_seed(2)
    x_in = keras.Input((9, 5))
    seq, *states = keras.layers.Bidirectional(
        keras.layers.LSTM(6, return_sequences=True, return_state=True))(x_in)
    model = keras.Model(x_in, [seq, *states])
    plan, stages = stepped.build_plan(model)
    fn = single.single_function(model, plan, stages, batch_size=3)
    x = calib(model, n=3)
    got = list(fn(tf.constant(x)).values())
    want = model.predict(x, verbose=0)
    names = single.io_names(model, plan)[1]
    assert len(got) == len(want) == 5 and len(names) == 5
    for g, w in zip([fn(tf.constant(x))[n] for n in names], want):
        np.testing.assert_allclose(g.numpy(), w, atol=1e-5)


def _numpy_gru(x, kernel, rec, bias, go_backwards=False):
    """Keras GRU (reset_after) in NumPy: gates z, r, h."""
    u = rec.shape[0]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = np.zeros((x.shape[0], u))
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    out = []
    for t in steps:
        xp = x[:, t] @ kernel + bias[0]
        inner = h @ rec + bias[1]
        z = sig(xp[:, :u] + inner[:, :u])
        r = sig(xp[:, u:2 * u] + inner[:, u:2 * u])
        cand = np.tanh(xp[:, 2 * u:] + r * inner[:, 2 * u:])
        h = z * h + (1 - z) * cand
        out.append(h)
    return np.stack(out, 1)


def test_bidirectional_gru_matches_a_numpy_reference(calib):
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    x_in = keras.Input((7, 4))
    layer = keras.layers.Bidirectional(keras.layers.GRU(5, return_sequences=True))
    model = keras.Model(x_in, layer(x_in))
    plan, stages = stepped.build_plan(model)
    fn = single.single_function(model, plan, stages, batch_size=2)
    x = calib(model, n=2)
    (got,) = fn(tf.constant(x)).values()
    fw, bw = layer.forward_layer.cell, layer.backward_layer.cell
    ref_fw = _numpy_gru(x, *[w.numpy() for w in (fw.kernel, fw.recurrent_kernel, fw.bias)])
    ref_bw = _numpy_gru(x, *[w.numpy() for w in (bw.kernel, bw.recurrent_kernel, bw.bias)],
                        go_backwards=True)[:, ::-1]
    np.testing.assert_allclose(got.numpy(), np.concatenate([ref_fw, ref_bw], -1), atol=1e-5)


def test_gate_layout_is_block_diagonal_gate_major():
    rng = np.random.default_rng(0)
    u, gates = 3, 4
    a, b = rng.normal(size=(u, gates * u)), rng.normal(size=(u, gates * u))
    merged = single._gate_layout([a, b], gates, u)
    h_a, h_b = rng.normal(size=(1, u)), rng.normal(size=(1, u))
    out = (np.concatenate([h_a, h_b], -1) @ merged).reshape(gates, 2, u)
    np.testing.assert_allclose(out[:, 0], (h_a @ a).reshape(gates, u), rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], (h_b @ b).reshape(gates, u), rtol=1e-6)
    np.testing.assert_allclose(single._interleave([np.arange(8.), 10 + np.arange(8.)], 4, 2),
                               [0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15, 6, 7, 16, 17])


def _ops_by_dtype(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    count = collections.Counter()
    for op in interpreter._get_ops_details():
        first = op["inputs"][0]
        count[(op["op_name"], np.dtype(details[first]["dtype"]).name if first >= 0 else "-")] += 1
    return count


def _fully_connected_kinds(path):
    """Counter of (input dtype, weights dtype) over the file's FULLY_CONNECTED ops."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    return collections.Counter(
        tuple(np.dtype(details[i]["dtype"]).name for i in op["inputs"][:2])
        for op in interpreter._get_ops_details() if op["op_name"] == "FULLY_CONNECTED")


def test_int8_keeps_the_front_end_float_the_convolution_integer_and_the_steps_hybrid(tmp_path):
    keras.utils.set_random_seed(0)
    model = speech_model()
    path = tmp_path / "m.int8.tflite"
    report = export.to_tflite(model, path, quantize="int8", representative_data=audio(48),
                              validation_data=audio(24, seed=1), layout="single")
    ops = _ops_by_dtype(path)
    assert ops[("RFFT2D", "float32")] == 1 and ops[("LOG", "float32")] == 1
    assert ops[("CONV_2D", "int8")] == 1  # the convolution: static int8
    fc = _fully_connected_kinds(path)
    # the mel filter bank is the one all-float FULLY_CONNECTED, the hoisted input projection
    # static int8; each recurrent step (after the first, whose state is zero) and the head
    # float with int8 weights
    steps = model.layers[3].input.shape[1]
    assert fc[("float32", "float32")] == 1 and fc[("int8", "int8")] >= 1, fc
    assert fc[("float32", "int8")] >= steps - 1, fc
    gates = {dtype for (name, dtype) in ops if name in ("LOGISTIC", "TANH")}
    assert gates == {"float32"}
    assert report.validation["relative_mean_error"] < 0.05, report.validation
    # hybrid=False: the all-int8 body
    plain = tmp_path / "plain.tflite"
    export.to_tflite(model, plain, quantize="int8", representative_data=audio(48),
                     validate=False, layout="single", hybrid=False)
    assert {dtype for (name, dtype) in _ops_by_dtype(plain) if name in ("LOGISTIC", "TANH")} \
        == {"int8"}
    assert ("float32", "int8") not in _fully_connected_kinds(plain)


@pytest.mark.parametrize("mode", ["dynamic", "int16x8"])
def test_modes_that_cannot_keep_the_front_end_float_are_refused(mode, tmp_path):
    path = tmp_path / "m.tflite"
    with pytest.raises(ExportError, match=f"quantize='{mode}' with layout='single'.*layout='stepped'"):
        export.to_tflite(speech_model(), path, quantize=mode, representative_data=audio(8),
                         layout="single")
    assert not path.exists()


def test_variable_length_and_bad_layouts_are_refused(tmp_path):
    x = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(20, 4, mask_zero=True)(x)
    masked = keras.Model(x, keras.layers.Dense(2)(keras.layers.GRU(3)(h)))
    with pytest.raises(ExportError, match="Keras mask.*layout='stepped'"):
        export.to_tflite(masked, tmp_path / "a.tflite", layout="single")
    small = recurrent_model()
    with pytest.raises(ExportError, match="`layout` must be one of"):
        export.to_tflite(small, tmp_path / "b.tflite", layout="unrolled")
    with pytest.raises(ExportError, match="recurrent='stepped'"):
        export.to_tflite(small, tmp_path / "c.tflite", layout="single", recurrent="keras")
    assert not any(tmp_path.iterdir())


def test_int8_backward_direction_is_right(tmp_path, calib):
    """The backward direction's time reversal inside an int8 graph: TFLite's int8
    REVERSE_V2 returned wrong values (export.single.reverse_time uses GATHER)."""
    keras.utils.set_random_seed(4)
    model = recurrent_model(kind="lstm", bidirectional=True, steps=20, units=16)
    x = calib(model, n=96)
    report = export.to_tflite(model, tmp_path / "m.tflite", quantize="int8",
                              representative_data=x[:64], validation_data=x[64:],
                              layout="single")
    assert "REVERSE_V2" not in report.op_histogram
    assert report.validation["relative_mean_error"] < 0.03, report.validation


def test_int8_lstm_steps_keep_their_state_float(tmp_path, calib):
    """In int8 single files each LSTM step computes in float with int8 weights (hybrid):
    a state that remembers (forget gates near 1) would otherwise round to 8 bits at every
    one of its 49 steps, at a range fixed at calibration."""
    keras.utils.set_random_seed(5)
    model = recurrent_model(kind="lstm", bidirectional=True, steps=49, units=16)
    for direction in (model.layers[2].forward_layer, model.layers[2].backward_layer):
        bias = direction.cell.bias.numpy()
        bias[16:32] = 3.0  # forget gates ~0.95: the state integrates over the steps
        direction.cell.bias.assign(bias)
    x = np.random.default_rng(0).normal(size=(160, 49, 6)).astype("float32")
    path = tmp_path / "m.int8.tflite"
    report = export.to_tflite(model, path, quantize="int8", representative_data=x[:96],
                              validation_data=x[96:], layout="single")
    ops = _ops_by_dtype(path)
    assert ops[("LOGISTIC", "float32")] >= 48 and ("LOGISTIC", "int8") not in ops  # gates
    assert ops[("TANH", "float32")] >= 2 * 48  # tanh(g), tanh(c)
    assert _fully_connected_kinds(path)[("float32", "int8")] >= 48
    # hybrid=False: the all-int8 body, the cell state rounded at every step
    plain = export.to_tflite(model, tmp_path / "plain.tflite", quantize="int8",
                             representative_data=x[:96], validation_data=x[96:],
                             layout="single", hybrid=False)
    assert ("TANH", "float32") not in _ops_by_dtype(tmp_path / "plain.tflite")
    assert (plain.validation["relative_mean_error"]
            > 1.5 * report.validation["relative_mean_error"]), (plain.validation,
                                                               report.validation)


def _carry_model():
    """A step whose next state IS its input `x` (an identity), while the graph reads `x` too."""
    x = keras.Input(shape=(8,), name="x")
    s = keras.Input(shape=(8,), name="s")
    y = keras.layers.Dense(4, name="y")(keras.layers.Concatenate()([x, s]))
    return keras.Model([x, s], [y, keras.layers.Identity(name="next_s")(x)])


@pytest.mark.parametrize("layout", ["single", "stepped"])
def test_an_output_that_is_an_input_gets_a_tensor_of_its_own(layout, tmp_path):
    from export.flatbuffer import input_outputs

    keras.utils.set_random_seed(0)
    model = _carry_model()
    rng = np.random.default_rng(0)
    x, s = (rng.normal(size=(4, 8)).astype("float32") for _ in range(2))
    path = tmp_path / "m.tflite"
    export.to_tflite(model, path, layout=layout, validate=False)
    # the converter alone makes `next_s` the input tensor `x` itself (LiteRT.js then
    # computes on an unwritten buffer); the exporter gives it a copy op
    assert input_outputs(path.read_bytes()) == []
    runner = _stock(path) if layout == "single" else None
    for i in range(len(x)):
        if runner is not None:
            out = runner(x=x[i:i + 1], s=s[i:i + 1])
        else:
            out = dict(zip(["y", "next_s"], export.runtime.load(path)(x[i:i + 1], s[i:i + 1])))
        want_y, want_s = model.predict([x[i:i + 1], s[i:i + 1]], verbose=0)
        np.testing.assert_array_equal(out["next_s"], want_s)
        np.testing.assert_allclose(out["y"], want_y, atol=1e-5)


def test_input_outputs_names_the_aliases_the_converter_makes(tmp_path):
    from export.flatbuffer import input_outputs

    path = tmp_path / "m.tflite"
    export.to_tflite(_carry_model(), path, recurrent="keras", validate=False)
    assert input_outputs(path.read_bytes()) == [("serving_default", "output_1", "x", True)]


def test_signature_tensor_names_follow_the_subgraph_order_a_stock_interpreter_gives(tmp_path):
    """The names in the order of the subgraph's inputs/outputs (what TFLite Metadata
    describes), equal to a stock interpreter's tensor order; a stepped (several
    signatures) or corrupt file gets a clear error."""
    from export.flatbuffer import FlatbufferError, signature_tensor_names

    path = tmp_path / "m.tflite"
    export.to_tflite(_carry_model(), path, layout="single", validate=False)
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner()
    by_index = {d["index"]: n for n, d in runner.get_input_details().items()}
    by_index_out = {d["index"]: n for n, d in runner.get_output_details().items()}
    want = ([by_index[d["index"]] for d in interpreter.get_input_details()],
            [by_index_out[d["index"]] for d in interpreter.get_output_details()])
    assert signature_tensor_names(path.read_bytes()) == want
    assert sorted(want[0]) == ["s", "x"] and sorted(want[1]) == ["next_s", "y"]
    stepped_path = tmp_path / "stepped.tflite"
    export.to_tflite(recurrent_model(kind="gru"), stepped_path, validate=False)
    with pytest.raises(FlatbufferError, match="one signature"):
        signature_tensor_names(stepped_path.read_bytes())
    with pytest.raises(FlatbufferError, match="corrupt"):
        signature_tensor_names(path.read_bytes()[:200])


def test_int8_ops_that_make_outputs_compute_in_float(tmp_path):
    """An op whose result is a signature output carries the output's name, not its scope,
    so the name denylist of `export.convert._convert_selective` missed it: a float softmax
    at the output (`export_float`) came out int8 (probabilities in steps of 1/256; a
    streaming step file's float GRU cell likewise computed its new state, an output, in
    int8). The ops that make the outputs compute in float now; the body stays int8."""
    from zoo.layers import LogMelSpectrogram

    keras.utils.set_random_seed(2)
    x = keras.Input(shape=(4000,))
    f = LogMelSpectrogram(num_mel_bins=16, upper_hz=3800)(x)
    h = keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(8, activation="relu")(
        keras.layers.Conv1D(8, 3, activation="relu")(f)))
    softmax = keras.layers.Softmax(name="probs")
    softmax.export_float = True
    model = keras.Model(x, [softmax(keras.layers.Dense(5)(h)),
                            keras.layers.Identity(name="features")(h)])
    path = tmp_path / "m.int8.tflite"
    report = export.to_tflite(model, path, quantize="int8", representative_data=audio(48),
                              validation_data=audio(24, seed=1), layout="single")
    ops = _ops_by_dtype(path)
    assert ops[("SOFTMAX", "float32")] == 1 and ("SOFTMAX", "int8") not in ops, sorted(ops.items())
    assert ops[("CONV_2D", "int8")] == 1 and ops[("FULLY_CONNECTED", "int8")] == 2, sorted(ops.items())
    assert ops[("LOG", "float32")] == 1
    runner = _stock(path)
    (name,) = runner.get_input_details()
    probs = np.concatenate([runner(**{name: row[None]})["probs"] for row in audio(8, seed=3)])
    # a float softmax: probabilities are not multiples of 1/256
    assert np.abs(probs * 256 - np.round(probs * 256)).max() > 1e-3
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert report.validation["relative_mean_error"] < 0.05, report.validation
