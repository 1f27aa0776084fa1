"""AttentionRNNCell / AttentionRNN: a NumPy decoder loop as reference, masks on
both sides, keys computed once, save/load of an encoder-decoder model,
gradients, errors, and every mechanism that carries its previous alignment."""

import json

import keras
import numpy as np
import pytest

from tests import numpy_reference as ref
from tests.layers.helpers import assert_gradients_flow, assert_save_load_roundtrip
from zoo import layers
from zoo.layers import AttentionRNN, AttentionRNNCell, BahdanauAttention

B, TQ, TV, DIN, DV, UNITS = 3, 5, 6, 3, 4, 7


# ----------------------------------------------------------------- reference
def np_gru(x, h, kernel, recurrent_kernel, bias):
    """Keras GRUCell, reset_after=True: gates ordered [z, r, h], bias (2, 3u)
    = [input bias; recurrent bias]."""
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    rz, rr, rh = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
    z = ref.sigmoid(xz + rz)
    r = ref.sigmoid(xr + rr)
    candidate = np.tanh(xh + r * rh)
    return z * h + (1.0 - z) * candidate


def np_decoder(cell, x, values, mask, h0, steps=None):
    """Hand-unrolled decoder for one batch item: x (tq, din), values (tv, dv).

    Returns the attention outputs (steps, attention_size), the alignment
    history (steps, tv) and the final (h, attention vector)."""
    gru, att = cell.cell, cell.attention
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in
                               (gru.kernel, gru.recurrent_kernel, gru.bias))
    wq, wk, v = (np.asarray(w, np.float64) for w in (att.query_kernel, att.key_kernel, att.v))
    wc = None if cell.attention_layer is None else np.asarray(cell.attention_layer.kernel,
                                                              np.float64)
    size = wc.shape[1] if wc is not None else values.shape[-1]
    h, a = np.asarray(h0, np.float64), np.zeros(size)
    outputs, alignments = [], []
    for t in range(len(x) if steps is None else steps):
        step_in = np.concatenate([x[t], a]) if cell.input_feeding else x[t]
        h = np_gru(step_in, h, kernel, recurrent, bias)
        context, weights = ref.bahdanau(h[None], values, wq, wk, v, mask)
        context, weights = context[0], weights[0]
        a = np.tanh(np.concatenate([h, context]) @ wc) if wc is not None else context
        outputs.append(a)
        alignments.append(weights)
    return np.array(outputs), np.array(alignments), (h, a)


def make_cell(attention_layer_size=6, input_feeding=True, output_alignments=True, **kwargs):
    return AttentionRNNCell(keras.layers.GRUCell(UNITS), BahdanauAttention(8),
                            attention_layer_size=attention_layer_size,
                            input_feeding=input_feeding, output_alignments=output_alignments,
                            **kwargs)


def data(rng):
    x = rng.normal(size=(B, TQ, DIN)).astype("float32")
    values = rng.normal(size=(B, TV, DV)).astype("float32")
    mask = np.ones((B, TV), bool)
    mask[1, 4:] = False
    mask[2, 2:] = False
    h0 = rng.normal(size=(B, UNITS)).astype("float32")
    return x, values, mask, h0


# ------------------------------------------------------------------ numerics
@pytest.mark.parametrize("attention_layer_size", [None, 6])
@pytest.mark.parametrize("input_feeding", [True, False])
def test_matches_numpy_decoder_loop(attention_layer_size, input_feeding, rng):
    x, values, mask, h0 = data(rng)
    cell = make_cell(attention_layer_size, input_feeding)
    layer = AttentionRNN(cell, return_state=True)
    outputs, history, h, attention_vector, alignment = layer(
        x, values, values_mask=mask, initial_state=[h0])
    size = attention_layer_size or DV
    assert tuple(outputs.shape) == (B, TQ, size)
    assert tuple(history.shape) == (B, TQ, TV)
    for i in range(B):
        want_out, want_align, (want_h, want_a) = np_decoder(cell, x[i], values[i], mask[i], h0[i])
        np.testing.assert_allclose(np.asarray(outputs[i]), want_out, atol=1e-5)
        np.testing.assert_allclose(np.asarray(history[i]), want_align, atol=1e-5)
        np.testing.assert_allclose(np.asarray(h[i]), want_h, atol=1e-5)
        np.testing.assert_allclose(np.asarray(attention_vector[i]), want_a, atol=1e-5)
        np.testing.assert_allclose(np.asarray(alignment[i]), want_align[-1], atol=1e-5)
    assert np.all(np.asarray(history)[~np.broadcast_to(mask[:, None], history.shape)] == 0)


