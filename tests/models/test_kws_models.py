import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.data.speech_commands import LABELS

MODELS = registry.list_models(family="kws")


@pytest.mark.parametrize("name", MODELS)
def test_builds_and_predicts_probabilities(name):
    model = zoo.load(name, pretrained=False)
    audio = (0.1 * np.random.default_rng(0).normal(size=(2, 16000))).astype("float32")
    probs = np.asarray(model.predict(audio, verbose=0))
    assert probs.shape == (2, len(LABELS))
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert zoo.registry.get(name).labels == LABELS


def test_attention_model_uses_attention_pooling_and_baseline_does_not():
    from zoo.layers import AttentionPooling, MultiHeadSelfAttention

    kinds = {name: {type(layer) for layer in zoo.load(name, pretrained=False).layers}
             for name in MODELS}
    assert AttentionPooling in kinds["kws-att-bilstm"]
    assert MultiHeadSelfAttention in kinds["kws-att-mh-gru"]
    for baseline in ("kws-bilstm", "kws-gru"):
        assert not kinds[baseline] & {AttentionPooling, MultiHeadSelfAttention}
