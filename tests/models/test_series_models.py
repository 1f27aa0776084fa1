"""Time-series classifiers: masking, trainer, shipped models (zoo.models.series)."""

import json

import numpy as np
import pytest

import zoo
from zoo.data import series
from zoo.models.series import train
from zoo.models.series.models import build_gru

pytestmark = pytest.mark.tensorflow_only
NAME = "ts-att-gru"


@pytest.mark.parametrize("attention", [True, False])
def test_padding_changes_nothing_but_a_zero_valued_real_step_counts(attention, rng):
    long = build_gru(attention=attention, length=32, channels=3, classes=4)
    short = build_gru(attention=attention, length=10, channels=3, classes=4)
    short.set_weights(long.get_weights())
    s = rng.normal(size=(10, 3)).astype("float32")
    s[4] = 0.0  # a real step whose values are all zero stays a real step
    np.testing.assert_allclose(long.predict(series.pad([s], 32), verbose=0),
                               short.predict(series.pad([s], 10), verbose=0), atol=1e-6)
    dropped = np.delete(s, 4, axis=0)
    assert not np.allclose(long.predict(series.pad([s], 32), verbose=0),
                           long.predict(series.pad([dropped], 32), verbose=0), atol=1e-6)


def test_trainer_smoke_run_writes_results_and_matching_tflite(tmp_path):
    out = tmp_path / "run"
    assert train.main(["--out", str(out), "--epochs", "1", "--max-train", "40",
                       "--no-baselines", "--modes", "float32,int8", "--lr-schedule", "cosine"],
                      name="ts-gru") == 0
    results = json.loads((out / "results.json").read_text())
    # one epoch of the cosine schedule ends at its floor, and the card says how it was trained
    history = json.loads((out / "training.json").read_text())["history"]
    assert history["learning_rate"] == pytest.approx([3e-3 * 0.01], rel=1e-4)
    assert results["reproduce"]["train"].endswith(" --lr-schedule cosine")
    assert set(results["metrics"]) == {"keras", "float32", "int8"}
    assert results["metrics"]["float32"]["accuracy"] == pytest.approx(
        results["metrics"]["keras"]["accuracy"], abs=1 / 370 + 1e-9)
    config = json.loads((out / "config.json").read_text())
    assert config["length"] == 32 and len(config["mean"]) == 13


# ----------------------------------------------------------- shipped models


@pytest.fixture(scope="module")
def test_split():
    xs, ys = series.load("japanese_vowels", "test")
    return xs, np.array(ys)


def test_shipped_model_classifies_held_out_speakers_in_keras_and_int8(test_split):
    xs, ys = test_split
    keras_acc = np.mean(np.array(zoo.predict(NAME, xs)) == ys)
    int8_acc = np.mean(np.array(zoo.predict(NAME, xs, tflite="int8")) == ys)
    assert keras_acc >= 0.9 and int8_acc >= keras_acc - 0.03
    card = zoo.model_card(NAME)
    assert card["metrics"]["keras"]["accuracy"] == pytest.approx(keras_acc, abs=1e-6)


def test_explain_weights_cover_the_real_steps(test_split):
    xs, _ = test_split
    e = zoo.explain(NAME, xs[0])
    assert len(e["weights"]) == len(xs[0]) and e["weights"].sum() == pytest.approx(1, abs=1e-5)


def test_series_input_errors_name_the_fix():
    with pytest.raises(ValueError, match="has 40 steps; the model takes 1 to 32"):
        zoo.predict(NAME, np.zeros((40, 12), "float32"))
    with pytest.raises(ValueError, match="has 3 channels; the model takes 12"):
        zoo.predict(NAME, np.zeros((10, 3), "float32"))
