"""Inference side of the series classifiers: `(time, channels)` arrays -> padded,
flagged model inputs, and the calibration series shipped with each model.
Imports neither Keras nor the trainer."""

from __future__ import annotations

import numpy as np

from zoo.data import series

LENGTH, CHANNELS = 32, 12
#: Class labels of the shipped JapaneseVowels models: the 9 speakers.
SPEAKERS = [str(i) for i in range(1, 10)]
CALIBRATION_FILE = "calibration.npz"


def pad_for(name, items):
    """Model inputs `(n, length, channels + 1)` of `(time, channels)` arrays for model `name`."""
    from zoo import registry

    config = registry.require_artifacts(name).config()
    return series.pad(items, config.get("length", LENGTH), config.get("channels", CHANNELS))


def representative_data(name):
    """Padded training series shipped with the model (`calibration.npz`)."""
    from zoo import registry

    with np.load(registry.require_artifacts(name).file(CALIBRATION_FILE)) as data:
        return data["series"].astype(np.float32)
