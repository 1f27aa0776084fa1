"""Running-speech data (zoo.data.speech_commands.running): keyword detection in text,
split disjointness of sentences and voices, a tiny real build (espeak-ng + flite), the
stream format against its audio, `load_running`, and the CLI's errors."""

import csv
import gzip
import json
import shutil

import numpy as np
import pytest

from zoo.data import audio
from zoo.data.speech_commands import __main__ as cli
from zoo.data.speech_commands import running as rn
from zoo.data.speech_commands import task


@pytest.mark.parametrize("text,expect", [
    ("Turn it off.", ["off"]), ("often", []), ("Don't go.", ["go"]), ("Go LEFT, then right!", ["go", "left", "right"]),
    ("Yesterday I knew nothing; stopping is upward.", []), ("on-line", ["on"]), ("No, no.", ["no", "no"]),
    ("Upon the onion", []), ("It's down there", ["down"]),
])
def test_keywords_in(text, expect):
    assert rn.keywords_in(text) == expect


def test_sentences_are_split_disjoint_and_sized():
    text = rn.sentences()
    sets = {s: set(v) for s, v in text.items()}
    assert not (sets["train"] & sets["validation"] or sets["train"] & sets["test"] or sets["validation"] & sets["test"])
    assert len(sets["validation"]) > 200 and len(sets["test"]) > 200
    for s in list(sets["test"])[:500]:
        assert 4 <= len(s.split()) <= 25
    # carriers for the keyword stream: dev and test share none, each holds a keyword
    dev, test = rn.keyword_carriers("validation"), rn.keyword_carriers("test")
    assert dev and test and not set(dev) & set(test)
    assert all(1 <= len(rn.keywords_in(c)) <= 2 for c in dev + test)


def test_plan_voices_and_sentences_follow_the_split():
    music = {"train": [("a.wav", 200.0)], "validation": [("b.wav", 200.0)], "test": [("c.wav", 200.0)]}
    items = rn.plan_running(2.0, seed=1, engines=("espeak-ng", "flite", "festival", "piper"),
                            stream_minutes=1.0, keyword_sentences=20, music=music, irs=("ir",))
    assert items == rn.plan_running(2.0, seed=1, engines=("espeak-ng", "flite", "festival", "piper"),
                                    stream_minutes=1.0, keyword_sentences=20, music=music, irs=("ir",))
    spk, txt = {}, {}
    for it in items:
        assert task.speaker_split(it["engine"], it["voice"], it["variant"]) == it["split"]
        spk.setdefault(it["speaker"], set()).add(it["split"])
        if it["kind"] == "pool" or "_free/" in it["path"]:
            assert it["keywords"] == "" and not rn.keywords_in(it["text"])
        txt.setdefault(it["text"], set()).add(it["split"])
        for s in ("train", "validation", "test"):
            if f"music:{'abc'[('train', 'validation', 'test').index(s)]}" in it["augmentation"]:
                assert it["split"] == s
    assert all(len(v) == 1 for v in spk.values()) and all(len(v) == 1 for v in txt.values())
    kw = [it for it in items if "_keywords/" in it["path"]]
    assert len(kw) == 40 and all(1 <= len(it["keywords"].split()) <= 2 for it in kw)
    assert {it["split"] for it in items if it["kind"] == "stream"} == {"validation", "test"}
    assert {it["engine"] for it in items if it["split"] == "test"} <= {"espeak-ng", "festival", "piper"}


def test_foreign_filter_drops_keyword_like_prompts(tmp_path, monkeypatch):
    d = tmp_path / "sounds" / "es"
    (d / "digits").mkdir(parents=True)
    for name in ("hola", "vm-no", "digits/1", "corto"):
        audio.write_wav(d / f"{name}.wav", np.full(8000 * (0 if name == "corto" else 2) + 800, 0.1, np.float32), 8000)
    doc = tmp_path / "core-sounds-es.txt.gz"
    doc.write_bytes(gzip.compress("; header\nhola: Hola, buenos días\nvm-no: No hay mensajes\ndigits/1: uno\n".encode()))
    monkeypatch.setattr(rn, "FOREIGN_DIR", str(tmp_path / "sounds" / "{lang}"))
    monkeypatch.setattr(rn, "FOREIGN_TRANSCRIPT", str(doc))
    logs = []
    files = rn.foreign_files(("es", "xx"), log=logs.append)
    assert sorted(t for _, _, t in files) == ["Hola, buenos días", "uno"]
    assert any("xx" in m and "asterisk-core-sounds-xx-wav" in m for m in logs)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if not (shutil.which("espeak-ng") and shutil.which("flite") and shutil.which("sox")):
        pytest.skip("needs espeak-ng, flite and sox (bash scripts/setup_system.sh)")
    d = tmp_path_factory.mktemp("running")
    res = rn.build_running(d, minutes=0.25, seed=3, workers=1, engines="espeak-ng,flite", eval_minutes=0.1,
                           stream_minutes=0.25, keyword_sentences=5, foreign=False, reverb="synthetic",
                           progress=False, log=lambda m: None)
    return d, res


