"""Text classifiers: an attention-pooled BiGRU and its no-attention twin.

Input contract: int32 token ids `(batch, 128)` from `zoo.data.text.encode`
with the model's own vocabulary (`vocab.txt`, shipped with it), 0 = padding
(masked); `zoo.predict(name, ["a sentence", ...])` does that for you.
Output: probabilities of the 10 fortunes topics (`zoo.labels(name)`).

* `text-att-bigru`: Embedding(mask_zero) -> BiGRU (all steps) ->
  `AttentionPooling(query="learned")` (Raffel & Ellis 2016: `v^T tanh(W h_t + b)`)
  -> Dropout -> Dense softmax.
* `text-bigru`: the same BiGRU's final states -> Dense(tanh) of the
  attention's size (parameters equal within 1 %) -> Dropout -> Dense softmax.

`build(..., return_attention=True)` adds a second output, the attention
weights `(batch, 128)` over tokens, from the same weights
(`zoo.api.attention_weights`, `zoo predict --plot`).
"""

from __future__ import annotations

from zoo.data.fortunes import CATEGORIES
from zoo.lazy import forward
from zoo.models.text.family import FAMILY
from zoo.models.text.preprocessing import SEQUENCE_LENGTH
from zoo.registry import register_model

DESCRIPTION = ("10-topic classification of English quotations (Debian fortunes categories); "
               "token ids from the model's vocab.txt")
COMMON = dict(family=FAMILY,
              input_spec={"shape": (SEQUENCE_LENGTH,), "dtype": "int32", "name": "tokens"},
              labels=list(CATEGORIES))

#: The builder lives in `architecture` (Keras), imported when first used.
__getattr__ = forward(__name__, "zoo.models.text.architecture", ("build_bigru", "VOCAB_SIZE"))


@register_model("text-att-bigru", baseline="text-bigru", description="Embedding + BiGRU + "
                "attention pooling. " + DESCRIPTION, **COMMON)
def text_att_bigru(**config):
    from zoo.models.text.architecture import build_bigru

    return build_bigru(attention=True, **config)


@register_model("text-bigru", description="Embedding + BiGRU, final states, no attention "
                "(baseline of text-att-bigru). " + DESCRIPTION, **COMMON)
def text_bigru(**config):
    from zoo.models.text.architecture import build_bigru

    return build_bigru(attention=False, **config)
