"""Keyword sentences (zoo.data.speech_commands.keyword_sentences): the keyword's span in
the text, balanced texts that hold their keyword once, split-true voices, keyword times
checked against the pause that follows the keyword in the rendered audio, and the
trainer's windows around them."""

import csv
import shutil

import numpy as np
import pytest

from zoo.data.speech_commands import LABELS, task
from zoo.data.speech_commands import keyword_sentences as ks
from zoo.data.speech_commands import running as rn

needs_tts = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                               reason="needs espeak-ng and sox (bash scripts/setup_system.sh)")


@pytest.mark.parametrize("text,kw,expect", [
    ("Turn left now.", "left", ("Turn", "Turn left")),
    ("Yes, please.", "yes", ("", "Yes")),
    ("Well, I said no, but", "no", ("Well, I said", "Well, I said no")),
    ("It's on-line", "on", ("It's", "It's on")),
])
def test_keyword_span(text, kw, expect):
    assert ks.keyword_span(text, kw) == expect


@pytest.mark.parametrize("text", ["No, no.", "Nothing here", "Upon it"])
def test_keyword_span_needs_exactly_one(text):
    with pytest.raises(ValueError, match="exactly once"):
        ks.keyword_span(text, "no" if "o" in text.lower() else "up")


def test_texts_balanced_once_each_and_from_their_split():
    text = rn.sentences()
    own = set(text["validation"])
    out = ks.texts("validation", 12, seed=1, text=text)
    assert out == ks.texts("validation", 12, seed=1, text=text)
    assert sorted({k for _, k in out}) == sorted(task.KEYWORDS)
    assert all(sum(k == kw for _, k in out) == 12 for kw in task.KEYWORDS)
    for s, k in out:
        assert rn.keywords_in(s) == [k]
        assert s in own or s.endswith(".")     # a fortunes sentence of the split, or a carrier
    # carrier words come from the split's own sentences (words only train sentences have never appear)
    words = lambda lines: {w.lower() for s in lines for w in ks._WORDS.findall(s)}  # noqa: E731
    train_only = words(text["train"]) - words(text["validation"])
    carriers = [s for s, _ in out if s not in own]
    assert carriers and not words(carriers) & train_only


def test_plan_voices_follow_the_split():
    items = ks.plan(6, seed=2, engines=("espeak-ng", "flite", "festival", "piper"),
                    music={s: [(f"{s}.wav", 100.0)] for s in task.SPLITS}, irs=("ir",))
    assert {it["split"] for it in items} == {"train", "validation"}
    assert sum(it["split"] == "train" for it in items) == 60
    for it in items:
        assert task.speaker_split(it["engine"], it["voice"], it["variant"]) == it["split"]
        assert "pad=" in it["augmentation"]
        assert it["engine"] != "piper"          # piper is a test-only voice


def _pause_after(y, t, rate=16000):
    """Start (s) of the first >= 80 ms stretch 35 dB under the loudest 10 ms frame after `t`."""
    fr = rate // 100
    n = len(y) // fr
    db = 20 * np.log10(np.sqrt(np.mean(y[:n * fr].reshape(n, fr) ** 2, axis=1)) + 1e-9)
    quiet = db < db.max() - 35
    j = int(t * 100)
    while j < n:
        if quiet[j:j + 8].all():
            return j / 100
        j += 1
    return None


@needs_tts
@pytest.mark.parametrize("text,kw", [("Yes, it is a long and quiet evening.", "yes"),
                                     ("We walked for hours, then we turned left, and the sea was there.", "left")])
