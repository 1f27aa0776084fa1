"""Edge side of attention-rnn-zoo: TFLite conversion in five modes,
validation against Keras, and a runtime wrapper for the edge interpreters.

    report = export.to_tflite(model, "model.tflite", quantize="int8",
                              representative_data=x_calib)
    rt = export.runtime.load("model.tflite")

Names are imported lazily, so `export.runtime` works on an edge install
without TensorFlow or Keras (ai-edge-litert or tflite-runtime only).
"""

import importlib

_LAZY = {
    "MODES": "export.modes", "convert_bytes": "export.convert", "to_tflite": "export.convert",
    "LAYOUTS": "export.convert",
    "ExportError": "export.errors", "RuntimeLoadError": "export.errors",
    "ExportReport": "export.report", "validate": "export.validation",
}

_SUBMODULES = ("runtime", "modes")

__all__ = sorted(_LAZY) + list(_SUBMODULES)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"export.{name}")
    raise AttributeError(f"module 'export' has no attribute {name!r}")
