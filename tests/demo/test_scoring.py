"""zoo.demo.scoring: decisions against hand-worked cases, the live Detector agreeing with
`detect`, and scoring of known detections."""

import json
import math

import numpy as np
import pytest

from zoo.demo.detector import Detector, load_settings
from zoo.demo.scoring import (Detection, decision_kwargs, detect, read_stream, score, sweep,
                              write_stream)

LABELS = ["_silence_", "_unknown_", "yes", "no"]
IGNORE = ["_silence_", "_unknown_"]


def onehot(seq, n=4):
    out = np.zeros((len(seq), n), np.float32)
    out[np.arange(len(seq)), seq] = 1
    return out


def test_detect_runs_refractory_and_max_run_by_hand():
    times = np.arange(12) * 0.1
    # yes yes unk yes unk unk no no no no no unk
    probs = onehot([2, 2, 1, 2, 1, 1, 3, 3, 3, 3, 3, 1])
    found = detect(times, probs, LABELS, threshold=0.5, ignore_labels=IGNORE)
    assert [(d.time_s, d.label) for d in found] == [(0.05, "yes"), (0.3, "yes"), (0.8, "no")]
    # refractory 0.3 s drops the second "yes" (0.25 s after the first)
    found = detect(times, probs, LABELS, threshold=0.5, refractory_s=0.3, ignore_labels=IGNORE)
    assert [(d.time_s, d.label) for d in found] == [(0.05, "yes"), (0.8, "no")]
    # a run may last at most max_run_s: the "no" run 0.6..1.0 ends before 0.6 + 0.3: 0.6-0.8, 0.9-1.0
    found = detect(times, probs, LABELS, threshold=0.5, max_run_s=0.3, ignore_labels=IGNORE)
    assert [(d.time_s, d.label) for d in found][2:] == [(0.7, "no"), (0.95, "no")]


def test_detect_smoothing_and_per_word_thresholds():
    times = np.arange(4) * 0.1
    probs = np.array([[0, 0.2, 0.8, 0], [0, 0.2, 0.8, 0], [0, 0.4, 0, 0.6], [0, 1, 0, 0]],
                     np.float32)
    # smoothing 2: [.8 yes]@0, [.8 yes]@.05, [.4 yes/.3 no]@.15, [.7 unk]@.25
    found = detect(times, probs, LABELS, threshold=0.5, smoothing=2, ignore_labels=IGNORE)
    assert [(d.time_s, d.label, round(d.prob, 3)) for d in found] == [(0.025, "yes", 0.8)]
    found = detect(times, probs, LABELS, threshold={"yes": 0.9, "no": 0.5}, ignore_labels=IGNORE)
    assert [(d.time_s, d.label) for d in found] == [(0.2, "no")]
    with pytest.raises(ValueError, match="unknown labels"):
        detect(times, probs, LABELS, threshold={"maybe": 0.5})
    with pytest.raises(ValueError, match="shape"):
        detect(times, probs[:, :3], LABELS, threshold=0.5)


def test_detector_and_detect_agree_on_the_same_posteriors():
    rng = np.random.default_rng(7)
    n_windows = 200
    logits = rng.normal(size=(n_windows, 4)) * 3
    table = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(np.float32)
    calls = {"i": 0}

    def model(x):  # the k-th window gets row k of the table
        out = table[calls["i"]:calls["i"] + len(x)]
        calls["i"] += len(x)
        return out

    settings = load_settings(threshold=0.6)
    live = Detector(model, LABELS, settings=settings, batch=7).run(
        [np.zeros(1600 * (n_windows - 1), np.float32)])
    assert calls["i"] == n_windows
    offline = detect(np.arange(n_windows) * 0.1, table, LABELS, **decision_kwargs(settings))
    assert len(live) > 5
    assert live == offline


HAND_SEGMENTS = [dict(start_s=1.0, end_s=2.0, text="no more messages", keywords=["no"]),
                 dict(start_s=5.0, end_s=6.0, text="front left", keywords=["left"]),
                 dict(start_s=9.0, end_s=10.0, text="goodbye", keywords=[])]


