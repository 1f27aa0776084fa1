"""Checking the arrays given to the exporters (`representative_data`,
`validation_data`): shared by `export.convert` and `export.validation`."""

from __future__ import annotations

import numpy as np

from export.errors import ExportError


def as_input_list(model, data, argument="representative_data"):
    """Normalise `data` to a list of float32 arrays, one per model input,
    each `(n, *input_shape[1:])`, checking shapes."""
    inputs = model.inputs
    if isinstance(data, dict):
        missing = [t.name for t in inputs if t.name not in data]
        if missing:
            raise ExportError(f"`{argument}` lacks input(s) {missing}; model inputs are "
                              f"{[t.name for t in inputs]}")
        data = [data[t.name] for t in inputs]
    elif not isinstance(data, (list, tuple)):
        data = [data]
    if len(data) != len(inputs):
        raise ExportError(f"`{argument}` must hold {len(inputs)} array(s), one per model "
                          f"input; got {len(data)}")
    out = []
    for t, arr in zip(inputs, data):
        kind = np.asarray(arr).dtype.kind
        if kind == "c":  # float32 would silently drop the imaginary part
            raise ExportError(f"`{argument}` for input {t.name!r} must be real numbers; got "
                              f"dtype {np.asarray(arr).dtype}")
        try:
            arr = np.asarray(arr, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ExportError(f"`{argument}` for input {t.name!r} is not numeric ({exc})") from None
        want = tuple(t.shape[1:])
        if arr.ndim != len(want) + 1 or any(w is not None and w != g
                                            for w, g in zip(want, arr.shape[1:])):
            raise ExportError(
                f"`{argument}` for input {t.name!r} must have shape (n, "
                f"{', '.join(str(w) for w in want)}); got {arr.shape}")
        if arr.shape[0] == 0:
            raise ExportError(f"`{argument}` for input {t.name!r} is empty")
        if not np.all(np.isfinite(arr)):
            raise ExportError(f"`{argument}` for input {t.name!r} contains NaN or Inf")
        if np.issubdtype(np.dtype(t.dtype), np.integer):  # e.g. token ids
            if np.any(arr != np.round(arr)):
                raise ExportError(f"`{argument}` for integer input {t.name!r} holds "
                                  "non-integer values")
            arr = arr.astype(t.dtype)
        out.append(arr)
    if len({a.shape[0] for a in out}) != 1:
        raise ExportError(f"`{argument}` arrays have different lengths")
    return out
