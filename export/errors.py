"""Exceptions of the export package: each subclasses the matching built-in."""


class ExportError(ValueError):
    """A model or argument the TFLite export cannot handle; the message says
    what was expected and how to fix it."""


class RuntimeLoadError(ValueError):
    """A file that is not a usable TFLite model (missing, truncated, corrupt)."""
