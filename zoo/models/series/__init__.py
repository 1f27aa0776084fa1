"""Time-series classification (JapaneseVowels, PLAID): attention-pooled GRU and its baseline."""
from zoo.models.series import models  # noqa: F401  registers the ts-* builders
