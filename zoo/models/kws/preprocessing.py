"""Inference-side data of the keyword spotters: int8 calibration clips.

The models take the raw waveform (the log-mel front end is a layer), so
`predict` needs no preprocessing beyond the task's WAV reader.
"""

from __future__ import annotations

import os

import numpy as np

from zoo.data.splits import subset

#: Training clips `zoo export NAME` calibrates with when a data folder is given.
CALIBRATION_CLIPS = 200
#: The small calibration set shipped with each model (int16 PCM, `audio` key).
SHIPPED_CALIBRATION = "calibration.npz"
SHIPPED_CALIBRATION_CLIPS = 48


def representative_data(name, data_dir=None, n=CALIBRATION_CLIPS, seed=0):
    """Training clips for int8 calibration (`zoo export NAME`): from
    `data_dir` or `$ZOO_KWS_DATA` when given, else the small calibration set
    shipped with the model (`calibration.npz`, 48 training clips)."""
    from zoo import registry

    data_dir = data_dir or os.environ.get("ZOO_KWS_DATA")
    if data_dir:
        from zoo.data import speech_commands

        x, y, _ = speech_commands.load(data_dir, "train")
        return subset(x, y, n, seed)[0]
    artifacts = registry.require_artifacts(name)
    with np.load(artifacts.file(SHIPPED_CALIBRATION)) as data:
        return data["audio"].astype(np.float32) / 32768.0
