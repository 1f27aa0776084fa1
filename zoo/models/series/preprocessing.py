"""Inference side of the series classifiers: `(time, channels)` arrays -> padded,
flagged model inputs, and the calibration series shipped with each model.
Imports neither Keras nor the trainer."""

from __future__ import annotations

import numpy as np

from zoo.data import series

LENGTH, CHANNELS = 32, 12
#: Largest |standardized value| accepted (training data lie within a few units): far
#: beyond it the float32 normalization and the int8 file no longer agree with Keras.
MAX_Z = 1000.0
#: Class labels of the shipped JapaneseVowels models: the 9 speakers.
SPEAKERS = [str(i) for i in range(1, 10)]
CALIBRATION_FILE = "calibration.npz"


def pad_for(name, items):
    """Model inputs `(n, length, channels + 1)` of `(time, channels)` arrays for model `name`."""
    from zoo import registry

    config = registry.require_artifacts(name).config()
    x = series.pad(items, config.get("length", LENGTH), config.get("channels", CHANNELS))
    if config.get("mean") is not None and config.get("variance") is not None:
        mean = np.asarray(config["mean"], np.float64)[:-1]
        std = np.sqrt(np.maximum(np.asarray(config["variance"], np.float64)[:-1], 1e-12))
        real = x[..., -1] > 0  # padding is not data
        z = np.abs((x[..., :-1].astype(np.float64) - mean) / std) * real[..., None]
        if z.max() > MAX_Z:
            i, t, c = np.unravel_index(int(np.argmax(z)), z.shape)
            raise ValueError(
                f"series {i} step {t} channel {c} is {x[i, t, c]:.3g}, {z.max():.3g} standard "
                f"deviations from what {name!r} was trained on (at most {MAX_Z:g} accepted): "
                "check the units and scaling of the input")
    return x


def representative_data(name):
    """Padded training series shipped with the model (`calibration.npz`)."""
    from zoo import registry

    with np.load(registry.require_artifacts(name).file(CALIBRATION_FILE)) as data:
        return data["series"].astype(np.float32)
