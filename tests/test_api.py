"""zoo.load / load_tflite / labels / model_card / predict on a tiny model
whose artifacts (weights, float32 + int8 TFLite, labels, card, SHA256SUMS)
are built for real into a temporary ZOO_HOME.

The helpers at the top (`register_tiny`, `tiny_home`) are shared with
test_cards.py and test_cli_registry.py; the artifacts are built once per
test session.
"""

import json
import shutil

import numpy as np
import pytest

from export.runtime import latency_ms
from zoo import cards, registry

pytestmark = pytest.mark.tensorflow_only

TINY = "tiny-gru"
LABELS = ["down", "flat", "up"]
STEPS, CHANNELS = 12, 3
_BUILT = {}


def build_tiny(units=8):
    """A small GRU classifier of series trends (test model)."""
    import keras

    x = keras.Input((STEPS, CHANNELS), name="series")
    h = keras.layers.GRU(units)(x)
    y = keras.layers.Dense(len(LABELS), activation="softmax")(h)
    return keras.Model(x, y)


def make_data(n, seed):
    """Series rising, flat or falling (labels up / flat / down), with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.linspace(0.0, 1.0, STEPS, dtype=np.float32)
    x = (y - 1)[:, None, None] * t[None, :, None] + rng.normal(0, 0.1, (n, STEPS, CHANNELS))
    return x.astype(np.float32), y


def representative():
    return make_data(32, seed=3)[0]


def register_tiny(name=TINY, **overrides):
    kwargs = dict(task="series-classification", input_spec=(STEPS, CHANNELS),
                  description="tiny GRU trend classifier (tests)",
                  representative_data=representative)
    kwargs.update(overrides)
    registry.register_model(name, **kwargs)(build_tiny)


def _build(home):
    import keras

    import export
    from export import runtime
    from zoo import cards

    out = home / TINY
    out.mkdir(parents=True)
    x_train, y_train = make_data(256, seed=0)
    x_test, y_test = make_data(64, seed=1)
    model = build_tiny()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3, batch_size=32, verbose=0)
    model.save_weights(out / registry.WEIGHTS_FILE)
    (out / registry.LABELS_FILE).write_text("\n".join(LABELS) + "\n")
    keras_probs = model.predict(x_test, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    metrics = {"keras": {"accuracy": float(accuracy), "loss": float(loss)}}
    exports = {}
    for mode in ("float32", "int8"):
        path = out / registry.tflite_filename(TINY, mode)
        report = export.to_tflite(model, path, quantize=mode, representative_data=representative(),
                                  validation_data=x_test[:16])
        rt = runtime.load(path, threads=1)
        metrics[mode] = {"accuracy": float(np.mean(rt(x_test).argmax(-1) == y_test))}
        exports[mode] = {"size_bytes": path.stat().st_size, "p50_ms_1t": latency_ms(rt, x_test[:1], repeats=5)[0],
                         "report": report.to_dict()}
    majority = float(np.mean(y_test == np.bincount(y_train).argmax()))
    results = {
        "schema": cards.RESULTS_SCHEMA,
        "model": TINY,
        "architecture": "GRU(8) -> Dense(3, softmax)",
        "parameters": int(model.count_params()),
        "data": {"name": "noisy linear trends", "synthetic": True,
                 "source": "tests/test_api.py:make_data",
                 "splits": {"train": 256, "test": 64}},
        "metrics_split": "test",
        "metrics": metrics,
        "exports": exports,
        "comparison": {"metric": "accuracy", "split": "test",
                       "attention": {"name": TINY, "value": float(accuracy),
                                     "parameters": int(model.count_params())},
                       "baseline": {"name": "majority class",
                                    "value": majority,
                                    "parameters": 0}},
        "limitations": ["Three epochs on 256 synthetic series: a test fixture, not a model."],
        "reproduce": {"train": "pytest tests/test_api.py", "measure": "pytest tests/test_api.py"},
    }
    results_path = home / "results.json"
    results_path.write_text(json.dumps(results, indent=2))
    registry.write_checksums(out)
    cards.write_card(TINY, [results_path], out_dir=out)
    np.savez(home / "expected.npz", x=x_test, y=y_test, probs=keras_probs)


def tiny_home(tmp_path_factory):
    """A ZOO_HOME holding the tiny model's artifacts, built once per session
    (treat as read-only: copy it before tampering)."""
    if "home" not in _BUILT:
        home = tmp_path_factory.mktemp("zoo-home")
        with registry.temporary_registry(empty=True):
            register_tiny()
            _build(home)
        _BUILT["home"] = home
    return _BUILT["home"]


@pytest.fixture
def tiny(tmp_path_factory, monkeypatch):
    """The tiny model registered (for this test only) with its ZOO_HOME."""
    home = tiny_home(tmp_path_factory)
    monkeypatch.setenv("ZOO_HOME", str(home))
    with registry.temporary_registry(empty=True):
        register_tiny()
        yield home


@pytest.fixture
def tiny_copy(tiny, tmp_path, monkeypatch):
    """Like `tiny`, in a private copy of ZOO_HOME that a test may tamper with."""
    home = tmp_path / "home"
    shutil.copytree(tiny / TINY, home / TINY)
    monkeypatch.setenv("ZOO_HOME", str(home))
    return home / TINY


def expected():
    with np.load(_BUILT["home"] / "expected.npz") as data:
        return {k: data[k] for k in data.files}


# --------------------------------------------------------------------- tests


def test_list_models_through_zoo(tiny):
    import zoo

    assert TINY in zoo.list_models()
    assert zoo.list_models("tiny-*", task="series-classification") == [TINY]
    assert zoo.list_models("tiny-*", task="forecasting") == []


def test_load_pretrained_equals_saved_model(tiny):
    import keras

    import zoo

    model = zoo.load(TINY)
    assert isinstance(model, keras.Model) and model.compiled
    ref = expected()
    np.testing.assert_allclose(model.predict(ref["x"], verbose=0), ref["probs"], atol=1e-6)


def test_load_untrained_architecture(tiny):
    import zoo

    model = zoo.load(TINY, pretrained=False)
    ref = expected()
    assert model.count_params() == zoo.load(TINY).count_params()
    assert np.abs(model.predict(ref["x"], verbose=0) - ref["probs"]).max() > 1e-3


def test_load_with_config_json(tiny_copy):
    import zoo

    (tiny_copy / "config.json").write_text(json.dumps({"units": 8}))
    with pytest.raises(registry.ChecksumError, match="config.json is not listed"):
        zoo.load(TINY)
    registry.write_checksums(tiny_copy, ["config.json"])
    assert zoo.load(TINY).count_params() == expected_params()
    (tiny_copy / "config.json").write_text(json.dumps({"units": 4}))
    registry.write_checksums(tiny_copy, ["config.json"])
    with pytest.raises(ValueError, match="do not fit the architecture"):
        zoo.load(TINY)


def expected_params():
    return build_tiny().count_params()


def test_load_tflite_float32_matches_keras(tiny):
    import zoo

    rt = zoo.load_tflite(TINY, quantize="float32", threads=1)
    ref = expected()
    np.testing.assert_allclose(rt(ref["x"]), ref["probs"], atol=1e-5)


def test_load_tflite_int8_is_the_default(tiny):
    import zoo

    rt = zoo.load_tflite(TINY)
    ref = expected()
    got = rt(ref["x"])
    assert np.mean(got.argmax(-1) == ref["probs"].argmax(-1)) >= 0.9
    assert np.abs(got - ref["probs"]).max() < 0.1


@pytest.mark.parametrize("mode, message", [
    ("float16", r"ships no float16 TFLite file; shipped modes: float32, int8"),
    ("int4", "quantize must be one of"),
])
def test_load_tflite_unshipped_mode(tiny, mode, message):
    import zoo

    with pytest.raises(ValueError, match=message):
        zoo.load_tflite(TINY, quantize=mode)


def test_labels_and_card(tiny):
    import zoo

    assert zoo.labels(TINY) == LABELS
    card = zoo.model_card(TINY)
    assert card["name"] == TINY and card["task"] == "series-classification"
    assert card["labels"] == LABELS
    markdown = zoo.model_card(TINY, format="markdown")
    body = cards.split_front_matter(markdown)[1]
    assert body.startswith(f"# {TINY}") and "Synthetic data" in markdown
    assert json.loads(zoo.model_card(TINY, format="json")) == card
    with pytest.raises(ValueError, match="format must be one of"):
        zoo.model_card(TINY, format="html")


def test_predict_returns_labels(tiny):
    import zoo

    ref = expected()
    want = [LABELS[i] for i in ref["probs"].argmax(-1)]
    model = zoo.load(TINY)
    assert zoo.predict(TINY, ref["x"][0], model=model) == want[0]
    assert zoo.predict(TINY, ref["x"][:5], model=model) == want[:5]
    assert zoo.predict(TINY, list(ref["x"][:3])) == want[:3]
    assert zoo.predict(TINY, ref["x"][:5], tflite="float32") == want[:5]


def test_predict_bad_shape(tiny):
    import zoo

    with pytest.raises(ValueError, match=r"takes arrays of shape \(12, 3\)"):
        zoo.predict(TINY, [np.zeros((5, 3))])
    with pytest.raises(ValueError, match="got an array of shape"):
        zoo.predict(TINY, np.zeros(3))


def test_tampered_weights_raise_checksum_error(tiny_copy):
    import zoo

    weights = tiny_copy / registry.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(registry.ChecksumError) as info:
        zoo.load(TINY)
    message = str(info.value)
    assert str(weights) in message and "does not match" in message
    assert f"zoo train {TINY}" in message and "write_checksums" in message
    assert zoo.load(TINY, pretrained=False) is not None  # the architecture needs no files


def test_missing_tflite_raises_checksum_error(tiny_copy):
    import zoo

    path = tiny_copy / registry.tflite_filename(TINY, "int8")
    path.unlink()
    with pytest.raises(registry.ChecksumError, match=rf"{TINY}\.int8\.tflite is missing"):
        zoo.load_tflite(TINY, quantize="int8")
    zoo.load_tflite(TINY, quantize="float32")  # the other files are fine


def test_tampered_labels_and_missing_sums(tiny_copy):
    import zoo

    (tiny_copy / registry.LABELS_FILE).write_text("a\nb\nc\n")
    with pytest.raises(registry.ChecksumError, match="labels.txt does not match"):
        zoo.labels(TINY)
    (tiny_copy / registry.CHECKSUMS_FILE).unlink()
    with pytest.raises(registry.ChecksumError, match="SHA256SUMS is missing"):
        zoo.load(TINY)


def test_no_artifacts(tiny, tmp_path, monkeypatch):
    import zoo

    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "empty"))
    with pytest.raises(registry.PretrainedNotFoundError, match=f"zoo train {TINY}"):
        zoo.load(TINY)
    with pytest.raises(FileNotFoundError):
        zoo.load_tflite(TINY)
    assert zoo.load(TINY, pretrained=False).count_params() == expected_params()
    # without labels.txt, a classifier falls back to indices
    model = zoo.load(TINY, pretrained=False)
    assert zoo.predict(TINY, expected()["x"][0], model=model) in (0, 1, 2)


def test_unknown_name_suggests(tiny):
    import zoo

    with pytest.raises(registry.UnknownModelError, match="did you mean tiny-gru") as info:
        zoo.load("tiny-gur")
    assert isinstance(info.value, KeyError)


def test_read_audio_and_default_speech_preprocess(tmp_path):
    import wave

    from zoo import api

    samples = (np.sin(np.linspace(0, 20, 800)) * 0.5 * 32767).astype("<i2")
    for name, rate in (("ok.wav", 16000), ("slow.wav", 8000)):
        with wave.open(str(tmp_path / name), "wb") as f:
            f.setnchannels(1), f.setsampwidth(2), f.setframerate(rate)
            f.writeframes(samples.tobytes())
    got = api.read_audio(tmp_path / "ok.wav")
    np.testing.assert_allclose(got, samples / 32768.0, atol=1e-6)
    with pytest.warns(UserWarning, match="sampled at 8000 Hz; resampling it to 16000 Hz"):
        slow = api.read_audio(tmp_path / "slow.wav")
    assert len(slow) == 2 * len(samples)
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    with pytest.raises(ValueError, match="bad.wav' is not a readable audio file"):
        api.read_audio(tmp_path / "bad.wav")
    with registry.temporary_registry(empty=True):
        registry.register_model("wave-model", task="speech", input_spec=(1000, 1))(build_tiny)
        registry.register_model("mel-model", task="speech", input_spec=(49, 40))(build_tiny)
        pre = registry.get("wave-model").hook("preprocess")
        batch = pre([str(tmp_path / "ok.wav"), np.ones(1200, np.float32)])
        assert batch.shape == (2, 1000, 1) and batch[0, 800:].max() == 0 and batch[1].min() == 1
        with pytest.raises(ValueError, match="not a raw waveform; register preprocess="):
            registry.get("mel-model").hook("preprocess")([np.ones(1000, np.float32)])
