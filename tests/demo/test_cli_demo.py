import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.demo.wavs import tone, write_pcm
from zoo.cli import app

AUDIO = Path(__file__).resolve().parents[2] / "zoo" / "demo_audio"
LINE = re.compile(r"^(\d\d):(\d\d\.\d{3})  (\S+)  (\d\.\d\d)$")


def _detections(text):
    return [(int(m[1]) * 60 + float(m[2]), m[3], float(m[4]))
            for m in map(LINE.match, text.splitlines()) if m]


def test_zoo_demo_wav_prints_detection_lines(tmp_path):
    """`zoo demo` runs the settings' default model (the streaming one, like `python -m
    zoo.demo`): what it prints are keywords of sentence.wav, in order, each once, between
    the word's onset and 1 s after its end (the real-audio benchmark's hit window), never
    "seven"; "yes" and "up" are found. The final "on" is a near miss of the shipped model
    (its smoothed probability peaks at 0.966 under the 0.995 threshold; the previous model
    reached 0.9954), so it may or may not be printed: "on" inside speech is the word the
    real-audio benchmark shows it missing."""
    from zoo.demo.detector import DEFAULT_MODEL

    png = tmp_path / "out.png"
    result = CliRunner().invoke(app, ["demo", "--wav", str(AUDIO / "sentence.wav"),
                                      "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert f"with {DEFAULT_MODEL} (" in result.output
    found = _detections(result.stdout)
    meta = json.loads((AUDIO / "sentence.json").read_text())
    words = [w for w in meta["words"] if w["word"] in {d["label"] for d in meta["detections"]}]
    labels = [label for _, label, _ in found]
    assert labels[:2] == ["yes", "up"] and labels in (["yes", "up"], ["yes", "up", "on"]), labels
    for (t, _, _), w in zip(found, words):
        assert w["onset_s"] <= t <= w["onset_s"] + w["duration_s"] + 1.0, (t, w)
    assert "real-time factor" in result.output
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_zoo_demo_window_model_times(tmp_path):
    """`--model kws-att-bilstm` runs the 1-s window model: detections at the word centres."""
    result = CliRunner().invoke(app, ["demo", "--wav", str(AUDIO / "sentence.wav"),
                                      "--model", "kws-att-bilstm", "-q", "int8"])
    assert result.exit_code == 0, result.output
    found = _detections(result.stdout)
    want = json.loads((AUDIO / "sentence.json").read_text())["detections"]
    assert [label for _, label, _ in found] == [w["label"] for w in want]
    assert all(abs(t - w["time_s"]) <= 0.15 for (t, _, _), w in zip(found, want))


@pytest.mark.parametrize("case", ["missing", "text", "plot dir", "model", "quantize"])
def test_zoo_demo_bad_input_exits_2_with_one_line(tmp_path, case):
    wav = str(AUDIO / "yes.wav")
    args = {
        "missing": ["--wav", str(tmp_path / "nope.wav")],
        "text": ["--wav", str(Path(__file__))],
        "plot dir": ["--wav", wav, "--plot", str(tmp_path / "no" / "x.png")],
        "model": ["--wav", wav, "--model", "no-such-model"],
        "quantize": ["--wav", wav, "--quantize", "int4"],
    }[case]
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output


def test_zoo_demo_without_microphone_exits_2(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "sounddevice" in result.output and "--wav FILE" in result.output


def test_python_m_zoo_demo_main(tmp_path, capsys):
    from zoo.demo import main

    path = write_pcm(tmp_path / "st.wav", np.stack([tone(1.0), tone(1.0)], 1) * 0.01,
                     rate=8000)
    assert main(["--wav", str(path), "--keras"]) == 0
    out, err = capsys.readouterr()
    assert _detections(out) == []
    assert "mixing them down to mono" in err and "resampling it to 16000 Hz" in err
    assert "real-time factor" in err
    assert main(["--wav", str(tmp_path / "missing.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err