def test_score_hits_false_alarms_and_duplicates():
    dets = [Detection(0.8, "no", 0.9),    # hit (start - 0.25 <= t)
            Detection(2.9, "no", 0.9),    # same occurrence again: ignored
            Detection(5.5, "yes", 0.9),   # wrong word: false alarm
            Detection(7.1, "left", 0.9),  # > end + 1.0: false alarm
            Detection(9.5, "go", 0.9)]    # in a keyword-free segment: false alarm
    r = score(dets, HAND_SEGMENTS, 1800.0, ["yes", "no", "left", "go"])
    assert (r["hits"], r["occurrences"], r["false_alarms"]) == (1, 2, 3)
    assert r["recall"] == 0.5 and r["fa_per_hour"] == 6.0
    assert r["per_word"]["no"] == dict(hits=1, occurrences=1, false_alarms=0)
    assert r["per_word"]["left"] == dict(hits=0, occurrences=1, false_alarms=1)
    assert r["per_word"]["yes"]["false_alarms"] == 1
    edge = score([Detection(0.75, "no", 1), Detection(7.0, "left", 1)], HAND_SEGMENTS, 3600,
                 ["no", "left"])
    assert (edge["hits"], edge["false_alarms"]) == (2, 0)  # both window edges are inclusive
    early = score([Detection(0.74, "no", 1)], HAND_SEGMENTS, 3600, ["no"])
    assert (early["hits"], early["false_alarms"]) == (0, 1)
    none = score([], [], 60.0, ["yes"])
    assert none["recall"] is None and none["fa_per_hour"] == 0.0
    with pytest.raises(ValueError, match="duration_s"):
        score([], [], 0, ["yes"])


def test_score_overlapping_windows_credit_the_next_occurrence():
    segs = [dict(start_s=0.0, end_s=1.0, text="no", keywords=["no"]),
            dict(start_s=1.5, end_s=2.5, text="no", keywords=["no"])]
    # 1.6 s is within both windows: the first is taken already, so it is the second's hit
    r = score([Detection(0.5, "no", 1), Detection(1.6, "no", 1)], segs, 10, ["no"])
    assert (r["hits"], r["false_alarms"]) == (2, 0)


def test_sweep_equals_detect_then_score():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet([0.3] * 4, size=300).astype(np.float32)
    times = np.arange(300) * 0.1
    segs = [dict(start_s=3.0, end_s=4.0, text="yes", keywords=["yes"]),
            dict(start_s=20.0, end_s=21.0, text="no", keywords=["no"])]
    kw = dict(smoothing=3, refractory_s=0.5, max_run_s=1.0, ignore_labels=IGNORE)
    points = sweep(times, probs, LABELS, segs, 30.0, [0.3, 0.6, 0.9], **kw)
    for p in points:
        want = score(detect(times, probs, LABELS, threshold=p["threshold"], **kw), segs, 30.0,
                     ["yes", "no"])
        assert {k: p[k] for k in want} == want
    fas = [p["false_alarms"] for p in points]
    assert fas == sorted(fas, reverse=True) and fas[0] > fas[-1]


def test_stream_round_trip_and_bad_json(tmp_path):
    x = (0.1 * np.sin(np.arange(8000) / 10)).astype(np.float32)
    json_path = write_stream(tmp_path / "s.wav", x, HAND_SEGMENTS[:1], parts=[{"name": "a"}])
    y, meta = read_stream(json_path)
    assert meta["duration_s"] == 0.5 and meta["sample_rate"] == 16000
    assert meta["segments"] == HAND_SEGMENTS[:1] and meta["parts"] == [{"name": "a"}]
    assert np.max(np.abs(y - x)) < 1e-4
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(sample_rate=16000, segments=[])))
    with pytest.raises(ValueError, match="duration_s"):
        read_stream(bad, audio=False)
    with pytest.raises(ValueError, match="keywords"):
        write_stream(tmp_path / "t.wav", x, [dict(start_s=0, end_s=1, text="x")])
    assert not (tmp_path / "t.wav").exists()
    assert math.isclose(read_stream(tmp_path / "s.wav", audio=False)[1]["duration_s"], 0.5)
