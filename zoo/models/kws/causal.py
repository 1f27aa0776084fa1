"""Causal keyword spotters that stream one 20 ms frame per call (Keras).

`build_causal_gru` is the whole-window form (train it, evaluate it on clips,
export it like the other KWS models); `frame_step_model` is the same network
as one step with its state as explicit inputs and outputs (kws_streaming's
"external state" mode): one invoke per 20 ms frame, whatever came before.

Data path of both (S samples -> S / 320 encoder steps):

    audio --(800 zeros in front)--> LogMelSpectrogram (30 ms / 10 ms, 40 bins)
      -> BatchNormalization -> [SpecAugment, training only]
      -> Conv1D(64, 5, stride 2, valid): one step per 20 ms, causal
      -> GRU(units), one direction
      -> attention: the query from the newest GRU state, keys and values
         projected from the last `RING` (50 = 1 s) GRU states, `heads` heads
         (the no-attention twin: an MLP of the same size on the newest state)
      -> [newest state, attended] -> Dense -> softmax (12 classes)

The 800 leading zeros make the whole-window model see exactly what the
stream sees from its initial state: 3 log-mel frames of silence (the
convolution's left context), then the frames of the stream, whose first
frame also covers 320 samples of silence (the audio tail). So after
`n` frames of audio the streaming posteriors equal the whole-window model's
on those `n * 320` samples (tested), and a model trained on clips longer
than 1 s (speech before the keyword) has been trained on the state it meets
in a stream.

Step state (all float32, batch first): `audio_tail (320,)`, `mel_tail (3, 40)`,
`gru_state (units,)`, and for the attention model the rings `keys (50, units)`
and `values (50, units)` (projected, so a step projects one new state only).
Rings start at zero (the whole-window model pads the same zeros when it has
fewer than 50 steps).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from zoo.data.speech_commands import CLIP_SAMPLES, LABELS
from zoo.layers import LogMelSpectrogram, SpecAugment

FRAME = 320          # samples per step (20 ms)
RING = 50            # encoder steps the attention sees (1 s)
LEAD = 800           # zeros in front: 3 silent log-mel frames + the first 320-sample tail
MEL_TAIL = 3         # log-mel frames the convolution keeps between steps
MEL_BINS = 40


def _attend(query, keys, values, heads):
    """Multi-head scaled dot-product attention of one query over a ring.
    query (b, d), keys/values (b, W, d) -> (b, d)."""
    d = query.shape[-1]
    dk = d // heads
    q = ops.reshape(query, (-1, 1, heads, dk))
    k = ops.reshape(keys, (-1, keys.shape[1], heads, dk))
    v = ops.reshape(values, (-1, values.shape[1], heads, dk))
    scores = ops.sum(q * k, axis=-1) / math.sqrt(dk)          # (b, W, heads)
    weights = ops.softmax(scores, axis=1)
    context = ops.sum(weights[..., None] * v, axis=1)        # (b, heads, dk)
    return ops.reshape(context, (-1, d)), weights


class RingAttention(keras.layers.Layer):
    """Attention of the newest state over the last `ring` steps: `call(query, keys,
    values)` with query (b, d) and keys/values (b, W, d), W >= 1; only the last
    `ring` steps are used and fewer are left-padded with zeros (the stream's
    initial ring). Returns (b, d) and, with `return_attention_scores=True`, the
    weights (b, ring) averaged over heads."""

    def __init__(self, heads=4, ring=RING, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.ring = int(heads), int(ring)

    def call(self, query, keys, values, return_attention_scores=False):
        keys, values = self._window(keys), self._window(values)
        context, weights = _attend(query, keys, values, self.heads)
        if return_attention_scores:
            return context, ops.mean(weights, axis=-1)
        return context

    def _window(self, x):
        steps = x.shape[1]
        if steps is not None and steps >= self.ring:
            return x[:, steps - self.ring:]
        if steps is None:
            raise ValueError("RingAttention needs a known number of steps")
        return ops.pad(x, [[0, 0], [self.ring - steps, 0], [0, 0]])

    def compute_output_shape(self, query_shape, keys_shape=None, values_shape=None):
        return query_shape

    def get_config(self):
        return {**super().get_config(), "heads": self.heads, "ring": self.ring}


class GRUStep(keras.layers.Layer):
    """One step of a `keras.layers.GRU(units)` (its defaults: `reset_after=True`, sigmoid
    gates, tanh), `call(x, h) -> h_next`, with the GRU layer's weights (`kernel`,
    `recurrent_kernel`, `bias` of shape (2, 3 * units)) in the same order. The gates are
    cut out of each projection by slicing, not by a SPLIT: a single-layout integer file keeps
    a float-only layer float by its ops' scoped names, which a SPLIT's outputs do not
    carry (`export.convert._convert_selective`), so a `GRUCell` in a float step left its
    recurrent projection int8 there."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, x_shape, h_shape=None):
        u = self.units
        self.kernel = self.add_weight(shape=(x_shape[-1], 3 * u), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, 3 * u), name="recurrent_kernel")
        self.bias = self.add_weight(shape=(2, 3 * u), name="bias", initializer="zeros")

    def call(self, x, h):
        u = self.units
        mx = ops.matmul(x, self.kernel) + self.bias[0]
        mh = ops.matmul(h, self.recurrent_kernel) + self.bias[1]
        z = ops.sigmoid(mx[:, :u] + mh[:, :u])
        r = ops.sigmoid(mx[:, u:2 * u] + mh[:, u:2 * u])
        candidate = ops.tanh(mx[:, 2 * u:] + r * mh[:, 2 * u:])
        return z * h + (1.0 - z) * candidate

    def compute_output_shape(self, x_shape, h_shape=None):
        return (x_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _pad_front(audio):
    return ops.pad(audio, [[0, 0], [LEAD, 0]])


def _layers(units, heads, hidden, dropout, classes, attention, filters=64):
    """The layers both forms share (by name, so weights move between them)."""
    L = keras.layers
    layers = dict(
        log_mel=LogMelSpectrogram(name="log_mel"),
        norm=L.BatchNormalization(name="feature_norm"),
        conv=L.Conv1D(filters, 5, strides=2, padding="valid", activation="relu", name="conv"),
        drop=L.Dropout(dropout, name="dropout"),
        hidden=L.Dense(hidden, activation="relu", name="hidden"),
        out=L.Dense(classes, activation="softmax", name="probabilities"),
    )
    if attention:
        layers.update(query=L.Dense(units, name="query"), key=L.Dense(units, name="key"),
                      value=L.Dense(units, name="value"),
                      attention=RingAttention(heads, name="attention"),
                      attention_out=L.Dense(units, name="attention_output"))
    else:  # the attention's query/key/value/output weights as an MLP: equal parameters
        layers.update(proj0=L.Dense(2 * units, activation="relu", name="projection0"),
                      proj1=L.Dense(units, name="projection1"))
    return layers


def _head_out(layers, newest, keys=None, values=None, return_attention=False):
    """Newest GRU state (+ attention over the ring) -> class probabilities."""
    weights = None
    if "attention" in layers:
        q = layers["query"](newest)
        res = layers["attention"](q, keys, values, return_attention_scores=return_attention)
        context, weights = res if return_attention else (res, None)
        summary = layers["attention_out"](context)
    else:
        summary = layers["proj1"](layers["proj0"](newest))
    x = keras.layers.Concatenate(name="summary")([newest, summary])
    x = layers["hidden"](layers["drop"](x))
    x = layers["out"](x)
    if "softmax" in layers:  # the step model's float softmax (`frame_step_model`)
        x = layers["softmax"](x)
    return x, weights


def build_causal_gru(attention=True, units=96, heads=4, hidden=64, dropout=0.2,
                     classes=len(LABELS), seed=None, samples=CLIP_SAMPLES,
                     return_attention=False):
    """Whole-window causal model: `audio (samples,)` -> probabilities after the last
    frame (see the module doc). `samples` must be a multiple of 320."""
    if samples % FRAME:
        raise ValueError(f"samples must be a multiple of {FRAME} (20 ms); got {samples}")
    if return_attention and not attention:
        raise ValueError("return_attention=True needs the attention model")
    layers = _layers(units, heads, hidden, dropout, classes, attention)
    audio = keras.Input(shape=(samples,), name="audio")
    x = keras.layers.Lambda(_pad_front, name="lead_zeros")(audio)
    x = layers["norm"](layers["log_mel"](x))
    x = SpecAugment(time_masks=2, max_time=8, freq_masks=2, max_freq=5, seed=seed,
                    name="spec_augment")(x)
    x = layers["conv"](x)
    states = keras.layers.GRU(units, return_sequences=True, name="gru")(x)
    newest = states[:, -1]
    keys = values = None
    if attention:
        keys, values = layers["key"](states), layers["value"](states)
    probs, weights = _head_out(layers, newest, keys, values, return_attention)
    name = "kws_causal_att_gru" if attention else "kws_causal_gru"
    if return_attention:
        return keras.Model(audio, [probs, weights], name=name)
    return keras.Model(audio, probs, name=name)


def _has(model, name):
    return any(layer.name == name for layer in model.layers)


def frame_step_model(model, float_gru=False):
    """The one-frame step of whole-window causal model `model` (its weights):
    inputs `frame (320,)` + state, outputs `probabilities` + next state (module doc).
    Input/output order: frame, audio_tail, mel_tail, gru_state[, keys, values].
    `float_gru`: the GRU cell asks to stay float in integer files (`export_float`, a
    float signature of its own in a stepped file), as the softmax always does."""
    gru = model.get_layer("gru")
    units = gru.units
    attention = _has(model, "attention")
    heads = model.get_layer("attention").heads if attention else 4
    conv = model.get_layer("conv")
    layers = _layers(units, heads, model.get_layer("hidden").units, 0.0,
                     model.get_layer("probabilities").units, attention, conv.filters)
    L = keras.layers
    frame = keras.Input(shape=(FRAME,), name="frame")
    tail = keras.Input(shape=(FRAME,), name="audio_tail")
    mel_tail = keras.Input(shape=(MEL_TAIL, MEL_BINS), name="mel_tail")
    h = keras.Input(shape=(units,), name="gru_state")
    inputs = [frame, tail, mel_tail, h]
    audio = L.Concatenate(axis=1, name="tail_and_frame")([tail, frame])
    new = layers["log_mel"](audio)                                  # (b, 2, 40)
    window = L.Concatenate(axis=1, name="mel_window")([mel_tail, new])  # (b, 5, 40)
    x = layers["conv"](layers["norm"](window))                       # (b, 1, filters)
    # The GRU on one step: plain ops (no loop), so it quantizes to int8 unless float_gru.
    cell = GRUStep(units, name="gru_cell")
    cell.export_float = bool(float_gru)
    h_next = cell(x[:, 0], h)
    keys = values = None
    outputs_state = [L.Identity(name="next_audio_tail")(frame),
                     L.Identity(name="next_mel_tail")(window[:, 2:]),
                     L.Identity(name="next_gru_state")(h_next)]
    if attention:
        ring_k = keras.Input(shape=(RING, units), name="keys")
        ring_v = keras.Input(shape=(RING, units), name="values")
        inputs += [ring_k, ring_v]
        k_new = layers["key"](h_next)[:, None]
        v_new = layers["value"](h_next)[:, None]
        keys = L.Concatenate(axis=1, name="next_keys")([ring_k[:, 1:], k_new])
        values = L.Concatenate(axis=1, name="next_values")([ring_v[:, 1:], v_new])
        outputs_state += [keys, values]
    # The softmax on its own, float in the integer files: an int8 softmax steps by 1/256,
    # stopping at 255/256, so no threshold above 0.996 could fire (the dev grid goes to 0.9995).
    layers["out"] = L.Dense(layers["out"].units, name="logits")
    layers["softmax"] = L.Softmax(name="probabilities")
    layers["softmax"].export_float = True
    probs, _ = _head_out(layers, h_next, keys, values)
    step_model = keras.Model(inputs, [probs, *outputs_state], name=model.name + "_step")
    source_of = {"gru_cell": gru, "logits": model.get_layer("probabilities")}
    for layer in step_model.layers:
        if layer.weights:
            source = source_of.get(layer.name)
            source = model.get_layer(layer.name) if source is None else source
            layer.set_weights(source.get_weights())
    return step_model


def initial_state(step_model, batch=1):
    """Silence: the state a stream starts from (the whole-window model's lead zeros)."""
    log_mel = step_model.get_layer("log_mel")
    silent = np.asarray(log_mel(np.zeros((batch, 480), np.float32)))  # one frame of zeros
    state = [np.zeros((batch, FRAME), np.float32),
             np.repeat(silent, MEL_TAIL, axis=1).astype(np.float32)]
    for spec in step_model.inputs[3:]:
        state.append(np.zeros((batch, *spec.shape[1:]), np.float32))
    return state


def run_frames(step, audio, state):
    """Posteriors after each 20 ms frame of 1-D `audio` (a partial last frame is
    dropped) with `step(list_of_inputs) -> [probs, *state]`: `(frames, classes)`
    and the final state."""
    out = []
    for i in range(len(audio) // FRAME):
        probs, *state = step([audio[None, i * FRAME:(i + 1) * FRAME], *state])
        out.append(np.asarray(probs)[0])
    return np.array(out), state


def streaming_variant(name, pretrained=True):
    """The registry's "streaming" variant of causal model `name`: its one-frame step
    (`frame_step_model`), with the shipped weights unless `pretrained=False`."""
    from zoo import api, registry

    model = api.load(name, compile=False) if pretrained else registry.get(name).build()
    return frame_step_model(model)
