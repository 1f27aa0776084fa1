"""Inference side of the forecasters: user series -> model windows, outputs ->
forecasts, and calibration windows. Hooks of the family take the model name
first. Imports neither Keras nor the trainer."""

from __future__ import annotations

from zoo.data.forecasting import WINDOW

#: Largest |value| a history may hold: the window's scale (a root mean square) is
#: computed in float32, whose squares overflow near 1.8e19.
MAX_ABS = 1e15


def preprocess(name, items, window=WINDOW):
    """User series -> model inputs `(batch, window, 1)`: the last `window`
    values of each item (a `(time,)` or `(time, 1)` float array, oldest
    first). Raises `ValueError` naming the problem and the fix."""
    import numpy as np

    batch = []
    for i, item in enumerate(items):
        what = f"series {i}" if len(items) > 1 else "the series"
        arr = np.asarray(item)
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"{what} must be an array of numbers; got dtype {arr.dtype}")
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{what} must be one channel, shape (time,) or (time, 1); got "
                             f"shape {arr.shape} (pass one column per call)")
        if len(arr) < window:
            raise ValueError(f"{what} has {len(arr)} values; the model needs at least the last "
                             f"{window} (two years of weekly values): give a longer history")
        tail = arr[-window:].astype(np.float64)
        if not np.all(np.isfinite(tail)):
            bad = np.flatnonzero(~np.isfinite(tail))
            raise ValueError(
                f"{what} has {len(bad)} NaN/Inf value(s) among its last {window} (first at "
                f"position {len(arr) - window + bad[0]}); fill them first, e.g. "
                "zoo.data.forecasting.load_csv(path, interpolate=True)")
        peak = float(np.max(np.abs(tail)))
        if peak > MAX_ABS:
            raise ValueError(
                f"{what} has values up to {peak:.3g} among its last {window}: the model "
                f"scales each window in float32 and cannot represent values beyond {MAX_ABS:.0e} "
                "(its forecasts would be Inf); rescale the series first (e.g. divide by 1e6 and "
                "multiply the forecast back)")
        batch.append(tail)
    return np.stack(batch)[..., None].astype(np.float32)


def postprocess(name, outputs, labels=None):
    """Model outputs (Keras or TFLite) -> one float64 forecast `(horizon,)` per
    item, in the units of the input (the model de-normalizes)."""
    import numpy as np

    y = outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"forecast models output one (batch, horizon) array; got shape "
                         f"{y.shape}: is this a forecast-* model?")
    bad = ~np.isfinite(y).all(axis=-1)
    if bad.any():
        raise ValueError(f"the forecast of series {int(np.argmax(bad))} is NaN or Inf "
                         f"({int(bad.sum())} of {len(y)}): its values are beyond what the model "
                         "can scale; rescale the series")
    return y


def forecast(model, x, batch_size=256):
    """Forecasts `(n, horizon)` in the input's units from windows `x`
    `(n, window, 1)`, with a Keras model or a TFLite runtime (`rt(x)`)."""
    import numpy as np

    from zoo.training import predict_batches  # plain NumPy batching

    run = (lambda b: model.predict(b, verbose=0)) if hasattr(model, "predict") else model
    return postprocess(None, predict_batches(run, np.asarray(x, np.float32), batch_size))


def representative_data(name, n=200, seed=1):
    """Training windows of the CO2 series (int8 calibration of `zoo export`)."""
    from zoo.data import forecasting as fc
    from zoo.data.splits import subset

    series = fc.load_co2()
    x, y = fc.windows(series.values, fc.train_origins(fc.split(len(series.values))))
    return subset(x, y, n, seed)[0]
