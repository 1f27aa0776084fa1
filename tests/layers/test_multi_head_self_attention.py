import keras
import numpy as np
import pytest

from tests import numpy_reference as ref
from tests.layers.helpers import assert_save_load_roundtrip
from zoo.layers import MultiHeadSelfAttention

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
CONFIGS = {
    "plain": dict(num_heads=2, key_dim=3),
    "projected-no-bias": dict(num_heads=3, key_dim=2, value_dim=4, output_dim=5, use_bias=False),
}


def keras_twin(layer, dq, dv):
    """A bare keras.layers.MultiHeadAttention holding the layer's weights."""
    mha = keras.layers.MultiHeadAttention(layer.num_heads, layer.key_dim, value_dim=layer.value_dim,
                                          use_bias=layer.use_bias, output_shape=layer.output_dim)
    mha.build((None, None, dq), (None, None, dv))
    mha.set_weights(layer.mha.get_weights())
    return mha


def reference_weights(layer):
    m = layer.mha
    weights = dict(Wq=m.query_dense.kernel, Wk=m.key_dense.kernel, Wv=m.value_dense.kernel,
                   Wo=m.output_dense.kernel)
    if layer.use_bias:
        weights.update(bq=m.query_dense.bias, bk=m.key_dense.bias, bv=m.value_dense.bias,
                       bo=m.output_dense.bias)
    return {k: np.asarray(v, dtype="float64") for k, v in weights.items()}


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("query_rank", [2, 3])
def test_cross_attention_matches_keras_and_numpy(config, query_rank, rng):
    layer = MultiHeadSelfAttention(**CONFIGS[config])
    query = rng.normal(size=(2, 3, 4) if query_rank == 3 else (2, 4)).astype("float32")
    values = rng.normal(size=(2, 5, 6)).astype("float32")
    context, weights = layer(query, values, mask=MASK, return_attention_scores=True)
    context, weights = np.asarray(context), np.asarray(weights)
    d = CONFIGS[config].get("output_dim") or 4
    lead = query.shape[:-1]
    assert context.shape == lead + (d,)
    assert weights.shape == (2, layer.num_heads) + lead[1:] + (5,)

    q3 = query if query_rank == 3 else query[:, None]
    k_ctx, k_w = keras_twin(layer, 4, 6)(q3, values, attention_mask=MASK[:, None, :],
                                         return_attention_scores=True)
    k_ctx, k_w = np.asarray(k_ctx), np.asarray(k_w)
    if query_rank == 2:
        k_ctx, k_w = k_ctx[:, 0], k_w[:, :, 0]
    np.testing.assert_allclose(context, k_ctx, atol=1e-6)
    np.testing.assert_allclose(weights, k_w, atol=1e-6)

    for i in range(2):
        ctx, w = ref.multi_head(q3[i].astype("float64"), values[i].astype("float64"),
                                mask=MASK[i], **reference_weights(layer))
        if query_rank == 2:
            ctx, w = ctx[0], w[:, 0]
        np.testing.assert_allclose(weights[i], w, atol=1e-5)
        np.testing.assert_allclose(context[i], ctx, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_matches_keras_and_numpy(causal, rng):
    layer = MultiHeadSelfAttention(2, 3)
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    context, weights = layer(x, mask=MASK, return_attention_scores=True, use_causal_mask=causal)
    context, weights = np.asarray(context), np.asarray(weights)
    assert context.shape == (2, 5, 4) and weights.shape == (2, 2, 5, 5)
    # values=None is the same as passing the query as values.
    same_ctx, same_w = layer(x, x, mask=MASK, return_attention_scores=True,
                             use_causal_mask=causal)
    np.testing.assert_allclose(context, np.asarray(same_ctx), atol=1e-6)
    np.testing.assert_allclose(weights, np.asarray(same_w), atol=1e-6)
    k_ctx, k_w = keras_twin(layer, 4, 4)(x, x, attention_mask=MASK[:, None, :],
                                         return_attention_scores=True, use_causal_mask=causal)
    np.testing.assert_allclose(context, np.asarray(k_ctx), atol=1e-6)
    np.testing.assert_allclose(weights, np.asarray(k_w), atol=1e-6)
    for i in range(2):
        ctx, w = ref.multi_head(x[i].astype("float64"), x[i].astype("float64"), mask=MASK[i],
                                causal=causal, **reference_weights(layer))
        np.testing.assert_allclose(weights[i], w, atol=1e-5)
        np.testing.assert_allclose(context[i], ctx, atol=1e-5)
    if causal:
        assert np.all(np.triu(np.ones((5, 5)), 1)[None, None] * weights == 0)


def test_keras_mask_of_query_is_the_self_attention_mask(rng):
    tokens = np.where(MASK, rng.integers(1, 20, size=MASK.shape), 0)
    embedded = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
    layer = MultiHeadSelfAttention(2, 3)
    implicit = layer(embedded, return_attention_scores=True)
    explicit = layer(embedded, mask=MASK, return_attention_scores=True)
    for a, b in zip(implicit, explicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)
    weights = np.asarray(implicit[1])
    assert np.all(weights[1, :, :, 2:] == 0)
    # Only value steps are masked: padded query rows still attend (and sum to 1);
    # the context keeps the query's Keras mask for the layers downstream.
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    out_mask = getattr(implicit[0], "_keras_mask", None)
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_array_equal(np.asarray(out_mask), MASK)
    # The inner MultiHeadAttention must not strip the caller's mask.
    again = layer(embedded, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(again[1]), weights, atol=1e-6)


def test_output_mask_in_a_functional_model():
    tokens = keras.Input(shape=(5,), dtype="int32")
    x = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
    y = MultiHeadSelfAttention(2, 3)(x)
    assert y._keras_mask is not None
    q = keras.Input(shape=(4,))
    z = MultiHeadSelfAttention(2, 3)(q, x)
    assert getattr(z, "_keras_mask", None) is None


def test_fully_masked_row_gets_zero_weights_not_nan(rng):
    layer = MultiHeadSelfAttention(2, 3)
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 5, 6)).astype("float32")
    mask = MASK.copy()
    mask[1] = False
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    context, weights = np.asarray(context), np.asarray(weights)
    assert np.all(weights[1] == 0)
    assert np.all(np.isfinite(context))
    # No weight: the context is the output projection of zero, i.e. its bias.
    np.testing.assert_allclose(context[1], np.broadcast_to(
        np.asarray(layer.mha.output_dense.bias), (3, 4)), atol=1e-6)
    # Same context whether or not the weights are requested.
    np.testing.assert_allclose(np.asarray(layer(query, values, mask=mask)), context, atol=1e-6)


