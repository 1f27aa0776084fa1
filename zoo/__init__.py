"""attention-rnn-zoo: attention layers for Keras 3 recurrent networks, reference
models and TFLite export for edge devices.

    import zoo
    zoo.list_models()                       # registered models
    model = zoo.load("NAME")                # pretrained keras.Model (offline)
    zoo.predict("NAME", inputs)
    p = zoo.pipeline("NAME", backend="int8")   # loaded once: p(x), p(x, top_k=3), p.explain(x)
    zoo.explain("text-att-bigru", "a sentence")   # result + attention weights over tokens
    zoo.translate("mt-en-de-bahdanau", ["I have no idea."])   # list of str

The model API (`zoo.api`) is imported on first use, so `import zoo` stays
light (no Keras or TensorFlow).
"""

import importlib

from zoo.lazy import submodules

_submodules = submodules(__name__)

__version__ = "0.1.0"

_API = ("list_models", "load", "load_tflite", "labels", "model_card", "predict", "explain",
        "translate", "pipeline")

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        return getattr(importlib.import_module("zoo.api"), name)
    return _submodules(name)  # zoo.models, zoo.registry, ... without importing them first


def __dir__():
    return sorted(set(globals()) | set(_API))
