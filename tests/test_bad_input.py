"""A catalogue of bad inputs across the public API and the CLI.

Each case asserts the exact behaviour: either a safe repair with a
`UserWarning` (stereo WAV mixed down, another sample rate resampled,
too-long audio cut), or an exception of the matching built-in type whose message
names the argument, what was expected and what was got. CLI cases exit with
status 2 and print one line, without a traceback.

Shared, read-only: one tiny GRU model exported once per module (`tiny`) and
the shipped `kws-att-bilstm` float32 TFLite file. Tests that tamper with
shipped files work on a copy (`shipped_copy`), never on `zoo/pretrained/`.
"""

import os
import shutil
import struct
import wave

import numpy as np
import pytest
from typer.testing import CliRunner

import export
import zoo
from export import runtime
from tests.export.conftest import recurrent_model
from zoo import api, registry
from zoo.cli import app

pytestmark = pytest.mark.tensorflow_only

KWS = "kws-att-bilstm"
KWS_LABELS = zoo.labels(KWS) if registry.find_artifacts(KWS) else []
RATE = 16000
runner = CliRunner()


# ------------------------------------------------------------------ helpers


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_cli_fails(result, *fragments):
    """Exit 2, one non-empty line starting with `error:`, no traceback."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def write_wav(path, samples, rate=RATE, width=2, channels=1):
    """`samples` (frames[, channels]) integer PCM of `width` bytes."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels), f.setsampwidth(width), f.setframerate(rate)
        f.writeframes(np.ascontiguousarray(samples).tobytes())
    return path


def tone(seconds=1.0, amplitude=0.3, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * amplitude * 32767).astype("<i2")


