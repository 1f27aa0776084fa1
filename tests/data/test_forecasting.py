"""Forecasting data: metrics against hand computations, windows, splits,
the CO2 loader and the user CSV path (no Keras needed)."""

from pathlib import Path

import numpy as np
import pytest

from zoo.data import forecasting as fc

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "co2_weekly_tail.csv"


# ------------------------------------------------------------------- metrics


def test_mase_by_hand():
    insample = np.array([1.0, 2.0, 4.0, 3.0, 6.0, 8.0])
    # seasonal naive with m = 2: |4-1|, |3-2|, |6-4|, |8-3| -> mean (3+1+2+5)/4 = 2.75
    assert fc.seasonal_naive_scale(insample, m=2) == pytest.approx(2.75)
    y, yhat = np.array([9.0, 7.0, 10.0]), np.array([8.0, 9.0, 10.5])
    mae = (1.0 + 2.0 + 0.5) / 3
    assert fc.mase(y, yhat, insample, m=2) == pytest.approx(mae / 2.75)
    # a perfect forecast scores 0; the seasonal-naive forecast of a season-2 series
    assert fc.mase(y, y, insample, m=2) == 0.0


def test_smape_by_hand():
    y, yhat = np.array([100.0, 200.0, 0.0]), np.array([110.0, 180.0, 0.0])
    # 200 / 3 * (10/210 + 20/380 + 0 (0/0 counts 0))
    expected = 200.0 / 3 * (10 / 210 + 20 / 380)
    assert fc.smape(y, yhat) == pytest.approx(expected)
    assert fc.smape([5.0], [-5.0]) == pytest.approx(200.0)  # the bound


def test_metric_errors_name_the_problem():
    with pytest.raises(ValueError, match="same non-empty shape"):
        fc.smape([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN or Inf"):
        fc.mase([1.0], [np.nan], np.arange(10.0), m=2)
    with pytest.raises(ValueError, match="more than m=52"):
        fc.seasonal_naive_scale(np.arange(52.0))
    with pytest.raises(ValueError, match="undefined"):
        fc.seasonal_naive_scale(np.tile([1.0, 2.0], 5), m=2)


def test_evaluate_averages_per_origin_scores():
    values = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0, 4.0, 6.0, 5.0, 7.0])
    at = [6, 8]
    forecasts = np.array([[4.0, 7.0], [5.0, 6.0]])
    got = fc.evaluate(values, at, forecasts, m=2)
    first = fc.mase(values[6:8], forecasts[0], values[:6], m=2)
    second = fc.mase(values[8:10], forecasts[1], values[:8], m=2)
    # history before origin 6: |2-1|, |4-3|, |3-2|, |5-4| -> 1; errors 0 and 1 -> 0.5
    assert first == pytest.approx(0.5)
    assert got["per_origin"]["mase"] == pytest.approx([first, second])
    assert got["mase"] == pytest.approx((first + second) / 2)
    assert got["smape"] == pytest.approx(np.mean([fc.smape(values[6:8], forecasts[0]),
                                                  fc.smape(values[8:10], forecasts[1])]))
    with pytest.raises(ValueError, match="origins, horizon"):
        fc.evaluate(values, at, forecasts[:1], m=2)


# ------------------------------------------------------------ windows, splits


def test_windows_by_hand():
    values = np.arange(10.0)
    x, y = fc.windows(values, [3, 5], window=3, horizon=2)
    assert x.shape == (2, 3, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], [[0, 1, 2], [2, 3, 4]])
    np.testing.assert_array_equal(y, [[3, 4], [5, 6]])
    with pytest.raises(ValueError, match=r"origins must lie in \[3, 8\]"):
        fc.windows(values, [2], window=3, horizon=2)
    with pytest.raises(ValueError, match=r"origins must lie in \[3, 8\]"):
        fc.windows(values, [9], window=3, horizon=2)


