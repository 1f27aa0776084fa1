"""benchmarks.kws_dev_decisions: the knapsack, half-stream scoring, per-word thresholds
chosen on one half, the verifier's windows and its filtering, on hand-made streams."""

import itertools

import numpy as np
import pytest

from benchmarks import kws_dev_decisions as bench

LABELS = ["_silence_", "_unknown_", "yes", "no"]
FRAME_S = 0.02


def _posteriors(duration_s, events):
    """Silence everywhere, and `word` at `prob` (rest on _unknown_) for 10 frames ending
    just before each event time."""
    n = int(duration_s / FRAME_S)
    p = np.zeros((n, len(LABELS)), np.float32)
    p[:, 0] = 1.0
    for t, word, prob in events:
        i = int(t / FRAME_S)
        p[i - 10:i] = 0.0
        p[i - 10:i, LABELS.index(word)] = prob
        p[i - 10:i, 1] = 1.0 - prob
    return p


def _streams():
    free = {"duration_s": 200.0, "segments": []}
    kw = {"duration_s": 200.0, "segments": [
        dict(start_s=40.0, end_s=41.0, text="yes", keywords=["yes"]),
        dict(start_s=60.0, end_s=61.0, text="no", keywords=["no"]),
        dict(start_s=140.0, end_s=141.0, text="yes", keywords=["yes"]),
        dict(start_s=160.0, end_s=161.0, text="no", keywords=["no"])]}
    streams = [("d/dev_free", np.zeros(16000 * 200, np.float32), free),
               ("d/dev_keywords", np.zeros(16000 * 200, np.float32), kw)]
    post = {"d/dev_free": _posteriors(200, [(30.0, "no", 0.95), (150.0, "no", 0.85)]),
            "d/dev_keywords": _posteriors(200, [(41.0, "yes", 0.99), (61.0, "no", 0.9),
                                                (141.0, "yes", 0.99), (161.0, "no", 0.91)])}
    return streams, post


def test_knapsack_matches_brute_force():
    rng = np.random.default_rng(0)
    words, thresholds = ["a", "b", "c"], [0.5, 0.8, 0.9, 1.0]
    for _ in range(20):
        table = {}
        for w in words:
            fas = sorted(rng.integers(0, 6, size=3))[::-1]
            hits = sorted(rng.integers(0, 9, size=3))[::-1]
            for t, fa, h in zip(thresholds, fas, hits):
                table[(w, t)] = (int(fa), int(h))
            table[(w, 1.0)] = (0, 0)
        for cap in (0, 2, 5, 9):
            got = bench.knapsack(table, words, thresholds, cap)
            best = max(sum(table[(w, t)][1] for w, t in zip(words, combo))
                       for combo in itertools.product(thresholds, repeat=3)
                       if sum(table[(w, t)][0] for w, t in zip(words, combo)) <= cap)
            assert sum(table[(w, got[w])][1] for w in words) == best
            assert sum(table[(w, got[w])][0] for w in words) <= cap


def test_score_counts_each_half_of_every_stream_apart():
    from zoo.demo.scoring import Detection

    streams, _ = _streams()
    found = {"d/dev_free": [Detection(30.0, "no", 0.9), Detection(150.0, "no", 0.9),
                            Detection(160.0, "yes", 0.9)],
             "d/dev_keywords": [Detection(41.2, "yes", 0.9), Detection(161.0, "no", 0.9)]}
    assert bench.score(found, streams, ["yes", "no"]) == (3, 200 / 3600, 2, 4)
    assert bench.score(found, streams, ["yes", "no"], half=0) == (1, 100 / 3600, 1, 2)
    assert bench.score(found, streams, ["yes", "no"], half=1) == (2, 100 / 3600, 1, 2)


