"""Edge side of attention-rnn-zoo: TFLite conversion in five modes,
validation against Keras, and a runtime wrapper for the edge interpreters.

    report = export.to_tflite(model, "model.tflite", quantize="int8",
                              representative_data=x_calib)
    rt = export.runtime.load("model.tflite")
"""

from export import runtime
from export.convert import MODES, convert_bytes, to_tflite
from export.errors import ExportError, RuntimeLoadError
from export.report import ExportReport
from export.validate import validate

__all__ = ["MODES", "ExportError", "ExportReport", "RuntimeLoadError", "convert_bytes",
           "runtime", "to_tflite", "validate"]
