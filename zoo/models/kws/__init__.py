"""Keyword spotting (12-class Speech Commands task): models and trainer."""

from zoo.models.kws import models  # noqa: F401  registers the kws-* builders
