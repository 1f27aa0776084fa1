"""Keyword-spotting architectures (Keras): the builders behind `zoo.models.kws.models`.

See `zoo.models.kws.models` for the models; this module holds their layers, so that
registering the models (listing them, `zoo list`) imports no Keras.
"""

from __future__ import annotations

import keras

from zoo.data.speech_commands import CLIP_SAMPLES, LABELS
from zoo.layers import AttentionPooling, LogMelSpectrogram, MultiHeadSelfAttention, SpecAugment


#: Streaming: samples per call (20 ms) and log-mel frames kept in the state (1 s).
STREAM_FRAME = 320
WINDOW_FRAMES = 98


def _inputs(streaming, samples=CLIP_SAMPLES):
    """Whole window: `audio (samples,)` (1 s unless asked) -> log-mel. Streaming: `frame (320,)`, `audio_tail
    (320,)` (the previous frame) and `features (98, 40)` (log-mel of the last second) ->
    the 2 new log-mel frames appended to the window: the same 98 frames the
    whole-window model computes from the last 16000 samples."""
    if not streaming:
        audio = keras.Input(shape=(samples,), name="audio")
        return [audio], LogMelSpectrogram(name="log_mel")(audio), []
    frame = keras.Input(shape=(STREAM_FRAME,), name="frame")
    tail = keras.Input(shape=(STREAM_FRAME,), name="audio_tail")
    features = keras.Input(shape=(WINDOW_FRAMES, 40), name="features")
    audio = keras.layers.Concatenate(axis=1, name="tail_and_frame")([tail, frame])
    new = LogMelSpectrogram(name="log_mel")(audio)
    shift = new.shape[1]
    window = keras.layers.Concatenate(axis=1, name="window")([features[:, shift:], new])
    # state out: the new tail (this frame) and the shifted window
    next_tail = keras.layers.Identity(name="next_audio_tail")(frame)
    return [frame, tail, features], window, [next_tail, window]


def front_end(x, filters=64, seed=None):
    """log-mel frames -> BatchNormalization -> SpecAugment (training only) -> Conv1D."""
    x = keras.layers.BatchNormalization(name="feature_norm")(x)
    x = SpecAugment(time_masks=2, max_time=8, freq_masks=2, max_freq=5, seed=seed,
                    name="spec_augment")(x)
    return keras.layers.Conv1D(filters, 5, strides=2, padding="same", activation="relu",
                               name="conv")(x)


def _classifier(x, classes, hidden, dropout):
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(hidden, activation="relu", name="hidden")(x)
    return keras.layers.Dense(classes, activation="softmax", name="probabilities")(x)


def _check_return_attention(return_attention, attention, streaming):
    if return_attention and not attention:
        raise ValueError("return_attention=True needs the attention model")
    if return_attention and streaming:
        raise ValueError("return_attention=True is for the whole-window model, not streaming")


def build_bilstm(attention=True, units=64, hidden=64, dropout=0.2, classes=len(LABELS), seed=None,
                 streaming=False, samples=CLIP_SAMPLES, return_attention=False):
    _check_return_attention(return_attention, attention, streaming)
    inputs, x, state = _inputs(streaming, samples)
    x = front_end(x, seed=seed)
    x = keras.layers.Bidirectional(
        keras.layers.LSTM(units, return_sequences=attention), name="bilstm")(x)
    weights = None
    if attention:
        pooled = AttentionPooling(query="middle", name="attention")(
            x, return_attention_scores=return_attention)
        x, weights = pooled if return_attention else (pooled, None)
    else:  # a projection of the size of the attention query: equal parameters
        x = keras.layers.Dense(2 * units, activation="tanh", name="projection")(x)
    name = "kws_att_bilstm" if attention else "kws_bilstm"
    return _model(inputs, _classifier(x, classes, hidden, dropout), state, name, weights)


def build_gru(attention=True, units=64, heads=4, hidden=64, dropout=0.2, classes=len(LABELS),
              seed=None, streaming=False, samples=CLIP_SAMPLES, return_attention=False):
    _check_return_attention(return_attention, attention, streaming)
    inputs, x, state = _inputs(streaming, samples)
    x = front_end(x, seed=seed)
    x = keras.layers.Bidirectional(
        keras.layers.GRU(units, return_sequences=True), name="bigru")(x)
    weights = None
    if attention:
        middle = x[:, x.shape[1] // 2]
        query = keras.layers.Dense(2 * units, name="query")(middle)
        attended = MultiHeadSelfAttention(num_heads=heads, key_dim=2 * units // heads,
                                          name="attention")(
            query, x, return_attention_scores=return_attention)
        x, weights = attended if return_attention else (attended, None)
        if return_attention:  # (batch, heads, steps) -> the mean over the heads
            weights = keras.ops.mean(weights, axis=1)
    else:
        # Final states of both directions, then an MLP standing in for the
        # attention's query/key/value/output weights (parameters within 1 %).
        x = keras.layers.Concatenate()([x[:, -1, :units], x[:, 0, units:]])
        x = keras.layers.Dense(5 * units, activation="relu", name="projection0")(x)
        x = keras.layers.Dense(2 * units, activation="relu", name="projection1")(x)
    name = "kws_att_mh_gru" if attention else "kws_gru"
    return _model(inputs, _classifier(x, classes, hidden, dropout), state, name, weights)


def _model(inputs, probs, state, name, weights=None):
    """The whole-window model (with `weights`, the attention weights over the 49 conv steps
    of 20 ms as a second output), or the streaming one with its state outputs."""
    if weights is not None:
        return keras.Model(inputs[0], [probs, weights], name=name)
    if not state:
        return keras.Model(inputs[0], probs, name=name)
    return keras.Model(inputs, [probs, *state], name=name + "_streaming")
