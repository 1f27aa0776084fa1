"""Forecasting (weekly CO2): encoder LSTM + attending decoder, and its baseline.

    family.py         what the family is (trainer, windows in, forecasts out, calibration)
    models.py         the builders, registered by name, no Keras (forecast-att-lstm, forecast-lstm)
    architecture.py   the Keras layers and build_* functions
    preprocessing.py  series -> windows, outputs -> forecasts
    baselines.py      classical peers (seasonal naive, ETS, SARIMA)
    train.py          `zoo train forecast-*`
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
