"""Forecasting (weekly CO2): encoder LSTM + attending decoder, and its baseline."""

from zoo.models.forecast import models  # noqa: F401  registers the forecast-* builders