def test_tiny_build_pool(tiny):
    d, res = tiny
    with open(d / "running" / "pool.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) >= {"path", "split", "source", "voice", "text", "keywords"}
    assert {r["split"] for r in rows} == {"train", "validation", "test"}
    voices = {}
    for r in rows:
        voices.setdefault(r["voice"], set()).add(r["split"])
        assert r["keywords"] == "" and not rn.keywords_in(r["text"])
        info = audio.audio_info(d / "running" / r["path"])
        assert info.rate == 16000 and info.channels == 1 and 0.8 < info.duration_s < 30
    assert all(len(s) == 1 for s in voices.values())
    # resumable: a second run renders nothing; other settings are refused
    again = rn.build_running(d, minutes=0.25, seed=3, workers=1, engines="espeak-ng,flite", eval_minutes=0.1,
                             stream_minutes=0.25, keyword_sentences=5, foreign=False, reverb="synthetic",
                             progress=False, log=lambda m: None)
    assert again["generated"] == 0 and again["items"] == res["items"]
    with pytest.raises(ValueError, match="seed"):
        rn.build_running(d, minutes=0.25, seed=4, workers=1, engines="espeak-ng,flite", eval_minutes=0.1,
                         stream_minutes=0.25, keyword_sentences=5, foreign=False, reverb="synthetic",
                         progress=False, log=lambda m: None)


def test_streams_round_trip_and_segment_times(tiny):
    d, _ = tiny
    assert rn.stream_names(d) == ["dev_free", "dev_keywords", "test_free", "test_keywords"]
    for name in rn.stream_names(d):
        x, meta = rn.load_stream(d, name)
        raw = json.loads((d / "running" / "streams" / f"{name}.json").read_text())
        assert meta == raw and set(meta) == {"sample_rate", "duration_s", "segments"}
        assert meta["sample_rate"] == 16000 and x.dtype == np.float32
        assert abs(meta["duration_s"] - len(x) / 16000) < 1e-3
        segs = meta["segments"]
        assert segs and all(set(s) == {"start_s", "end_s", "text", "keywords"} for s in segs)
        inside = np.zeros(len(x), bool)
        prev_end = 0.0
        for s in segs:
            assert prev_end + 0.29 <= s["start_s"] < s["end_s"] <= meta["duration_s"]
            prev_end = s["end_s"]
            a, b = int(s["start_s"] * 16000), int(s["end_s"] * 16000)
            inside[a:b] = True
            assert audio.rms(x[a:b]) > 10 ** (-40 / 20)                  # speech inside each segment
            assert s["keywords"] == rn.keywords_in(s["text"])
            if name.endswith("_free"):
                assert s["keywords"] == []
            else:
                assert 1 <= len(s["keywords"]) <= 2
        gaps = x[~inside]
        assert len(gaps) > 0.25 * 16000 * len(segs)
        assert audio.rms(gaps) < 10 ** (-50 / 20)                          # near-silence between
    with pytest.raises(FileNotFoundError, match="dev_keywords"):
        rn.load_stream(d, "dev_kw")


def test_load_running_shapes_and_determinism(tiny):
    d, _ = tiny
    a = rn.load_running(d, "train", 16, seed=1)
    assert a.shape == (16, 16000) and a.dtype == np.float32
    assert np.array_equal(a, rn.load_running(d / "running", "train", 16, seed=1))
    assert not np.array_equal(a, rn.load_running(d, "train", 16, seed=2))
    frames = a[:, :15680].reshape(16, -1, 320)
    assert (np.sqrt((frames ** 2).mean(-1)).max(1) > 10 ** (-45 / 20)).all()    # no near-silent crop
    b = rn.load_running(d, "dev", 3, seed=0, seconds=0.5)
    assert b.shape == (3, 8000) and np.abs(b).max() <= 1.0
    assert rn.context is rn.load_running
    with pytest.raises(ValueError, match="split"):
        rn.load_running(d, "holdout", 2)
    with pytest.raises(ValueError, match="seconds"):
        rn.load_running(d, "train", 2, seconds=0)
    with pytest.raises(FileNotFoundError, match="running --data-dir"):
        rn.load_running(d / "nothing", "train", 2)


@pytest.mark.parametrize("args,needle", [
    (["--minutes", "0"], "minutes must be a positive number"),
    (["--minutes", "-3"], "minutes must be a positive number"),
    (["--workers", "0"], "workers must be >= 1"),
    (["--keyword-sentences", "0"], "keyword_sentences must be >= 1"),
    (["--engines", "asterisk"], "reserved for evaluation"),
    (["--engines", "espeak"], "unknown engine"),
])
def test_cli_bad_input(args, needle, tmp_path, capsys):
    rc = cli.main(["running", "--data-dir", str(tmp_path / "d"), "--no-progress", *args])
    assert rc == 2 and needle in capsys.readouterr().err


def test_cli_data_dir_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli.main(["running", "--data-dir", str(f), "--no-progress"]) == 2
    assert "is a file" in capsys.readouterr().err
