"""The Android demo's own Kotlin, compiled and run on the desktop JVM (android_demo/jvm).

Every app file without an Android import (all but MainActivity.kt) is compiled
with kotlinc against Android's org.json and a stand-in for LiteRT's Java classes
whose kernels run in ai_edge_litert (android_demo/jvm/litert_bridge.py). Harness.kt
then does what MainActivity does: LoadedModel.load on the assets prepare.py
wrote, PCM16 blocks of one hop into the Detector, flush at the end. Checked
against the Python demo (zoo.demo.detector.Detector with the same model file and
settings) on the bundled recordings: every model output and every detection;
and the app's refusals of bad assets reach the caller with their reason.

Needs a JDK, Debian's libandroid-json-java and npm (for kotlin-compiler); skipped
with the reason when one is missing (`bash scripts/setup_system.sh` installs the
Debian parts; the Kotlin compiler is installed by `npm ci` in android_demo/jvm).
"""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.android.test_android_demo import KOTLIN, prepare
from tests.android.test_android_demo import assets as window_assets  # noqa: F401 (fixture)
from zoo.data.audio import SAMPLE_RATE, read_audio
from zoo.demo import detector as pydetector

ROOT = Path(__file__).resolve().parents[2]
AUDIO = ROOT / "zoo" / "demo_audio"
WINDOW_MODEL, STREAM_MODEL, MODE = "kws-att-bilstm", "kws-stream-att-gru", "int8"


