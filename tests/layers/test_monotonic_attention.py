import numpy as np
import pytest

from tests import numpy_reference as ref
from zoo.layers import MonotonicAttention

MASK = np.array([[1, 1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0, 0]], bool)


def make_layer(rng, query, values, r=0.0, g=2.0, **kwargs):
    """A layer with weights drawn from `rng` (the same on every backend)."""
    kwargs.setdefault("sigmoid_noise", 0.0)
    layer = MonotonicAttention(units=6, **kwargs)
    layer(query, values)
    for weight in layer.trainable_weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32") / np.sqrt(3.0))
    layer.r.assign(r)
    if layer.normalize:  # energies in [-g, g] + r
        layer.g.assign(g / np.sqrt(6.0))
    return layer


def reference(layer, query, values, previous, mask, i, hard):
    extra = dict(g=np.asarray(layer.g), b=np.asarray(layer.b)) if layer.normalize else {}
    return ref.monotonic(query[i], values[i], previous[i], np.asarray(layer.query_kernel),
                         np.asarray(layer.key_kernel), np.asarray(layer.v),
                         float(np.asarray(layer.r)), mask[i], hard=hard, **extra)


def check_against_reference(layer, query, values, previous, hard, training=False):
    context, weights = layer(query, values, mask=MASK, previous_alignment=previous,
                             return_attention_scores=True, training=training)
    q3 = query if query.ndim == 3 else query[:, None]
    for i in range(len(query)):
        ctx, w = reference(layer, q3, values, previous, MASK, i, hard)
        got_ctx, got_w = np.asarray(context[i]), np.asarray(weights[i])
        if query.ndim == 2:
            ctx, w = ctx[0], w[0]
        np.testing.assert_allclose(got_w, w, atol=1e-5)
        np.testing.assert_allclose(got_ctx, ctx, atol=1e-5)
    return np.asarray(weights)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("query_rank", [2, 3])
