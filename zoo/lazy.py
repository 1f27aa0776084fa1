"""Sub-modules and heavy names as attributes, imported on first use (PEP 562).

    # zoo/models/__init__.py
    from zoo.lazy import submodules
    __getattr__ = submodules(__name__)

so that `zoo.models.kws.streaming.streaming_model(...)` works after a bare
`import zoo`, and importing a package does not import what it holds.

    # zoo/models/kws/models.py (registration only: no Keras)
    __getattr__ = forward(__name__, "zoo.models.kws.architecture", ("build_bilstm", ...))

so that `from zoo.models.kws.models import build_bilstm` still works, importing
Keras only then.
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


def forward(module, target, names):
    """A module `__getattr__` for `module` that takes each of `names` from the module
    `target`, imported when one of them is first asked for."""
    names = frozenset(names)

    def __getattr__(name):
        if name in names:
            return getattr(importlib.import_module(target), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
