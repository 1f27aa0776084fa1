import numpy as np
import pytest

from tests import numpy_reference as ref
from zoo.layers import BahdanauAttention


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("query_rank", [2, 3])
def test_matches_numpy_equations(normalize, query_rank, rng):
    layer = BahdanauAttention(units=6, normalize=normalize)
    query = rng.normal(size=(2, 3, 4) if query_rank == 3 else (2, 4)).astype("float32")
    values = rng.normal(size=(2, 5, 7)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    layer(query, values)
    # Make g and b non-trivial so they are really exercised.
    if normalize:
        layer.g.assign(0.7)
        layer.b.assign(rng.normal(size=6).astype("float32"))
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    extra = dict(g=np.asarray(layer.g),
                 b=np.asarray(layer.b)) if normalize else {}
    for i in range(2):
        q = query[i] if query_rank == 3 else query[i][None]
        ctx, w = ref.bahdanau(q, values[i], np.asarray(layer.query_kernel),
                              np.asarray(layer.key_kernel), np.asarray(layer.v), mask[i], **extra)
        got_ctx, got_w = np.asarray(context[i]), np.asarray(weights[i])
        if query_rank == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(got_w, w, atol=1e-5)
        np.testing.assert_allclose(got_ctx, ctx, atol=1e-5)


def test_keys_are_computed_once_per_sequence():
    layer = BahdanauAttention(4)
    q = np.ones((1, 3, 2), "float32")
    v = np.ones((1, 5, 3), "float32")
    calls = []
    original = layer.compute_keys
    layer.compute_keys = lambda values: calls.append(1) or original(values)
    layer(q, v)
    assert len(calls) == 1


def test_invalid_units():
    with pytest.raises(ValueError, match="units"):
        BahdanauAttention(0)