def test_parallel_matches_the_recurrence(normalize, query_rank, rng):
    query = rng.normal(size=(2, 4, 3) if query_rank == 3 else (2, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    layer = make_layer(rng, query, values, r=0.3, mode="parallel", normalize=normalize)
    # A sub-stochastic previous alignment, 0 on masked steps.
    previous = (rng.random((2, 7)) * MASK).astype("float32")
    previous = 0.9 * previous / previous.sum(-1, keepdims=True)
    weights = check_against_reference(layer, query, values, previous, hard=False)
    assert np.all(weights.sum(-1) <= 1.0 + 1e-6)


@pytest.mark.parametrize("query_rank", [2, 3])
def test_hard_matches_the_algorithm(query_rank, rng):
    query = rng.normal(size=(2, 5, 3) if query_rank == 3 else (2, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    layer = make_layer(rng, query, values, r=-0.5, mode="hard")
    previous = np.zeros((2, 7), "float32")
    previous[0, 2] = 1.0
    if query_rank == 3:
        previous[1, 1] = 1.0
    # query_rank 2: item 1 attended nowhere before, so attends nowhere now.
    weights = check_against_reference(layer, query, values, previous, hard=True)
    assert np.all(np.isin(weights, [0.0, 1.0]))


def test_auto_is_parallel_in_training_and_hard_otherwise(rng):
    query = rng.normal(size=(2, 4, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    auto = make_layer(rng, query, values, r=0.2)  # sigmoid_noise=0
    check_against_reference(auto, query, values, np.eye(7, dtype="float32")[[0, 0]],
                            hard=True, training=False)
    check_against_reference(auto, query, values, np.eye(7, dtype="float32")[[0, 0]],
                            hard=False, training=True)


def test_hard_never_moves_backwards(rng):
    batch, tq, tv = 6, 8, 10
    query = rng.normal(size=(batch, tq, 4)).astype("float32")
    values = rng.normal(size=(batch, tv, 5)).astype("float32")
    mask = np.ones((batch, tv), bool)
    mask[1, 7:] = False
    mask[2, [3, 5]] = False
    layer = make_layer(rng, query, values, r=0.5, g=4.0, mode="hard")
    _, weights = layer(query, values, mask=mask, return_attention_scores=True)
    weights = np.asarray(weights)
    assert np.all(np.isin(weights, [0.0, 1.0]))
    attended = weights.sum(-1)
    assert np.all(attended <= 1.0)
    assert np.any(attended == 1.0) and np.any(np.diff(weights.argmax(-1), axis=1) > 0), \
        "test data should make the attention move"
    for item in range(batch):
        assert np.all(weights[item][:, ~mask[item]] == 0)
        stops = np.flatnonzero(attended[item] == 0)
        if len(stops):  # once it attends nowhere it stays there
            assert np.all(attended[item, stops[0]:] == 0)
        positions = weights[item].argmax(-1)[attended[item] == 1]
        assert np.all(np.diff(positions) >= 0)


def test_noise_only_in_training(rng):
    query = rng.normal(size=(2, 3, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    layer = MonotonicAttention(6, mode="parallel", sigmoid_noise=1.0)
    _, a = layer(query, values, mask=MASK, return_attention_scores=True, training=False)
    _, b = layer(query, values, mask=MASK, return_attention_scores=True, training=False)
    _, c = layer(query, values, mask=MASK, return_attention_scores=True, training=True)
    _, d = layer(query[:, 0], values, mask=MASK, return_attention_scores=True, training=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.allclose(np.asarray(a), np.asarray(c), atol=1e-4)
    assert not np.allclose(np.asarray(a)[:, 0], np.asarray(d), atol=1e-4)
    # Noisy training weights are still exactly 0 on masked steps.
    assert np.all(np.asarray(c)[np.broadcast_to(~MASK[:, None], np.asarray(c).shape)] == 0)
    assert np.all(np.asarray(d)[~MASK] == 0)
    # auto mode: training=True (noisy parallel) differs from training=False (hard).
    auto = MonotonicAttention(6, sigmoid_noise=1.0)
    _, hard = auto(query, values, return_attention_scores=True, training=False)
    _, soft = auto(query, values, return_attention_scores=True, training=True)
    assert not np.allclose(np.asarray(hard), np.asarray(soft))


def test_masked_steps_have_zero_probability(rng):
    layer = MonotonicAttention(4, sigmoid_noise=1.0)
    energies = rng.normal(size=(2, 1, 7)).astype("float32")
    noise = rng.normal(size=(2, 1, 7)).astype("float32")
    p = np.asarray(layer.choosing_probabilities(energies, MASK, noise))
    assert np.all(p[:, 0][~MASK] == 0) and np.all(p[:, 0][MASK] > 0)


def test_initial_alignment_is_one_hot_on_first_step(rng):
    query = rng.normal(size=(2, 3, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    layer = MonotonicAttention(4, mode="parallel")
    implicit = layer(query, values, mask=MASK, return_attention_scores=True)
    explicit = layer(query, values, mask=MASK, return_attention_scores=True,
                     previous_alignment=np.eye(7, dtype="float32")[[0, 0]])
    for a, b in zip(implicit, explicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_bad_arguments(rng):
    with pytest.raises(ValueError, match="mode"):
        MonotonicAttention(4, mode="soft")
    with pytest.raises(ValueError, match="sigmoid_noise"):
        MonotonicAttention(4, sigmoid_noise=-1.0)
    layer = MonotonicAttention(4)
    query = rng.normal(size=(2, 3)).astype("float32")
    values = rng.normal(size=(2, 7, 5)).astype("float32")
    for shape in [(2, 6), (2, 7, 1)]:
        with pytest.raises(ValueError, match="previous_alignment"):
            layer(query, values, previous_alignment=np.zeros(shape, "float32"))
