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

from zoo.lazy import forward
from zoo.models.series.family import FAMILY
from zoo.models.series.preprocessing import CHANNELS, LENGTH, SPEAKERS
from zoo.registry import register_model

DESCRIPTION = ("speaker classification of Japanese vowel utterances (UEA JapaneseVowels: "
               "12 LPC cepstra per step, variable length, 9 speakers)")
COMMON = dict(family=FAMILY, input_spec={"shape": (LENGTH, CHANNELS + 1), "name": "series"},
              labels=SPEAKERS)

#: The builder lives in `architecture` (Keras), imported when first used.
__getattr__ = forward(__name__, "zoo.models.series.architecture", ("build_gru",))


@register_model("ts-att-gru", baseline="ts-gru", description="GRU + attention pooling. "
                + DESCRIPTION, **COMMON)
def ts_att_gru(**config):
    from zoo.models.series.architecture import build_gru

    return build_gru(attention=True, **config)


@register_model("ts-gru", description="GRU, last state, no attention (baseline of "
                "ts-att-gru). " + DESCRIPTION, **COMMON)
def ts_gru(**config):
    from zoo.models.series.architecture import build_gru

    return build_gru(attention=False, **config)
