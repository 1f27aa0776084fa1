"""Inference-side data of the keyword spotters: int8 calibration clips.

The models take the raw waveform (the log-mel front end is a layer), so
`predict` needs no preprocessing beyond the task's WAV reader.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def example_input(name):
    """The first second of the bundled `zoo/demo_audio/yes.wav`, batch 1: a real
    recording to check an exported file with."""
    from zoo import registry
    from zoo.data.audio import read_audio

    samples = registry.get(name).input_spec[0]["shape"][0]
    audio = read_audio(Path(__file__).resolve().parents[2] / "demo_audio" / "yes.wav")
    x = np.zeros(samples, np.float32)
    x[:min(samples, len(audio))] = audio[:samples]
    return [x[None]]


def tflite_inputs(name):
    """The audio input as a single-layout file's TFLite Metadata describes it."""
    from zoo import registry
    from zoo.data.speech_commands import SAMPLE_RATE

    spec = registry.get(name).input_spec[0]
    seconds = spec["shape"][0] / SAMPLE_RATE
    return [dict(name=spec.get("name", "audio"), kind="audio", sample_rate=SAMPLE_RATE, channels=1,
                 description=f"{seconds:g} s of mono audio, float32 in [-1, 1], {SAMPLE_RATE} Hz")]
