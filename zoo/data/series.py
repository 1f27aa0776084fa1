"""Time-series classification data: UCR/UEA sets bundled in the `sktime` wheel.

    series, labels = load("japanese_vowels", "train")   # list of (time, channels) arrays
    x = pad(series, length=32)                          # (n, 32, channels + 1)

Datasets (official train/test splits of the archive, no download):

* `japanese_vowels`: 12 LPC cepstrum channels, lengths 7-29, 9 speakers
  (270 train / 370 test).
* `plaid`: appliance current signatures, 1 channel, lengths 100-1344,
  11 appliance types (537 / 537); `load(..., downsample=4)` averages
  non-overlapping groups of 4 samples (lengths 25-336).

A validation split is cut from the training split, stratified and
deterministic (`validation_split`).

Model input (`pad`): series right-padded with zeros to a fixed length, plus
one last channel that is 1 on real steps and 0 on padding, so
`keras.layers.Masking(0.0)` masks exactly the padding whatever the values
(a real step of all zeros keeps its flag).
"""

from __future__ import annotations

import numpy as np

DATASETS = {
    "japanese_vowels": dict(loader="load_japanese_vowels", channels=12, max_length=29),
    "plaid": dict(loader="load_plaid", channels=1, max_length=1344),
}
SPLITS = ("train", "test")


def _check_name(name):
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[name]


def load(name, split, downsample=1):
    """`(series, labels)`: a list of float32 `(time, channels)` arrays and label strings."""
    info = _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} (validation: validation_split); "
                         f"got {split!r}")
    if downsample < 1:
        raise ValueError(f"downsample must be a positive integer; got {downsample}")
    try:
        import sktime.datasets as datasets
    except ImportError as exc:
        raise ImportError("the time-series datasets ship in the sktime wheel: "
                          "pip install 'attention-rnn-zoo[series]'") from exc
    frame, labels = getattr(datasets, info["loader"])(split=split, return_X_y=True)
    series = []
    for row in range(len(frame)):
        arr = np.stack([np.asarray(frame.iloc[row, c], np.float32)
                        for c in range(frame.shape[1])], axis=-1)
        series.append(_downsample(arr, downsample))
    return series, [str(y) for y in labels]


def _downsample(arr, factor):
    if factor == 1:
        return arr
    n = len(arr) // factor
    if n == 0:
        return arr.mean(0, keepdims=True)
    return arr[:n * factor].reshape(n, factor, -1).mean(1)


def validation_split(labels, fraction=0.2, seed=0):
    """Index arrays `(train, validation)`: `fraction` of each class, drawn with `seed`."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    val = []
    for y in sorted(set(labels.tolist())):
        idx = np.flatnonzero(labels == y)
        k = int(round(fraction * len(idx)))
        if len(idx) > 1:
            val.extend(rng.permutation(idx)[:max(1, k)].tolist())
    val = np.array(sorted(val), int)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


def pad(series, length, channels=None):
    """float32 `(n, length, channels + 1)`: values right-padded with zeros, then the
    1/0 real-step flag (module doc). Raises ValueError naming a series that does not fit."""
    series = list(series)
    if not series:
        raise ValueError("no series given")
    arrays = []
    for i, s in enumerate(series):
        a = np.asarray(s, np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"series {i} must be (time, channels); got shape {a.shape}")
        if channels is not None and a.shape[1] != channels:
            raise ValueError(f"series {i} has {a.shape[1]} channels; the model takes {channels}")
        if not 1 <= len(a) <= length:
            raise ValueError(f"series {i} has {len(a)} steps; the model takes 1 to {length} "
                             "(cut it, or downsample it)")
        if not np.isfinite(a).all():
            raise ValueError(f"series {i} holds NaN or infinite values; fill or drop them first")
        arrays.append(a)
    width = arrays[0].shape[1]
    if any(a.shape[1] != width for a in arrays):
        raise ValueError("all series must have the same number of channels")
    out = np.zeros((len(arrays), length, width + 1), np.float32)
    for i, a in enumerate(arrays):
        out[i, :len(a), :width] = a
        out[i, :len(a), width] = 1.0
    return out


def channel_stats(x):
    """Per-channel mean and variance over the real steps of a `pad` output (flag: 0, 1)."""
    real = x[..., -1] > 0
    values = x[real][:, :-1]
    mean = np.append(values.mean(0), 0.0)
    var = np.append(values.var(0), 1.0)
    return mean.astype(np.float32), np.maximum(var, 1e-12).astype(np.float32)
