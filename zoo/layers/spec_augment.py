"""SpecAugment-style masking of time steps and feature bins (training only)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class SpecAugment(keras.layers.Layer):
    """Zero `time_masks` random spans of up to `max_time` steps and
    `freq_masks` spans of up to `max_freq` bins of `(batch, time, bins)`
    features, independently per example, when `training`; identity
    otherwise (so exported models contain no op of it).

    Park et al., "SpecAugment: A Simple Data Augmentation Method for
    Automatic Speech Recognition", Interspeech 2019 (time and frequency
    masking; no time warping).
    """

    def __init__(self, time_masks=2, max_time=10, freq_masks=2, max_freq=5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.time_masks, self.max_time = int(time_masks), int(max_time)
        self.freq_masks, self.max_freq = int(freq_masks), int(max_freq)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _spans(self, batch, length, count, max_width):
        keep = ops.ones((batch, length))
        positions = ops.arange(length, dtype="float32")[None, :]
        for _ in range(count):
            width = keras.random.uniform((batch, 1), 0, max_width + 1, seed=self.seed_generator)
            start = keras.random.uniform((batch, 1), 0, 1, seed=self.seed_generator) * (length - width)
            inside = ops.logical_and(positions >= ops.floor(start),
                                     positions < ops.floor(start) + ops.floor(width))
            keep = keep * (1.0 - ops.cast(inside, "float32"))
        return keep

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batch, steps, bins = ops.shape(inputs)[0], inputs.shape[1], inputs.shape[2]
        keep_t = self._spans(batch, steps, self.time_masks, self.max_time)
        keep_f = self._spans(batch, bins, self.freq_masks, self.max_freq)
        mask = keep_t[:, :, None] * keep_f[:, None, :]
        return inputs * ops.cast(mask, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(time_masks=self.time_masks, max_time=self.max_time,
                      freq_masks=self.freq_masks, max_freq=self.max_freq, seed=self.seed)
        return config
