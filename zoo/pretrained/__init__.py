"""Shipped pretrained models: package data, one directory per model.

`zoo/pretrained/<name>/` holds `model.weights.h5`, `<name>.<mode>.tflite`
per exported mode, `labels.txt` (classifiers), `card.md`, `card.json` and
`SHA256SUMS`; see `zoo.registry` for the layout and how it is verified, and
`zoo.api` for loading. The directories are installed through
`[tool.setuptools.package-data]` in pyproject.toml. This module has no code:
use `zoo.list_models()` / `zoo.load(name)`.
"""
