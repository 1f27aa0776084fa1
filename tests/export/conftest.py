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


def attention_decoder_model(cell="gru", mechanism="bahdanau", src_len=10, tgt_len=7,
                            output_alignments=True):
    """Encoder (BiGRU with return_state) + AttentionRNN decoder initialised
    from the encoder's final states; outputs (probabilities, alignments)."""
    from zoo import layers

    src = keras.Input(shape=(src_len, 6), name="source")
    tgt = keras.Input(shape=(tgt_len, 5), name="target_in")
    enc, fw_h, bw_h = keras.layers.Bidirectional(
        keras.layers.GRU(8, return_sequences=True, return_state=True))(src)
    h0 = keras.layers.Dense(16, activation="tanh")(keras.layers.Concatenate()([fw_h, bw_h]))
    inner = keras.layers.GRUCell(16) if cell == "gru" else keras.layers.LSTMCell(16)
    init = [h0] if cell == "gru" else [h0, keras.layers.Dense(16)(h0)]
    attention = {"bahdanau": lambda: layers.BahdanauAttention(8),
                 "luong": lambda: layers.LuongAttention("general"),
                 "location": lambda: layers.LocationSensitiveAttention(8, filters=4, kernel_size=3),
                 }[mechanism]()
    dec_cell = layers.AttentionRNNCell(inner, attention, attention_layer_size=12,
                                       output_alignments=output_alignments, memory_length=src_len)
    out = layers.AttentionRNN(dec_cell)(tgt, enc, initial_state=init)
    outputs, alignments = out if output_alignments else (out, None)
    probs = keras.layers.Dense(9, activation="softmax")(outputs)
    return keras.Model([src, tgt], [probs] + ([alignments] if output_alignments else []))
