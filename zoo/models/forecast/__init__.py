"""Forecasting (weekly CO2): encoder LSTM + attending decoder, and its baseline.

    family.py         what the family is (trainer, windows in, forecasts out, calibration)
    models.py         the builders, registered by name (forecast-att-lstm, forecast-lstm)
    preprocessing.py  series -> windows, outputs -> forecasts
    baselines.py      classical peers (seasonal naive, ETS, SARIMA)
    train.py          `zoo train forecast-*`
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
