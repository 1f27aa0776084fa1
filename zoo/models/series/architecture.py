"""Time-series classifier architecture (Keras): the builder behind `zoo.models.series.models`,
kept apart so that registering the models imports no Keras."""

from __future__ import annotations

import keras

from zoo.layers import AttentionPooling
from zoo.models.series.preprocessing import CHANNELS, LENGTH, SPEAKERS


def build_gru(attention=True, length=LENGTH, channels=CHANNELS, classes=len(SPEAKERS),
              mean=None, variance=None, units=64, dropout=0.2, return_attention=False,
              seed=None):
    if return_attention and not attention:
        raise ValueError("return_attention=True needs the attention model")
    series = keras.Input(shape=(length, channels + 1), name="series")
    x = keras.layers.Masking(0.0, name="padding_mask")(series)
    x = keras.layers.Normalization(
        mean=[0.0] * (channels + 1) if mean is None else mean,
        variance=[1.0] * (channels + 1) if variance is None else variance, name="standardize")(x)
    x = keras.layers.GRU(units, return_sequences=attention, name="gru")(x)
    weights = None
    if attention:
        x, weights = AttentionPooling(query="learned", name="attention")(
            x, return_attention_scores=True)
    else:
        x = keras.layers.Dense(units, activation="tanh", name="projection")(x)
    x = keras.layers.Dropout(dropout, seed=seed)(x)
    probs = keras.layers.Dense(classes, activation="softmax", name="probabilities")(x)
    name = "ts_att_gru" if attention else "ts_gru"
    return keras.Model(series, [probs, weights] if return_attention else probs, name=name)