def files_in(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small GRU classifier (12, 6) -> 4: saved .keras, float32 .tflite, calib npz."""
    import keras

    keras.utils.set_random_seed(5)
    d = tmp_path_factory.mktemp("tiny")
    model = recurrent_model(kind="gru", units=4)
    model.save(d / "m.keras")
    export.to_tflite(model, d / "m.tflite", validate=False)
    calib = np.random.default_rng(0).normal(size=(16, 12, 6)).astype("float32")
    np.savez(d / "calib.npz", x=calib)
    return {"model": model, "dir": d, "tflite": d / "m.tflite", "keras": d / "m.keras",
            "calib": calib, "rt": runtime.load(d / "m.tflite", threads=1)}


@pytest.fixture(scope="module")
def kws_rt():
    if registry.find_artifacts(KWS) is None:
        pytest.skip(f"{KWS} is not shipped")
    return zoo.load_tflite(KWS, quantize="float32", threads=1)


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """A private copy of zoo/pretrained/kws-att-bilstm used as the package directory."""
    source = registry.package_dir() / KWS
    if not source.is_dir():
        pytest.skip(f"{KWS} is not shipped")
    root = tmp_path / "pretrained"
    shutil.copytree(source, root / KWS)
    monkeypatch.setattr(registry, "package_dir", lambda: root)
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    return root / KWS


@pytest.fixture
def readonly_dir(tmp_path, monkeypatch):
    """A directory nobody may write to (root ignores mode bits, so the check
    `export.files` makes, `os.access`, is told the truth for it as well)."""
    d = tmp_path / "readonly"
    d.mkdir()
    d.chmod(0o555)
    if os.geteuid() == 0:
        import export.files

        real = os.access
        monkeypatch.setattr(export.files.os, "access", lambda p, mode, *a, **k: False if (
            os.path.realpath(p) == os.path.realpath(d) and mode & os.W_OK) else real(p, mode, *a, **k))
    yield d
    d.chmod(0o755)


# --------------------------------------------------------- unknown model names


@pytest.mark.parametrize("call", [
    lambda n: zoo.load(n),
    lambda n: zoo.load(n, pretrained=False),
    lambda n: zoo.predict(n, np.zeros(RATE, np.float32)),
    lambda n: zoo.load_tflite(n, quantize="float32"),
    lambda n: zoo.labels(n),
], ids=["load", "load-untrained", "predict", "load_tflite", "labels"])
def test_misspelt_name_suggests_closest(call):
    with pytest.raises(registry.UnknownModelError) as info:
        call("kws-att-bilstn")
    assert isinstance(info.value, KeyError)
    assert str(info.value).startswith("unknown model 'kws-att-bilstn'; did you mean kws-att-bilstm")


@pytest.mark.parametrize("name", ["", None, 3])
def test_unusable_name_is_unknown(name):
    with pytest.raises(registry.UnknownModelError, match=rf"unknown model {name!r}"):
        zoo.load(name)


@pytest.mark.parametrize("args", [
    ["info", "kws-att-bilstn"],
    ["predict", "kws-att-bilstn", "x.wav"],
    ["export", "kws-att-bilstn", "-o", "x.tflite"],
    ["train", "kws-att-bilstn"],
])
def test_cli_misspelt_name(args):
    assert_cli_fails(cli(*args), "unknown model 'kws-att-bilstn'; did you mean kws-att-bilstm")


def test_cli_totally_unknown_name_points_to_list():
    assert_cli_fails(cli("info", "zzzzzz"), "unknown model 'zzzzzz'", "`zoo list`")


# ------------------------------------------------------------- quantize modes


def test_load_tflite_wrong_quantize_mode():
    with pytest.raises(ValueError, match=r"quantize must be one of float32, float16, dynamic, "
                                         r"int8, int16x8; got 'int4'"):
        zoo.load_tflite(KWS, quantize="int4")


def test_load_tflite_zero_threads(kws_rt):
    with pytest.raises(export.RuntimeLoadError, match=r"`threads` must be >= 1; got 0"):
        zoo.load_tflite(KWS, quantize="float32", threads=0)


def test_to_tflite_wrong_quantize_mode(tiny, tmp_path):
    with pytest.raises(export.ExportError, match=r"`quantize` must be one of .*; got 'int4'"):
        export.to_tflite(tiny["model"], tmp_path / "x.tflite", quantize="int4")
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("mode", [m for m in export.modes.MODES
                                  if export.modes.get(m).needs_calibration])
def test_to_tflite_full_integer_without_data(tiny, tmp_path, mode):
    with pytest.raises(export.ExportError, match=rf"quantize='{mode}' needs `representative_data`"):
        export.to_tflite(tiny["model"], tmp_path / "x.tflite", quantize=mode)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("data, message", [
    (np.zeros((8, 11, 6)), r"`representative_data` for input 'features' must have shape "
                           r"\(n, 12, 6\); got \(8, 11, 6\)"),
    (np.zeros((12, 6)), r"must have shape \(n, 12, 6\); got \(12, 6\)"),
    (np.full((8, 12, 6), "a"), r"`representative_data` for input 'features' is not numeric"),
    (np.ones((8, 12, 6), complex), r"must be real numbers; got dtype complex128"),
    (np.full((8, 12, 6), np.nan), r"`representative_data` for input 'features' contains NaN or Inf"),
    (np.zeros((0, 12, 6)), r"`representative_data` for input 'features' is empty"),
    ([np.zeros((8, 12, 6))] * 2, r"must hold 1 array\(s\), one per model input; got 2"),
    ({"nope": np.zeros((8, 12, 6))}, r"lacks input\(s\) \['features'\]"),
], ids=["length", "rank", "strings", "complex", "nan", "empty", "count", "names"])
def test_to_tflite_bad_representative_data(tiny, tmp_path, data, message):
    with pytest.raises(export.ExportError, match=message):
        export.to_tflite(tiny["model"], tmp_path / "x.tflite", quantize="int8",
                         representative_data=data)
    assert files_in(tmp_path) == []


def test_to_tflite_bad_validation_data_writes_nothing(tiny, tmp_path):
    with pytest.raises(export.ExportError, match=r"`validation_data` for input 'features' must "
                                                 r"have shape \(n, 12, 6\); got \(2, 3\)"):
        export.to_tflite(tiny["model"], tmp_path / "x.tflite", validation_data=np.zeros((2, 3)))
    assert files_in(tmp_path) == []


# ------------------------------------------------------------ output locations


def test_to_tflite_missing_output_dir(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"output directory '.*/nodir' does not exist"):
        export.to_tflite(tiny["model"], tmp_path / "nodir" / "x.tflite")
    assert files_in(tmp_path) == []


def test_to_tflite_readonly_output_dir(tiny, readonly_dir):
    with pytest.raises(PermissionError, match=r"output directory '.*readonly' is not writable"):
        export.to_tflite(tiny["model"], readonly_dir / "x.tflite")
    assert files_in(readonly_dir) == []  # no x.tflite, no .x.tflite.*.part


def test_to_tflite_output_is_a_directory(tiny, tmp_path):
    (tmp_path / "out.tflite").mkdir()
    with pytest.raises(export.ExportError, match=r"`path`: output path '.*out.tflite' is a "
                                                 r"directory; give a file name"):
        export.to_tflite(tiny["model"], tmp_path / "out.tflite")
    assert files_in(tmp_path / "out.tflite") == []


def test_cli_export_missing_output_dir(tiny, tmp_path):
    line = assert_cli_fails(cli("export", tiny["keras"], "-o", tmp_path / "nodir" / "x.tflite"),
                            "output directory", "does not exist")
    assert "nodir" in line and files_in(tmp_path) == []


def test_cli_export_readonly_output_dir(tiny, readonly_dir):
    assert_cli_fails(cli("export", tiny["keras"], "-o", readonly_dir / "x.tflite"),
                     "output directory", "is not writable")
    assert files_in(readonly_dir) == []


def test_cli_export_json_report_into_missing_dir(tiny, tmp_path):
    out = tmp_path / "x.tflite"
    assert_cli_fails(cli("export", tiny["keras"], "-o", out, "--json", tmp_path / "no" / "r.json"),
                     "output directory")
    assert not out.exists()


# ------------------------------------------------------------ CLI model files


def test_cli_export_corrupt_keras_file(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(os.urandom(2048))
    assert_cli_fails(cli("export", bad, "-o", tmp_path / "x.tflite"),
                     f"cannot load {str(bad)!r} as a Keras model")
    assert files_in(tmp_path) == ["bad.keras"]


def test_cli_export_weights_file_instead_of_keras(tmp_path):
    weights = registry.package_dir() / KWS / registry.WEIGHTS_FILE
    assert_cli_fails(cli("export", weights, "-o", tmp_path / "x.tflite"),
                     "must be a .keras file")
    assert files_in(tmp_path) == []


def test_cli_export_other_models_keras_with_kws_calibration(tiny, tmp_path):
    """A .keras of another model, calibrated with data shaped for kws-att-bilstm."""
    np.savez(tmp_path / "audio.npz", audio=np.zeros((4, RATE), "float32"))
    assert_cli_fails(cli("export", tiny["keras"], "-q", "int8", "-r", tmp_path / "audio.npz",
                         "-o", tmp_path / "x.tflite"),
                     "`representative_data` for input 'features' must have shape (n, 12, 6); "
                     "got (4, 16000)")
    assert files_in(tmp_path) == ["audio.npz"]


def test_cli_export_nan_representative(tiny, tmp_path):
    np.savez(tmp_path / "nan.npz", x=np.full((4, 12, 6), np.nan, "float32"))
    assert_cli_fails(cli("export", tiny["keras"], "-q", "int8", "-r", tmp_path / "nan.npz",
                         "-o", tmp_path / "x.tflite"), "contains NaN or Inf")


def test_cli_export_corrupt_npz(tiny, tmp_path):
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert_cli_fails(cli("export", tiny["keras"], "-q", "int8", "-r", tmp_path / "c.npz",
                         "-o", tmp_path / "x.tflite"), "is not a readable .npz")


# ---------------------------------------------------------- Runtime inputs


@pytest.mark.parametrize("value, message", [
    (np.zeros(6), r"input `\w+` must have shape \(batch, 12, 6\); got \(6,\)"),
    (np.zeros((1, 1, 12, 6)), r"must have shape \(batch, 12, 6\); got \(1, 1, 12, 6\)"),
    (np.zeros((1, 13, 6)), r"must have shape \(batch, 12, 6\); got \(1, 13, 6\)"),
    (np.full((1, 12, 6), "a"), r"input `\w+` must be a real numeric array; got dtype <U1"),
    (np.ones((1, 12, 6), complex), r"must be a real numeric array; got dtype complex128"),
    (np.full((1, 12, 6), np.nan), r"input `\w+` contains NaN or Inf values"),
    (np.full((2, 12, 6), -np.inf), r"contains NaN or Inf values"),
    (np.zeros((0, 12, 6)), r"input `\w+` is an empty batch \(shape \(0, 12, 6\)\)"),
    (None, r"input `\w+` is missing \(got None\)"),
], ids=["rank1", "rank4", "length", "strings", "complex", "nan", "inf", "empty", "none"])
def test_runtime_bad_inputs(tiny, value, message):
    with pytest.raises(ValueError, match=message):
        tiny["rt"](value)


def test_runtime_wrong_input_count_and_name(tiny):
    x = np.zeros((1, 12, 6), "float32")
    with pytest.raises(ValueError, match=r"expected 1 input\(s\) \[.*\]; got 2"):
        tiny["rt"](x, x)
    with pytest.raises(ValueError, match=r"unknown input name\(s\) \['nope'\]"):
        tiny["rt"](nope=x)


def test_runtime_casts_int_and_bool_inputs(tiny):
    """Integer and boolean arrays are exact in float32: accepted, same answer."""
    ones = np.ones((1, 12, 6))
    want = tiny["rt"](ones.astype("float32"))
    np.testing.assert_array_equal(tiny["rt"](ones.astype("int32")), want)
    np.testing.assert_array_equal(tiny["rt"](ones.astype(bool)), want)


# ---------------------------------------------------------- Runtime files


@pytest.mark.parametrize("make, message", [
    (lambda d, good: b"", "the file is empty"),
    (lambda d, good: os.urandom(4096), "not a TFLite flatbuffer (missing the 'TFL3' identifier)"),
    (lambda d, good: good[: len(good) // 3], "corrupt TFLite flatbuffer"),
    (lambda d, good: (d / "m.keras").read_bytes(), "not a TFLite flatbuffer"),
    (lambda d, good: b"# a README, not a model\n" * 20, "not a TFLite flatbuffer"),
], ids=["empty", "random", "truncated", "keras-zip", "text"])
def test_runtime_load_bad_files(tiny, tmp_path, make, message):
    path = tmp_path / "bad.tflite"
    path.write_bytes(make(tiny["dir"], tiny["tflite"].read_bytes()))
    with pytest.raises(export.RuntimeLoadError) as info:
        runtime.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and message in str(info.value)


def test_runtime_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"TFLite file '.*nope.tflite' does not exist"):
        runtime.load(tmp_path / "nope.tflite")


# ------------------------------------------------------ zoo.predict arrays


@pytest.mark.parametrize("value, message", [
    (np.full(RATE, np.nan, np.float32), r"a waveform must be finite; got 16000 NaN or Inf"),
    (np.full(RATE, np.inf, np.float32), r"a waveform must be finite"),
    (tone(), r"float samples in \[-1, 1\]; got dtype int16 \(integer PCM\? "
     r"divide by 32768"),
    (np.ones(RATE, complex), r"float samples in \[-1, 1\]; got dtype complex128"),
    (np.zeros(0, np.float32), r"at least one sample; got an empty array"),
    (np.zeros((1, 2, RATE), np.float32), r"'kws-att-bilstm' takes one speech input with 1 axes "
                                         r"or a batch with 2; got an array of shape \(1, 2, 16000\)"),
    ([np.zeros((2, RATE), np.float32)], r"a waveform must be a 1-D array of samples; got shape "
                                        r"\(2, 16000\)"),
], ids=["nan", "inf", "int16", "complex", "empty", "rank3", "rank2-item"])
def test_predict_bad_waveforms(kws_rt, value, message):
    with pytest.raises(ValueError, match=message):
        zoo.predict(KWS, value, model=kws_rt)


def test_predict_no_inputs(kws_rt):
    with pytest.raises(ValueError, match="predict needs at least one input"):
        zoo.predict(KWS, [], model=kws_rt)


def test_predict_with_another_models_keras_model(tiny):
    with pytest.raises(ValueError, match=r"`model` does not fit 'kws-att-bilstm': "
                                         r"'kws-att-bilstm' takes audio: \(16000\) float32; "
                                         r"the given model takes \(12, 6\)"):
        zoo.predict(KWS, np.zeros(RATE, np.float32), model=tiny["model"])


def test_predict_with_another_models_runtime(tiny):
    with pytest.raises(ValueError, match=r"`model` does not fit .* takes \(12, 6\)"):
        zoo.predict(KWS, np.zeros(RATE, np.float32), model=tiny["rt"])


def test_predict_with_a_non_model():
    with pytest.raises(TypeError, match=r"`model` must be a keras.Model or an "
                                        r"export.runtime.Runtime; got str"):
        zoo.predict(KWS, np.zeros(RATE, np.float32), model="kws-att-bilstm.tflite")


# ------------------------------------------------------- audio files


def test_wav_empty(kws_rt, tmp_path):
    path = write_wav(tmp_path / "empty.wav", np.zeros(0, "<i2"))
    with pytest.raises(ValueError, match=r"empty.wav' holds no audio samples \(header: 0 frames\)"):
        zoo.predict(KWS, str(path), model=kws_rt)


def test_wav_silent_is_silence(kws_rt, tmp_path):
    path = write_wav(tmp_path / "silent.wav", np.zeros(RATE, "<i2"))
    assert zoo.predict(KWS, str(path), model=kws_rt) == "_silence_"


def test_wav_clipped_is_accepted(kws_rt, tmp_path, recwarn):
    square = np.where(tone(amplitude=1.0) >= 0, 32767, -32768).astype("<i2")
    path = write_wav(tmp_path / "clipped.wav", square)
    audio = api.read_audio(path)
    assert audio.min() == -1.0 and audio.max() < 1.0
    assert zoo.predict(KWS, str(path), model=kws_rt) in KWS_LABELS
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_wav_stereo_is_mixed_down_with_warning(kws_rt, tmp_path):
    mono = tone()
    write_wav(tmp_path / "mono.wav", mono)
    write_wav(tmp_path / "stereo.wav", np.stack([mono, mono], axis=1), channels=2)
    with pytest.warns(UserWarning, match=r"stereo.wav' has 2 channels; mixing them down to mono"):
        got = api.read_audio(tmp_path / "stereo.wav")
    np.testing.assert_array_equal(got, api.read_audio(tmp_path / "mono.wav"))
    with pytest.warns(UserWarning, match="mixing them down"):
        label = zoo.predict(KWS, str(tmp_path / "stereo.wav"), model=kws_rt)
    assert label == zoo.predict(KWS, str(tmp_path / "mono.wav"), model=kws_rt)


def test_wav_8bit_matches_16bit(kws_rt, tmp_path):
    pcm16 = tone()
    pcm8 = ((pcm16.astype(np.int32) >> 8) + 128).astype(np.uint8)
    write_wav(tmp_path / "a16.wav", pcm16)
    write_wav(tmp_path / "a8.wav", pcm8, width=1)
    np.testing.assert_allclose(api.read_audio(tmp_path / "a8.wav"),
                               api.read_audio(tmp_path / "a16.wav"), atol=1 / 128)


@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_wav_other_sample_rate_is_resampled_with_warning(kws_rt, tmp_path, rate):
    from scipy.signal import resample_poly

    pcm = tone(rate=rate)
    path = write_wav(tmp_path / f"r{rate}.wav", pcm, rate=rate)
    with pytest.warns(UserWarning, match=rf"r{rate}.wav' is sampled at {rate} Hz; resampling it "
                                         rf"to 16000 Hz"):
        got = api.read_audio(path)
    g = np.gcd(rate, RATE)
    want = resample_poly(pcm / 32768.0, RATE // g, rate // g)
    assert got.dtype == np.float32 and len(got) == len(want) == RATE
    np.testing.assert_allclose(got, want, atol=1e-6)
    with pytest.warns(UserWarning, match="resampling it to 16000 Hz"):
        label = zoo.predict(KWS, str(path), model=kws_rt)
    assert label == zoo.predict(KWS, want.astype(np.float32), model=kws_rt)


def test_wav_24bit_matches_16bit(tmp_path, recwarn):
    pcm16 = tone()
    v = pcm16.astype(np.int32) << 8  # the same samples, 8 more bits of zeros
    pcm24 = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], -1).astype(np.uint8)
    write_wav(tmp_path / "a16.wav", pcm16)
    write_wav(tmp_path / "deep.wav", pcm24, width=3)
    np.testing.assert_array_equal(api.read_audio(tmp_path / "deep.wav"),
                                  api.read_audio(tmp_path / "a16.wav"))
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_wav_very_long_is_cut_with_warning(kws_rt, tmp_path):
    first = tone(amplitude=0.5)
    path = write_wav(tmp_path / "long.wav", np.concatenate([first] + [tone(amplitude=0.1)] * 9))
    with pytest.warns(UserWarning, match=r"long.wav' has 160000 samples \(10.00 s at 16000 Hz\); "
                                         r"the model takes 16000: using the first 16000"):
        label = zoo.predict(KWS, str(path), model=kws_rt)
    assert label == zoo.predict(KWS, first.astype(np.float32) / 32768, model=kws_rt)


@pytest.mark.parametrize("content, detail", [
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(200), "not a RIFF/WAVE or FLAC file"),
    (b"just some text, not audio\n" * 10, "not a RIFF/WAVE or FLAC file"),
    ("truncated-header", "corrupt or truncated: error in WAV/W64/RF64 file. Malformed 'fmt ' chunk"),
], ids=["mp3", "text", "truncated-header"])
def test_not_an_audio_file(kws_rt, tmp_path, content, detail):
    path = tmp_path / "bad.wav"
    if content == "truncated-header":
        write_wav(tmp_path / "good.wav", tone())
        content = (tmp_path / "good.wav").read_bytes()[:20]
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        zoo.predict(KWS, str(path), model=kws_rt)
    message = str(info.value)
    assert message.startswith(f"{str(path)!r} is not a readable audio file ({detail})")
    assert "ffmpeg -i IN -ac 1 -ar 16000 -c:a pcm_s16le OUT.wav" in message


def test_float_wav_matches_its_samples(kws_rt, tmp_path):
    x = tone().astype(np.float32) / 32768
    data = x.astype("<f4").tobytes()
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
                     + struct.pack("<IHHIIHH", 16, 3, 1, RATE, RATE * 4, 4, 32)
                     + b"data" + struct.pack("<I", len(data)) + data)
    np.testing.assert_array_equal(api.read_audio(path), x)
    assert zoo.predict(KWS, str(path), model=kws_rt) == zoo.predict(KWS, x, model=kws_rt)


def test_float_wav_with_nan_is_refused(tmp_path):
    x = np.zeros(RATE, "<f4")
    x[100:103] = np.nan
    data = x.tobytes()
    path = tmp_path / "nan.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
                     + struct.pack("<IHHIIHH", 16, 3, 1, RATE, RATE * 4, 4, 32)
                     + b"data" + struct.pack("<I", len(data)) + data)
    with pytest.raises(ValueError, match=r"nan.wav' is not a readable audio file \(3 NaN or Inf "
                                         r"sample\(s\) from frame 100 on\)"):
        api.read_audio(path)


def test_wav_data_cut_inside_a_frame_keeps_whole_frames(tmp_path):
    good = write_wav(tmp_path / "good.wav", tone(0.1))
    data = good.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) - 101])  # header still claims 1600 frames
    np.testing.assert_array_equal(api.read_audio(cut), api.read_audio(good)[:1549])


def test_wav_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"audio file '.*nope.wav' does not exist"):
        api.read_audio(tmp_path / "nope.wav")


def test_cli_predict_bad_audio(tmp_path):
    (tmp_path / "text.wav").write_text("not audio\n")
    assert_cli_fails(cli("predict", KWS, tmp_path / "text.wav"), "text.wav' is not a readable "
                     "audio file (not a RIFF/WAVE or FLAC file)", "ffmpeg")
    assert_cli_fails(cli("predict", KWS, tmp_path / "nope.wav"), "input file", "does not exist")


def test_cli_predict_unshipped_tflite_mode(tmp_path):
    write_wav(tmp_path / "ok.wav", tone())
    assert_cli_fails(cli("predict", KWS, tmp_path / "ok.wav", "--tflite", "int4"),
                     "quantize must be one of", "got 'int4'")


# ----------------------------------------------- tampered / missing shipped files


def flip_byte(path, offset=-100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_tampered_shipped_weights(shipped_copy):
    weights = shipped_copy / registry.WEIGHTS_FILE
    flip_byte(weights)
    with pytest.raises(registry.ChecksumError) as info:
        zoo.load(KWS)
    message = str(info.value)
    assert f"{weights} does not match its SHA256SUMS entry (expected 08a4dd7848ea..." in message
    assert "reinstall the package" in message


def test_missing_shipped_tflite(shipped_copy):
    (shipped_copy / f"{KWS}.int8.tflite").unlink()
    with pytest.raises(registry.ChecksumError, match=rf"{KWS}\.int8\.tflite is missing \(it is "
                                                     rf"listed in SHA256SUMS\)"):
        zoo.load_tflite(KWS, quantize="int8")


def test_tampered_shipped_labels(shipped_copy):
    (shipped_copy / registry.LABELS_FILE).write_text("yes\nno\n")
    with pytest.raises(registry.ChecksumError, match=r"labels.txt does not match its SHA256SUMS"):
        zoo.labels(KWS)


def test_missing_shipped_checksums(shipped_copy):
    (shipped_copy / registry.CHECKSUMS_FILE).unlink()
    with pytest.raises(registry.ChecksumError, match=r"'kws-att-bilstm': .*SHA256SUMS is missing, "
                                                     r"so the files beside it cannot be verified"):
        zoo.load_tflite(KWS, quantize="float32")


def test_unlisted_shipped_file(shipped_copy):
    sums = shipped_copy / registry.CHECKSUMS_FILE
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines()
                            if not line.endswith(registry.CARD_JSON)))
    with pytest.raises(registry.ChecksumError, match=r"card.json is not listed in .*SHA256SUMS"):
        zoo.model_card(KWS)


def test_cli_info_tampered_card(shipped_copy):
    (shipped_copy / registry.CARD_MD).write_text("# forged card\n")
    assert_cli_fails(cli("info", KWS), "card.md does not match its SHA256SUMS entry")


def test_cli_predict_tampered_tflite(shipped_copy, tmp_path):
    flip_byte(shipped_copy / f"{KWS}.float32.tflite", offset=5000)
    write_wav(tmp_path / "ok.wav", tone())
    assert_cli_fails(cli("predict", KWS, tmp_path / "ok.wav", "--tflite", "float32"),
                     f"{KWS}.float32.tflite does not match its SHA256SUMS entry")


# --------------------------------------------------------- attention layers


def _f32(*shape):
    return np.zeros(shape, "float32")


@pytest.mark.parametrize("call, message", [
    (lambda L: L.BahdanauAttention(4)(_f32(2, 3, 4, 5), _f32(2, 3, 5)),
     r"`query` must have shape \(batch, dq\) or \(batch, tq, dq\); got shape \(2, 3, 4, 5\)"),
    (lambda L: L.BahdanauAttention(4)(_f32(2, 5), _f32(2, 5)),
     r"`values` must have shape \(batch, tv, dv\); got shape \(2, 5\)"),
    (lambda L: L.BahdanauAttention(4)(_f32(2, 5), _f32(2, 3, 5), mask=np.ones((2, 4), bool)),
     r"`mask` must have shape \(batch, tv\) = \(2, 3\) matching `values`; got shape \(2, 4\)"),
    (lambda L: L.BahdanauAttention(4)(_f32(3, 5), _f32(2, 3, 5)),
     r"`query` and `values` must have the same batch size; got query shape \(3, 5\)"),
    (lambda L: L.LuongAttention("dot")(_f32(2, 4), _f32(2, 3, 5)),
     r"LuongAttention needs the query and values feature sizes to be equal; got query shape "
     r"\(2, 4\) and values shape \(2, 3, 5\)"),
    (lambda L: L.AttentionPooling()(_f32(2, 5)),
     r"`inputs` must have shape \(batch, t, d\); got shape \(2, 5\)"),
    (lambda L: L.MultiHeadSelfAttention(2, 4)(_f32(2, 3, 8), mask=np.ones((2, 5), bool)),
     r"`mask` must have shape \(batch, tv\) = \(2, 3\) matching `values`; got shape \(2, 5\)"),
], ids=["query-rank4", "values-rank2", "mask-length", "batch", "luong-dot-features",
        "pooling-rank2", "self-attention-mask"])
def test_attention_layer_shape_errors(call, message):
    from zoo import layers

    with pytest.raises(ValueError, match=message):
        call(layers)


# ------------------------------------------- zoo train with bad data (class 6)


@pytest.mark.parametrize("name, args, message", [
    ("kws-att-bilstm", ["--data-dir", "{tmp}/missing"], "neither a built synthetic set"),
    ("text-att-bigru", ["--tsv", "{tmp}/bad.tsv"], "bad.tsv:2: expected `text<TAB>label`"),
])
def test_zoo_train_bad_data_is_one_line_and_leaves_no_empty_folder(tmp_path, monkeypatch, name,
                                                                   args, message):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    (tmp_path / "bad.tsv").write_text("a fine line\tlabel\nno tab on this line\n")
    result = runner.invoke(app, ["train", name, *[a.format(tmp=tmp_path) for a in args]])
    assert result.exit_code == 2, result.output
    assert f"error: zoo train {name}: " in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "home" / name).exists()


def test_zoo_train_failure_keeps_a_folder_that_was_there(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    kept = tmp_path / "home" / "text-att-bigru"
    kept.mkdir(parents=True)
    (kept / "notes.txt").write_text("mine")
    (tmp_path / "bad.tsv").write_text("no tab\n")
    result = runner.invoke(app, ["train", "text-att-bigru", "--tsv", str(tmp_path / "bad.tsv")])
    assert result.exit_code == 2 and (kept / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("sentences, message", [
    (b"I have no idea.", "not bytes: decode them first"),
    ([b"I have no idea."], "sentence 0 is of type bytes, not a str: decode it first"),
    ([3], "sentence 0 is of type int, not a str"),
])
def test_translate_names_the_type_it_got(sentences, message):
    with pytest.raises(ValueError, match=message):
        zoo.translate("mt-numbers-en-de-bahdanau", sentences)


# ------------------- series / forecast values far outside the trained range (class 3)


@pytest.mark.parametrize("backend", ["keras", "float32", "int8"])
def test_series_far_outside_the_training_range_is_refused_on_every_backend(backend):
    x = np.full((20, 12), 1e30, np.float32)
    with pytest.raises(ValueError, match=r"standard deviations from what 'ts-att-gru' was "
                                         r"trained on \(at most 1000 accepted\)"):
        zoo.pipeline("ts-att-gru", backend=backend)(x)


def test_series_within_the_training_range_still_gets_a_label():
    from zoo.models.series import preprocessing

    padded = preprocessing.representative_data("ts-att-gru")[:3]  # real training series
    items = [s[s[:, -1] > 0, :-1] for s in padded]  # back to (time, channels)
    assert len(zoo.predict("ts-att-gru", items)) == 3


def test_forecast_history_beyond_float32_scaling_is_refused():
    with pytest.raises(ValueError, match=r"values up to 1e\+30 .* rescale the series"):
        zoo.predict("forecast-att-lstm", [np.full((104, 1), 1e30, np.float32)])
    from zoo.models.forecast import preprocessing

    with pytest.raises(ValueError, match=r"forecast of series 1 is NaN or Inf \(1 of 2\)"):
        preprocessing.postprocess("forecast-att-lstm", np.array([[1.0, 2.0], [np.inf, 1.0]]))
