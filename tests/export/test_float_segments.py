"""Layers that ask to stay float (`export_float`) keep a float32 signature
of their own inside integer files, merged into one flatbuffer."""

import keras
import numpy as np
import pytest

import export
from export.flatbuffer import read_operators
from zoo.layers import AttentionPooling, LogMelSpectrogram

pytestmark = pytest.mark.tensorflow_only


def speech_model():
    x = keras.Input(shape=(4000,))
    f = LogMelSpectrogram(num_mel_bins=16, upper_hz=3800)(x)
    h = keras.layers.Conv1D(8, 3, padding="same", activation="relu")(f)
    h = keras.layers.Bidirectional(keras.layers.GRU(8, return_sequences=True))(h)
    y = keras.layers.Dense(5, activation="softmax")(AttentionPooling(query="middle")(h))
    return keras.Model(x, y)


def audio(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(4000) / 16000
    tones = np.sin(2 * np.pi * rng.uniform(200, 3000, (n, 1)) * t) * rng.uniform(0.05, 0.8, (n, 1))
    return (tones + 0.02 * rng.normal(size=(n, 4000))).astype("float32")


@pytest.mark.parametrize("mode", ["dynamic", "int8"])
def test_front_end_stays_float_in_integer_files(mode, tmp_path):
    keras.utils.set_random_seed(0)
    model = speech_model()
    path = tmp_path / "m.tflite"
    report = export.to_tflite(model, path, quantize=mode, representative_data=audio(48))
    rt = export.runtime.load(path)
    front = next(s for s in rt.plan["stages"] if s.get("float_only"))
    ops = read_operators(path.read_bytes())[front["name"]]
    assert "RFFT2D" in ops and "QUANTIZE" not in ops
    if mode == "int8":
        rest = [op for name, sig_ops in report.ops_by_signature.items() if name != front["name"]
                for op in sig_ops]
        assert "QUANTIZE" in rest
    assert report.validation["relative_mean_error"] < 0.02, report.validation


def padded_speech_model():
    """Raw audio padded in front (as the causal spotters' `lead_zeros`) before the log-mel."""
    x = keras.Input(shape=(4000,))
    padded = keras.layers.Lambda(lambda a: keras.ops.pad(a, [[0, 0], [800, 0]]),
                                 name="lead_zeros")(x)
    f = LogMelSpectrogram(num_mel_bins=16, upper_hz=3800)(padded)
    h = keras.layers.Conv1D(8, 3, padding="same", activation="relu")(f)
    h = keras.layers.GRU(8, return_sequences=True)(h)
    y = keras.layers.Dense(5, activation="softmax")(AttentionPooling(query="last")(h))
    return keras.Model(x, y)


class Doubled(keras.layers.Layer):
    export_float = True

    def call(self, x):
        return 2.0 * x


def test_segments_between_the_inputs_and_a_float_stage_stay_float():
    from export import stepped

    _, stages = stepped.build_plan(padded_speech_model())
    assert [(s.kind, s.float_only) for s in stages] == [
        ("segment", True), ("segment", True), ("segment", False), ("recurrent", False),
        ("segment", False)]
    # a segment fed by the integer body stays integer even when a float stage follows it
    x = keras.Input(shape=(6, 3))
    h = keras.layers.GRU(4)(x)
    y = Doubled()(keras.layers.Dense(2)(h))
    _, stages = stepped.build_plan(keras.Model(x, y))
    assert [(s.kind, s.float_only) for s in stages] == [
        ("recurrent", False), ("segment", False), ("segment", True)]


@pytest.mark.parametrize("layout", ["stepped", "single"])
def test_int8_never_rounds_raw_audio_before_the_float_front_end(layout, tmp_path):
    keras.utils.set_random_seed(0)
    model = padded_speech_model()
    # calibrated on loud and quiet audio; 8-bit audio would leave the quiet tones at
    # about one step (measured: relative error 0.066-0.070 with the padding quantized,
    # 0.009-0.010 with it float)
    calibration = np.concatenate([audio(48), 0.01 * audio(48, seed=2)])
    path = tmp_path / "m.tflite"
    report = export.to_tflite(model, path, quantize="int8", representative_data=calibration,
                              validation_data=0.01 * audio(48, seed=1), layout=layout)
    assert report.validation["relative_mean_error"] < 0.03, report.validation
    if layout == "stepped":
        rt = export.runtime.load(path)
        ops = read_operators(path.read_bytes())
        for stage in rt.plan["stages"][:2]:
            assert stage.get("float_only") and "QUANTIZE" not in ops[stage["name"]]


def stream_step_model():
    """A stream step as the causal spotters': `[frame, tail, h]` -> `[probabilities,
    next_tail (= frame), next_h]`, a float front end on tail + frame, and the softmax
    float at the end."""
    frame, tail = keras.Input(shape=(8,), name="frame"), keras.Input(shape=(8,), name="tail")
    h = keras.Input(shape=(4,), name="h")
    joined = keras.layers.Concatenate(name="joined")([tail, frame])
    front = Doubled(name="front")(joined)
    h_next = keras.layers.Dense(4, activation="tanh", name="cell")(
        keras.layers.Concatenate(name="cell_in")([front, h]))
    logits = keras.layers.Dense(5, name="logits")(h_next)
    softmax = keras.layers.Softmax(name="probabilities")
    softmax.export_float = True
    return keras.Model([frame, tail, h], [softmax(logits),
                                          keras.layers.Identity(name="next_tail")(frame),
                                          keras.layers.Identity(name="next_h")(h_next)])


def test_a_float_softmax_after_a_step_leaves_one_integer_body_and_the_passed_state_float(tmp_path):
    """The segment that makes the float softmax's input makes the step's state outputs
    too (the body is not computed twice), and the state passed through unchanged (the
    audio tail) comes out of the float front, never rounded to 8 bits: an int8 file
    returns the frame exactly and probabilities finer than an int8 softmax's 1/256."""
    from export import stepped

    keras.utils.set_random_seed(0)
    model = stream_step_model()
    plan, stages = stepped.build_plan(model)
    assert [(s.kind, s.float_only) for s in stages] == [
        ("segment", True), ("segment", True), ("segment", False), ("segment", True)]
    weighted = [layer.name for s in stages for layer in s.model.layers if layer.weights]
    assert sorted(weighted) == ["cell", "logits"]                 # each computed once
    rng = np.random.default_rng(0)
    data = [rng.normal(size=(64, 8)).astype("float32"), rng.normal(size=(64, 8)).astype("float32"),
            rng.uniform(-1, 1, (64, 4)).astype("float32")]
    path = tmp_path / "step.tflite"
    export.to_tflite(model, path, quantize="int8", representative_data=data)
    probs, next_tail, next_h = export.runtime.load(path)(*data)
    np.testing.assert_array_equal(next_tail, data[0])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(probs * 256, np.round(probs * 256), atol=1e-3)
    keras_probs = model.predict(data, verbose=0)[0]
    assert np.mean(probs.argmax(1) == keras_probs.argmax(1)) >= 0.9
