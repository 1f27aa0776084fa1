"""Text classification (10 fortunes topics): attention-pooled BiGRU and its baseline.

    family.py         what the family is (trainer, tokenizer, calibration, explain steps)
    models.py         the builders, registered by name, no Keras (text-att-bigru, text-bigru)
    architecture.py   the Keras layers and build_* functions
    preprocessing.py  strings -> token ids with the shipped vocabulary
    train.py          `zoo train text-*` (with a TF-IDF peer)
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
