"""AttentionPooling against NumPy references of Raffel & Ellis (2016) and
de Andrade et al. (2018), with masks, plus the usual layer contract."""

import json

import keras
import numpy as np
import pytest

from tests import numpy_reference as ref
from tests.layers.helpers import assert_gradients_flow, assert_save_load_roundtrip
from zoo.layers import AttentionPooling

B, T, D = 4, 7, 5
QUERIES = ["learned", "first", "middle", "last", 2, -2, 10]


def data(rng):
    inputs = rng.normal(size=(B, T, D)).astype("float32")
    mask = np.ones((B, T), bool)
    mask[1, 5:] = False  # right padding
    mask[2, :3] = False  # left padding: the query counts real steps only
    mask[3, 1:] = False  # a single real step
    return inputs, mask


def np_pooling(layer, h, mask):
    """One sequence h (t, d) with its mask (t,)."""
    h = h.astype(np.float64)
    if layer.query == "learned":
        w, b, v = (np.asarray(x, np.float64) for x in (layer.kernel, layer.bias, layer.v))
        energies = np.tanh(h @ w + b) @ v  # Raffel & Ellis eq. 1 with a = v^T tanh(W h + b)
    else:
        real = np.flatnonzero(mask)
        n = len(real)
        k = {"first": 0, "middle": n // 2, "last": n - 1}.get(layer.query, layer.query)
        if not isinstance(layer.query, str):
            k = min(k, n - 1) if k >= 0 else max(n + k, 0)
        q = h[real[k]] @ np.asarray(layer.query_kernel, np.float64) + np.asarray(
            layer.query_bias, np.float64)
        energies = h @ q  # de Andrade et al.: scores = q . h_t
    weights = ref.softmax(energies, mask)
    return weights @ h, weights


@pytest.mark.parametrize("query", QUERIES)
def test_matches_numpy_reference(query, rng):
    inputs, mask = data(rng)
    layer = AttentionPooling(query=query)
    layer(inputs)
    # A non-zero bias, so it is really exercised.
    bias = layer.bias if query == "learned" else layer.query_bias
    bias.assign(rng.normal(size=bias.shape).astype("float32"))
    for m in (mask, None):
        pooled, weights = layer(inputs, mask=m, return_attention_scores=True)
        assert tuple(pooled.shape) == (B, D) and tuple(weights.shape) == (B, T)
        for i in range(B):
            mi = np.ones(T, bool) if m is None else m[i]
            want_pooled, want_weights = np_pooling(layer, inputs[i], mi)
            np.testing.assert_allclose(np.asarray(weights[i]), want_weights, atol=1e-5)
            np.testing.assert_allclose(np.asarray(pooled[i]), want_pooled, atol=1e-5)
    weights = np.asarray(layer(inputs, mask=mask, return_attention_scores=True)[1])
    assert np.all(weights[~mask] == 0.0), "masked steps must get weight exactly 0"
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)


def test_learned_units(rng):
    inputs, _ = data(rng)
    layer = AttentionPooling(units=3)
    layer(inputs)
    assert tuple(layer.kernel.shape) == (D, 3)


def test_fully_masked_sequence_gives_zeros(rng):
    inputs, mask = data(rng)
    mask[0] = False
    for query in ("learned", "middle"):
        pooled, weights = AttentionPooling(query=query)(inputs, mask=mask,
                                                       return_attention_scores=True)
        assert np.all(np.asarray(weights[0]) == 0) and np.all(np.asarray(pooled[0]) == 0)
        assert np.all(np.isfinite(np.asarray(pooled)))


@pytest.mark.parametrize("query", ["learned", "middle"])
def test_keras_mask_of_inputs_is_used(query, rng):
    inputs, mask = data(rng)
    tokens = np.where(mask, rng.integers(1, 20, size=mask.shape), 0)
    embedded = keras.layers.Embedding(20, D, mask_zero=True)(tokens)
    layer = AttentionPooling(query=query)
    explicit = layer(embedded, mask=mask, return_attention_scores=True)
    implicit = layer(embedded, return_attention_scores=True)
    for a, b in zip(explicit, implicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_dropout_only_in_training(rng):
    inputs, mask = data(rng)
    layer = AttentionPooling(dropout=0.5)
    pooled, weights = layer(inputs, mask=mask, return_attention_scores=True)
    pooled_t, weights_t = layer(inputs, mask=mask, return_attention_scores=True, training=True)
    np.testing.assert_allclose(np.asarray(weights_t), np.asarray(weights), atol=1e-6)
    assert not np.allclose(np.asarray(pooled_t), np.asarray(pooled))


@pytest.mark.parametrize("query", ["learned", "last"])
def test_save_load_roundtrip(query, rng, tmp_path):
    inputs, mask = data(rng)
    x_in = keras.Input(shape=(T, D))
    m_in = keras.Input(shape=(T,), dtype="bool")
    pooled, weights = AttentionPooling(query=query)(x_in, mask=m_in, return_attention_scores=True)
    assert tuple(pooled.shape) == (None, D) and tuple(weights.shape) == (None, T)
    model = keras.Model([x_in, m_in], [pooled, weights])
    restored = assert_save_load_roundtrip(model, [inputs, mask], tmp_path)
    config = json.loads(json.dumps(model.layers[-1].get_config()))
    assert json.loads(json.dumps(restored.layers[-1].get_config())) == config


@pytest.mark.parametrize("query", ["learned", "middle"])
def test_gradients_reach_every_weight(query, rng):
    inputs, mask = data(rng)
    assert_gradients_flow(AttentionPooling(query=query), inputs, mask=mask)


def test_bad_arguments_name_the_argument(rng):
    inputs, mask = data(rng)
    with pytest.raises(ValueError, match="inputs"):
        AttentionPooling()(inputs[:, 0])
    with pytest.raises(ValueError, match="mask"):
        AttentionPooling()(inputs, mask=mask[:, :3])
    with pytest.raises(ValueError, match="query"):
        AttentionPooling(query="centre")
    with pytest.raises(ValueError, match="units"):
        AttentionPooling(units=4, query="middle")
    with pytest.raises(ValueError, match="units"):
        AttentionPooling(units=0)
    with pytest.raises(ValueError, match="dropout"):
        AttentionPooling(dropout=1.0)
