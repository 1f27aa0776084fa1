import keras
import numpy as np
import pytest

from zoo.layers import LogMelSpectrogram
from zoo.layers.log_mel_spectrogram import hz_to_mel, mel_to_hz


def numpy_log_mel(audio, hop=160, per_window=3, fft=None, mel_bins=40, lo=20.0, hi=7600.0, sr=16000):
    frame = hop * per_window
    fft = fft or frame
    n_frames = audio.shape[-1] // hop - per_window + 1
    window = np.hanning(frame + 1)[:-1]  # periodic Hann
    frames = np.stack([audio[..., t * hop:t * hop + frame] for t in range(n_frames)], axis=-2)
    spectrum = np.fft.rfft(frames * window, n=fft)
    power = np.abs(spectrum) ** 2
    freqs = np.linspace(0, sr / 2, fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(lo), hz_to_mel(hi), mel_bins + 2))
    bank = np.zeros((len(freqs), mel_bins))
    for m in range(mel_bins):
        up = (freqs - edges[m]) / (edges[m + 1] - edges[m])
        down = (edges[m + 2] - freqs) / (edges[m + 2] - edges[m + 1])
        bank[:, m] = np.clip(np.minimum(up, down), 0, None)
    return np.log(power @ bank + 1e-6)


@pytest.mark.parametrize("dft, fft", [("rfft", 512), ("matmul", 480)])
def test_matches_numpy(dft, fft, rng):
    audio = (0.3 * rng.normal(size=(2, 16000))).astype("float32")
    got = np.asarray(LogMelSpectrogram(dft=dft)(audio))
    assert got.shape == (2, 98, 40)
    np.testing.assert_allclose(got, numpy_log_mel(audio, fft=fft), atol=2e-3, rtol=1e-4)


def test_tone_lands_in_the_right_mel_bin():
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype("float32")[None]
    mel = np.asarray(LogMelSpectrogram()(tone))[0].mean(0)
    centres = mel_to_hz(np.linspace(hz_to_mel(20), hz_to_mel(7600), 42))[1:-1]
    assert abs(centres[mel.argmax()] - 1000) < 150


def test_save_load_and_errors(tmp_path):
    x = keras.Input(shape=(8000,))
    model = keras.Model(x, LogMelSpectrogram(num_mel_bins=20, upper_hz=4000)(x))
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    audio = np.random.default_rng(0).normal(size=(1, 8000)).astype("float32")
    np.testing.assert_allclose(restored.predict(audio, verbose=0), model.predict(audio, verbose=0))
    with pytest.raises(ValueError, match="multiple of hop_length"):
        LogMelSpectrogram()(np.zeros((1, 1000), "float32"))
    with pytest.raises(ValueError, match="upper_hz"):
        LogMelSpectrogram(upper_hz=9000)
    with pytest.raises(ValueError, match="dft"):
        LogMelSpectrogram(dft="fast")
