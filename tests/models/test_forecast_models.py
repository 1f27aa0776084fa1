"""Forecasting models: architecture contract, parameter parity, the
predict hooks, the shipped models (Keras vs TFLite), the classical
baselines, and a smoke run of the trainer."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import zoo
from zoo import registry
from zoo.data import forecasting as fc
from zoo.layers import AttentionRNN
from zoo.models.forecast import baselines
from zoo.models.forecast import models as fm
from zoo.models.forecast import preprocessing as fp

NAMES = ("forecast-att-lstm", "forecast-lstm")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "co2_weekly_tail.csv"


@pytest.fixture(scope="module")
def co2():
    series = fc.load_co2()
    return series.values, fc.split(len(series.values))


def test_registered_with_the_documented_contract():
    assert set(NAMES) <= set(registry.list_models("forecast-*", task="forecasting"))
    for name in NAMES:
        entry = registry.get(name)
        assert entry.input_spec[0]["shape"] == (fc.WINDOW, 1)
        model = entry.build()
        assert [tuple(o.shape) for o in model.outputs] == [(None, fc.HORIZON)]


def test_attention_model_really_attends_and_twin_does_not():
    att = registry.get("forecast-att-lstm").build()
    base = registry.get("forecast-lstm").build()
    assert any(isinstance(layer, AttentionRNN) for layer in att.layers)
    assert not any(isinstance(layer, AttentionRNN) for layer in base.layers)


def test_window_normalization_matches_numpy(rng):
    x = rng.normal(300, 5, size=(3, fc.WINDOW, 1)).astype("float32")
    x[2] = 7.0  # a constant window: the scale floor, no NaN
    z, last, scale = (keras.ops.convert_to_numpy(t) for t in fm.WindowNormalization()(x))
    want_scale = np.maximum(x[..., 0].std(axis=1), 1e-3 * np.maximum(np.abs(x[:, -1, 0]), 1))
    assert last.shape == scale.shape == (3, 1)
    np.testing.assert_allclose(last[:, 0], x[:, -1, 0])
    np.testing.assert_allclose(scale[:, 0], want_scale, rtol=1e-4)
    np.testing.assert_allclose(z, (x - x[:, -1:]) / want_scale[:, None, None], atol=1e-4)
    assert np.isfinite(z).all() and np.all(z[2] == 0)


def test_output_is_the_denormalized_seasonal_residual(rng):
    """forecast = (z[t + h - 52] + Dense(decoder)) * scale + last: with the output
    Dense zeroed, the model is the seasonal-naive forecast, in raw units."""
    model = registry.get("forecast-att-lstm").build()
    dense = model.get_layer("step_output")
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    x = rng.normal(350, 3, size=(4, fc.WINDOW, 1)).astype("float32")
    start = fc.WINDOW - fc.SEASON
    np.testing.assert_allclose(fp.forecast(model, x), x[:, start:start + fc.HORIZON, 0],
                               atol=1e-3)


def test_model_is_unit_free(rng):
    """The same series in other units (affine change) gives the same forecast, transformed."""
    model = registry.get("forecast-lstm").build()
    x = rng.normal(350, 3, size=(2, fc.WINDOW, 1)).astype("float32")
    a = fp.forecast(model, x)
    b = fp.forecast(model, 10.0 * x - 1000.0)
    np.testing.assert_allclose(b, 10.0 * a - 1000.0, rtol=1e-4, atol=1e-2)


def test_builder_refuses_a_horizon_past_one_season():
    with pytest.raises(ValueError, match="horizon <= season"):
        fm.build_forecaster(horizon=60)


# -------------------------------------------------------------------- hooks


def test_preprocess_takes_the_last_window():
    series = np.arange(200, dtype=np.float64)
    x = fp.preprocess(None, [series, series[:, None]])
    assert x.shape == (2, fc.WINDOW, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0, :, 0], series[-fc.WINDOW:])
    np.testing.assert_array_equal(x[1], x[0])


@pytest.mark.parametrize("item, message", [
    (np.arange(50.0), r"has 50 values; the model needs at least the last 104 .* longer history"),
    (np.r_[np.arange(150.0), np.nan, 1.0], r"1 NaN/Inf value\(s\).*position 150.*interpolate"),
    (np.zeros((200, 2)), r"one channel.*shape \(200, 2\)"),
    (np.array(["a"] * 200), "array of numbers"),
])
def test_preprocess_bad_input_names_problem_and_fix(item, message):
    with pytest.raises(ValueError, match=message):
        fp.preprocess(None, [item])


def test_postprocess_returns_float64_rows_and_refuses_foreign_outputs():
    out = fp.postprocess(None, np.ones((2, 26), np.float32))
    assert out.shape == (2, 26) and out.dtype == np.float64
    with pytest.raises(ValueError, match=r"one \(batch, horizon\) array; got shape \(2, 26, 3\)"):
        fp.postprocess(None, np.zeros((2, 26, 3)))


# ----------------------------------------------------------------- shipped


_NOT_SHIPPED = any(registry.find_artifacts(n) is None for n in NAMES)
needs_shipped = pytest.mark.skipif(_NOT_SHIPPED, reason=(
    "forecast models not shipped in zoo/pretrained yet "
    "(python -m benchmarks.forecasting --runs RUNS --ship)"))


@pytest.fixture(scope="module")
def shipped(co2):
    if registry.find_artifacts("forecast-att-lstm") is None:
        pytest.skip("forecast-att-lstm is not shipped (python -m benchmarks.forecasting --ship)")
    values, split = co2
    x, _ = fc.windows(values, fc.test_origins(split)[:12])
    return zoo.load("forecast-att-lstm"), x


@needs_shipped
def test_predict_on_a_user_csv_forecasts_the_held_out_half_year(shipped):
    series = fc.load_csv(FIXTURE)  # weeks 1999-03-20 .. 2001-06-30 (test period)
    horizon = zoo.predict("forecast-att-lstm", series.values[:, None])
    assert horizon.shape == (fc.HORIZON,) and horizon.dtype == np.float64
    truth = fc.load_co2().values[-fc.HORIZON:]  # 2001-07-07 .. 2001-12-29, never trained on
    assert np.mean(np.abs(horizon - truth)) < 1.0  # ppm (measured 0.30; seasonal naive 1.43)
    batch = zoo.predict("forecast-att-lstm", [series.values, series.values[:-4]])
    assert batch.shape == (2, fc.HORIZON)
    np.testing.assert_allclose(batch[0], horizon, atol=1e-4)


@needs_shipped
def test_predict_refuses_a_short_series(shipped):
    with pytest.raises(ValueError, match="at least the last 104"):
        zoo.predict("forecast-att-lstm", np.ones((30, 1)))


@needs_shipped
@pytest.mark.tensorflow_only
@pytest.mark.parametrize("name", NAMES)
def test_shipped_tflite_matches_keras(name, co2):
    if registry.find_artifacts(name) is None:
        pytest.skip(f"{name} is not shipped")
    values, split = co2
    x, _ = fc.windows(values, fc.test_origins(split)[::4])
    reference = fp.forecast(zoo.load(name), x)
    float32 = fp.forecast(zoo.load_tflite(name, "float32", threads=1), x)
    np.testing.assert_allclose(float32, reference, rtol=0, atol=1e-4)
    int8 = fp.forecast(zoo.load_tflite(name, "int8", threads=1), x)
    error = np.abs(int8 - reference)
    assert error.mean() < 0.5 and error.max() < 3.0, (error.mean(), error.max())  # ppm


@needs_shipped
@pytest.mark.parametrize("name", NAMES)
def test_shipped_artifacts_and_card(name):
    found = registry.find_artifacts(name)
    if found is None:
        pytest.skip(f"{name} is not shipped")
    files = found.verify()
    assert {"model.weights.h5", "results.json", "training.json", "card.json", "card.md",
            f"{name}.float32.tflite", f"{name}.int8.tflite"} <= set(files)
    assert sum((found.path / f).stat().st_size for f in files) < 2_000_000
    card = zoo.model_card(name)
    assert set(card["metrics"]["keras"]) == {"mase", "smape"}
    assert card["data"]["synthetic"] is False
    if name == "forecast-att-lstm":
        assert card["comparison"]["baseline"]["name"].startswith("forecast-lstm")
        assert "| mase | smape |" in zoo.model_card(name, format="markdown")


# --------------------------------------------------------------- baselines


def test_seasonal_naive_by_hand():
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(baselines.seasonal_naive(history, 5, m=2), [4, 5, 4, 5, 4])
    with pytest.raises(ValueError, match="at least m=2"):
        baselines.seasonal_naive(history[:1], 3, m=2)


def test_rolling_baselines_on_a_trend_plus_season_series():
    t = np.arange(120.0)
    values = 10 + 0.5 * t + 3 * np.sin(2 * np.pi * t / 4) + \
        0.05 * np.random.default_rng(0).normal(size=t.size)
    at = fc.origins(80, 120, horizon=8, step=8)
    naive = baselines.rolling("seasonal-naive", values, at, 8, 4)
    np.testing.assert_array_equal(naive[0], values[76:80][np.arange(8) % 4])
    scores = {}
    for method in baselines.METHODS:
        f, info = baselines.rolling(method, values, at, 8, 4, return_info=True)
        assert info["seconds"] >= 0
        assert f.shape == (len(at), 8) and np.isfinite(f).all()
        scores[method] = fc.evaluate(values, at, f, m=4)["mase"]
    # seasonal naive misses the trend (MASE ~ horizon / m); ETS and SARIMA model it
    assert scores["ets"] < 0.2 * scores["seasonal-naive"]
    assert scores["sarima"] < 0.2 * scores["seasonal-naive"]
    with pytest.raises(ValueError, match="one of"):
        baselines.rolling("prophet", values, at, 8, 4)


# ----------------------------------------------------------------- trainer


@pytest.mark.tensorflow_only
def test_trainer_smoke_run(tmp_path):
    from zoo import cards
    from zoo.models.forecast import train

    out = tmp_path / "run"
    code = train.main(["--out", str(out), "--epochs", "1", "--max-train", "64",
                       "--batch-size", "32", "--modes", "float32",
                       "--baselines", "seasonal-naive", "--lr-schedule", "cosine"],
                      name="forecast-att-lstm")
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert results["reproduce"]["train"] == "zoo train forecast-att-lstm --epochs 1 --seed 0 " \
                                            "--lr-schedule cosine"
    assert results["schema"] == cards.RESULTS_SCHEMA and results["model"] == "forecast-att-lstm"
    assert results["data"]["splits"] == {"train": 1739, "validation": 183, "test": 46}
    keras_m, tfl = results["metrics"]["keras"], results["metrics"]["float32"]
    assert set(keras_m) == {"mase", "smape"} and keras_m["mase"] > 0
    assert abs(keras_m["mase"] - tfl["mase"]) < 1e-4
    assert results["exports"]["float32"]["size_bytes"] == \
        (out / "forecast-att-lstm.float32.tflite").stat().st_size
    details = json.loads((out / "training.json").read_text())
    assert details["epochs_run"] == 1 and len(details["test_per_origin"]["mase"]) == 46
    assert details["baselines"]["test"]["seasonal-naive"]["mase"] == pytest.approx(1.3728, abs=1e-3)
    listed = set(registry.read_checksums(out))
    assert {"model.weights.h5", "results.json", "training.json"} <= listed
    assert cards.main(["forecast-att-lstm", "--results", str(out / "results.json"),
                       "--out", str(out)]) in (0, None)
    card = json.loads((out / "card.json").read_text())
    assert card["metrics"]["keras"]["mase"] == keras_m["mase"]


@needs_shipped
def test_cli_predict_reads_a_dated_csv_with_a_header():
    from typer.testing import CliRunner

    from zoo.cli import app

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "co2_weekly_tail.csv"
    result = CliRunner().invoke(app, ["predict", "forecast-att-lstm", str(fixture)])
    assert result.exit_code == 0, result.output
    horizon = json.loads(result.output.strip().splitlines()[-1].split("\t")[1])
    expected = zoo.predict("forecast-att-lstm", fc.load_csv(fixture).values[:, None])
    np.testing.assert_allclose(horizon, np.asarray(expected).ravel(), atol=1e-4)
