import numpy as np
import pytest

from tests import numpy_reference as ref
from zoo.layers import LocationSensitiveAttention

MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]], bool)


def random_alignment(rng, mask):
    w = rng.random(mask.shape) * mask
    return (w / w.sum(-1, keepdims=True)).astype("float32")


def make_layer(rng, query, values, **kwargs):
    layer = LocationSensitiveAttention(units=6, filters=3, **kwargs)
    layer(query, values)
    # Non-trivial b and g so they are really exercised.
    layer.b.assign(rng.normal(size=6).astype("float32"))
    if layer.normalize:
        layer.g.assign(0.7)
    return layer


def reference(layer, query, values, previous, mask, i):
    return ref.location_sensitive(
        query[i], values[i], previous[i], np.asarray(layer.query_kernel),
        np.asarray(layer.key_kernel), np.asarray(layer.location_filters)[:, 0, :],
        np.asarray(layer.location_kernel), np.asarray(layer.v), np.asarray(layer.b), mask[i],
        g=np.asarray(layer.g) if layer.normalize else None, cumulative=layer.cumulative)


@pytest.mark.parametrize("kernel_size, normalize", [(5, False), (4, True)])
@pytest.mark.parametrize("cumulative", [False, True])
@pytest.mark.parametrize("query_rank", [2, 3])
def test_matches_numpy_equations(kernel_size, cumulative, normalize, query_rank, rng):
    query = rng.normal(size=(2, 3, 4) if query_rank == 3 else (2, 4)).astype("float32")
    values = rng.normal(size=(2, 6, 7)).astype("float32")
    previous = random_alignment(rng, MASK)
    if cumulative:
        previous = previous * 2.5  # a running sum of several alignments
    layer = make_layer(rng, query, values, kernel_size=kernel_size, cumulative=cumulative,
                       normalize=normalize)
    context, weights = layer(query, values, mask=MASK, previous_alignment=previous,
                             return_attention_scores=True)
    q3 = query if query_rank == 3 else query[:, None]
    for i in range(2):
        ctx, w = reference(layer, q3, values, previous, MASK, i)
        got_ctx, got_w = np.asarray(context[i]), np.asarray(weights[i])
        if query_rank == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(got_w, w, atol=1e-5)
        np.testing.assert_allclose(got_ctx, ctx, atol=1e-5)


@pytest.mark.parametrize("cumulative", [False, True])
def test_sequence_equals_steps_carrying_next_alignment_state(cumulative, rng):
    query = rng.normal(size=(2, 4, 3)).astype("float32")
    values = rng.normal(size=(2, 6, 5)).astype("float32")
    layer = LocationSensitiveAttention(5, filters=2, kernel_size=3, cumulative=cumulative)
    context, weights = layer(query, values, mask=MASK, return_attention_scores=True)
    state = layer.initial_alignment(values)
    for t in range(4):
        ctx_t, w_t = layer(query[:, t], values, mask=MASK, previous_alignment=state,
                           return_attention_scores=True)
        np.testing.assert_allclose(np.asarray(weights[:, t]), np.asarray(w_t), atol=1e-6)
        np.testing.assert_allclose(np.asarray(context[:, t]), np.asarray(ctx_t), atol=1e-6)
        state = layer.next_alignment_state(state, w_t)
    if cumulative:  # the state is the initial one-hot plus every step's weights
        np.testing.assert_allclose(np.asarray(state).sum(-1), 1.0 + 4.0, atol=1e-5)


def test_default_previous_alignment_is_one_hot_on_first_step(rng):
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 6, 5)).astype("float32")
    layer = LocationSensitiveAttention(4, filters=2, kernel_size=3)
    one_hot = np.zeros((2, 6), "float32")
    one_hot[:, 0] = 1.0
    implicit = layer(query, values, mask=MASK, return_attention_scores=True)
    explicit = layer(query, values, mask=MASK, previous_alignment=one_hot,
                     return_attention_scores=True)
    for a, b in zip(implicit, explicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_previous_alignment_changes_the_weights(rng):
    query = rng.normal(size=(2, 4)).astype("float32")
    values = rng.normal(size=(2, 6, 5)).astype("float32")
    layer = LocationSensitiveAttention(4, filters=2, kernel_size=3)
    a = np.eye(6, dtype="float32")[[0, 0]]
    b = np.eye(6, dtype="float32")[[2, 2]]
    _, wa = layer(query, values, previous_alignment=a, return_attention_scores=True)
    _, wb = layer(query, values, previous_alignment=b, return_attention_scores=True)
    assert not np.allclose(np.asarray(wa), np.asarray(wb))


def test_keys_are_computed_once_per_sequence(rng):
    layer = LocationSensitiveAttention(4, filters=2, kernel_size=3)
    calls = []
    original = layer.compute_keys
    layer.compute_keys = lambda values: calls.append(1) or original(values)
    layer(np.ones((1, 3, 2), "float32"), np.ones((1, 5, 3), "float32"))
    assert len(calls) == 1


@pytest.mark.parametrize("shape", [(2, 5), (2, 6, 1), (3, 6)])
def test_bad_previous_alignment_shape(shape, rng):
    layer = LocationSensitiveAttention(4, filters=2, kernel_size=3)
    query = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 6, 5)).astype("float32")
    with pytest.raises(ValueError, match="previous_alignment"):
        layer(query, values, previous_alignment=np.zeros(shape, "float32"))


@pytest.mark.parametrize("argument", ["units", "filters", "kernel_size"])
def test_invalid_sizes(argument):
    kwargs = dict(units=4, filters=2, kernel_size=3)
    kwargs[argument] = 0
    with pytest.raises(ValueError, match=argument):
        LocationSensitiveAttention(**kwargs)
