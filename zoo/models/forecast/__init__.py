"""Forecasting (weekly CO2): encoder LSTM + attending decoder, and its baseline."""