@pytest.mark.parametrize("tempo", [None, "1.15"])
def test_keyword_end_meets_the_pause_after_it(text, kw, tempo, tmp_path):
    from zoo.data.speech_commands import builder

    builder._init_worker(str(tmp_path))
    aug = "pad=0.3-0.2;gain=-3" + (f";tempo={tempo}" if tempo else "")
    spec = dict(engine="espeak-ng", voice="en-us", variant="m3", pitch="50", speed="170", text=text,
                augmentation=aug, seed="1", source="espeak-ng")
    y, (start, end) = rn.render_marked(spec, ks.keyword_span(text, kw))
    assert 0.3 <= start < end < len(y) / 16000
    pause = _pause_after(y, start + 0.05)
    assert pause is not None and abs(end - pause) < 0.08, (start, end, pause)
    # the keyword-final prefix is the whole sentence: its end is the speech end (before the 0.2 s pad)
    whole = rn.render_marked(spec, ("", text))[1][1]
    assert abs(whole - (len(y) / 16000 - 0.2)) < 0.03


def test_recording_items_have_no_marks():
    with pytest.raises(ValueError, match="TTS item"):
        rn.render_marked({"engine": "recording", "augmentation": "", "seed": "1"}, ("x",))


@needs_tts
def test_tiny_build_load_and_resume(tmp_path):
    res = ks.build(tmp_path, per_keyword=1, seed=0, workers=1, engines="espeak-ng", reverb="synthetic",
                   progress=False)
    assert res["per_split"] == {"train": 10, "validation": 10} and res["generated"] == 20
    with open(tmp_path / "kw_sentences" / "items.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    x, y, start, end = ks.load_keyword_sentences(tmp_path, "train", LABELS)
    assert len(x) == 10 and sorted(LABELS[i] for i in y) == sorted(task.KEYWORDS)
    assert all(0 <= s < e <= len(a) / 16000 for a, s, e in zip(x, start, end))
    assert [r["keyword"] for r in rows if r["split"] == "train"] == [LABELS[i] for i in y]
    assert ks.build(tmp_path, per_keyword=1, seed=0, workers=1, engines="espeak-ng", reverb="synthetic",
                    progress=False)["generated"] == 0
    with pytest.raises(ValueError, match="seed"):
        ks.build(tmp_path, per_keyword=1, seed=1, workers=1, engines="espeak-ng", reverb="synthetic", progress=False)
    with pytest.raises(FileNotFoundError, match="sentences --data-dir"):
        ks.load_keyword_sentences(tmp_path / "nope", "train", LABELS)
    # the command a trainer's card quotes rebuilds these settings
    assert ks.build_command(tmp_path) == ("python -m zoo.data.speech_commands sentences "
                                          "--data-dir DATA --per-keyword 1 --seed 0")


def test_trainer_windows_end_after_the_keyword_and_before_it():
    from zoo.models.kws import train_causal as tc

    rate = 16000
    # a 3-s "sentence": ramp values mark each sample's position; the keyword spans 1.5-1.9 s
    clip = (np.arange(3 * rate, dtype=np.float32) + 1) / (3 * rate)
    x = np.zeros((4, rate), np.float32)
    y = np.array([0, 1, 2, 3])
    ex = tc.ContextExamples(x, y, None, sentences=([clip], np.array([4]), np.array([1.5]), np.array([1.9])))
    xs, ys = ex.sentence_examples(np.random.default_rng(0))
    assert list(ys) == [4, 1] and xs.shape == (2, tc.TRAIN_SAMPLES)
    last = xs[:, -1] * 3 * rate             # the sentence sample each window ends on (1-based)
    assert 1.9 + tc.SENTENCE_AFTER_S[0] <= last[0] / rate <= 1.9 + tc.SENTENCE_AFTER_S[1] + 1e-3
    assert last[1] / rate <= 1.5 - tc.BEFORE_MARGIN_S
    # a window longer than what precedes the keyword starts with silence (no running pool), then the sentence
    lead = tc.TRAIN_SAMPLES - int(last[1])
    assert not xs[1, :lead].any() and xs[1, lead] == pytest.approx(1 / (3 * rate))


@pytest.mark.parametrize("args,needle", [(["--per-keyword", "0"], "per_keyword must be a count"),
                                         (["--workers", "0"], "workers must be >= 1")])
def test_cli_bad_input(args, needle, tmp_path, capsys):
    from zoo.data.speech_commands import __main__ as cli

    assert cli.main(["sentences", "--data-dir", str(tmp_path), *args]) == 2
    assert needle in capsys.readouterr().err
