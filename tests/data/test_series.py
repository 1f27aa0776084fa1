"""Time-series classification data (zoo.data.series) and the classical peers."""

import numpy as np
import pytest

from zoo.data import series
from zoo.models.series import baselines


def test_pad_appends_a_real_step_flag_and_checks_input():
    x = series.pad([np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[5.0, 6.0]])], length=3)
    np.testing.assert_array_equal(x, [[[1, 2, 1], [0, 0, 1], [0, 0, 0]],
                                      [[5, 6, 1], [0, 0, 0], [0, 0, 0]]])
    assert series.pad([np.arange(3.0)], 4).shape == (1, 4, 2)  # 1-D: one channel
    with pytest.raises(ValueError, match="series 0 has 5 steps; the model takes 1 to 4"):
        series.pad([np.zeros((5, 2))], 4)
    with pytest.raises(ValueError, match="series 1 has 3 channels; the model takes 2"):
        series.pad([np.zeros((2, 2)), np.zeros((2, 3))], 4, channels=2)
    with pytest.raises(ValueError, match="NaN"):
        series.pad([np.array([[np.nan]])], 4)
    with pytest.raises(ValueError, match="no series"):
        series.pad([], 4)


def test_channel_stats_use_real_steps_only():
    a, b = np.array([[1.0], [3.0]]), np.array([[5.0]])
    mean, var = series.channel_stats(series.pad([a, b], 4))
    np.testing.assert_allclose(mean, [3.0, 0.0])
    np.testing.assert_allclose(var, [np.var([1.0, 3.0, 5.0]), 1.0])


def test_validation_split_is_stratified_disjoint_and_deterministic():
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    train, val = series.validation_split(labels, 0.2, seed=3)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(16))
    assert [labels[i] for i in val].count("a") == 2 and [labels[i] for i in val].count("b") == 1
    assert "c" not in [labels[i] for i in val]  # a single example stays in training
    np.testing.assert_array_equal(val, series.validation_split(labels, 0.2, seed=3)[1])


def test_japanese_vowels_is_the_official_split():
    xtr, ytr = series.load("japanese_vowels", "train")
    xte, yte = series.load("japanese_vowels", "test")
    assert (len(xtr), len(xte)) == (270, 370)
    assert {s.shape[1] for s in xtr + xte} == {12}
    lengths = [len(s) for s in xtr + xte]
    assert (min(lengths), max(lengths)) == (7, 29)
    assert sorted(set(ytr)) == [str(i) for i in range(1, 10)]
    with pytest.raises(ValueError, match="unknown dataset"):
        series.load("gunpoint2", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        series.load("japanese_vowels", "validation")


def test_downsample_averages_groups():
    np.testing.assert_allclose(series._downsample(np.arange(9.0)[:, None], 4), [[1.5], [5.5]])


def _dtw_reference(a, b):
    n, m = len(a), len(b)
    d = [[float("inf")] * (m + 1) for _ in range(n + 1)]
    d[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = sum((x - y) ** 2 for x, y in zip(a[i - 1], b[j - 1]))
            d[i][j] = cost + min(d[i - 1][j], d[i][j - 1], d[i - 1][j - 1])
    return d[n][m]


def test_dtw_matches_the_textbook_recurrence(rng):
    for n, m in [(1, 1), (5, 9), (12, 7)]:
        a, b = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
        assert baselines.dtw_distance(a, b) == pytest.approx(_dtw_reference(a.tolist(), b.tolist()))
    # warping: a repeated step costs nothing
    assert baselines.dtw_distance([[0.0], [1.0], [1.0], [2.0]], [[0.0], [1.0], [2.0]]) == 0.0


def test_one_nn_dtw_picks_the_shape_not_the_length():
    train = [np.sin(np.linspace(0, 3, 20))[:, None], np.linspace(1, -1, 20)[:, None]]
    test = [np.sin(np.linspace(0, 3, 33))[:, None], np.linspace(1, -1, 9)[:, None]]
    assert baselines.one_nn_dtw(train, ["sine", "ramp"], test).tolist() == ["sine", "ramp"]
