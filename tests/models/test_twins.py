"""Every attention model has a no-attention twin of the same parameter budget (within 10 %)."""

import pytest

import zoo
from zoo import registry

PAIRS = sorted(registry.baseline_pairs().items())


def test_every_family_has_its_pairs():
    assert {a for a, _ in PAIRS} == {"kws-att-bilstm", "kws-att-mh-gru", "kws-stream-att-gru",
                                     "text-att-bigru",
                                     "ts-att-gru", "forecast-att-lstm", "mt-en-de-bahdanau",
                                     "mt-en-de-luong", "mt-numbers-en-de-bahdanau"}
    for attention, baseline in PAIRS:
        assert registry.get(attention).task == registry.get(baseline).task


@pytest.mark.parametrize("attention, baseline", PAIRS)
def test_twin_has_the_parameters_of_its_attention_model(attention, baseline):
    a = zoo.load(attention, pretrained=False).count_params()
    b = zoo.load(baseline, pretrained=False).count_params()
    assert abs(a - b) <= 0.10 * a, (a, b)
