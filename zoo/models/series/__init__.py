"""Time-series classification (JapaneseVowels, PLAID): attention-pooled GRU and its baseline.

    family.py         what the family is (trainer, padding, calibration, explain steps)
    models.py         the builders, registered by name, no Keras (ts-att-gru, ts-gru)
    architecture.py   the Keras layers and build_* functions
    preprocessing.py  (time, channels) arrays -> padded, flagged model inputs
    baselines.py      classical peers (1-NN DTW, MiniRocket)
    train.py          `zoo train ts-*`
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