def test_dropout_only_changes_the_context(rng):
    layer = MultiHeadSelfAttention(2, 3, dropout=0.5)
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    ctx_inf, w_inf = layer(x, return_attention_scores=True)
    ctx_tr, w_tr = layer(x, return_attention_scores=True, training=True)
    np.testing.assert_allclose(np.asarray(w_tr), np.asarray(w_inf), atol=1e-6)
    assert not np.allclose(np.asarray(ctx_tr), np.asarray(ctx_inf))


def test_shape_errors(rng):
    query2 = rng.normal(size=(2, 4)).astype("float32")
    x = rng.normal(size=(2, 5, 4)).astype("float32")
    with pytest.raises(ValueError, match="query.*self-attention"):
        MultiHeadSelfAttention(2, 3)(query2)
    with pytest.raises(ValueError, match="use_causal_mask"):
        MultiHeadSelfAttention(2, 3)(query2, x, use_causal_mask=True)
    with pytest.raises(ValueError, match="mask"):
        MultiHeadSelfAttention(2, 3)(x, mask=MASK[:, :4])
    with pytest.raises(ValueError, match="batch"):
        MultiHeadSelfAttention(2, 3)(x[:1], x)
    layer = MultiHeadSelfAttention(2, 3)
    layer(x)
    with pytest.raises(ValueError, match="values"):
        layer(x, np.ones((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadSelfAttention(2, 0)
    with pytest.raises(ValueError, match="dropout"):
        MultiHeadSelfAttention(2, 3, dropout=1.0)


def test_symbolic_shapes():
    x = keras.Input(shape=(5, 4))
    q = keras.Input(shape=(4,))
    ctx, w = MultiHeadSelfAttention(3, 2, output_dim=7)(x, return_attention_scores=True)
    assert tuple(ctx.shape) == (None, 5, 7) and tuple(w.shape) == (None, 3, 5, 5)
    ctx, w = MultiHeadSelfAttention(3, 2)(q, x, return_attention_scores=True)
    assert tuple(ctx.shape) == (None, 4) and tuple(w.shape) == (None, 3, 5)


def test_self_attention_save_load_roundtrip(rng, tmp_path):
    tokens_in = keras.Input(shape=(5,), dtype="int32")
    x = keras.layers.Embedding(20, 4, mask_zero=True)(tokens_in)
    context, weights = MultiHeadSelfAttention(2, 3, value_dim=2, output_dim=6)(
        x, return_attention_scores=True, use_causal_mask=True)
    model = keras.Model(tokens_in, [context, weights])
    tokens = np.where(MASK, rng.integers(1, 20, size=MASK.shape), 0)
    restored = assert_save_load_roundtrip(model, tokens, tmp_path)
    assert restored.layers[-1].get_config() == model.layers[-1].get_config()
    _, got_weights = restored.predict(tokens, verbose=0)
    assert np.all(got_weights[1, :, :, 2:] == 0)


def test_config_roundtrip():
    layer = MultiHeadSelfAttention(4, 8, value_dim=5, dropout=0.1, use_bias=False, output_dim=3)
    clone = MultiHeadSelfAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.num_heads, clone.key_dim, clone.value_dim, clone.dropout, clone.use_bias,
            clone.output_dim) == (4, 8, 5, 0.1, False, 3)
