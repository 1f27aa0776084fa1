import numpy as np
import pytest

from tests import numpy_reference as ref
from zoo.layers import LuongAttention

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)


def reference_weights(layer):
    if layer.score_mode == "general":
        return dict(W=np.asarray(layer.kernel))
    if layer.score_mode == "concat":
        return dict(Wq=np.asarray(layer.query_kernel), Wk=np.asarray(layer.key_kernel),
                    v=np.asarray(layer.v))
    return {}


@pytest.mark.parametrize("score,use_scale", [("dot", False), ("dot", True), ("general", False),
                                             ("general", True), ("concat", False),
                                             ("concat", True)])
@pytest.mark.parametrize("query_rank", [2, 3])
def test_matches_numpy_equations(score, use_scale, query_rank, rng):
    dq = 7 if score == "dot" else 4
    layer = LuongAttention(score, units=6 if score == "concat" else None, use_scale=use_scale)
    query = rng.normal(size=(2, 3, dq) if query_rank == 3 else (2, dq)).astype("float32")
    values = rng.normal(size=(2, 5, 7)).astype("float32")
    layer(query, values)
    scale = 1.0
    if use_scale:
        scale = 0.6  # non-trivial, so the scale is really exercised
        layer.scale.assign(scale)
    context, weights = layer(query, values, mask=MASK, return_attention_scores=True)
    for i in range(2):
        q = query[i] if query_rank == 3 else query[i][None]
        ctx, w = ref.luong(q.astype("float64"), values[i].astype("float64"), score, MASK[i],
                           scale=scale, **reference_weights(layer))
        if query_rank == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(np.asarray(weights[i]), w, atol=1e-5)
        np.testing.assert_allclose(np.asarray(context[i]), ctx, atol=1e-5)


def test_weights_have_the_paper_shapes():
    layer = LuongAttention("general")
    layer(np.ones((1, 2, 3), "float32"), np.ones((1, 4, 5), "float32"))
    assert tuple(layer.kernel.shape) == (3, 5)  # q^T W_a h
    layer = LuongAttention("concat", units=6, use_scale=True)
    layer(np.ones((1, 2, 3), "float32"), np.ones((1, 4, 5), "float32"))
    shapes = {v.name: tuple(v.shape) for v in layer.trainable_variables}
    assert shapes == {"query_kernel": (3, 6), "key_kernel": (5, 6), "v": (6,), "scale": ()}
    assert float(np.asarray(layer.scale)) == 1.0
    layer = LuongAttention("dot")
    layer(np.ones((1, 2, 5), "float32"), np.ones((1, 4, 5), "float32"))
    assert not layer.weights


@pytest.mark.parametrize("score", ["general", "concat"])
def test_keys_are_computed_once_per_sequence(score):
    layer = LuongAttention(score, units=4 if score == "concat" else None)
    calls = []
    original = layer.compute_keys
    layer.compute_keys = lambda values: calls.append(1) or original(values)
    layer(np.ones((1, 3, 2), "float32"), np.ones((1, 5, 3), "float32"))
    assert len(calls) == 1


def test_fully_masked_row_gets_zero_weights():
    layer = LuongAttention("general")
    query = np.ones((2, 3), "float32")
    values = np.ones((2, 4, 5), "float32")
    mask = np.array([[1, 1, 0, 0], [0, 0, 0, 0]], bool)
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    assert np.all(np.asarray(weights)[1] == 0) and np.all(np.asarray(context)[1] == 0)


def test_unknown_score():
    with pytest.raises(ValueError, match="`score`.*'dot', 'general', 'concat'"):
        LuongAttention("location")


def test_concat_needs_units():
    with pytest.raises(ValueError, match="units"):
        LuongAttention("concat")
    with pytest.raises(ValueError, match="units"):
        LuongAttention("concat", units=0)
    with pytest.raises(ValueError, match="units"):
        LuongAttention("general", units=8)


def test_dot_needs_equal_feature_sizes():
    with pytest.raises(ValueError, match="feature sizes"):
        LuongAttention("dot")(np.ones((2, 4), "float32"), np.ones((2, 5, 3), "float32"))
    # The other scores accept different sizes.
    for score, units in (("general", None), ("concat", 4)):
        LuongAttention(score, units=units)(np.ones((2, 4), "float32"),
                                           np.ones((2, 5, 3), "float32"))
    # The requirement is per instance, not shared through the class.
    assert LuongAttention("dot").query_matches_values
    assert not LuongAttention("general").query_matches_values


@pytest.mark.parametrize("score,units", [("dot", None), ("concat", 3)])
def test_config_roundtrip(score, units):
    layer = LuongAttention(score, units=units, use_scale=True, dropout=0.25)
    clone = LuongAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.score_mode, clone.units, clone.use_scale, clone.dropout) == (
        score, units, True, 0.25)


@pytest.mark.parametrize("score", ["dot", "general"])
def test_scaled_divides_the_energies_by_the_root_of_the_query_width(score, rng):
    dq = 7 if score == "dot" else 9
    layer = LuongAttention(score, scaled=True, use_scale=True)
    query = (3 * rng.normal(size=(2, 3, dq))).astype("float32")
    values = (3 * rng.normal(size=(2, 5, 7))).astype("float32")
    layer(query, values)
    layer.scale.assign(0.6)
    context, weights = layer(query, values, mask=MASK, return_attention_scores=True)
    for i in range(2):
        ctx, w = ref.luong(query[i].astype("float64"), values[i].astype("float64"), score,
                           MASK[i], scale=0.6 / np.sqrt(dq), **reference_weights(layer))
        np.testing.assert_allclose(np.asarray(weights[i]), w, atol=1e-5)
        np.testing.assert_allclose(np.asarray(context[i]), ctx, atol=1e-5)
    clone = LuongAttention.from_config(layer.get_config())
    assert clone.scaled and clone.use_scale
    with pytest.raises(ValueError, match="concat"):
        LuongAttention("concat", units=4, scaled=True)
