"""Forecaster architecture (Keras): the layers and builder behind
`zoo.models.forecast.models` (see its docstring), kept apart so that registering the
models imports no Keras. Importing this module registers `WindowNormalization` and
`Denormalize` for `keras.models.load_model`."""

from __future__ import annotations

import keras
from keras import ops

from zoo.data.forecasting import HORIZON, SEASON, WINDOW
from zoo.layers import AttentionRNN, AttentionRNNCell, BahdanauAttention

MIN_SCALE = 1e-3


@keras.saving.register_keras_serializable(package="zoo.forecast")
class WindowNormalization(keras.layers.Layer):
    """`(batch, t, 1)` raw window -> `z (batch, t, 1)`, `last (batch, 1)`,
    `scale (batch, 1)` with `z = (x - last) / scale` (see the module docstring)."""

    export_float = True

    def __init__(self, min_scale=MIN_SCALE, **kwargs):
        super().__init__(**kwargs)
        self.min_scale = float(min_scale)

    def call(self, x):
        last = x[:, -1, :]
        std = ops.std(x, axis=1)
        scale = ops.maximum(std, self.min_scale * ops.maximum(ops.abs(last), 1.0))
        z = (x - ops.expand_dims(last, 1)) / ops.expand_dims(scale, 1)
        return z, last, scale

    def compute_output_shape(self, input_shape):
        return input_shape, (input_shape[0], 1), (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "min_scale": self.min_scale}


@keras.saving.register_keras_serializable(package="zoo.forecast")
class Denormalize(keras.layers.Layer):
    """`(z_hat (batch, h), last (batch, 1), scale (batch, 1))` -> `z_hat * scale + last`."""

    export_float = True

    def call(self, inputs):
        z, last, scale = inputs
        return z * scale + last

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


def build_forecaster(attention=True, window=WINDOW, horizon=HORIZON, season=SEASON, units=32,
                     attention_units=16, projection=92, seed=None):
    """The encoder-decoder of the module docstring (`seed` is accepted for
    `config.json` compatibility; seeding is done by the trainer)."""
    del seed
    if not 0 < horizon <= season or window < 2 * season:
        raise ValueError(f"need 0 < horizon <= season and window >= 2 * season (the decoder "
                         f"reads the values one and two seasons back); got window {window}, "
                         f"horizon {horizon}, season {season}")
    history = keras.Input(shape=(window, 1), name="history")
    z, last, scale = WindowNormalization(name="normalize")(history)
    lag1 = z[:, window - season:window - season + horizon, :]
    lag2 = z[:, window - 2 * season:window - 2 * season + horizon, :]
    decoder_in = keras.layers.Concatenate(name="seasonal_lags")([lag1, lag2])
    if attention:
        memory, h, c = keras.layers.LSTM(units, return_sequences=True, return_state=True,
                                         name="encoder")(z)
        cell = AttentionRNNCell(keras.layers.LSTMCell(units, name="decoder_cell"),
                                BahdanauAttention(attention_units, name="bahdanau"),
                                attention_layer_size=units, input_feeding=False,
                                memory_length=window, name="attention_cell")
        out = AttentionRNN(cell, name="decoder")(decoder_in, memory, initial_state=[h, c])
    else:
        _, h, c = keras.layers.LSTM(units, return_state=True, name="encoder")(z)
        out = keras.layers.LSTM(units, return_sequences=True, name="decoder")(
            decoder_in, initial_state=[h, c])
        out = keras.layers.Dense(projection, activation="tanh", name="projection")(out)
    step = keras.layers.Dense(1, name="step_output")(out)
    # Add on (batch, horizon): on rank 3 the TFLite converter's BiasAdd fusion fails.
    step = keras.layers.Reshape((horizon,), name="step_flat")(step)
    naive = keras.layers.Reshape((horizon,), name="seasonal_naive")(lag1)
    z_hat = keras.layers.Add(name="z_hat")([step, naive])
    forecast = Denormalize(name="forecast")([z_hat, last, scale])
    name = "forecast_att_lstm" if attention else "forecast_lstm"
    return keras.Model(history, forecast, name=name)
