"""The web demo with a streaming keyword spotter (kws-stream-att-gru: one 20 ms
frame per call, its state carried between calls).

- web_demo.prepare for a streaming model: the step files, plan, initial state
  (the Python `silence_state`), the model's settings section and a framed test
  vector (the Python `FrameStream` posteriors after each frame); clear errors
  when the step files or the settings section are missing; the default model
  stays the window model until the streaming model's files exist.
- In headless Chromium (LiteRT.js, wasm): the page's FrameStreamRunner (kws.js)
  reproduces the Python posteriors of every frame of the test vector (int8 and
  float32), and the page streams Chromium's fake microphone frame by frame.

The step files: the trained ones in zoo/pretrained/kws-stream-att-gru/, else
$ZOO_STREAM_MODEL_DIR, else the untrained pilot in /work/shared/pilot/ (same
contract); skipped, saying so, when none is there.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web_demo"
AUDIO = ROOT / "zoo" / "demo_audio"
MODEL = "kws-stream-att-gru"
MODES = ("int8", "float32")
PILOT = Path("/work/shared/pilot")

from web_demo import prepare as web_prepare
from web_demo.browser import find_chromium, headless, served, wait_for


def _model_dir():
    candidates = [web_prepare.PRETRAINED / MODEL]
    if os.environ.get("ZOO_STREAM_MODEL_DIR"):
        candidates.insert(0, Path(os.environ["ZOO_STREAM_MODEL_DIR"]))
    candidates.append(PILOT)
    for d in candidates:
        if all((d / f"{MODEL}.stream.{m}.tflite").is_file() for m in MODES) \
                and (d / "labels.txt").is_file():
            return d
    return None


MODEL_DIR = _model_dir()
needs_model = pytest.mark.skipif(MODEL_DIR is None, reason=f"no {MODEL} step files (trained or "
                                 "pilot); set ZOO_STREAM_MODEL_DIR")
CHROMIUM = find_chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("node") is None or shutil.which("npm") is None,
    reason="needs chromium and node/npm (bash scripts/setup_system.sh installs chromium)")

#: A models section for settings files that have none yet (the trained model's comes
#: from python -m zoo.models.kws.operating_point --write).
SECTION = {"window_ms": 20, "hop_ms": 20, "smoothing_windows": 5,
           "threshold": {w: 0.7 for w in ("yes", "no", "up", "down", "left", "right", "on",
                                          "off", "stop", "go")},
           "refractory_ms": 1000, "max_run_ms": 1000, "file_mode": "int8"}


def _settings(tmp):
    s = json.loads(web_prepare.SETTINGS.read_text())
    if MODEL not in (s.get("models") or {}):
        s.setdefault("models", {})[MODEL] = SECTION
    path = Path(tmp) / "settings.json"
    path.write_text(json.dumps(s, indent=1))
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-stream")
    settings = _settings(tmp)
    out = web_prepare.prepare(MODEL, MODES, tmp / "model", model_dir=MODEL_DIR, settings=settings)
    return out, settings


# ------------------------------------------------------------------ prepare

@needs_model
def test_prepare_writes_the_stream_files(prepared):
    from export import runtime
    from zoo.demo.detector import load_settings
    from zoo.models.kws.causal import FRAME
    from zoo.models.kws.frames import FrameStream, silence_state

    out, settings = prepared
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "frames" and manifest["modes"] == list(MODES)
    assert manifest["frame_samples"] == FRAME == web_prepare.FRAME
    state = json.loads((out / manifest["state"]).read_text())
    for mode in MODES:
        base = manifest["files"][mode]
        src = MODEL_DIR / f"{MODEL}.stream.{mode}.tflite"
        assert (out / f"{base}.tflite").read_bytes() == src.read_bytes()
        plan = json.loads((out / f"{base}.plan.json").read_text())
        assert plan == runtime.read_plan(src.read_bytes())
        # one state for both files, by position: the names are the first file's (a stepped
        # file's inputs are t0.., a single-layout file's the model's own)
        if mode == MODES[0]:
            assert state["names"] == plan["inputs"][1:]
        assert state["shapes"] == [s[1:] for s in plan["input_shapes"][1:]]
        # no output of any signature is one of its inputs (the exporter copies the frame
        # into the next audio tail in the float front end), so the page's map is empty
        passthrough = json.loads((out / f"{base}.passthrough.json").read_text())
        assert passthrough == {}
    # the initial state is Python's silence_state, in plan order (mel tail = log of the floor)
    want = silence_state([tuple(s) for s in state["shapes"]])
    assert len(state["data"]) == len(want)
    for got, w in zip(state["data"], want):
        np.testing.assert_array_equal(np.float32(got), w.ravel())
    assert state["roles"][:3] == ["audio_tail", "mel_tail", "gru_state"]
    assert np.allclose(state["data"][1], np.log(1e-6), atol=1e-4)
    assert load_settings(settings, model=MODEL) == json.loads((out / "settings.json").read_text())

    # the test vector: the frames of sentence.wav and FrameStream's posteriors after each
    tv = json.loads((out / "testvec.json").read_text())
    x = np.float32(tv["input"]).reshape(tv["frames"], FRAME)
    assert tv["frames"] == 80
    for mode in MODES:
        stream = FrameStream.from_file(out / f"{manifest['files'][mode]}.tflite")
        np.testing.assert_allclose(tv["expected"][mode], stream(x), atol=1e-6)


@needs_model
def test_prepare_errors_are_clear(tmp_path, prepared):
    _, settings = prepared
    with pytest.raises(SystemExit, match=r"no step file .*stream\.int8\.tflite"):
        web_prepare.prepare(MODEL, ["int8"], tmp_path / "a", model_dir=tmp_path)
    plain = tmp_path / "plain.json"  # a settings file without the model's section
    plain.write_text(web_prepare.SETTINGS.read_text())
    s = json.loads(plain.read_text())
    s.pop("models", None)
    plain.write_text(json.dumps(s))
    with pytest.raises(SystemExit, match=r"window_ms = hop_ms = 20.*operating_point"):
        web_prepare.prepare(MODEL, ["int8"], tmp_path / "b", model_dir=MODEL_DIR, settings=plain)


def test_default_model_falls_back_to_the_window_model(tmp_path):
    s = json.loads(web_prepare.SETTINGS.read_text())
    s["default_model"] = "kws-stream-no-such-model"
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(s))
    assert web_prepare.default_model(path) == web_prepare.WINDOW_MODEL
    s["default_model"] = MODEL
    path.write_text(json.dumps(s))
    shipped = all((web_prepare.PRETRAINED / MODEL / f"{MODEL}.stream.{m}.tflite").is_file()
                  for m in MODES)
    assert web_prepare.default_model(path) == (MODEL if shipped else web_prepare.WINDOW_MODEL)


# ------------------------------------------------------------------ browser

@pytest.fixture(scope="module")
def server(prepared):
    out, _ = prepared
    reports = Path(tempfile.mkdtemp(prefix="web-stream-"))
    try:
        with served(reports, model_dir=out) as base:
            yield base, reports
    finally:
        shutil.rmtree(reports, ignore_errors=True)


def _run_page(server, query, extra=(), timeout=90):
    base, reports = server
    report = reports / "report.json"
    report.unlink(missing_ok=True)
    url = f"{base}index.html?{query}"
    with headless(CHROMIUM, url, ["--autoplay-policy=no-user-gesture-required", "--disable-gpu",
                                  *extra], stderr=subprocess.PIPE) as proc:
        found = wait_for(lambda: report.is_file() and json.loads(report.read_text()), proc, timeout)
        if found is None:
            err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""
            pytest.fail(f"no report from the page within {timeout} s ({url})\n{err[-2000:]}")
    assert not found.get("errors"), "\n".join(found["errors"])
    return found


def _check_selftest(st, mode, tol):
    assert st["mode"] == mode and st["frames"] == 80, st
    # every frame, state carried from silence: LiteRT.js vs Python FrameStream (same file)
    assert st["max_abs_diff"] < tol, st
    assert st["top1_agree"] == st["frames"], (st["top1_js"], st["top1_py"])


@needs_model
@needs_browser
def test_browser_streams_frames_int8_and_matches_python(server):
    sentence = AUDIO / "sentence.wav"
    r = _run_page(server, "mode=int8&accel=wasm&selftest=1&report=1&autostart=1&listen=1.2",
                  ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-audio-capture={sentence}"])
    assert r["model"] == MODEL and r["kind"] == "frames"
    _check_selftest(r["selftest"], "int8", 0.02)
    # the page fed the microphone as 20 ms frames: 60 frames for 1.2 s, then flush() the
    # model's smoothing span of silence (settings.json)
    from zoo.demo.detector import load_settings

    tail = load_settings(model=MODEL)["smoothing_windows"]
    assert r["context_rate"] == 16000 and abs(r["audio_s"] - 1.2) < 0.01
    assert r["windows"] == 60 + tail
    times = [t for t, _ in r["history"]]
    assert len(times) == 60 + tail and times[-1] <= 1.2 + tail * 0.02


@needs_model
@needs_browser
def test_browser_float32_frames_match_python(server):
    """The float32 step file: single layout once shipped so (LiteRT.js computed it on an
    unwritten buffer until the exporter gave the next audio tail an op of its own)."""
    from export import runtime

    r = _run_page(server, "mode=float32&accel=wasm&selftest=1&report=1")
    _check_selftest(r["selftest"], "float32", 1e-4)
    plan = runtime.read_plan((MODEL_DIR / f"{MODEL}.stream.float32.tflite").read_bytes())
    assert sorted(r["signatures"]) == sorted(s["name"] for s in plan["stages"])
