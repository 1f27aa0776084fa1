"""The calling convention every query/values attention layer honours:
masking, Keras mask propagation, shapes, serialization, gradients, errors."""

import keras
import numpy as np
import pytest

from tests.layers.cases import CASES
from tests.layers.helpers import (
    assert_gradients_flow,
    assert_input_gradients_flow,
    assert_save_load_roundtrip,
)

B, TQ, TV = 3, 4, 7


def inputs(case, rng, query_rank=3):
    qshape = (B, TQ, case["dq"]) if query_rank == 3 else (B, case["dq"])
    query = rng.normal(size=qshape).astype("float32")
    values = rng.normal(size=(B, TV, case["dv"])).astype("float32")
    mask = np.ones((B, TV), bool)
    mask[0, 5:] = False
    mask[2, 2:] = False
    return query, values, mask


def heads_last(weights, case):
    """Move a heads axis (batch, heads, ...) to a plain list of weight maps."""
    weights = np.asarray(weights)
    if case["heads"]:
        return np.moveaxis(weights, 1, -2)  # (batch, [tq,] heads, tv)
    return weights


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("query_rank", [2, 3])
def test_mask_zeroes_weights_and_shapes(name, query_rank, rng):
    case = CASES[name]
    layer = case["make"]()
    query, values, mask = inputs(case, rng, query_rank)
    context, weights = layer(query, values, mask=mask, return_attention_scores=True)
    context, weights = np.asarray(context), np.asarray(weights)
    lead = query.shape[:-1]
    assert context.shape[:-1] == lead
    w = heads_last(weights, case)
    assert w.shape[-1] == TV and w.shape[0] == B
    per_item_mask = mask.reshape((B,) + (1,) * (w.ndim - 2) + (TV,))
    assert np.all(np.where(per_item_mask, 0.0, w) == 0.0), "masked steps must get weight exactly 0"
    assert np.all(w >= 0)
    total = w.sum(-1)
    if case["sums_to_one"]:
        np.testing.assert_allclose(total, 1.0, atol=1e-5)
    else:
        assert np.all(total <= 1.0 + 1e-5)
    if case["context_is_weighted_values"]:
        expected = np.einsum("b...t,btd->b...d", weights, values)
        np.testing.assert_allclose(context, expected, atol=1e-5)
    # The symbolic path agrees with the eager one on shapes.
    q_in = keras.Input(batch_shape=query.shape)
    v_in = keras.Input(batch_shape=values.shape)
    sym_context, sym_weights = case["make"]()(q_in, v_in, return_attention_scores=True)
    assert tuple(sym_context.shape) == context.shape
    assert tuple(sym_weights.shape) == weights.shape


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_mask_of_values_is_used(name, rng):
    case = CASES[name]
    layer = case["make"]()
    query, values, mask = inputs(case, rng)
    tokens = np.where(mask, rng.integers(1, 20, size=mask.shape), 0)
    embed = keras.layers.Embedding(20, case["dv"], mask_zero=True)
    embedded = embed(tokens)
    explicit = layer(query, embedded, mask=mask, return_attention_scores=True)
    implicit = layer(query, embedded, return_attention_scores=True)
    for a, b in zip(explicit, implicit):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_save_load_roundtrip(name, rng, tmp_path):
    case = CASES[name]
    query, values, mask = inputs(case, rng)
    q_in = keras.Input(shape=(TQ, case["dq"]))
    v_in = keras.Input(shape=(TV, case["dv"]))
    m_in = keras.Input(shape=(TV,), dtype="bool")
    context, weights = case["make"]()(q_in, v_in, mask=m_in, return_attention_scores=True)
    model = keras.Model([q_in, v_in, m_in], [context, weights])
    restored = assert_save_load_roundtrip(model, [query, values, mask], tmp_path)
    original_layer, restored_layer = model.layers[-1], restored.layers[-1]
    assert type(restored_layer) is type(original_layer)
    assert restored_layer.get_config() == original_layer.get_config()


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_reach_every_weight(name, rng):
    case = CASES[name]
    query, values, mask = inputs(case, rng)
    if case["trainable"]:
        assert_gradients_flow(case["make"](), query, values, mask=mask,
                              zero_gradient=case.get("zero_gradient", ()))
    else:
        layer = case["make"]()
        layer(query, values, mask=mask)
        assert not layer.trainable_variables, "case says trainable=False but the layer has weights"


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_reach_the_inputs(name, rng):
    case = CASES[name]
    query, values, mask = inputs(case, rng)
    assert_input_gradients_flow(case["make"](), query, values, mask=mask)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_shapes_name_the_argument(name, rng):
    case = CASES[name]
    query, values, mask = inputs(case, rng)
    with pytest.raises(ValueError, match="values"):
        case["make"]()(query, values[:, :, 0])
    with pytest.raises(ValueError, match="query"):
        case["make"]()(query[..., None], values)
    with pytest.raises(ValueError, match="mask"):
        case["make"]()(query, values, mask=mask[:, :5])
    with pytest.raises(ValueError, match="batch"):
        case["make"]()(query[:2], values)
    layer = case["make"]()
    layer(query, values)
    with pytest.raises(ValueError, match="query"):
        layer(np.concatenate([query, query], -1), values)
