"""Writing files so that no half-written artifact is ever visible: the helpers
of `export.files` (the bottom layer, which imports nothing from `zoo`)."""

from export.files import (OutputPathError, WriteError, atomic_path, atomic_write_bytes,
                          check_input_file, check_output_path)

__all__ = ["OutputPathError", "WriteError", "atomic_path", "atomic_write_bytes",
           "check_input_file", "check_output_path"]
