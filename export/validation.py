"""`export.validate`: run a `.tflite` file and compare it with its Keras model."""

from __future__ import annotations

import numpy as np

from export.inputs import as_input_list
from export.runtime import load


def validate(tflite_path, keras_model, data, threads=1, max_examples=200):
    """Errors of the file against the Keras model on `data`.

    Returns a dict: `max_abs_error`, `mean_abs_error`, `output_range` (of the
    Keras outputs), `relative_mean_error` (mean error / range) and, for
    outputs that are class probabilities (rows in [0, 1] summing to 1),
    `top1_agreement` (None for regressors such as forecasters); computed on the first
    output, over at most `max_examples` examples.
    """
    arrays = as_input_list(keras_model, data, argument="data")
    n = min(max_examples, arrays[0].shape[0])
    arrays = [a[:n] for a in arrays]
    expected = keras_model.predict(arrays if len(arrays) > 1 else arrays[0], verbose=0)
    runtime = load(tflite_path, threads=threads)
    got = runtime(*arrays)
    expected = expected[0] if isinstance(expected, (list, tuple)) else expected
    got = got[0] if isinstance(got, list) else got
    expected, got = np.asarray(expected, np.float64), np.asarray(got, np.float64)
    err = np.abs(expected - got)
    value_range = float(expected.max() - expected.min()) or 1.0
    result = dict(
        examples=int(n),
        max_abs_error=float(err.max()),
        mean_abs_error=float(err.mean()),
        output_range=value_range,
        relative_mean_error=float(err.mean() / value_range),
        top1_agreement=None,
        backend=runtime.backend,
    )
    if expected.ndim >= 2 and expected.shape[-1] > 1 and _is_distribution(expected):
        result["top1_agreement"] = float(np.mean(expected.argmax(-1) == got.argmax(-1)))
    return result


def _is_distribution(y):
    return bool(np.all(y >= -1e-6) and np.all(y <= 1 + 1e-6)
                and np.allclose(y.sum(-1), 1.0, atol=1e-3))