def test_origins_and_split_positions():
    np.testing.assert_array_equal(fc.origins(10, 20, horizon=3, step=4), [10, 14])
    s = fc.split(1000)
    assert (s.validation_start, s.test_start) == (1000 - 416, 1000 - 208)
    assert s.sizes() == {"train": 584, "validation": 208, "test": 208}
    test_at = fc.test_origins(s)
    assert test_at[0] == s.test_start and test_at[-1] + fc.HORIZON <= 1000
    assert np.all(np.diff(test_at) == fc.STEP) and len(test_at) == 46
    # no training target reaches the validation part, no validation target the test part
    assert fc.train_origins(s)[-1] + fc.HORIZON == s.validation_start
    assert fc.validation_origins(s)[-1] + fc.HORIZON == s.test_start
    with pytest.raises(ValueError, match="too short"):
        fc.split(500)


# --------------------------------------------------------------------- data


def test_co2_is_clean_and_split_on_the_documented_dates():
    import statsmodels.datasets.co2 as co2

    raw = co2.load_pandas().data["co2"].to_numpy()
    series = fc.load_co2()
    assert len(series.values) == len(raw) == 2284
    assert np.isfinite(series.values).all() and series.missing_filled == np.isnan(raw).sum() == 59
    np.testing.assert_array_equal(series.values[~np.isnan(raw)], raw[~np.isnan(raw)])
    gap = int(np.flatnonzero(np.isnan(raw) & ~np.isnan(np.roll(raw, 1))
                             & ~np.isnan(np.roll(raw, -1)))[0])  # a one-week gap
    assert series.values[gap] == pytest.approx((raw[gap - 1] + raw[gap + 1]) / 2)
    s = fc.split(len(series.values))
    assert str(series.dates[s.validation_start].date()) == "1994-01-15"
    assert str(series.dates[s.test_start].date()) == "1998-01-10"
    assert str(series.dates[-1].date()) == "2001-12-29"


def test_clean_interpolates_or_refuses():
    np.testing.assert_allclose(fc.clean([1.0, np.nan, 3.0, np.nan]), [1.0, 2.0, 3.0, 3.0])
    with pytest.raises(ValueError, match=r"2 missing value\(s\).*interpolate=True"):
        fc.clean([1.0, np.nan, 3.0, np.nan], interpolate=False)
    with pytest.raises(ValueError, match="infinite"):
        fc.clean([1.0, np.inf])
    with pytest.raises(ValueError, match="one column"):
        fc.clean(np.zeros((3, 2)))


# ------------------------------------------------------------------ user CSV


def test_load_csv_date_value_fixture():
    series = fc.load_csv(FIXTURE)
    assert len(series.values) == 120 and series.dates[0] == "1999-03-20"
    assert series.values[0] == pytest.approx(370.2) and series.values.dtype == np.float64


def test_load_csv_one_column_without_header(tmp_path):
    path = tmp_path / "y.csv"
    path.write_text("1.5\n2.5\n\n3.5\n")
    series = fc.load_csv(path)
    np.testing.assert_array_equal(series.values, [1.5, 2.5, 3.5])
    assert series.dates is None


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("value\n", "header line but no data rows"),
    ("date,value\n2001-01-06,1.0\n2001-01-13,,\n", "line 3 has 3 columns"),
    ("a,b,c\n1,2,3\n", "3 columns"),
    ("value\n1.0\nabc\n", "line 3: 'abc' is not a number"),
    ("date,value\n2001-01-06,1.0\n2001-01-13,\n2001-01-20,nan\n",
     r"2 missing value\(s\).*interpolate=True"),
])
def test_load_csv_bad_files_say_what_and_how_to_fix(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        fc.load_csv(path)
    assert "bad.csv" in str(info.value)


def test_load_csv_interpolates_when_asked(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("date,value\n2001-01-06,1.0\n2001-01-13,\n2001-01-20,3.0\n")
    series = fc.load_csv(path, interpolate=True)
    np.testing.assert_allclose(series.values, [1.0, 2.0, 3.0])
    assert series.missing_filled == 1


def test_load_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fc.load_csv(tmp_path / "nope.csv")


def test_airline_second_series():
    series = fc.load_airline()
    assert len(series.values) == 144 and series.season == 12
    assert series.values[0] == 112.0 and np.isfinite(series.values).all()
