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

import keras

from zoo.data.fortunes import CATEGORIES
from zoo.layers import AttentionPooling
from zoo.models.text.family import FAMILY
from zoo.models.text.preprocessing import SEQUENCE_LENGTH
from zoo.registry import register_model

VOCAB_SIZE = 8000
DESCRIPTION = ("10-topic classification of English quotations (Debian fortunes categories); "
               "token ids from the model's vocab.txt")
COMMON = dict(family=FAMILY,
              input_spec={"shape": (SEQUENCE_LENGTH,), "dtype": "int32", "name": "tokens"},
              labels=list(CATEGORIES))


def build_bigru(attention=True, vocab_size=VOCAB_SIZE, embedding=64, units=48, dropout=0.3,
                classes=len(CATEGORIES), return_attention=False, seed=None):
    if return_attention and not attention:
        raise ValueError("return_attention=True needs the attention model")
    tokens = keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, embedding, mask_zero=True, name="embedding")(tokens)
    x = keras.layers.Dropout(dropout, seed=seed)(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=attention),
                                   name="bigru")(x)
    weights = None
    if attention:
        x, weights = AttentionPooling(query="learned", name="attention")(
            x, return_attention_scores=True)
    else:
        x = keras.layers.Dense(2 * units, activation="tanh", name="projection")(x)
    x = keras.layers.Dropout(dropout, seed=seed)(x)
    probs = keras.layers.Dense(classes, activation="softmax", name="probabilities")(x)
    name = "text_att_bigru" if attention else "text_bigru"
    outputs = [probs, weights] if return_attention else probs
    return keras.Model(tokens, outputs, name=name)


@register_model("text-att-bigru", baseline="text-bigru", description="Embedding + BiGRU + "
                "attention pooling. " + DESCRIPTION, **COMMON)
def text_att_bigru(**config):
    return build_bigru(attention=True, **config)


@register_model("text-bigru", description="Embedding + BiGRU, final states, no attention "
                "(baseline of text-att-bigru). " + DESCRIPTION, **COMMON)
def text_bigru(**config):
    return build_bigru(attention=False, **config)