def test_plain_keras_rnn_with_state_from_memory(rng):
    x, values, mask, h0 = data(rng)
    cell = make_cell()
    state = cell.get_initial_state_from_memory(values, mask=mask, cell_states=[h0])
    outputs = keras.layers.RNN(cell, return_sequences=True)(x, initial_state=state)
    attention_outputs, history = cell.split_alignments(outputs)
    for i in range(B):
        want_out, want_align, _ = np_decoder(cell, x[i], values[i], mask[i], h0[i])
        np.testing.assert_allclose(np.asarray(attention_outputs[i]), want_out, atol=1e-5)
        np.testing.assert_allclose(np.asarray(history[i]), want_align, atol=1e-5)
    # The layer gives the same numbers with the same weights.
    layer_out, layer_history = AttentionRNN(cell)(x, values, values_mask=mask,
                                                  initial_state=[h0])
    np.testing.assert_allclose(np.asarray(layer_out), np.asarray(attention_outputs), atol=1e-6)
    np.testing.assert_allclose(np.asarray(layer_history), np.asarray(history), atol=1e-6)


@pytest.mark.parametrize("zero_output_for_mask,unroll", [(False, False), (True, False),
                                                         (False, True)])
def test_decoder_side_mask(zero_output_for_mask, unroll, rng):
    x, values, mask, h0 = data(rng)
    lengths = [TQ, 3, 1]
    decoder_mask = np.arange(TQ)[None] < np.array(lengths)[:, None]
    layer = AttentionRNN(make_cell(), return_state=True, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask)
    outputs, history, h, attention_vector, _ = layer(
        x, values, mask=decoder_mask, values_mask=mask, initial_state=[h0])
    outputs, history = np.asarray(outputs), np.asarray(history)
    for i, n in enumerate(lengths):
        want_out, want_align, (want_h, want_a) = np_decoder(
            layer.cell, x[i], values[i], mask[i], h0[i], steps=n)
        np.testing.assert_allclose(outputs[i, :n], want_out, atol=1e-5)
        np.testing.assert_allclose(history[i, :n], want_align, atol=1e-5)
        # The state stops at the last real step.
        np.testing.assert_allclose(np.asarray(h[i]), want_h, atol=1e-5)
        np.testing.assert_allclose(np.asarray(attention_vector[i]), want_a, atol=1e-5)
        if zero_output_for_mask:
            assert np.all(outputs[i, n:] == 0) and np.all(history[i, n:] == 0)
        else:  # padded steps repeat the last real output
            np.testing.assert_allclose(outputs[i, n:], np.broadcast_to(want_out[-1], outputs[i, n:].shape), atol=1e-5)


