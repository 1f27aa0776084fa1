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
