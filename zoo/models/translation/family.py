"""The translation family: English sentences -> German (`mt-en-de-*`) and spelled-out
English numbers and dates -> German (`mt-numbers-en-de-*`).

Their corpora, vocabularies and sizes are `models.FAMILIES` (one entry per corpus);
this is what the library does with any of them: sentences in, sentences out,
beam search in `predict`, alignments in `explain`, and an exporter that writes
the encoder plus a one-step decoder in one file."""

from zoo import tasks

FAMILY = tasks.TRANSLATION.derive(
    "translation",
    trainer="zoo.models.translation.train:main",
    preprocess="zoo.models.translation.translate:encode_for",
    representative_data="zoo.models.translation.inference:representative_data",
    predict="zoo.models.translation.inference:predict",
    explain="zoo.models.translation.inference:explain",
    exporter="zoo.models.translation.export:to_tflite",
    description="sequence-to-sequence translation with a recurrent decoder")
