"""benchmarks.kws_real_audio without the reserved recordings: transcript tokenisation,
stream assembly, the window posteriors' timing and the PocketSphinx kws file."""

import numpy as np
import pytest

from benchmarks import kws_real_audio as bench
from zoo.demo.scoring import read_stream, write_stream


@pytest.mark.parametrize("text, want", [
    ("That agent is already logged on.  Please enter your agent number followed by the pound "
     "key.", ["on"]),
    ("Goodbye", []),
    ("No more messages.", ["no"]),
    ("don't", []),
    ("Don\u2019t stop", ["stop"]),
    ("Call-Forward on No Answer.", ["no", "on"]),
    ("Please leave your message after the tone.  When done hang up or press the pound key.",
     ["up"]),
    ("I'm sorry, the leftover ongoing noon stopwatch", []),
    ("LEFT brace", ["left"]),
    ("o'clock", []),
])
def test_transcript_keywords(text, want):
    assert bench.keywords_in(text) == want


def test_parse_transcripts_drops_non_speech_and_notes():
    text = ("; Core Asterisk Sounds in English\n\nbeep: [this is a simple beep tone]\n"
            "silence/1: (1 second of silence)\n"
            "vm-intro: Please leave your message after the tone. (simple tone sound plays)\n"
            "vm-no: no\nnot a transcript line\n")
    assert bench.parse_transcripts(text) == {
        "vm-intro": "Please leave your message after the tone.", "vm-no": "no"}


def test_concat_segments_and_stream_round_trip(tmp_path):
    a, b = np.full(1600, 0.25, np.float32), np.full(800, -0.5, np.float32)
    x, segs = bench.concat([(a, "no more", ["no"], "a.wav"), (b, "left", ["left"], "b.wav")], 0.5)
    assert len(x) == 3 * 8000 + 2400
    assert [(s["start_s"], s["end_s"], s["keywords"]) for s in segs] == [
        (0.5, 0.6, ["no"]), (1.1, 1.15, ["left"])]
    assert np.all(x[8000:9600] == 0.25) and np.all(x[17600:18400] == -0.5)
    path = write_stream(tmp_path / "k.wav", x, segs, prompts=2)
    y, meta = read_stream(path)
    assert meta["segments"] == segs and meta["prompts"] == 2
    assert meta["duration_s"] == len(x) / 16000 and np.allclose(y, x, atol=1e-4)


def test_window_posteriors_match_the_detector_windows(monkeypatch):
    from zoo.demo.detector import Detector

    seen = []

    def predict(w):  # records each window's first and last sample
        seen.extend(zip(w[:, 0].tolist(), w[:, -1].tolist()))
        return np.tile(np.eye(12, dtype=np.float32)[1], (len(w), 1))

    monkeypatch.setattr(bench, "_model", lambda name, mode: (predict, [str(i) for i in range(12)]))
    audio = np.arange(1, 40001, dtype=np.float32)  # 2.5 s
    times, probs = bench.window_posteriors("kws-gru", "int8", audio, batch=7)
    assert probs.shape == (26, 12) and times[:3].tolist() == [0.0, 0.1, 0.2]
    assert times[-1] == 2.5
    offline = list(seen)
    seen.clear()
    Detector(predict, [str(i) for i in range(12)], batch=5).run([audio])
    assert offline == seen  # the same windows, in the same order


def test_kws_file(tmp_path):
    assert bench.kws_lines(["yes", "go"], 1e+20) == "yes /1e+20/\ngo /1e+20/\n"
    assert bench.kws_lines(["no"], 1e-5) == "no /1e-05/\n"
    path = bench.write_kws_file(tmp_path / "k.list", bench.KEYWORDS, 1.0)
    lines = path.read_text().splitlines()
    assert len(lines) == 10 and lines[0] == "yes /1e+00/" and lines[-1] == "go /1e+00/"
    with pytest.raises(ValueError, match="positive"):
        bench.kws_lines(["yes"], 0)


def test_model_hook_registry(monkeypatch):
    monkeypatch.setattr(bench, "_POSTERIORS", {})

    def frames(name, mode, audio):
        return np.arange(3) * 0.02, np.full((3, 12), 1 / 12, np.float32)

    bench.register_posteriors("kws-stream-*", frames, smoothing=1, threshold={"yes": 0.5})
    times, probs = bench.posteriors("kws-stream-att-gru", "int8", np.zeros(100, np.float32))
    assert probs.shape == (3, 12) and times[1] == 0.02
    d = bench.decision_settings("kws-stream-att-gru")
    from zoo.demo.detector import load_settings

    own = load_settings(model="kws-stream-att-gru")   # its settings.json section, then the overrides
    assert d["smoothing"] == 1 and d["threshold"] == {"yes": 0.5}
    assert d["refractory_s"] == own["refractory_ms"] / 1000
    assert d["max_run_s"] == own["max_run_ms"] / 1000
    assert bench.decision_settings("kws-gru")["smoothing"] == load_settings()["smoothing_windows"]


def test_posterior_cache_is_keyed_by_the_models_artifacts(tmp_path, monkeypatch):
    """A retrained model (new SHA256SUMS) never reads its predecessor's cached posteriors."""
    from types import SimpleNamespace

    from zoo import registry

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "SHA256SUMS").write_text("aa  model.weights.h5\n")
    monkeypatch.setattr(registry, "require_artifacts", lambda name: SimpleNamespace(path=folder))
    calls = []

    def fake(name, mode, audio):
        calls.append(name)
        return np.zeros(2), np.full((2, 12), len(calls), np.float32)

    monkeypatch.setattr(bench, "posteriors", fake)
    first = bench.cached_posteriors(tmp_path / "cache", "m", "int8", "s", np.zeros(10))[1]
    again = bench.cached_posteriors(tmp_path / "cache", "m", "int8", "s", np.zeros(10))[1]
    assert len(calls) == 1 and (first == again).all()
    (folder / "SHA256SUMS").write_text("bb  model.weights.h5\n")
    new = bench.cached_posteriors(tmp_path / "cache", "m", "int8", "s", np.zeros(10))[1]
    assert len(calls) == 2 and new[0, 0] == 2
