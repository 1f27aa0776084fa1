"""What a model of each task does by default: the hooks of the families of
`zoo.tasks` (each takes the model name first, like every family hook):

* speech: WAV paths or 1-D float arrays in [-1, 1] for models whose input
  is the raw waveform `(samples,)` / `(samples, 1)` (padded or cut to
  `samples`); feature-based models register their own `preprocess`;
* text / translation: strings, passed as a string array (models with their
  own `TextVectorization`);
* series: `(time, channels)` arrays, stacked (`.npy` / `.csv` files on the
  command line);
* classifiers return label strings (class indices if the model has no
  labels), other tasks the model output.

Importing this module loads only the standard library; the hooks import
NumPy (and the audio reader) when called.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

SAMPLE_RATE = 16000


def _entry(name):
    from zoo import registry

    return registry.get(name)


# ------------------------------------------------------------- read_input


def read_path(name, arg):
    """A command-line argument naming an input file (checked to exist)."""
    from zoo.files import check_input_file

    try:
        check_input_file(arg, "input file")
    except OSError as exc:
        raise ValueError(str(exc)) from None
    return arg


def read_text(name, arg):
    """A command-line argument that is the text itself."""
    return arg


def read_array(name, arg):
    """A `.npy` file, or a `.csv` file of rows `(time, channels)`, as an array."""
    import numpy as np

    path = Path(read_path(name, arg))
    try:
        if path.suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if path.suffix == ".csv":
            return np.loadtxt(path, delimiter=",", ndmin=2, dtype="float32")
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read {arg!r} ({exc})") from None
    raise ValueError(f"input {arg!r}: {_entry(name).task} models take .npy or .csv files of "
                     "shape (time, channels)")


def read_history(name, arg):
    """A `.npy` file, or a `.csv` file of one value per line or `date,value` rows
    (`zoo.data.forecasting.load_csv`), as a `(time, 1)` array."""
    import numpy as np

    path = Path(read_path(name, arg))
    if path.suffix != ".csv":
        return read_array(name, arg)
    from zoo.data.forecasting import load_csv

    try:
        return np.asarray(load_csv(path).values, "float32")[:, None]
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read {arg!r} ({exc})") from None


# ------------------------------------------------------------- preprocess


def _head(item, length):
    """`(samples, total)`: a path's first `length` samples (only those are read) and its
    length; an array as it is."""
    from zoo.loading import read_audio

    if isinstance(item, (str, os.PathLike)) and length is not None:
        return read_audio(item, max_samples=length, with_length=True)
    x = read_audio(item)
    return x, len(x)


def _fit_length(wave_, total, length, what="waveform"):
    import numpy as np

    if length is None or wave_.shape[0] == length == total:
        return wave_
    if total > length:
        warnings.warn(f"{what} has {total} samples ({total / SAMPLE_RATE:.2f} s "
                      f"at {SAMPLE_RATE} Hz); the model takes {length}: using the first {length}",
                      UserWarning, stacklevel=4)
        return wave_[:length]
    return np.pad(wave_, (0, length - wave_.shape[0]))


def _describe(item):
    return repr(os.fspath(item)) if isinstance(item, (str, os.PathLike)) else "a waveform"


def waveforms(name, items):
    """WAV paths or float waveforms -> `(n, samples)` (or `(n, samples, 1)`)."""
    import numpy as np

    spec = _entry(name).input_spec[0]["shape"]
    if not (len(spec) == 1 or (len(spec) == 2 and spec[1] == 1)):
        raise ValueError(f"{name!r} registered no preprocess and its input {spec} is "
                         "not a raw waveform; register preprocess= (e.g. log-mel features)")
    batch = np.stack([_fit_length(*_head(i, spec[0]), spec[0], _describe(i)) for i in items])
    return batch[..., None] if len(spec) == 2 else batch


def strings(name, items):
    """Strings -> a string array (models with their own `TextVectorization`)."""
    import numpy as np

    if not all(isinstance(i, str) for i in items):
        raise ValueError(f"{name!r} takes strings")
    return np.array(items, dtype=object)


def arrays(name, items):
    """Arrays of the model's input shape, stacked."""
    import numpy as np

    spec = _entry(name).input_spec[0]["shape"]
    out = [np.asarray(i, np.float32) for i in items]
    for a in out:
        if a.ndim != len(spec) or any(w is not None and w != g for w, g in zip(spec, a.shape)):
            want = ", ".join("?" if w is None else str(w) for w in spec)
            raise ValueError(f"{name!r} takes arrays of shape ({want}); got {a.shape}")
    return np.stack(out)


# ------------------------------------------------------------ postprocess


def first_output(outputs):
    """The first (or only) model output as an array."""
    import numpy as np

    return np.asarray(outputs[0] if isinstance(outputs, (list, tuple)) else outputs)


_first = first_output


def check_finite(name, y):
    """Refuse NaN / Inf model outputs (`ValueError` naming the first bad item): arg-max
    would turn them into a confident-looking label."""
    import numpy as np

    y = np.asarray(y)
    bad = ~np.isfinite(y.reshape(y.shape[0], -1)).all(axis=-1) if y.ndim else ~np.isfinite(y)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name!r} gave NaN or Inf outputs for input {i} ({int(np.sum(bad))} of "
                         f"{len(bad)} inputs): no label is given for them; check that the input "
                         "is in the range the model was trained on (audio in [-1, 1])")


def class_labels(name, outputs, labels):
    """Probabilities -> the label (or class index, without labels) of the top class;
    NaN / Inf outputs raise `ValueError`."""
    y = _first(outputs)
    check_finite(name, y)
    index = y.reshape(y.shape[0], -1).argmax(axis=-1)
    if labels is None:
        return [int(i) for i in index]
    if y.shape[-1] != len(labels):
        raise ValueError(f"{name!r} outputs {y.shape[-1]} classes but has {len(labels)} labels")
    return [labels[int(i)] for i in index]


def raw_outputs(name, outputs, labels):
    """The model output as it is (one row per item)."""
    return _first(outputs)


# ------------------------------------------------------- attention_steps


def flagged_steps(name, items, x, weights):
    """Series padded by `zoo.data.series.pad`: the real steps are flagged by the last
    channel."""
    import numpy as np

    return [(int((np.asarray(x)[i, :, -1] > 0).sum()), None) for i in range(len(items))]


__all__ = ["read_path", "read_text", "read_array", "read_history", "waveforms", "strings",
           "arrays", "class_labels", "raw_outputs", "flagged_steps", "first_output",
           "check_finite"]
