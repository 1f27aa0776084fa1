"""Forecasting data: the weekly Mauna Loa CO2 series, fixed splits, windows,
MASE / sMAPE and the rolling-origin evaluation shared by the neural models
(`zoo.models.forecast`) and the classical baselines
(`zoo.models.forecast.baselines`).

    from zoo.data import forecasting as fc

    series = fc.load_co2()                  # Series: values (float64), dates, season=52
    split = fc.split(len(series.values))    # train | validation | test (fixed, below)
    x, y = fc.windows(series.values, fc.train_origins(split))
    scores = fc.evaluate(series.values, fc.test_origins(split), forecasts)

The CO2 series (`statsmodels.datasets.co2`, public domain; Keeling & Whorf,
SIO flask samples, Mauna Loa) has 2,284 weekly values from 1958-03-29 to
2001-12-29, already on a regular weekly (W-SAT) grid; its 59 missing weeks
are filled by linear interpolation in time (`clean`).

Splits (fixed, by position; `split`)
------------------------------------
* test: the last `TEST_WEEKS` = 208 weeks (1998-01-10 .. 2001-12-29);
* validation: the `VALIDATION_WEEKS` = 208 weeks before it (1994 .. 1997);
* train: everything before (1958-03 .. 1994-01).

A forecast made at origin `t` sees `series[:t]` and predicts
`series[t:t + HORIZON]` (`HORIZON` = 26 weeks). The neural models take the
last `WINDOW` = 104 weeks (`series[t - 104:t]`).

* training windows: every origin whose whole horizon lies in the train
  part (stride 1);
* validation (early stopping): every origin whose horizon lies in the
  validation part (stride 1);
* test (rolling origin): origins `test_start, test_start + 4, ...` while
  the horizon fits (`STEP` = 4 weeks: 46 origins, 26 weeks each).

Inputs of validation/test forecasts reach back into earlier parts (that is
the history a forecaster would have), but no value of the validation or
test part is ever a training target, and the test part is not used for
early stopping or model choice.

Metrics (per origin, then averaged over origins)
------------------------------------------------
* MASE: mean |y - yhat| over the horizon divided by the in-sample MAE of the
  seasonal-naive forecast (`m` = 52) on `series[:t]` (the history before
  the origin), as in the M4 competition;
* sMAPE: `200 / H * sum |y - yhat| / (|y| + |yhat|)`, in percent (M4).

User data
---------
`load_csv(path)` reads a one-column (`value`) or two-column (`date,value`)
CSV, with or without a header line, so you can forecast your own series:
`zoo.predict("forecast-att-lstm", values[:, None])`. The models expect a
regular weekly series with at least `WINDOW` values.
"""

from __future__ import annotations

import csv
import dataclasses

import numpy as np

SEASON = 52          # weeks per seasonal cycle (MASE scaling, seasonal naive)
WINDOW = 104         # encoder input: two years of weekly values
HORIZON = 26         # forecast: half a year
STEP = 4             # weeks between test (and reported validation) origins
TEST_WEEKS = 208     # the last four years
VALIDATION_WEEKS = 208

CO2_NAME = "Mauna Loa weekly atmospheric CO2 (statsmodels.datasets.co2)"
CO2_SOURCE = ("statsmodels.datasets.co2 (Keeling & Whorf 2004, SIO flask samples, CDIAC; "
              "bundled with statsmodels, no download)")


@dataclasses.dataclass(frozen=True)
class Series:
    """A cleaned univariate series."""

    name: str
    values: np.ndarray          # float64, finite
    dates: object = None        # pandas DatetimeIndex / PeriodIndex, or None
    season: int = SEASON
    missing_filled: int = 0     # values filled by interpolation


@dataclasses.dataclass(frozen=True)
class Split:
    """Positions of the three parts: `[0, validation_start)`,
    `[validation_start, test_start)`, `[test_start, n)`."""

    n: int
    validation_start: int
    test_start: int

    def sizes(self):
        return {"train": self.validation_start,
                "validation": self.test_start - self.validation_start,
                "test": self.n - self.test_start}


# ------------------------------------------------------------------- loading


