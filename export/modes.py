"""The five TFLite export modes as data (standard library only: importing this
module loads neither TensorFlow nor Keras).

    from export import modes
    modes.get("int8").needs_calibration     # True
    modes.MODES                             # ("float32", "float16", "dynamic", "int8", "int16x8")

Each `Mode` also holds the converter settings it implies, by name, which
`export.convert.configure_converter` applies to a `tf.lite.TFLiteConverter`.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mode:
    """One export mode (`quantize=` of `export.to_tflite`)."""

    name: str
    #: One line for help texts and cards.
    description: str
    #: Needs `representative_data` to calibrate activation ranges.
    needs_calibration: bool
    #: Activations are integers too (only integer builtin kernels), not just the weights.
    full_integer: bool
    #: Weights are stored as integers (layers that must stay float, such as
    #: `export_float` front ends, then get a float signature of their own).
    integer_weights: bool
    #: Converter settings: `converter.optimizations = [tf.lite.Optimize.DEFAULT]`,
    optimize: bool = False
    #: `converter.target_spec.supported_types` (TensorFlow dtype names),
    supported_types: tuple = ()
    #: `converter.target_spec.supported_ops` (`tf.lite.OpsSet` member names).
    supported_ops: tuple = ()


_ALL = (
    Mode("float32", "no quantization", needs_calibration=False, full_integer=False,
         integer_weights=False),
    Mode("float16", "float16 weights, float compute (GPU-friendly)", needs_calibration=False,
         full_integer=False, integer_weights=False, optimize=True, supported_types=("float16",)),
    Mode("dynamic", "int8 weights, activations quantized on the fly", needs_calibration=False,
         full_integer=False, integer_weights=True, optimize=True),
    Mode("int8", "full integer: int8 weights and activations, calibrated on "
         "representative data", needs_calibration=True, full_integer=True, integer_weights=True,
         optimize=True, supported_ops=("TFLITE_BUILTINS_INT8",)),
    Mode("int16x8", "int16 activations, int8 weights (more accurate full integer), calibrated "
         "on representative data", needs_calibration=True, full_integer=True,
         integer_weights=True, optimize=True,
         supported_ops=("EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8",)),
)
_BY_NAME = {m.name: m for m in _ALL}

#: The mode names, in order of increasing quantization.
MODES = tuple(_BY_NAME)


def get(name) -> Mode:
    """The `Mode` called `name`; `ValueError` naming the valid modes otherwise."""
    mode = _BY_NAME.get(name) if isinstance(name, str) else None
    if mode is None:
        raise ValueError(f"`quantize` must be one of {', '.join(MODES)}; got {name!r}")
    return mode


__all__ = ["Mode", "MODES", "get"]
