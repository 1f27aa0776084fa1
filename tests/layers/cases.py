"""One entry per query/values attention layer configuration: the contract
tests in `test_attention_contract.py` run on every entry.

Fields:
    make: returns a fresh layer.
    dq, dv: query and values feature sizes the case uses.
    sums_to_one: weights sum to 1 over unmasked steps (False for mechanisms
        whose paper defines weights that may sum to less, e.g. monotonic).
    heads: number of heads when weights carry a heads axis, else None.
    context_is_weighted_values: context == weights @ values.
"""

from zoo import layers


def case(make, dq=5, dv=6, sums_to_one=True, heads=None, context_is_weighted_values=True):
    return dict(make=make, dq=dq, dv=dv, sums_to_one=sums_to_one, heads=heads,
                context_is_weighted_values=context_is_weighted_values)


CASES = {
    "bahdanau": case(lambda: layers.BahdanauAttention(8)),
    "bahdanau-normalized": case(lambda: layers.BahdanauAttention(8, normalize=True)),
}
