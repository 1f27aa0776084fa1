"""The stepped rewrite computes exactly what the Keras model computes."""

import numpy as np
import pytest

from export import stepped
from export.convert import _keras_caller
from export.errors import ExportError
from tests.export.conftest import recurrent_model

pytestmark = pytest.mark.tensorflow_only

CONFIGS = [
    dict(kind="lstm"),
    dict(kind="gru"),
    dict(kind="simple"),
    dict(kind="gru", return_sequences=True),
    dict(kind="lstm", go_backwards=True, return_sequences=True),
    dict(kind="lstm", bidirectional=True, return_sequences=True),
    dict(kind="gru", bidirectional=True, merge_mode="sum"),
    dict(kind="gru", bidirectional=True, return_sequences=True, merge_mode="ave"),
    dict(kind="lstm", bidirectional=True, merge_mode="mul"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_plan_reproduces_keras(config, calib):
    model = recurrent_model(**config)
    data = calib(model, n=3)
    plan, stages = stepped.build_plan(model)
    call = _keras_caller(stepped.signature_functions(stages))
    got = np.concatenate([stepped.run_plan(plan, call, [data[i:i + 1]])[0] for i in range(3)])
    np.testing.assert_allclose(got, model.predict(data, verbose=0), atol=1e-6)
    kinds = [s["kind"] for s in plan["stages"]]
    assert kinds == ["segment", "recurrent", "segment"]


def test_stacked_recurrent_layers_make_one_stage_each(calib):
    import keras

    x = keras.Input(shape=(10, 4))
    h = keras.layers.LSTM(6, return_sequences=True)(x)  # directly on the input: no segment
    h = keras.layers.Bidirectional(keras.layers.GRU(5, return_sequences=True))(h)
    y = keras.layers.GRU(3)(h)
    model = keras.Model(x, y)
    plan, stages = stepped.build_plan(model)
    assert [s["kind"] for s in plan["stages"]] == ["recurrent", "recurrent", "recurrent"]
    data = calib(model, n=2)
    call = _keras_caller(stepped.signature_functions(stages))
    got = np.concatenate([stepped.run_plan(plan, call, [data[i:i + 1]])[0] for i in range(2)])
    np.testing.assert_allclose(got, model.predict(data, verbose=0), atol=1e-6)


def _masked_text_model(kind, bidirectional, return_sequences, pooling):
    import keras

    from zoo.layers import AttentionPooling

    tokens = keras.Input(shape=(9,), dtype="int32")
    h = keras.layers.Embedding(20, 6, mask_zero=True)(tokens)
    rnn = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[kind](5, return_sequences=return_sequences)
    if bidirectional:
        rnn = keras.layers.Bidirectional(rnn)
    h = rnn(h)
    if pooling == "attention":
        h = AttentionPooling()(h)  # uses the mask the RNN passes on
    elif pooling == "rnn":
        h = keras.layers.GRU(4)(h)  # a second masked recurrent layer
    return keras.Model(tokens, keras.layers.Dense(3, activation="softmax")(h))


@pytest.mark.parametrize("kind, bidirectional, return_sequences, pooling", [
    ("gru", False, False, None),
    ("lstm", True, False, None),
    ("gru", True, True, "attention"),
    ("lstm", False, True, "rnn"),
])
def test_masked_sequences_match_keras(kind, bidirectional, return_sequences, pooling):
    model = _masked_text_model(kind, bidirectional, return_sequences, pooling)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 20, size=(4, 9)).astype("int32")
    tokens[0, 5:] = 0  # right padding
    tokens[1, :3] = 0  # left padding
    tokens[2, 3:6] = 0  # a hole
    tokens[3, :] = 0  # all padding
    plan, stages = stepped.build_plan(model)
    call = _keras_caller(stepped.signature_functions(stages, plan=plan))
    got = np.concatenate([stepped.run_plan(plan, call, [tokens[i:i + 1]])[0] for i in range(4)])
    np.testing.assert_allclose(got, model.predict(tokens, verbose=0), atol=1e-5)


def test_unknown_time_size_is_refused():
    import keras

    x = keras.Input(shape=(None, 4))
    y = keras.layers.GRU(3)(x)
    with pytest.raises(ExportError, match="time and feature sizes must be fixed"):
        stepped.build_plan(keras.Model(x, y))


@pytest.mark.parametrize("cell, mechanism", [("gru", "bahdanau"), ("lstm", "luong"),
                                             ("gru", "location")])
def test_attention_decoder_with_initial_state(cell, mechanism):
    from tests.export.conftest import attention_decoder_model

    model = attention_decoder_model(cell, mechanism)
    rng = np.random.default_rng(0)
    src = rng.normal(size=(2, 10, 6)).astype("float32")
    tgt = rng.normal(size=(2, 7, 5)).astype("float32")
    plan, stages = stepped.build_plan(model)
    call = _keras_caller(stepped.signature_functions(stages))
    expected = model.predict([src, tgt], verbose=0)
    for i in range(2):
        got = stepped.run_plan(plan, call, [src[i:i + 1], tgt[i:i + 1]])
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e[i:i + 1], atol=1e-5)
    decoder = [s for s in plan["stages"] if s["kind"] == "recurrent"][-1]
    assert decoder["directions"][0]["init"]["signature"].endswith("_init")
    assert decoder["output_split"] == 12


def test_lstm_with_initial_state_from_a_layer():
    import keras

    x = keras.Input(shape=(9, 3))
    z = keras.Input(shape=(4,))
    h0, c0 = keras.layers.Dense(5)(z), keras.layers.Dense(5)(z)
    seq, h, c = keras.layers.LSTM(5, return_sequences=True, return_state=True)(
        x, initial_state=[h0, c0])
    y = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling1D()(seq), h, c])
    model = keras.Model([x, z], y)
    rng = np.random.default_rng(1)
    xs, zs = rng.normal(size=(2, 9, 3)).astype("float32"), rng.normal(size=(2, 4)).astype("float32")
    plan, stages = stepped.build_plan(model)
    call = _keras_caller(stepped.signature_functions(stages))
    got = np.concatenate([stepped.run_plan(plan, call, [xs[i:i + 1], zs[i:i + 1]])[0]
                          for i in range(2)])
    np.testing.assert_allclose(got, model.predict([xs, zs], verbose=0), atol=1e-6)
