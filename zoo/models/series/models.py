"""Time-series classifiers: an attention-pooled GRU and its no-attention twin.

Input contract: float32 `(batch, length, channels + 1)` from
`zoo.data.series.pad`: the series right-padded with zeros plus a last 1/0
channel that flags real steps (`Masking(0.0)` then skips exactly the
padding); `zoo.predict(name, [array (time, channels), ...])` does that.
Per-channel standardization (training statistics, `config.json`) is inside
the model, so TFLite files take raw values too. Output: class probabilities
(`zoo.labels(name)`).

* `ts-att-gru`: Masking -> Normalization -> GRU (all steps) ->
  `AttentionPooling(query="learned")` -> Dropout -> Dense softmax.
* `ts-gru`: the same GRU's last real state -> Dense(tanh) of the attention's
  size (parameters equal within 1 %) -> Dropout -> Dense softmax.

Shipped on JapaneseVowels (12 channels, lengths 7-29, 9 speakers);
`build(..., return_attention=True)` adds the attention weights over steps as
a second output.
"""

from __future__ import annotations

import keras

from zoo.layers import AttentionPooling
from zoo.models.series.family import FAMILY
from zoo.models.series.preprocessing import CHANNELS, LENGTH
from zoo.registry import register_model

SPEAKERS = [str(i) for i in range(1, 10)]
DESCRIPTION = ("speaker classification of Japanese vowel utterances (UEA JapaneseVowels: "
               "12 LPC cepstra per step, variable length, 9 speakers)")
COMMON = dict(family=FAMILY, input_spec={"shape": (LENGTH, CHANNELS + 1), "name": "series"},
              labels=SPEAKERS)


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


@register_model("ts-att-gru", baseline="ts-gru", description="GRU + attention pooling. "
                + DESCRIPTION, **COMMON)
def ts_att_gru(**config):
    return build_gru(attention=True, **config)


@register_model("ts-gru", description="GRU, last state, no attention (baseline of "
                "ts-att-gru). " + DESCRIPTION, **COMMON)
def ts_gru(**config):
    return build_gru(attention=False, **config)
