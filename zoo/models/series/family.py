"""The series family: a variable-length multichannel series -> one of its classes (speakers)."""

from zoo import tasks

FAMILY = tasks.SERIES.derive(
    "series",
    trainer="zoo.models.series.train:main",
    preprocess="zoo.models.series.preprocessing:pad_for",
    representative_data="zoo.models.series.preprocessing:representative_data",
    attention_steps="zoo.defaults:flagged_steps",
    description="time-series classification (variable length, padded and flagged)")
