import numpy as np
import pytest

from tests import numpy_reference as ref
from tests.layers.test_luong_attention import reference_weights
from zoo.layers import LocalAttention

MASK = np.array([[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0]], bool)


@pytest.mark.parametrize("score", ["general", "dot", "concat"])
@pytest.mark.parametrize("normalize, masked", [(False, True), (True, False)])
@pytest.mark.parametrize("query_rank", [2, 3])
def test_matches_numpy_equations(score, normalize, query_rank, masked, rng):
    dq = 5 if score == "dot" else 4
    query = rng.normal(size=(2, 3, dq) if query_rank == 3 else (2, dq)).astype("float32")
    values = rng.normal(size=(2, 9, 5)).astype("float32")
    mask = MASK if masked else None
    layer = LocalAttention(2, score, units=6 if score == "concat" else None, normalize=normalize)
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    q3 = query if query_rank == 3 else query[:, None]
    for i in range(2):
        ctx, w = ref.local_p(q3[i], values[i], 2, np.asarray(layer.position_kernel),
                             np.asarray(layer.position_v), score,
                             None if mask is None else mask[i], normalize=normalize,
                             **reference_weights(layer))
        got_ctx, got_w = np.asarray(context[i]), np.asarray(weights[i])
        if query_rank == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(got_w, w, atol=1e-5)
        np.testing.assert_allclose(got_ctx, ctx, atol=1e-5)


@pytest.mark.parametrize("direction, expected", [(1.0, "last"), (-1.0, "first")])
def test_position_spans_the_real_steps_and_window_is_respected(direction, expected, rng):
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 9, 5)).astype("float32")
    layer = LocalAttention(2, position_units=4)
    layer(query, values)
    # Saturate the position predictor: p_t -> 0 or S - 1.
    layer.position_kernel.assign(100.0 * np.eye(4, dtype="float32"))
    layer.position_v.assign(np.full(4, 100.0 * direction, "float32"))
    query = np.abs(query)
    position = np.asarray(layer.predict_position(query, MASK, 9))
    lengths = MASK.sum(-1)
    target = (lengths - 1)[:, None] if expected == "last" else np.zeros((2, 1))
    np.testing.assert_allclose(position, np.broadcast_to(target, position.shape), atol=1e-4)
    _, weights = layer(query, values, mask=MASK, return_attention_scores=True)
    weights = np.asarray(weights)
    for i in range(2):
        allowed = np.abs(np.arange(9) - target[i]) <= 2
        assert np.all(weights[i][:, ~(allowed & MASK[i])] == 0)
        assert np.all(weights[i][:, allowed & MASK[i]] > 0)


def test_without_mask_position_uses_full_length(rng):
    layer = LocalAttention(1, position_units=3)
    query = np.abs(rng.normal(size=(2, 3)).astype("float32"))
    layer(query, rng.normal(size=(2, 6, 3)).astype("float32"))
    layer.position_kernel.assign(100.0 * np.eye(3, dtype="float32"))
    layer.position_v.assign(np.full(3, 100.0, "float32"))
    np.testing.assert_allclose(np.asarray(layer.predict_position(query[:, None], None, 6)),
                               5.0, atol=1e-4)


def test_normalize_sums_to_one_and_default_sums_to_less(rng):
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 9, 5)).astype("float32")
    _, w = LocalAttention(2)(query, values, mask=MASK, return_attention_scores=True)
    _, n = LocalAttention(2, normalize=True)(query, values, mask=MASK,
                                              return_attention_scores=True)
    assert np.all(np.asarray(w).sum(-1) < 1.0)
    np.testing.assert_allclose(np.asarray(n).sum(-1), 1.0, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="score"):
        LocalAttention(2, "bilinear")
    with pytest.raises(ValueError, match="window"):
        LocalAttention(0)
    with pytest.raises(ValueError, match="window"):
        LocalAttention(1.5)
    with pytest.raises(ValueError, match="units"):
        LocalAttention(2, "concat")
    with pytest.raises(ValueError, match="position_units"):
        LocalAttention(2, position_units=0)
