import keras
import numpy as np
import pytest


def recurrent_model(kind="lstm", steps=12, features=6, units=8, bidirectional=False,
                    return_sequences=False, go_backwards=False, merge_mode="concat", classes=4):
    """A small Conv1D + recurrent + dense classifier."""
    x = keras.Input(shape=(steps, features), name="features")
    h = keras.layers.Conv1D(8, 3, padding="same", activation="relu")(x)
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
                 "simple": keras.layers.SimpleRNN}[kind]
    rnn = layer_cls(units, return_sequences=return_sequences, go_backwards=go_backwards)
    if bidirectional:
        rnn = keras.layers.Bidirectional(rnn, merge_mode=merge_mode)
    h = rnn(h)
    if return_sequences:
        h = keras.layers.GlobalAveragePooling1D()(h)
    y = keras.layers.Dense(classes, activation="softmax")(h)
    return keras.Model(x, y)


@pytest.fixture
def calib():
    def make(model, n=64, seed=0):
        shape = tuple(model.inputs[0].shape[1:])
        return np.random.default_rng(seed).normal(size=(n,) + shape).astype("float32")

    return make
