"""Streaming keyword spotting: one 20 ms frame per call equals the whole-window model."""

import numpy as np
import pytest

import export
import zoo
from zoo.api import read_audio
from zoo.kws_demo import bundled_clips
from zoo.models.kws import streaming
from zoo.models.kws.preprocessing import representative_data

pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def audio():
    clip = read_audio(str(bundled_clips()[0][0]))
    noise = np.random.default_rng(0).normal(0, 0.02, 4800).astype(np.float32)
    return np.concatenate([noise, clip])  # 1.3 s: the keyword ends after the first second


@pytest.mark.parametrize("name", ["kws-att-bilstm", "kws-att-mh-gru"])
def test_streaming_posteriors_equal_the_whole_window_model(name, audio):
    stream = streaming.streaming_model(name)
    probs, (tail, features) = streaming.run(stream, audio)
    assert probs.shape == (len(audio) // 320, 12)
    whole = zoo.load(name)
    padded = np.concatenate([np.zeros(16000, np.float32), audio])  # the initial state is silence
    ends = [16000 + 320 * (i + 1) for i in (0, 24, len(probs) - 1)]
    windows = np.stack([padded[e - 16000:e] for e in ends])
    np.testing.assert_allclose(probs[[0, 24, len(probs) - 1]],
                               whole.predict(windows, verbose=0), atol=2e-6)
    # the state is the last frame and the log-mel of the last second
    np.testing.assert_array_equal(tail[0], audio[len(probs) * 320 - 320:len(probs) * 320])
    np.testing.assert_allclose(
        features[0], np.asarray(whole.get_layer("log_mel")(windows[-1:]))[0], atol=1e-5)


def test_streaming_tflite_float32_equals_keras_and_int8_keeps_the_decisions(audio, tmp_path):
    name = "kws-att-mh-gru"
    stream = streaming.streaming_model(name)
    keras_probs, _ = streaming.run(stream, audio)
    calib = streaming.streaming_calibration(representative_data(name))
    assert [c.shape[1:] for c in calib] == [(320,), (320,), (98, 40)]
    for mode in ("float32", "int8"):
        path = tmp_path / f"stream.{mode}.tflite"
        report = export.to_tflite(stream, path, quantize=mode, representative_data=calib)
        assert "WHILE" not in report.op_histogram
        probs, _ = streaming.run(export.runtime.load(path), audio)
        if mode == "float32":
            np.testing.assert_allclose(probs, keras_probs, atol=1e-5)
        else:  # the frames where the float model is sure keep its decision
            sure = keras_probs.max(-1) > 0.7
            assert sure.sum() >= 10
            assert np.mean(probs[sure].argmax(-1) == keras_probs[sure].argmax(-1)) >= 0.95


def test_streaming_input_errors():
    with pytest.raises(ValueError, match="no streaming variant of 'text-bigru'"):
        streaming.streaming_model("text-bigru")
    with pytest.raises(ValueError, match="audio must be 1-D"):
        streaming.run(None, np.zeros((2, 320)))
