"""One entry per query/values attention layer configuration: the contract
tests in `test_attention_contract.py` run on every entry.

Fields:
    make: returns a fresh layer.
    dq, dv: query and values feature sizes the case uses.
    sums_to_one: weights sum to 1 over unmasked steps (False for mechanisms
        whose paper defines weights that may sum to less, e.g. monotonic).
    heads: number of heads when weights carry a heads axis, else None.
    context_is_weighted_values: context == weights @ values.
    trainable: the layer has trainable weights; when False the gradient
        contract checks that it has none (gradients reach the inputs).
    zero_gradient: path suffixes of weights whose gradient is 0 in exact
        arithmetic (e.g. a key bias, cancelled by the softmax).
"""

from zoo import layers


def case(make, dq=5, dv=6, sums_to_one=True, heads=None, context_is_weighted_values=True,
         trainable=True, zero_gradient=()):
    return dict(make=make, dq=dq, dv=dv, sums_to_one=sums_to_one, heads=heads,
                context_is_weighted_values=context_is_weighted_values, trainable=trainable,
                zero_gradient=zero_gradient)


CASES = {
    "bahdanau": case(lambda: layers.BahdanauAttention(8)),
    "bahdanau-normalized": case(lambda: layers.BahdanauAttention(8, normalize=True)),
    "location-sensitive": case(
        lambda: layers.LocationSensitiveAttention(8, filters=3, kernel_size=5)),
    "location-sensitive-cumulative": case(lambda: layers.LocationSensitiveAttention(
        8, filters=3, kernel_size=4, cumulative=True, normalize=True)),
    "monotonic": case(lambda: layers.MonotonicAttention(8, score_bias_init=0.0),
                      sums_to_one=False),
    "monotonic-parallel": case(
        lambda: layers.MonotonicAttention(8, mode="parallel", normalize=False),
        sums_to_one=False),
    "local-general": case(lambda: layers.LocalAttention(2), sums_to_one=False),
    "local-dot-normalized": case(lambda: layers.LocalAttention(1, "dot", normalize=True), dq=6),
    "local-concat": case(lambda: layers.LocalAttention(2, "concat", units=8, position_units=4),
                         sums_to_one=False),
    "luong-dot": case(lambda: layers.LuongAttention("dot"), dq=6, trainable=False),
    "luong-dot-scaled": case(lambda: layers.LuongAttention("dot", use_scale=True), dq=6),
    "luong-general": case(lambda: layers.LuongAttention("general")),
    "luong-general-sqrt": case(lambda: layers.LuongAttention("general", scaled=True)),
    "luong-concat": case(lambda: layers.LuongAttention("concat", units=8)),
    "scaled-dot": case(lambda: layers.ScaledDotProductAttention(), dq=6, trainable=False),
    # The contract calls layer(query, values): self-attention (values=None)
    # is covered in test_multi_head_self_attention.py.
    # softmax(q.(k + b_k)) == softmax(q.k): the key bias gets no gradient.
    "mhsa": case(lambda: layers.MultiHeadSelfAttention(2, 4), dq=6, heads=2,
                 context_is_weighted_values=False, zero_gradient=("key/bias",)),
    "mhsa-projected": case(lambda: layers.MultiHeadSelfAttention(2, 3, value_dim=5, output_dim=8),
                           heads=2, context_is_weighted_values=False,
                           zero_gradient=("key/bias",)),
}
