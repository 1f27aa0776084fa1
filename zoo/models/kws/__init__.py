"""Keyword spotting (12-class Speech Commands task): the family folder.

    family.py         what the family is (task, trainer, calibration, streaming variant)
    models.py         the builders, registered by name, no Keras (kws-att-bilstm, ...)
    architecture.py   the Keras layers and build_* functions
    preprocessing.py  inference-side data (int8 calibration clips)
    streaming.py      the streaming variant (one 20 ms frame per call)
    train.py          `zoo train kws-*`
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
