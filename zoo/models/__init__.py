"""Reference models, one folder (sub-package) per family; importing a folder
registers its builders in `zoo.registry`, which finds every folder itself."""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
