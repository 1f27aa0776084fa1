"""zoo.data.audio: the one audio reader behind `zoo predict` (`zoo.api.read_audio`),
the streaming demo (`zoo.demo.sources.WavSource`), the dataset loader and the web demo.

The same signal written as 8/16/24/32-bit PCM, float32, WAVE_FORMAT_EXTENSIBLE, FLAC,
stereo, 8 kHz and 44.1 kHz must decode to the reference samples through both entry
points (the WAV files are written with the stdlib `wave` module or by hand, FLAC
with sox when installed; references are the quantised samples and, for other rates,
`scipy.signal.resample_poly` of them plus the analytic 16 kHz signal). Bad files
raise the same exception with the same message through both.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy.signal import resample_poly

from tests.demo.wavs import write_extensible, write_float, write_pcm
from zoo import api
from zoo.data import audio
from zoo.demo.sources import WavSource

RATE = 16000
SECONDS = 0.75


def signal(rate, seconds=SECONDS):
    """Three tones below 3.5 kHz (so an 8 kHz file holds the whole signal)."""
    t = np.arange(int(round(seconds * rate))) / rate
    return (0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t + 1)
            + 0.1 * np.sin(2 * np.pi * 3100 * t + 2))


def quantised(x, bits):
    if bits == 8:
        return (np.clip(np.rint(x * 128) + 128, 0, 255) - 128) / 128
    scale = 2.0 ** (bits - 1)
    return np.clip(np.rint(x * scale), -scale, scale - 1) / scale


def write_flac(path, x):
    wav = write_pcm(path.with_suffix(".src.wav"), x, bits=16)
    if shutil.which("sox"):
        subprocess.run(["sox", str(wav), str(path)], check=True, capture_output=True)
    else:  # pragma: no cover - sox is a system dependency of the data builder
        import soundfile

        soundfile.write(str(path), quantised(x, 16), RATE, subtype="PCM_16")
    return path


def _ref_at(rate, bits=16):
    """(samples written at `rate`, expected 16 kHz output)."""
    x = signal(rate)
    q = quantised(x, bits)
    g = np.gcd(rate, RATE)
    return x, (q if rate == RATE else resample_poly(q, RATE // g, rate // g))


# name: (write(path) -> path, expected float64 samples at 16 kHz, atol, expected warning)
def _cases():
    x = signal(RATE)
    lr = quantised(x, 16)
    d = np.round(0.05 * np.sin(np.arange(len(x)) / 7) * 32768) / 32768  # exact in int16
    x8k, want8k = _ref_at(8000)
    x44k, want44k = _ref_at(44100)
    return {
        "pcm8": (lambda p: write_pcm(p, x, bits=8), quantised(x, 8), 1e-7, None),
        "pcm16": (lambda p: write_pcm(p, x, bits=16), quantised(x, 16), 0, None),
        "pcm24": (lambda p: write_pcm(p, x, bits=24), quantised(x, 24), 1e-7, None),
        "pcm32": (lambda p: write_pcm(p, x, bits=32), quantised(x, 32), 1e-7, None),
        "float32": (lambda p: write_float(p, x), x.astype(np.float32), 0, None),
        "extensible24": (lambda p: write_extensible(p, x, bits=24), quantised(x, 24), 1e-7, None),
        "flac": (lambda p: write_flac(p.with_suffix(".flac"), x), quantised(x, 16), 0, None),
        "stereo": (lambda p: write_pcm(p, np.stack([lr + d, lr - d], 1), bits=16), lr, 1e-7,
                   "has 2 channels; mixing them down to mono"),
        "8kHz": (lambda p: write_pcm(p, x8k, rate=8000), want8k, 2e-5,
                 "is sampled at 8000 Hz; resampling it to 16000 Hz"),
        "44.1kHz": (lambda p: write_pcm(p, x44k, rate=44100), want44k, 2e-5,
                    "is sampled at 44100 Hz; resampling it to 16000 Hz"),
    }


CASES = _cases()


def via_predict(path):
    return api.read_audio(path)


def via_demo(path):
    return np.concatenate(list(WavSource(path, block_ms=100)))


ENTRY_POINTS = {"predict": via_predict, "demo": via_demo}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_format_decodes_to_the_reference(tmp_path, case, entry):
    write, want, atol, warning = CASES[case]
    path = write(tmp_path / f"{case}.wav")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = ENTRY_POINTS[entry](path)
    notes = [str(w.message) for w in caught if issubclass(w.category, audio.AudioConversionWarning)]
    assert got.dtype == np.float32 and got.ndim == 1
    assert len(got) == len(want)
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    if warning is None:
        assert not [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    else:
        assert notes == [f"{str(path)!r} {warning} (to skip this, {audio.CONVERT})"
                         if "resampling" in warning else f"{str(path)!r} {warning}"]


@pytest.mark.parametrize("rate", [8000, 44100])
def test_resampled_files_match_the_signal_sampled_at_16k(tmp_path, rate):
    """Independent of resample_poly: the analytic 16 kHz signal (edges left out)."""
    path = write_pcm(tmp_path / "r.wav", signal(rate), rate=rate)
    with pytest.warns(audio.AudioConversionWarning):
        got = api.read_audio(path)
    np.testing.assert_allclose(got[400:-400], signal(RATE)[400:-400], atol=2e-3)


def test_sixteen_bit_pcm_is_bit_exact_int16_over_32768(tmp_path):
    """What the shipped models were tested with: int16 / 32768, nothing else."""
    pcm = np.random.default_rng(0).integers(-32768, 32768, 5000).astype("<i2")
    pcm[:2] = (-32768, 32767)
    path = write_pcm(tmp_path / "a.wav", pcm / 32768.0)
    want = pcm.astype(np.float32) / np.float32(32768)
    np.testing.assert_array_equal(api.read_audio(path), want)
    np.testing.assert_array_equal(via_demo(path), want)
    x, rate = audio.read_wav(path)
    assert rate == RATE
    np.testing.assert_array_equal(x, want)
    np.testing.assert_array_equal(audio.parse_wav_bytes(path.read_bytes())[0], want)


def _riff(fmt_fields, data, riff_size=None, data_size=None):
    fmt = struct.pack("<HHIIHH", *fmt_fields)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
            + struct.pack("<I", len(data) if data_size is None else data_size) + data)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def _good_bytes():
    return _riff((1, 1, RATE, 2 * RATE, 2, 16), (quantised(signal(RATE), 16) * 32768).astype("<i2").tobytes())


def _nan_float():
    x = np.zeros(100, "<f4")
    x[10] = np.nan
    x[20] = np.inf
    return _riff((3, 1, RATE, 4 * RATE, 4, 32), x.tobytes())


def _half_flac(tmp_path):
    flac = write_flac(tmp_path / "whole.flac", signal(RATE, 3.0)).read_bytes()
    return flac[: len(flac) // 2]


BAD = {
    "empty": (lambda t: b"", "the file is empty (0 bytes)"),
    "text": (lambda t: b"hello, I am a text file\n", "not a RIFF/WAVE or FLAC file"),
    "mp3-ish": (lambda t: b"ID3\x04" + bytes(300), "not a RIFF/WAVE or FLAC file"),
    "truncated header": (lambda t: _good_bytes()[:20], "corrupt or truncated: "),
    "riff without chunks": (lambda t: b"RIFF\x04\x00\x00\x00WAVE", "corrupt or truncated: "),
    "zero channels": (lambda t: _riff((1, 0, RATE, 0, 2, 16), bytes(20)), "corrupt or truncated: "),
    "rate 0": (lambda t: _riff((1, 1, 0, 0, 2, 16), bytes(20)), "corrupt or truncated: "),
    "rate 100 Hz": (lambda t: _riff((1, 1, 100, 200, 2, 16), bytes(20)), "corrupt header: 100 Hz"),
    "NaN float": (lambda t: _nan_float(), "2 NaN or Inf sample(s) from frame 10 on"),
    "truncated FLAC": (_half_flac, "corrupt or truncated: "),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_give_one_clear_error_everywhere(tmp_path, case):
    make, detail = BAD[case]
    path = tmp_path / "bad.wav"
    path.write_bytes(make(tmp_path))
    messages = []
    for entry in ENTRY_POINTS.values():
        with pytest.raises(ValueError) as info:
            entry(path)
        messages.append(str(info.value))
    assert messages[0] == messages[1]  # same rule, same words
    assert messages[0].startswith(f"{str(path)!r} is not a readable audio file ({detail}")
    assert messages[0].endswith(audio.CONVERT) and "\n" not in messages[0]
    with pytest.raises(ValueError, match="is not a readable audio file"):
        audio.parse_wav_bytes(path.read_bytes()) if path.stat().st_size else audio.read_wav(path)


def test_no_samples_missing_file_and_directory(tmp_path):
    empty = write_pcm(tmp_path / "none.wav", np.zeros(0))
    for entry in ENTRY_POINTS.values():
        with pytest.raises(ValueError, match=r"none.wav' holds no audio samples \(header: 0 frames\)"):
            entry(empty)
        with pytest.raises(FileNotFoundError, match=r"audio file '.*nope.wav' does not exist"):
            entry(tmp_path / "nope.wav")
        with pytest.raises(ValueError, match=r"is a directory, not an audio file"):
            entry(tmp_path)


def test_streamed_header_with_a_bogus_length_is_read_to_the_end(tmp_path):
    """`espeak-ng --stdout` writes 0x7ffff000-ish sizes; the data builder reads such output."""
    good = _good_bytes()
    bogus = good[:4] + struct.pack("<I", 0x7FFFF024) + good[8:40] + struct.pack("<I", 0x7FFFF000) + good[44:]
    want = quantised(signal(RATE), 16).astype(np.float32)
    x, rate = audio.parse_wav_bytes(bogus, path="espeak-ng")
    assert rate == RATE
    np.testing.assert_array_equal(x, want)
    path = tmp_path / "streamed.wav"
    path.write_bytes(bogus + b"\x01")  # and an odd byte: half a frame
    for entry in ENTRY_POINTS.values():
        np.testing.assert_array_equal(entry(path), want)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_real_espeak_stdout():
    data = subprocess.run(["espeak-ng", "--stdout", "yes"], check=True, capture_output=True).stdout
    assert struct.unpack("<I", data[40:44])[0] > len(data)  # the bogus length is still written
    x, rate = audio.parse_wav_bytes(data, path="espeak-ng")
    assert rate == 22050 and len(x) == (len(data) - 44) // 2
    np.testing.assert_array_equal(x, np.frombuffer(data[44:44 + 2 * len(x)], "<i2") / np.float32(32768))


def test_demo_streams_a_long_file_in_constant_memory(tmp_path):
    """60 s at 44.1 kHz (10 MB of float32 if read whole): the stream holds a few blocks."""
    rate = 44100
    t = np.arange(60 * rate) / rate
    path = write_pcm(tmp_path / "long.wav", 0.3 * np.sin(2 * np.pi * 300 * t), rate=rate)
    del t
    with pytest.warns(audio.AudioConversionWarning):
        src = WavSource(path, block_ms=100)
    tracemalloc.start()
    try:
        n = sum(len(b) for b in src)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 60 * RATE
    assert peak < 1_000_000, peak


def test_dataset_loader_reads_clips_with_the_same_reader(tmp_path):
    from zoo.data import speech_commands as sc

    x = signal(RATE, 0.5)
    (tmp_path / "yes").mkdir()
    write_pcm(tmp_path / "yes" / "a_nohash_0.wav", x)
    write_pcm(tmp_path / "yes" / "b_nohash_0.wav", signal(8000, 0.5), rate=8000)
    with pytest.warns(audio.AudioConversionWarning, match="b_nohash_0.wav' is sampled at 8000 Hz"):
        xs, ys, _ = sc.load(tmp_path, "train")
    assert xs.shape == (2, sc.CLIP_SAMPLES) and list(ys) == [sc.LABELS.index("yes")] * 2
    np.testing.assert_array_equal(xs[0, :len(x)], quantised(x, 16).astype(np.float32))
    assert not xs[0, len(x):].any()
    want = resample_poly(quantised(signal(8000, 0.5), 16), 2, 1)
    np.testing.assert_allclose(xs[1, :len(x)], want, atol=1e-6)
