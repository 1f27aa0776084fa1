"""Text classifier architecture (Keras): the builder behind `zoo.models.text.models`,
kept apart so that registering the models imports no Keras."""

from __future__ import annotations

import keras

from zoo.data.fortunes import CATEGORIES
from zoo.layers import AttentionPooling
from zoo.models.text.preprocessing import SEQUENCE_LENGTH

VOCAB_SIZE = 8000


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
