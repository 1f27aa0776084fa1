"""The five tasks: the family each model folder derives its own from.

    FAMILY = tasks.SPEECH.derive("kws", trainer=..., variants=...)

A model registered with `task=` and no family gets its task's family as it
is. The hooks they name are in `zoo.defaults`; this module imports only
`zoo.family` (the registry imports it).
"""

from __future__ import annotations

from zoo.family import Family

# ------------------------------------------------------------------ tasks

SPEECH = Family("speech", "speech", classifier=True, item_ndim=1, compile_metrics=("accuracy",),
                read_input="zoo.defaults:read_path", preprocess="zoo.defaults:waveforms",
                postprocess="zoo.defaults:class_labels",
                description="keyword spotting and other audio classifiers",
                pipeline_tag="audio-classification")
TEXT = Family("text", "text", classifier=True, item_ndim=0, compile_metrics=("accuracy",),
              read_input="zoo.defaults:read_text", preprocess="zoo.defaults:strings",
              postprocess="zoo.defaults:class_labels", description="text classifiers",
              pipeline_tag="text-classification")
SERIES = Family("series-classification", "series-classification", classifier=True,
                compile_metrics=("accuracy",),
                read_input="zoo.defaults:read_array", preprocess="zoo.defaults:arrays",
                postprocess="zoo.defaults:class_labels", description="time-series classifiers")
# (the Hub has no pipeline tag for time-series classification)
FORECASTING = Family("forecasting", "forecasting", loss="mse", metric="mae",
                     compile_metrics=("mae",), gpu_float_on_cpu=True,
                     read_input="zoo.defaults:read_history", preprocess="zoo.defaults:arrays",
                     postprocess="zoo.defaults:raw_outputs", description="forecasters",
                     pipeline_tag="time-series-forecasting")
TRANSLATION = Family("translation", "translation", item_ndim=0, metric="bleu", gpu_check=False,
                     read_input="zoo.defaults:read_text", preprocess="zoo.defaults:strings",
                     postprocess="zoo.defaults:raw_outputs", description="translators",
                     pipeline_tag="translation")

#: The family of each task, for models registered with `task=` alone.
DEFAULTS = {f.task: f for f in (SPEECH, TEXT, SERIES, FORECASTING, TRANSLATION)}

__all__ = ["DEFAULTS", "SPEECH", "TEXT", "SERIES", "FORECASTING", "TRANSLATION"]
