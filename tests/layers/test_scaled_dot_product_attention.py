import numpy as np
import pytest

from tests import numpy_reference as ref
from zoo.layers import ScaledDotProductAttention


@pytest.mark.parametrize("query_rank", [2, 3])
def test_matches_numpy_equations(query_rank, rng):
    layer = ScaledDotProductAttention()
    query = rng.normal(size=(2, 3, 6) if query_rank == 3 else (2, 6)).astype("float32")
    values = rng.normal(size=(2, 5, 6)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    for i in range(2):
        q = query[i] if query_rank == 3 else query[i][None]
        ctx, w = ref.scaled_dot_product(q.astype("float64"), values[i].astype("float64"), mask[i])
        if query_rank == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(np.asarray(weights[i]), w, atol=1e-5)
        np.testing.assert_allclose(np.asarray(context[i]), ctx, atol=1e-5)


def test_scaling_uses_the_feature_size():
    # One query equal to the first key: energies [d, 0] / sqrt(d) = [sqrt(d), 0].
    d = 4
    values = np.zeros((1, 2, d), "float32")
    values[0, 0, 0] = 1.0
    query = np.zeros((1, d), "float32")
    query[0, 0] = d
    _, weights = ScaledDotProductAttention()(query, values, return_attention_scores=True)
    expected = np.exp(np.sqrt(d)) / (np.exp(np.sqrt(d)) + 1.0)
    np.testing.assert_allclose(np.asarray(weights)[0, 0], expected, rtol=1e-5)


def test_has_no_weights():
    layer = ScaledDotProductAttention()
    layer(np.ones((1, 3), "float32"), np.ones((1, 2, 3), "float32"))
    assert not layer.weights


def test_needs_equal_feature_sizes():
    with pytest.raises(ValueError, match="feature sizes"):
        ScaledDotProductAttention()(np.ones((2, 4), "float32"), np.ones((2, 5, 3), "float32"))


def test_dropout_changes_only_the_context_in_training(rng):
    layer = ScaledDotProductAttention(dropout=0.5)
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 5, 4)).astype("float32")
    ctx_inf, w_inf = layer(query, values, return_attention_scores=True)
    ctx_tr, w_tr = layer(query, values, return_attention_scores=True, training=True)
    np.testing.assert_allclose(np.asarray(w_tr), np.asarray(w_inf), atol=1e-6)
    assert not np.allclose(np.asarray(ctx_tr), np.asarray(ctx_inf))
    assert ScaledDotProductAttention.from_config(layer.get_config()).dropout == 0.5