def test_keras_masks_of_inputs_and_values_are_used(rng):
    x, values, mask, h0 = data(rng)
    decoder_mask = np.ones((B, TQ), bool)
    decoder_mask[1, 2:] = False
    layer = AttentionRNN(make_cell())
    explicit = layer(x, values, mask=decoder_mask, values_mask=mask, initial_state=[h0])
    embedded_x = keras.layers.Masking()(np.where(decoder_mask[..., None], x, 0.0))
    embedded_v = keras.layers.Masking()(np.where(mask[..., None], values, 0.0))
    implicit = layer(embedded_x, embedded_v, initial_state=[h0])
    for a, b in zip(explicit, implicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_step_by_step_decoding_with_returned_state(rng):
    x, values, mask, h0 = data(rng)
    layer = AttentionRNN(make_cell(), return_state=True)
    full_out, full_history, *_ = layer(x, values, values_mask=mask, initial_state=[h0])
    state = [h0]
    for t in range(TQ):
        out, history, *state = layer(x[:, t:t + 1], values, values_mask=mask,
                                     initial_state=state)
        np.testing.assert_allclose(np.asarray(out)[:, 0], np.asarray(full_out)[:, t], atol=1e-5)
        np.testing.assert_allclose(np.asarray(history)[:, 0], np.asarray(full_history)[:, t],
                                   atol=1e-5)


def test_return_sequences_false(rng):
    x, values, mask, h0 = data(rng)
    cell = make_cell()
    full_out, full_history = AttentionRNN(cell)(x, values, values_mask=mask, initial_state=[h0])
    last_out, last_alignment = AttentionRNN(cell, return_sequences=False)(
        x, values, values_mask=mask, initial_state=[h0])
    np.testing.assert_allclose(np.asarray(last_out), np.asarray(full_out)[:, -1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(last_alignment), np.asarray(full_history)[:, -1],
                               atol=1e-6)


def test_keys_are_computed_once_per_sequence(rng):
    x, values, mask, h0 = data(rng)
    cell = make_cell()
    layer = AttentionRNN(cell)
    layer(x, values)  # build
    calls = []
    original = cell.attention.compute_keys
    cell.attention.compute_keys = lambda v: calls.append(1) or original(v)
    layer(x, values, values_mask=mask)
    assert len(calls) == 1
    keras.layers.RNN(cell, return_sequences=True)(
        x, initial_state=cell.get_initial_state_from_memory(values, mask))
    assert len(calls) == 2


# ---------------------------------------------------------------- save/load
def as_json(config):
    return json.loads(json.dumps(config))


def encoder_decoder(vocab=11, memory_length=None):
    source = keras.Input(shape=(memory_length,), dtype="int32", name="source")
    target = keras.Input(shape=(None,), dtype="int32", name="target")
    embedded = keras.layers.Embedding(vocab, 5, mask_zero=True)(source)
    memory, forward, backward = keras.layers.Bidirectional(
        keras.layers.GRU(4, return_sequences=True, return_state=True))(embedded)
    state = keras.layers.Concatenate()([forward, backward])
    decoder_in = keras.layers.Embedding(vocab, 3, mask_zero=True)(target)
    cell = AttentionRNNCell(keras.layers.GRUCell(8), BahdanauAttention(6),
                            attention_layer_size=7, output_alignments=True)
    outputs, history = AttentionRNN(cell)(decoder_in, memory, initial_state=[state])
    probs = keras.layers.Dense(vocab, activation="softmax")(outputs)
    return keras.Model([source, target], [probs, history])


@pytest.mark.parametrize("memory_length", [None, 6])
def test_save_load_roundtrip_encoder_decoder(memory_length, rng, tmp_path):
    model = encoder_decoder(memory_length=memory_length)
    source = rng.integers(1, 11, size=(B, TV)).astype("int32")
    source[1, 4:] = 0
    source[2, 2:] = 0
    target = rng.integers(1, 11, size=(B, TQ)).astype("int32")
    target[2, 3:] = 0
    restored = assert_save_load_roundtrip(model, [source, target], tmp_path)
    _, history = model.predict([source, target], verbose=0)
    assert np.all(history[1, :, 4:] == 0) and np.all(history[2, :, 2:] == 0)
    np.testing.assert_allclose(history[0].sum(-1), 1.0, atol=1e-5)
    original = next(l for l in model.layers if isinstance(l, AttentionRNN))
    loaded = next(l for l in restored.layers if isinstance(l, AttentionRNN))
    # (nested build configs come back from JSON with lists for tuples)
    assert as_json(loaded.get_config()) == as_json(original.get_config())
    assert type(loaded.cell.attention) is BahdanauAttention


def test_cell_config_roundtrip():
    cell = make_cell(memory_length=TV, attention_activation="relu")
    clone = AttentionRNNCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    assert clone.output_size == 6 + TV


def test_fit_on_toy_data(rng):
    model = encoder_decoder()
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", None])
    source = rng.integers(1, 11, size=(8, TV)).astype("int32")
    target = rng.integers(1, 11, size=(8, TQ)).astype("int32")
    history = model.fit([source, target], target, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("input_feeding", [True, False])
def test_gradients_reach_every_weight(input_feeding, rng):
    x, values, mask, h0 = data(rng)
    layer = AttentionRNN(make_cell(input_feeding=input_feeding))
    assert_gradients_flow(layer, x, values, values_mask=mask, initial_state=[h0])


def test_inner_cell_dropout_in_training(rng):
    x, values, mask, h0 = data(rng)
    cell = AttentionRNNCell(keras.layers.GRUCell(UNITS, dropout=0.5, recurrent_dropout=0.5),
                            BahdanauAttention(8), attention_layer_size=6)
    layer = AttentionRNN(cell)
    inference = np.asarray(layer(x, values, values_mask=mask))
    np.testing.assert_allclose(np.asarray(layer(x, values, values_mask=mask)), inference)
    trained = np.asarray(layer(x, values, values_mask=mask, training=True))
    assert np.all(np.isfinite(trained)) and not np.allclose(trained, inference)
    assert cell.cell._dropout_mask is None  # reset after the loop


def test_attention_dropout_differs_per_step_and_per_call(rng):
    """Random ops of the mechanism inside the loop get a new seed every step
    and every call (on JAX the loop is a `lax.scan`, see `_SeededStep`)."""
    x, _, _, h0 = data(rng)
    values = np.broadcast_to(np.eye(TV, dtype="float32"), (B, TV, TV))  # context == weights
    cell = AttentionRNNCell(keras.layers.GRUCell(UNITS), BahdanauAttention(8, dropout=0.5),
                            output_alignments=True)
    layer = AttentionRNN(cell)
    patterns = []
    for _ in range(2):
        context, history = layer(x, values, initial_state=[h0], training=True)
        context, history = np.asarray(context), np.asarray(history)
        dropped = context == 0
        np.testing.assert_allclose(np.where(dropped, 0, context), np.where(dropped, 0, 2 * history),
                                   rtol=1e-5)
        patterns.append(dropped)
    assert 0 < patterns[0].mean() < 1
    assert not np.array_equal(patterns[0], patterns[1])
    assert not all(np.array_equal(patterns[0][:, 0], patterns[0][:, t]) for t in range(1, TQ))


RANDOM_MECHANISMS = {"bahdanau-dropout": lambda: BahdanauAttention(8, dropout=0.3)}
if hasattr(layers, "MonotonicAttention"):  # sigmoid noise in training
    RANDOM_MECHANISMS["monotonic-auto"] = lambda: layers.MonotonicAttention(8)


@pytest.mark.parametrize("name", sorted(RANDOM_MECHANISMS))
def test_fit_with_random_ops_in_the_mechanism(name, rng):
    x_in, v_in = keras.Input((None, DIN)), keras.Input((TV, DV))
    cell = AttentionRNNCell(keras.layers.GRUCell(UNITS), RANDOM_MECHANISMS[name](),
                            attention_layer_size=6)
    model = keras.Model([x_in, v_in], keras.layers.Dense(2)(AttentionRNN(cell)(x_in, v_in)))
    model.compile(optimizer="adam", loss="mse")
    x, values, _, _ = data(rng)
    history = model.fit([x, values], np.zeros((B, TQ, 2)), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# ------------------------------------------------------------------- errors
def test_bad_arguments_name_the_argument(rng):
    x, values, mask, h0 = data(rng)
    with pytest.raises(ValueError, match="values"):
        AttentionRNN(make_cell())(x, values[:, :, 0])
    with pytest.raises(ValueError, match="values"):
        make_cell().get_initial_state_from_memory(values[0])
    with pytest.raises(ValueError, match="inputs"):
        AttentionRNN(make_cell())(x[:, 0], values)
    with pytest.raises(ValueError, match="values_mask"):
        AttentionRNN(make_cell())(x, values, values_mask=mask[:, :3])
    with pytest.raises(ValueError, match="mask"):
        AttentionRNN(make_cell())(x, values, mask=mask)
    with pytest.raises(ValueError, match="mask"):
        make_cell().get_initial_state_from_memory(values, mask=mask[:, :3])
    with pytest.raises(ValueError, match="cell_states"):
        make_cell().get_initial_state_from_memory(values, cell_states=[h0, h0])
    with pytest.raises(ValueError, match="memory_length"):
        make_cell(output_alignments=True).output_size
    with pytest.raises(ValueError, match="memory_length"):
        make_cell(memory_length=TV + 1).get_initial_state_from_memory(values)
    with pytest.raises(ValueError, match="memory_length"):
        make_cell(memory_length=0)
    with pytest.raises(ValueError, match="get_initial_state_from_memory"):
        keras.layers.RNN(make_cell())(x)
    with pytest.raises(ValueError, match="cell"):
        AttentionRNN(keras.layers.GRUCell(4))
    with pytest.raises(ValueError, match="attention"):
        AttentionRNNCell(keras.layers.GRUCell(4), keras.layers.Dense(3))
    with pytest.raises(ValueError, match="stateful"):
        AttentionRNN(make_cell(), stateful=True)
    cell = make_cell()
    cell.get_initial_state_from_memory(values)
    with pytest.raises(ValueError, match="values"):
        cell.get_initial_state_from_memory(np.concatenate([values, values], -1))


# ------------------------------------------- mechanisms with previous alignment
def _mechanisms():
    found = {"bahdanau": lambda: BahdanauAttention(8)}
    if hasattr(layers, "LocationSensitiveAttention"):
        found["location-sensitive"] = lambda: layers.LocationSensitiveAttention(
            8, filters=3, kernel_size=3)
        found["location-sensitive-cumulative"] = lambda: layers.LocationSensitiveAttention(
            8, filters=3, kernel_size=3, cumulative=True)
    if hasattr(layers, "MonotonicAttention"):
        found["monotonic-parallel"] = lambda: layers.MonotonicAttention(8, mode="parallel")
        found["monotonic-hard"] = lambda: layers.MonotonicAttention(8, mode="hard")
    if hasattr(layers, "LuongAttention"):
        found["luong-general"] = lambda: layers.LuongAttention("general")
        found["luong-concat"] = lambda: layers.LuongAttention("concat", units=8)
    return found


MECHANISMS = _mechanisms()


@pytest.mark.parametrize("name", sorted(MECHANISMS))
def test_any_mechanism_matches_a_loop_over_its_public_call(name, rng):
    """The cell threads `previous_alignment` (and the mechanism's alignment
    state) exactly as a Python loop over the mechanism's own `call` does."""
    x, values, mask, h0 = data(rng)
    attention = MECHANISMS[name]()
    cell = AttentionRNNCell(keras.layers.GRUCell(UNITS), attention, attention_layer_size=6,
                            output_alignments=True)
    outputs, history = AttentionRNN(cell)(x, values, values_mask=mask, initial_state=[h0])
    gru, wc = cell.cell, np.asarray(cell.attention_layer.kernel)
    h, a = h0, np.zeros((B, 6), "float32")
    state = attention.initial_alignment(values, mask)
    next_state = getattr(attention, "next_alignment_state", lambda s, w: w)
    for t in range(TQ):
        h = gru(np.concatenate([x[:, t], a], -1), [h])[0]
        kwargs = {"previous_alignment": state} if attention.needs_previous_alignment else {}
        context, weights = attention(h, values, mask=mask, return_attention_scores=True, **kwargs)
        state = next_state(state, weights)
        a = np.tanh(np.concatenate([np.asarray(h), np.asarray(context)], -1) @ wc)
        np.testing.assert_allclose(np.asarray(outputs)[:, t], a, atol=1e-5)
        np.testing.assert_allclose(np.asarray(history)[:, t], np.asarray(weights), atol=1e-5)


@pytest.mark.parametrize("name", sorted(MECHANISMS))
def test_any_mechanism_gradients_and_save_load(name, rng, tmp_path):
    x, values, mask, h0 = data(rng)
    cell = AttentionRNNCell(keras.layers.GRUCell(UNITS), MECHANISMS[name](),
                            attention_layer_size=6, output_alignments=True)
    x_in, v_in = keras.Input((None, DIN)), keras.Input((TV, DV))
    m_in, h_in = keras.Input((TV,), dtype="bool"), keras.Input((UNITS,))
    outputs, history = AttentionRNN(cell)(x_in, v_in, values_mask=m_in, initial_state=[h_in])
    model = keras.Model([x_in, v_in, m_in, h_in], [outputs, history])
    assert_save_load_roundtrip(model, [x, values, mask, h0], tmp_path)
    assert_gradients_flow(AttentionRNN(cell), x, values, values_mask=mask,
                          initial_state=[h0])
