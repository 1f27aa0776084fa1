"""Sub-modules as attributes, imported on first use (PEP 562).

    # zoo/models/__init__.py
    from zoo.lazy import submodules
    __getattr__ = submodules(__name__)

so that `zoo.models.kws.streaming.streaming_model(...)` works after a bare
`import zoo`, and importing a package does not import what it holds.
"""

from __future__ import annotations

import importlib
import importlib.util


def submodules(package):
    """A module `__getattr__` that imports `package.<attr>` when it is a sub-module."""
    def __getattr__(name):
        if not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
