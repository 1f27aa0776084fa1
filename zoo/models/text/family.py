"""The text family: English quotations -> one of the 10 fortunes topics."""

from zoo import tasks

FAMILY = tasks.TEXT.derive(
    "text",
    trainer="zoo.models.text.train:main",
    preprocess="zoo.models.text.preprocessing:encode_for",
    representative_data="zoo.models.text.preprocessing:representative_data",
    attention_steps="zoo.models.text.preprocessing:attention_steps",
    description="10-topic classification of English quotations")
