"""Forecasting models: an LSTM encoder-decoder with attention, and its twin without.

Input contract of both models: the last `WINDOW` = 104 values of a weekly
series, `(batch, 104, 1)` float32, in the series' own units (e.g. ppm);
output: the next `HORIZON` = 26 values, `(batch, 26)`, in the same units.

Normalization is per window and inside the model:

    last  = x[:, -1]                                     `WindowNormalization`
    scale = max(std of x over the window, 1e-3 * max(1, |last|))
    z     = (x - last) / scale
    ...     the network, on z, predicts z_hat
    yhat  = z_hat * scale + last                         `Denormalize`

so the models are unit-free (they apply to a weekly series in any units)
and the TFLite files take and return raw values. Both layers stay float32
in the integer TFLite files (`export_float = True`, as `LogMelSpectrogram`
does): int8 files quantize only the normalized network, never the level of
the series (CO2 at 370 ppm in int8 steps would lose the forecast).

Shared parts:

* encoder: `LSTM(units)` over the 104 normalized values;
* decoder inputs, one step per horizon week `h` (known in advance for a
  horizon <= 52): the normalized values one and two seasons earlier,
  `z[t + h - 52]` and `z[t + h - 104]` (slices of the window);
* output: `Dense(1)` per step, added to the one-season-earlier value
  `z[t + h - 52]` (the network learns the correction to a seasonal-naive
  forecast).

* `forecast-att-lstm`: decoder `AttentionRNN(AttentionRNNCell(LSTMCell(units),
  BahdanauAttention(attention_units), attention_layer_size=units,
  input_feeding=False))` initialised with the encoder's final `(h, c)` and
  attending over the 104 encoder states (Luong eq. 5 attention vector from
  the Bahdanau context).
* `forecast-lstm`: the same encoder and decoder without attention (an
  `LSTM` initialised with the encoder's final `(h, c)`), plus a per-step
  `Dense(projection, tanh)` standing in for the attention weights, sized so
  the parameter counts match within 10 % (a test checks it).
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.data.forecasting import HORIZON, SEASON, WINDOW
from zoo.layers import AttentionRNN, AttentionRNNCell, BahdanauAttention
from zoo.models.forecast.family import FAMILY
from zoo.registry import register_model

DESCRIPTION = (f"{HORIZON}-week forecast of a weekly series from its last {WINDOW} values "
               "(trained on Mauna Loa CO2); raw values in, raw values out")
COMMON = dict(family=FAMILY, input_spec={"shape": (WINDOW, 1), "name": "history"})
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


@register_model("forecast-att-lstm", baseline="forecast-lstm", description="LSTM encoder + LSTM decoder with Bahdanau "
                "attention over the encoder states. " + DESCRIPTION, **COMMON)
def forecast_att_lstm(**config):
    return build_forecaster(attention=True, **config)


@register_model("forecast-lstm", description="LSTM encoder + LSTM decoder, no attention "
                "(baseline of forecast-att-lstm). " + DESCRIPTION, **COMMON)
def forecast_lstm(**config):
    return build_forecaster(attention=False, **config)
