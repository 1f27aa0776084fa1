"""The browser demo end to end: web_demo.prepare, `npm ci` (pinned
@litertjs/core), web_demo.serve on 127.0.0.1, headless Chromium whose fake
microphone plays zoo/demo_audio/sentence.wav. The page runs the shipped
kws-att-bilstm file with LiteRT.js (wasm), POSTs its detections and a
numeric self-test (one fixed window vs Python export.runtime) to the server.

Skipped, with the reason, when chromium, node or npm is missing
(`bash scripts/setup_system.sh` installs chromium).
Set UPDATE_SCREENSHOT=1 to refresh web_demo/screenshot.png.
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
from web_demo.browser import find_chromium, headless, served, wait_for

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.tensorflow_only,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                       "(bash scripts/setup_system.sh installs it)"),
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                       reason="node/npm are not installed (needed for @litertjs/core)"),
]

AUTOPLAY = ["--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def server():
    from web_demo import prepare

    prepare.prepare(prepare.WINDOW_MODEL)   # the window model's page; test_web_stream covers the stream
    reports = Path(tempfile.mkdtemp(prefix="web-demo-"))
    try:
        with served(reports) as base:
            yield base, reports
    finally:
        shutil.rmtree(reports, ignore_errors=True)


def _chromium(url, extra=(), timeout=60, report=None):
    """Run headless Chromium on `url` until `report` (a path) appears, or
    until it exits; returns the report (dict) or None."""
    with headless(CHROMIUM, url, [*AUTOPLAY, *extra], stderr=subprocess.PIPE) as proc:
        if report is None:
            wait_for(lambda: None, proc, timeout)
            return None
        found = wait_for(lambda: report.is_file() and json.loads(report.read_text()), proc, timeout)
        if found is None:
            err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None else ""
            pytest.fail(f"no report from the page within {timeout} s ({url})\n{err[-2000:]}")
        return found


def _run_page(server, query, extra=()):
    base, reports = server
    report = reports / "report.json"
    report.unlink(missing_ok=True)
    out = _chromium(f"{base}index.html?{query}", extra, report=report)
    assert not out.get("errors"), "\n".join(out["errors"])
    return out


def test_browser_detects_the_sentence_keywords_from_the_fake_microphone(server, tmp_path):
    sentence = AUDIO / "sentence.wav"
    want = json.loads((AUDIO / "sentence.json").read_text())
    r = _run_page(server, f"mode=int8&accel=wasm&selftest=1&report=1&autostart=1"
                          f"&listen={want['duration_s']}",
                  ["--disable-gpu", "--use-fake-ui-for-media-stream",
                   "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-audio-capture={sentence}"])
    assert r["context_rate"] == 16000
    assert abs(r["audio_s"] - want["duration_s"]) < 0.01
    # JS plan loop on LiteRT.js vs Python export.runtime, same int8 file
    assert r["selftest"]["max_abs_diff"] < 0.05, r["selftest"]
    assert r["selftest"]["top1_js"] == r["selftest"]["top1_py"] == "yes"
    found = [(d["label"], d["time_s"]) for d in r["detections"]]
    assert [label for label, _ in found] == [d["label"] for d in want["detections"]]  # yes up on
    # Chromium's fake device plays the file in real time from its own start, so a page that
    # starts listening late (a loaded machine) misses the first fraction of a second and every
    # time comes out early by the same amount. The spacing of the keywords is what the page
    # measures; the common shift may only be such a late start (measured up to 0.25 s).
    times = np.array([t for _, t in found])
    expected = np.array([d["time_s"] for d in want["detections"]])
    shift = float(np.mean(times - expected))
    np.testing.assert_allclose(np.diff(times), np.diff(expected), atol=want["tolerance_s"],
                               err_msg=str((found, want["detections"])))
    assert -0.5 <= shift <= want["tolerance_s"], (shift, found, want["detections"])

    # the finished run, shown without a microphone, as a screenshot
    base, _ = server
    png = tmp_path / "screenshot.png"
    _chromium(f"{base}index.html?view=last",
              ["--disable-gpu", "--window-size=900,620", f"--screenshot={png}"], timeout=30)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(png, WEB / "screenshot.png")


def test_browser_float32_matches_python_runtime(server):
    r = _run_page(server, "mode=float32&accel=wasm&selftest=1&report=1", ["--disable-gpu"])
    assert r["selftest"]["max_abs_diff"] < 1e-4, r["selftest"]
    assert sorted(r["signatures"]) == ["serving_default"]  # the single-layout file: one invoke