def test_per_word_thresholds_are_chosen_on_one_half_and_scored_on_the_other():
    streams, post = _streams()
    got = bench.per_word(post, streams, LABELS, budgets=(5.0,), smoothing=(1,))["5.0"]
    first = got[0]
    # half 1 allows no false alarm (5 FA/h of 100 s): "no" fires at 0.95 in its free part
    # and is heard at 0.9 only, so it is switched off; "yes" gets its highest threshold
    assert first["chosen_on"] == 0 and first["per_word"]["thresholds"] == {"yes": 0.99}
    assert first["per_word"]["chosen_half"] == {"fa_per_hour": 0.0, "recall": 0.5}
    assert first["per_word"]["other_half"] == {"fa_per_hour": 0.0, "recall": 0.5}
    assert first["single"]["threshold"] == pytest.approx(0.99)
    # chosen on half 2 ("no" false alarm at 0.85, heard at 0.91): both words on, and on
    # half 1 its 0.95 false alarm fires while its 0.9 keyword is missed
    second = got[1]
    assert second["per_word"]["thresholds"] == {"yes": 0.99, "no": 0.91}
    assert second["per_word"]["chosen_half"] == {"fa_per_hour": 0.0, "recall": 1.0}
    assert second["per_word"]["other_half"] == {"fa_per_hour": pytest.approx(3600 / 100),
                                                "recall": 0.5}


def test_window_probs_reads_the_windows_ending_at_each_offset(tmp_path):
    import keras

    from export import to_tflite

    # a "model" that returns a few samples of its window, to see which window it got
    x = keras.Input((16000,))
    picks = keras.layers.Lambda(lambda a: keras.ops.stack([a[:, 0], a[:, 7999], a[:, 15999]],
                                                          axis=1))(x)
    path = tmp_path / "window.tflite"
    to_tflite(keras.Model(x, picks), path, quantize="float32")
    audio = np.arange(1, 16000 * 3 + 1, dtype=np.float32)  # 3 s, no zero inside
    times = [0.3, 1.5, 2.95]
    got = bench.window_probs(path, audio, times, offsets=(-0.2, 0.0, 0.2))
    padded = np.concatenate([np.zeros(16000, np.float32), audio, np.zeros(16000, np.float32)])
    for i, t in enumerate(times):
        for j, d in enumerate((-0.2, 0.0, 0.2)):
            end = int(round((t + d) * 16000)) + 16000
            window = padded[end - 16000:end]
            np.testing.assert_array_equal(got[i, j], window[[0, 7999, 15999]])


def test_verifier_drops_what_the_window_model_does_not_confirm(monkeypatch):
    streams, post = _streams()
    # a verifier that confirms detections in the keyword stream only
    monkeypatch.setattr(bench, "window_probs", lambda path, audio, times: np.stack(
        [np.tile(np.eye(4, dtype=np.float32)[2 if audio is streams[1][1] else 0], (4, 1))
         for _ in times]) if times else np.zeros((0, 4, 4), np.float32))
    points, windows = bench.verifier(post, streams, LABELS, "unused", t1s=(0.8,), t2s=(0.0, 0.5))
    plain = next(p for p in points if p["t2"] == 0.0)
    checked = next(p for p in points if p["t2"] == 0.5)
    assert plain["fa_per_hour"] == pytest.approx(2 * 3600 / 200)  # the two "no" in free speech
    assert checked["fa_per_hour"] == 0.0
    # confirmed as "yes" only: the two "yes" hits stay, the "no" hits go
    assert plain["recall"] == 1.0 and checked["recall"] == 0.5
    assert windows == 6


def test_markdown_rows():
    p = lambda r, fa: {"recall": r, "fa_per_hour": fa}  # noqa: E731
    x = {"chosen_half": p(0.2, 4.0), "other_half": p(0.1, 6.0)}
    result = {"mode": "int8", "dev_streams": ["d/dev_free"], "free_hours": 1.5,
              "budgets_fa_per_hour": [5.0],
              "variants": [{"variant": "s0", "within": {"5.0": p(0.143, 4.5)}},
                           {"variant": "s1", "within": {"5.0": None}}],
              "ensemble": {"of": ["s0", "s1"], "within": {"5.0": p(0.146, 4.5)}},
              "verifier": {"model": "kws-x", "windows": 1234, "within": {"5.0": p(0.1, 1.0)}},
              "per_word": {"5.0": [{"chosen_on": 0, "single": x, "per_word": None}]}}
    md = bench.markdown(result)
    assert "| s0 | 14.3 % (4.5) |" in md and "| s1 | – |" in md
    assert "| mean of 2 (s0, s1) | 14.6 % (4.5) |" in md
    assert "+ kws-x ≥ t2 on 1,234 windows (t2 = 0: no verifier) | 10.0 % (1.0) |" in md
    assert "| 5 | half 1 | 10.0 % (6.0) [20.0 % (4.0)] | – |" in md
