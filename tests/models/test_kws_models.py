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


@pytest.mark.parametrize("name", ["kws-att-bilstm", "kws-att-mh-gru"])
def test_explain_gives_weights_over_the_conv_steps_of_the_same_prediction(name):
    audio = "zoo/demo_audio/yes.wav"
    e = zoo.explain(name, audio)
    assert e["result"] == zoo.predict(name, audio) == "yes"
    assert e["weights"].shape == (49,) and e["steps"] is None
    assert e["weights"].min() >= 0 and e["weights"].sum() == pytest.approx(1.0, abs=1e-5)
    # the weights are the attention layer's own output for this clip (first second)
    model = zoo.load(name, compile=False, return_attention=True)
    probs, weights = model.predict(zoo.api.read_audio(audio)[None], verbose=0)
    np.testing.assert_allclose(e["weights"], weights[0], atol=1e-6)
    with pytest.raises(ValueError, match="needs the attention model"):
        zoo.load("kws-gru", return_attention=True)
