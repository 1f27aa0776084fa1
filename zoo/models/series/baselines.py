"""Classical peers of the time-series classifiers, on the same official splits.

* `one_nn_dtw`: 1-nearest neighbour under dependent multivariate DTW
  (squared Euclidean cost between steps, no warping window), the standard
  UCR/UEA reference; our own numba implementation, tested against a
  plain-Python recurrence.
* `minirocket`: sktime's `MiniRocketMultivariateVariable` features (handles
  unequal lengths) + `RidgeClassifierCV`, the ROCKET family's recipe.
"""

from __future__ import annotations

import numpy as np


def _dtw_kernel():
    import numba

    @numba.njit(cache=False)
    def dtw(a, b):
        n, m = a.shape[0], b.shape[0]
        cost = np.full((n + 1, m + 1), np.inf)
        cost[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                d = 0.0
                for c in range(a.shape[1]):
                    diff = a[i - 1, c] - b[j - 1, c]
                    d += diff * diff
                cost[i, j] = d + min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
        return cost[n, m]

    return dtw


_DTW = None


def dtw_distance(a, b):
    """DTW distance between `(time, channels)` arrays (sum of squared step costs)."""
    global _DTW
    if _DTW is None:
        _DTW = _dtw_kernel()
    return float(_DTW(np.asarray(a, np.float64), np.asarray(b, np.float64)))


def one_nn_dtw(train, train_labels, test):
    """Predicted labels of `test` series: the label of the DTW-nearest training series."""
    train_labels = np.asarray(train_labels)
    return np.array([train_labels[int(np.argmin([dtw_distance(t, r) for r in train]))]
                     for t in test])


def _nested(series):
    import pandas as pd

    return pd.DataFrame({f"c{c}": [pd.Series(s[:, c]) for s in series]
                         for c in range(series[0].shape[1])})


def minirocket(train, train_labels, test, seed=0):
    """Predicted labels of `test`: MiniRocket (variable length) features + ridge classifier."""
    from sklearn.linear_model import RidgeClassifierCV
    from sktime.transformations.panel.rocket import MiniRocketMultivariateVariable

    transform = MiniRocketMultivariateVariable(random_state=seed, pad_value_short_series=0.0)
    features = transform.fit_transform(_nested(train))
    clf = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(features, np.asarray(train_labels))
    return clf.predict(transform.transform(_nested(test)))
