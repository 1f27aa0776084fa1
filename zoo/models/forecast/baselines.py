"""Classical baselines on the same rolling origins as the neural forecasters.

    from zoo.models.forecast import baselines
    f = baselines.rolling("sarima", values, origins, horizon=26, m=52)   # (origins, 26)

Every method sees only `values[:t]` for a forecast made at origin `t`.
Parameters are estimated once, on the data before the *first* origin, and
reused unchanged for the later origins (the states are updated with the
new observations, the parameters are not re-estimated), which is what a
deployed model that is refitted once a period would do and keeps the run
fast:

* `seasonal-naive`: `yhat[t + h] = y[t + h - m]` (for `h >= m`, the last
  observed season repeated); no parameters.
* `ets`: Holt-Winters `ExponentialSmoothing(trend="add", seasonal="add",
  seasonal_periods=m)` (statsmodels), smoothing parameters and initial
  states estimated on `values[:first origin]`; later origins run the same
  recursions (`initialization_method="known"`, `optimized=False`) on
  `values[:t]`.
* `sarima`: `SARIMAX(order=(1, 1, 1), seasonal_order=(0, 1, 1, m))` fitted by
  maximum likelihood (scale concentrated out) on the last `fit_window`
  values before the first origin (default 520 = ten years of weekly data:
  the state-space fit on all 1,868 training weeks takes about four minutes
  on 2 CPU cores, on ten years 10-20 s); later origins `extend` the fitted
  results with the new observations (Kalman filter only, parameters fixed).

statsmodels is an optional dependency (`pip install attention-rnn-zoo[series]`).
"""

from __future__ import annotations

import contextlib
import time
import warnings

import numpy as np

METHODS = ("seasonal-naive", "ets", "sarima")
DESCRIPTIONS = {
    "seasonal-naive": "seasonal naive (last season repeated)",
    "ets": "Holt-Winters ETS, additive trend + additive season (statsmodels)",
    "sarima": "SARIMA(1,1,1)(0,1,1) (statsmodels SARIMAX)",
}
SARIMA_FIT_WINDOW = 520


def seasonal_naive(history, horizon, m):
    """`yhat[h] = history[len - m + (h mod m)]`."""
    history = np.asarray(history, dtype=np.float64)
    if len(history) < m:
        raise ValueError(f"seasonal naive needs at least m={m} values; got {len(history)}")
    return history[len(history) - m + np.arange(horizon) % m]


def _statsmodels():
    try:
        import statsmodels  # noqa: F401
    except ImportError as exc:
        raise ImportError("the ETS and SARIMA baselines need statsmodels: pip install "
                          "'attention-rnn-zoo[series]'") from exc


def _ets(values, at, horizon, m):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    kw = dict(trend="add", seasonal="add", seasonal_periods=m)
    first = ExponentialSmoothing(values[:at[0]], initialization_method="estimated", **kw).fit()
    p = first.params
    smoothing = dict(smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"],
                     smoothing_seasonal=p["smoothing_seasonal"], optimized=False)
    known = dict(initialization_method="known", initial_level=p["initial_level"],
                 initial_trend=p["initial_trend"], initial_seasonal=p["initial_seasons"])
    out = []
    for t in at:
        res = first if t == at[0] else ExponentialSmoothing(values[:t], **known, **kw).fit(
            **smoothing)
        out.append(res.forecast(horizon))
    info = {k: float(p[k]) for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal")}
    return np.asarray(out), {"params": info, "fit_values": int(at[0])}


def _sarima(values, at, horizon, m, fit_window=SARIMA_FIT_WINDOW):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    start = max(0, at[0] - fit_window) if fit_window else 0
    model = SARIMAX(values[start:at[0]], order=(1, 1, 1), seasonal_order=(0, 1, 1, m),
                    concentrate_scale=True)
    fitted = model.fit(disp=False, low_memory=True)  # likelihood only: ~10x faster
    res = model.filter(fitted.params)  # the full filter, to forecast and extend from
    out = []
    for t in at:
        step = res if t == at[0] else res.extend(values[at[0]:t])
        out.append(step.forecast(horizon))
    info = {"params": {k: float(v) for k, v in zip(model.param_names, res.params)},
            "converged": bool((fitted.mle_retvals or {}).get("converged", True)),
            "fit_values": int(at[0] - start)}
    return np.asarray(out), info


def _one_blas_thread():
    """The Kalman filter multiplies small matrices: OpenBLAS threads only add
    overhead, and on a busy machine they spin (a 7 s SARIMA fit took 2 min)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - shipped with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def rolling(method, values, at, horizon, m, return_info=False, **kwargs):
    """Forecasts `(len(at), horizon)` of `method` (one of `METHODS`) made at
    each origin of `at` (increasing) from `values[:t]`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    values = np.asarray(values, dtype=np.float64)
    at = np.asarray(at, dtype=int).reshape(-1)
    if not at.size or np.any(np.diff(at) <= 0):
        raise ValueError("origins must be a non-empty increasing sequence")
    start = time.perf_counter()
    if method == "seasonal-naive":
        forecasts, info = np.stack([seasonal_naive(values[:t], horizon, m) for t in at]), {}
    else:
        _statsmodels()
        with warnings.catch_warnings(), _one_blas_thread():
            warnings.simplefilter("ignore")  # convergence / frequency chatter of statsmodels
            forecasts, info = (_ets if method == "ets" else _sarima)(values, at, horizon, m,
                                                                    **kwargs)
    info["seconds"] = round(time.perf_counter() - start, 2)
    return (forecasts, info) if return_info else forecasts


def evaluate_all(values, at, horizon, m, methods=METHODS, log=print):
    """`{method: {"mase", "smape", "seconds", ...}}` of each method on the origins `at`."""
    from zoo.data import forecasting as fc

    out = {}
    for method in methods:
        forecasts, info = rolling(method, values, at, horizon, m, return_info=True)
        scores = fc.evaluate(values, at, forecasts, m)
        out[method] = {**fc.summary(scores), **info,
                       "per_origin_mase": scores["per_origin"]["mase"]}
        if log:
            log(f"{method}: MASE {scores['mase']:.4f}, sMAPE {scores['smape']:.4f} % "
                f"({info['seconds']} s)")
    return out