def clean(values, interpolate=True, what="series"):
    """A finite float64 copy of `values` (1-D).

    With `interpolate`, NaNs inside the series are filled linearly (by
    position; leading / trailing ones copy the nearest value); otherwise any
    NaN raises a `ValueError` naming the rows and the fix. Inf always raises.
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what} must be one column of values (shape (n,) or (n, 1)); "
                         f"got shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{what} holds no values; give at least one value per line")
    if np.isinf(y).any():
        rows = np.flatnonzero(np.isinf(y))
        raise ValueError(f"{what} holds {len(rows)} infinite value(s) (first at row {rows[0]}); "
                         "remove or replace them")
    missing = np.isnan(y)
    if missing.any():
        rows = np.flatnonzero(missing)
        if not interpolate:
            shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise ValueError(
                f"{what} has {len(rows)} missing value(s) (NaN or empty, rows {shown}); fill "
                "them first, or pass interpolate=True to fill them by linear interpolation")
        if missing.all():
            raise ValueError(f"{what} has no values at all, only missing ones")
        known = np.flatnonzero(~missing)
        y[missing] = np.interp(rows, known, y[known])
    return y


def load_co2():
    """The weekly CO2 series, NaNs interpolated in time (no download)."""
    from statsmodels.datasets import co2

    frame = co2.load_pandas().data
    steps = np.unique(np.diff(frame.index.values).astype("timedelta64[D]").astype(int))
    if list(steps) != [7]:  # the bundled file is a regular weekly grid; keep it so
        frame = frame.resample("W-SAT").mean()
    column = frame["co2"]
    filled = int(column.isna().sum())
    values = column.interpolate(method="time").bfill().ffill().to_numpy(np.float64)
    return Series(CO2_NAME, values, frame.index, SEASON, filled)


def load_airline():
    """Box & Jenkins monthly airline passengers 1949-1960 (sktime, bundled): a
    second, monthly series (season 12) for the classical baselines."""
    from sktime.datasets import load_airline as load

    y = load()
    return Series("Airline passengers (Box & Jenkins, sktime.datasets.load_airline)",
                  y.to_numpy(np.float64), y.index, 12, 0)


def load_csv(path, interpolate=False):
    """A user series from a CSV file: one value per line, or `date,value`.

    A first line that is not a number (a header) is skipped. Returns a
    `Series` (dates as strings when given, season 52). Raises
    `FileNotFoundError` for a missing file and `ValueError` (naming the file,
    the line and the fix) for an empty file, rows with another number of
    columns, text that is not a number, or missing values (unless
    `interpolate=True`).
    """
    from zoo.files import check_input_file

    path = check_input_file(path, "CSV file")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [(i, [c.strip() for c in row]) for i, row in enumerate(csv.reader(f), 1)
                if any(c.strip() for c in row)]
    fix = "expected one value per line, or 'date,value' lines (an optional header line first)"
    if not rows:
        raise ValueError(f"{path}: the file is empty (no data rows); {fix}")
    width = len(rows[0][1])
    if width not in (1, 2):
        raise ValueError(f"{path}: line {rows[0][0]} has {width} columns; {fix}")

    def number(text):
        if text.lower() in ("", "nan", "na", "null"):
            return np.nan
        return float(text)

    try:
        number(rows[0][1][-1])
    except ValueError:
        rows = rows[1:]  # a header line
        if not rows:
            raise ValueError(f"{path}: the file has a header line but no data rows; {fix}") \
                from None
    values, dates = [], []
    for line, cells in rows:
        if len(cells) != width:
            raise ValueError(f"{path}: line {line} has {len(cells)} columns, the first data line "
                             f"has {width}; {fix}")
        try:
            values.append(number(cells[-1]))
        except ValueError:
            raise ValueError(f"{path}: line {line}: {cells[-1]!r} is not a number; {fix}") \
                from None
        if width == 2:
            dates.append(cells[0])
    y = clean(values, interpolate=interpolate, what=str(path))
    filled = int(np.isnan(np.asarray(values)).sum())
    return Series(path.stem, y, dates or None, SEASON, filled)


# -------------------------------------------------------------------- splits


def split(n, validation=VALIDATION_WEEKS, test=TEST_WEEKS, window=WINDOW, horizon=HORIZON):
    """The fixed train / validation / test positions of a series of length `n`."""
    need = window + horizon + validation + test
    if n < need:
        raise ValueError(f"a series of {n} values is too short for window {window} + horizon "
                         f"{horizon} + validation {validation} + test {test} = {need} values")
    return Split(n=n, validation_start=n - test - validation, test_start=n - test)


def origins(start, end, horizon=HORIZON, step=1):
    """Origins `t` in `[start, end - horizon]` every `step`: forecasts of
    `series[t:t + horizon]` that stay inside `[start, end)`."""
    return np.arange(start, end - horizon + 1, step)


def train_origins(s, window=WINDOW, horizon=HORIZON):
    return origins(window, s.validation_start, horizon)


def validation_origins(s, horizon=HORIZON, step=1):
    return origins(s.validation_start, s.test_start, horizon, step)


def test_origins(s, horizon=HORIZON, step=STEP):
    return origins(s.test_start, s.n, horizon, step)


def windows(values, at, window=WINDOW, horizon=HORIZON):
    """`(x, y)`: `x[i] = values[t - window:t, None]` (float32, `(k, window, 1)`)
    and `y[i] = values[t:t + horizon]` (`(k, horizon)`) for each origin `t` in
    `at`. `horizon=0` gives `y` of shape `(k, 0)`."""
    values = np.asarray(values)
    at = np.asarray(at, dtype=int).reshape(-1)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D; got shape {values.shape}")
    if at.size and (at.min() < window or at.max() + horizon > len(values)):
        raise ValueError(f"origins must lie in [{window}, {len(values) - horizon}] for window "
                         f"{window} and horizon {horizon} on {len(values)} values; got "
                         f"[{at.min()}, {at.max()}]")
    x = np.stack([values[t - window:t] for t in at]) if at.size else np.zeros((0, window))
    y = np.stack([values[t:t + horizon] for t in at]) if at.size else np.zeros((0, horizon))
    return x[..., None].astype(np.float32), y.astype(np.float32)


# ------------------------------------------------------------------- metrics


def seasonal_naive_scale(insample, m=SEASON):
    """In-sample MAE of the seasonal-naive forecast: `mean |y_t - y_{t-m}|`."""
    insample = np.asarray(insample, dtype=np.float64)
    if insample.ndim != 1 or len(insample) <= m:
        raise ValueError(f"the in-sample series needs more than m={m} values; got "
                         f"{np.shape(insample)}")
    scale = np.mean(np.abs(insample[m:] - insample[:-m]))
    if scale == 0:
        raise ValueError(f"MASE is undefined: the in-sample series repeats exactly every {m} "
                         "steps (seasonal-naive MAE is 0)")
    return float(scale)


def mase(y_true, y_pred, insample, m=SEASON):
    """Mean absolute scaled error of one forecast (see module doc)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)) / seasonal_naive_scale(insample, m))


