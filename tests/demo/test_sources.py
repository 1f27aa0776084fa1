import sys
import threading
import types
import warnings

import numpy as np
import pytest
from scipy.signal import resample_poly

from tests.demo.wavs import tone, write_float, write_pcm
from zoo.data.audio import AudioConversionWarning, StreamResampler
from zoo.demo.sources import AudioDeviceError, MicSource, WavSource, rechunk


def _all(src):
    blocks = list(src)
    return blocks, np.concatenate(blocks)


def test_block_sizes_and_samples(tmp_path):
    x = tone(1.234)
    path = write_pcm(tmp_path / "a.wav", x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 16 kHz mono: no warning
        src = WavSource(path, block_ms=100)
    blocks, y = _all(src)
    assert [len(b) for b in blocks] == [1600] * 12 + [len(x) - 12 * 1600]
    assert all(b.dtype == np.float32 for b in blocks)
    np.testing.assert_allclose(y, x, atol=1 / 32768)
    assert src.duration_s == pytest.approx(1.234)
    assert [len(b) for b in WavSource(path, block_ms=250)][:4] == [4000] * 4
    assert np.array_equal(np.concatenate(list(src)), y)  # iterating again starts over


@pytest.mark.parametrize("bits", [8, 24, 32])
def test_pcm_widths(tmp_path, bits):
    x = tone(0.5, amp=0.7)
    y = np.concatenate(list(WavSource(write_pcm(tmp_path / "w.wav", x, bits=bits))))
    np.testing.assert_allclose(y, x, atol=1.5 / 128 if bits == 8 else 1e-5)


def test_float_wav(tmp_path):
    x = tone(0.3)
    np.testing.assert_allclose(np.concatenate(list(WavSource(write_float(tmp_path / "f.wav", x)))),
                               x, atol=1e-7)


def test_stereo_is_mixed_down_with_a_warning(tmp_path):
    left, right = tone(0.5, freq=300), tone(0.5, freq=500)
    path = write_pcm(tmp_path / "st.wav", np.stack([left, right], 1))
    with pytest.warns(AudioConversionWarning, match="st.wav' has 2 channels; mixing them down"):
        src = WavSource(path)
    np.testing.assert_allclose(np.concatenate(list(src)), (left + right) / 2, atol=1e-4)


@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_other_rates_are_resampled_with_a_warning(tmp_path, rate):
    x = tone(1.05, rate=rate, freq=440)
    path = write_pcm(tmp_path / "r.wav", x, rate=rate)
    with pytest.warns(AudioConversionWarning,
                      match=f"r.wav' is sampled at {rate} Hz; resampling it to 16000 Hz"):
        src = WavSource(path, block_ms=100)
    blocks, y = _all(src)
    assert all(len(b) == 1600 for b in blocks[:-1])
    want = resample_poly(x.astype(np.float64) * 32767 / 32768, 16000, rate)  # whole-file result
    assert len(y) == len(want)
    np.testing.assert_allclose(y, want, atol=2e-4)  # no clicks at block edges
    np.testing.assert_allclose(y[2000:-2000], tone(1.05)[2000:len(y) - 2000], atol=3e-3)


def test_stream_resampler_matches_whole_signal():
    x = np.random.default_rng(0).normal(size=10000)
    rs = StreamResampler(44100, 16000)
    pieces = [rs.push(x[i:i + 777]) for i in range(0, len(x), 777)] + [rs.flush()]
    np.testing.assert_allclose(np.concatenate(pieces), resample_poly(x, 160, 441), atol=1e-5)


def test_rechunk():
    out = list(rechunk([np.arange(3), np.arange(0), np.arange(5), np.arange(1)], 4))
    assert [len(b) for b in out] == [4, 4, 1]


BAD = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated header": lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00"),
    "not a wav": lambda p: p.write_text("hello, I am a text file\n"),
    "riff but no data": lambda p: p.write_bytes(b"RIFF\x04\x00\x00\x00WAVE"),
    "no samples": lambda p: write_pcm(p, np.zeros(0)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_raise_one_clear_value_error(tmp_path, case):
    path = tmp_path / "bad.wav"
    BAD[case](path)
    with pytest.raises(ValueError) as info:
        WavSource(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert "ffmpeg" in message or "holds no audio samples" in message


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        WavSource(tmp_path / "nope.wav")


def test_truncated_data_is_read_to_the_end(tmp_path):
    path = write_pcm(tmp_path / "t.wav", tone(0.5))
    path.write_bytes(path.read_bytes()[:-1001])  # declared size now too large, odd cut
    assert sum(len(b) for b in WavSource(path)) == (8000 * 2 - 1001) // 2


def test_realtime_paces_blocks(tmp_path):
    import time

    path = write_pcm(tmp_path / "a.wav", tone(0.3))
    start = time.monotonic()
    list(WavSource(path, block_ms=100, realtime=True))
    assert time.monotonic() - start >= 0.19  # 3 blocks: sent at 0, 0.1, 0.2 s


# ----------------------------------------------------------------- microphone


def _fake_sounddevice(blocks, rate_ok=True):
    sd = types.ModuleType("sounddevice")
    sd.opened = []

    def query_devices(device=None, kind=None):
        return {"name": "fake mic", "default_samplerate": 48000.0}

    def check_input_settings(**kwargs):
        if not rate_ok and kwargs.get("samplerate") != 48000:
            raise ValueError("Invalid sample rate")

    class InputStream:
        def __init__(self, samplerate, blocksize, device, channels, dtype, callback):
            self.kwargs = dict(samplerate=samplerate, blocksize=blocksize, channels=channels,
                               dtype=dtype)
            self.callback = callback
            self.closed = False
            sd.opened.append(self)

        def __enter__(self):
            def deliver():
                for b in blocks(self.kwargs["blocksize"]):
                    self.callback(b.reshape(-1, 1).astype(np.float32), len(b), None, None)
            threading.Thread(target=deliver, daemon=True).start()
            return self

        def __exit__(self, *exc):
            self.closed = True

    sd.query_devices = query_devices
    sd.check_input_settings = check_input_settings
    sd.InputStream = InputStream
    return sd


def test_mic_source_delivers_callback_blocks(monkeypatch):
    x = tone(1.0)
    sd = _fake_sounddevice(lambda n: [x[i:i + n] for i in range(0, len(x), n)])
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    mic = MicSource(block_ms=100, max_blocks=10)
    assert mic.device_name == "fake mic" and mic.rate == 16000
    blocks = list(mic)
    assert [len(b) for b in blocks] == [1600] * 10
    np.testing.assert_array_equal(np.concatenate(blocks), x)
    stream = sd.opened[0]
    assert stream.kwargs == dict(samplerate=16000, blocksize=1600, channels=1, dtype="float32")
    assert stream.closed


def test_mic_source_resamples_a_48k_device(monkeypatch):
    x = tone(1.0, rate=48000)
    sd = _fake_sounddevice(lambda n: [x[i:i + n] for i in range(0, len(x), n)], rate_ok=False)
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    mic = MicSource(block_ms=100, max_blocks=5)
    assert mic.rate == 48000
    blocks = list(mic)
    assert [len(b) for b in blocks] == [1600] * 5
    np.testing.assert_allclose(np.concatenate(blocks)[200:], tone(0.5)[200:], atol=3e-3)


def test_mic_source_without_sounddevice(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import raises ImportError
    with pytest.raises(AudioDeviceError, match="pip install sounddevice.*--wav FILE"):
        MicSource()


def test_mic_source_without_portaudio_or_device(monkeypatch):
    class Finder:  # `import sounddevice` raising OSError, as without libportaudio
        def find_spec(self, name, path=None, target=None):
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Finder()] + sys.meta_path)
    with pytest.raises(AudioDeviceError, match="PortAudio library not found"):
        MicSource()
    monkeypatch.setattr(sys, "meta_path", sys.meta_path[1:])

    sd = _fake_sounddevice(lambda n: [])

    def no_device(device=None, kind=None):
        raise RuntimeError("No input device matching")  # sd.PortAudioError is a RuntimeError

    sd.query_devices = no_device
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    with pytest.raises(AudioDeviceError, match="no usable audio input device.*--wav FILE"):
        MicSource()


def test_mic_source_times_out_when_no_audio_arrives(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", _fake_sounddevice(lambda n: []))
    with pytest.raises(AudioDeviceError, match="delivered no audio"):
        list(MicSource(timeout_s=0.2))
