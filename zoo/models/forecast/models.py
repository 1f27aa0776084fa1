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

from zoo.data.forecasting import HORIZON, WINDOW
from zoo.lazy import forward
from zoo.models.forecast.family import FAMILY
from zoo.registry import register_model

DESCRIPTION = (f"{HORIZON}-week forecast of a weekly series from its last {WINDOW} values "
               "(trained on Mauna Loa CO2); raw values in, raw values out")
COMMON = dict(family=FAMILY, input_spec={"shape": (WINDOW, 1), "name": "history"})

#: The layers and the builder live in `architecture` (Keras), imported when first used.
__getattr__ = forward(__name__, "zoo.models.forecast.architecture",
                      ("WindowNormalization", "Denormalize", "build_forecaster", "MIN_SCALE"))


@register_model("forecast-att-lstm", baseline="forecast-lstm", description="LSTM encoder + LSTM decoder with Bahdanau "
                "attention over the encoder states. " + DESCRIPTION, **COMMON)
def forecast_att_lstm(**config):
    from zoo.models.forecast.architecture import build_forecaster

    return build_forecaster(attention=True, **config)


@register_model("forecast-lstm", description="LSTM encoder + LSTM decoder, no attention "
                "(baseline of forecast-att-lstm). " + DESCRIPTION, **COMMON)
def forecast_lstm(**config):
    from zoo.models.forecast.architecture import build_forecaster

    return build_forecaster(attention=False, **config)