def _load_run():
    spec = importlib.util.spec_from_file_location("android_jvm_run", ROOT / "android_demo" / "jvm" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jvm = _load_run()


@pytest.fixture(scope="module")
def classpath():
    missing = [t for t in ("java", "javac") if shutil.which(t) is None]
    if not jvm.ANDROID_JSON.is_file():
        missing.append("libandroid-json-java")
    if not (jvm.KOTLIN_HOME / "bin" / "kotlinc").is_file() and shutil.which("npm") is None:
        missing.append("npm")
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (bash scripts/setup_system.sh)")
    return jvm.build()


@pytest.fixture(scope="module")
def stream_assets(tmp_path_factory):
    out = tmp_path_factory.mktemp("jvm_stream_assets")
    prepare.prepare(out, stream=STREAM_MODEL, stream_mode=MODE)
    return out


def _python_demo(model, settings_path, wav, mode=MODE):
    """The Python demo on `wav`: (every model output row, detections)."""
    predict, labels = pydetector.load_model(model, quantize=mode)
    rows = []

    def recording(x):
        p = predict(x)
        rows.extend(np.asarray(p, np.float32))
        return p

    det = pydetector.Detector(recording, labels, settings=pydetector.load_settings(settings_path),
                              batch=1)
    audio = read_audio(wav, SAMPLE_RATE)
    found = det.run(audio[i:i + 1600] for i in range(0, len(audio), 1600))
    return np.array(rows), found, labels


def _same_run(report, want_rows, want_found, labels):
    assert report["labels"] == labels
    got = np.array(report["outputs"], np.float32)
    assert got.shape == want_rows.shape, (got.shape, want_rows.shape)
    np.testing.assert_allclose(got, want_rows, atol=1e-6)
    assert [d["label"] for d in report["detections"]] == [d.label for d in want_found]
    for d, w in zip(report["detections"], want_found, strict=True):
        assert d["time_s"] == pytest.approx(w.time_s, abs=1e-9)
        assert d["prob"] == pytest.approx(w.prob, abs=1e-6)
        assert d["line"] == w.line()


def test_every_android_free_app_file_is_compiled():
    names = {p.name for p in jvm.app_sources()}
    assert names == {p.name for p in KOTLIN.glob("*.kt")} - {"MainActivity.kt"}
    assert {"LoadedModel.kt", "Detector.kt", "PlanRunner.kt", "FrameStreamRunner.kt",
            "WindowClassifier.kt", "ModelContract.kt"} <= names
    main = (KOTLIN / "MainActivity.kt").read_text()
    # the Activity loads through the compiled code, not a copy of it
    assert "LoadedModel.load(::asset, ::hasAsset)" in main and "pcm16ToFloat(pcm, got)" in main
    assert "model?.newDetector()" in main and "Detector(" not in main.replace("newDetector(", "")


@pytest.mark.parametrize("wav", ["sentence.wav", "yes.wav", "left.wav", "noise.wav"])
def test_window_model_on_the_jvm_equals_the_python_demo(classpath, window_assets, wav):
    rows, found, labels = _python_demo(WINDOW_MODEL, window_assets / "settings.json", AUDIO / wav)
    report = jvm.run_wav(window_assets, AUDIO / wav, classpath)
    assert report["streaming"] is False and report["window"] == 16000
    assert report["runner"] == "WindowClassifier"
    _same_run(report, rows, found, labels)
    if wav == "sentence.wav":  # the words the recording says, as the README shows them
        assert [d.label for d in found] == ["yes", "up", "on"]


def test_streaming_model_on_the_jvm_equals_the_python_demo(classpath, stream_assets):
    wav = AUDIO / "sentence.wav"
    rows, found, labels = _python_demo(STREAM_MODEL, stream_assets / "kws_stream_settings.json", wav)
    report = jvm.run_wav(stream_assets, wav, classpath)
    assert report["streaming"] is True and report["window"] == report["hop"] == 320
    assert report["runner"] == "StreamStep"  # single layout: the stock API, no plan walked
    assert len(rows) == report["windows"] > 200  # one step-file run per 20 ms frame, state carried
    _same_run(report, rows, found, labels)
    assert [d.label for d in found] == ["yes", "up"]


@pytest.mark.parametrize("mode,runner", [("float32", "StreamStep"), ("dynamic", "PlanRunner")])
def test_each_step_file_layout_runs_on_the_jvm_as_in_python(classpath, tmp_path, mode, runner):
    """The other step files: float32 (single layout like int8: one signature, the stock
    Interpreter.runSignature through StreamStep, no plan walked) and dynamic (stepped: the
    plan walked by PlanRunner), equal to the Python demo on the same file."""
    prepare.prepare(tmp_path, stream=STREAM_MODEL, stream_mode=mode)
    wav = AUDIO / "sentence.wav"
    rows, found, labels = _python_demo(STREAM_MODEL, tmp_path / "kws_stream_settings.json", wav,
                                       mode=mode)
    report = jvm.run_wav(tmp_path, wav, classpath)
    assert report["runner"] == runner
    assert len(rows) == report["windows"] > 200
    _same_run(report, rows, found, labels)


def _broken(src, tmp_path, name, edit):
    out = tmp_path / name
    shutil.copytree(src, out)
    edit(out)
    return out


def test_bad_assets_are_refused_with_the_reason(classpath, window_assets, stream_assets, tmp_path):
    wav = AUDIO / "yes.wav"

    def labels(d):
        (d / "labels.txt").write_text("\n".join((d / "labels.txt").read_text().split()[:-1]))

    def window(d):
        s = json.loads((d / "settings.json").read_text())
        s["window_ms"] = 500
        (d / "settings.json").write_text(json.dumps(s))

    def stream_state(d):
        s = json.loads((d / "kws_stream_state.json").read_text())
        s["data"][0] = s["data"][0][:-1]
        (d / "kws_stream_state.json").write_text(json.dumps(s))

    def model(d):
        (d / "kws.tflite").write_bytes((d / "kws.tflite").read_bytes()[:4096])

    cases = [(window_assets, labels, "labels.txt has 11 labels; the model has 12"),
             (window_assets, window, "settings give a 8000-sample window; the model takes 16000"),
             (stream_assets, stream_state, "initial state 0 has 319 values"),
             (window_assets, model, "kws.tflite")]
    for src, edit, reason in cases:
        with pytest.raises(jvm.JvmCheckError, match=reason):
            jvm.run_wav(_broken(src, tmp_path, edit.__name__, edit), wav, classpath)