def smape(y_true, y_pred):
    """Symmetric MAPE in percent: `200 * mean(|y - yhat| / (|y| + |yhat|))`
    (a term with `y = yhat = 0` counts 0)."""
    y_true, y_pred = _pair(y_true, y_pred)
    num = np.abs(y_true - y_pred)
    den = np.abs(y_true) + np.abs(y_pred)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(200.0 * np.mean(terms))


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true and y_pred must have the same non-empty shape; got "
                         f"{y_true.shape} and {y_pred.shape}")
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("the forecast contains NaN or Inf values")
    return y_true, y_pred


def evaluate(values, at, forecasts, m=SEASON):
    """Score `forecasts[i]` (made at origin `at[i]`) against `values`.

    Returns `{"mase": mean over origins, "smape": mean over origins,
    "per_origin": {"mase": [...], "smape": [...]}}`.
    """
    values = np.asarray(values, dtype=np.float64)
    forecasts = np.asarray(forecasts, dtype=np.float64)
    at = np.asarray(at, dtype=int).reshape(-1)
    if forecasts.ndim != 2 or len(forecasts) != len(at):
        raise ValueError(f"forecasts must be (origins, horizon) = ({len(at)}, h); got "
                         f"{forecasts.shape}")
    h = forecasts.shape[1]
    per_mase = [mase(values[t:t + h], f, values[:t], m) for t, f in zip(at, forecasts)]
    per_smape = [smape(values[t:t + h], f) for t, f in zip(at, forecasts)]
    return {"mase": float(np.mean(per_mase)), "smape": float(np.mean(per_smape)),
            "per_origin": {"mase": per_mase, "smape": per_smape}}


def summary(scores):
    """`{"mase", "smape"}` of an `evaluate` result (no per-origin lists)."""
    return {"mase": scores["mase"], "smape": scores["smape"]}


__all__ = [
    "SEASON", "WINDOW", "HORIZON", "STEP", "TEST_WEEKS", "VALIDATION_WEEKS", "Series", "Split",
    "clean", "load_co2", "load_airline", "load_csv", "split", "origins", "train_origins",
    "validation_origins", "test_origins", "windows", "seasonal_naive_scale", "mase", "smape",
    "evaluate", "summary",
]
