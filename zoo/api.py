"""Pretrained models by name, offline (re-exported as `zoo.*`).

    import zoo

    zoo.list_models("kws-*")                  # names, sorted
    model = zoo.load("kws-gru")                # keras.Model, weights verified
    arch = zoo.load("kws-gru", pretrained=False)
    rt = zoo.load_tflite("kws-gru", quantize="int8", threads=1)
    zoo.labels("kws-gru")                      # ["yes", "no", ...]
    zoo.model_card("kws-gru")                  # dict (card.json)
    zoo.model_card("kws-gru", format="markdown")
    zoo.predict("kws-gru", ["yes.wav", "no.wav"])   # ["yes", "no"]
    zoo.translate("mt-en-de-bahdanau", ["I have no idea."], beam=4)

Models come from `zoo.registry` (builders) and their artifact directory
(`$ZOO_HOME` first, then the package: your trained copy wins); every file is checked against the
directory's `SHA256SUMS` before use (`zoo.registry.ChecksumError`).
Nothing is downloaded.

`predict` runs `preprocess -> model -> postprocess` of the model's family
(`zoo.family`; the defaults of each task are in `zoo.defaults`). A single
item (a path, a string, one array) gives one result; a list gives a list
(forecasters: an array with a leading batch axis). Speech models read WAV /
FLAC paths (any rate, resampled to 16 kHz; `zoo.data.audio`) or 1-D float
arrays. Classifiers return label strings (`labels(name)`; class indices if
the model has none). A family may replace `predict` and `explain` as a
whole (translators: beam search).
"""

from __future__ import annotations

from zoo import registry
from zoo.loading import (  # noqa: F401  re-exported: zoo.api is the public face
    ChecksumError,
    PretrainedNotFoundError,
    UnknownModelError,
    labels,
    list_models,
    load,
    load_tflite,
    model_card,
    read_audio,
    tflite_path,
)


def pipeline(name, backend="keras", **options):
    """A `zoo.pipelines.Pipeline`: the model `name` loaded once (`backend`: "keras" or
    a shipped TFLite mode such as "int8"), called like `predict` (plus `top_k=`)
    and `explain`, over many inputs in bounded memory."""
    from zoo.pipelines import pipeline as make

    return make(name, backend, **options)


def _pipeline_of(name, model, tflite, batch_size=32):
    from zoo import pipelines

    backend = tflite or "keras"
    if model is not None:
        return pipelines.Pipeline(name, backend, model=model, batch_size=batch_size)
    pipe = pipelines.cached(name, backend)
    if pipe.batch_size != batch_size:
        pipe = pipelines.Pipeline(name, backend, model=pipe.model, batch_size=batch_size)
    return pipe


def predict(name, inputs, *, model=None, tflite=None, batch_size=32, top_k=None):
    """Labels (classifiers) or outputs for `inputs` (see module doc); with `top_k=k`
    (classifiers) `(label, probability)` pairs per item.

    Runs the Keras model (`load(name)`), or with `tflite="int8"` etc. the
    shipped TFLite file, through a `zoo.pipeline` kept loaded between calls
    (loaded again when the model's files change); pass `model=` (a loaded
    Keras model or TFLite runtime) to use that one.
    """
    return _pipeline_of(name, model, tflite, batch_size).predict(inputs, top_k=top_k)


def explain(name, inputs):
    """Predictions with the attention weights behind them, for plotting.

    For models whose builder accepts `return_attention=True` (e.g.
    `text-att-bigru`, `ts-att-gru`): returns one dict per input with
    `result` (as `predict` gives it), `weights` (the attention weights over
    the input's real steps, summing to 1) and `steps` (the tokens of a
    text, else `None`). Draw one with `zoo.plot.attention(d["weights"],
    x_labels=d["steps"])`. Translators give one dict per sentence with the
    alignment `weights` (target steps, source tokens) and `target_steps`.
    """
    entry = registry.get(name)
    if entry.has_hook("explain"):  # the family explains by itself (translators)
        return entry.hook("explain")(inputs)
    return _pipeline_of(name, None, None).explain(inputs)


def translate(name, sentences, *, beam=4, length_penalty=0.6, model=None, tflite=None,
              return_errors=False, no_repeat_ngram=None):
    """Translations of `sentences` (a list of str; one str gives one str) with the
    translation model `name`: beam search of width `beam` (1 = greedy) with the
    GNMT length penalty `length_penalty`, on the Keras model (`model=` reuses a
    loaded one) or on the shipped TFLite file of mode `tflite` (e.g. "int8").
    A sentence over the model's word limit is translated at its sentence / clause
    boundaries. One the model cannot read (empty, a clause over the limit, a word a
    numbers model does not know) raises `ValueError` naming it, before anything is
    translated; `return_errors=True` puts that `ValueError` in its place instead and
    translates the rest. `no_repeat_ngram=n` forbids a translation to repeat a run of `n`
    target pieces (the loops of a weak model); 0 turns it off, None (default) takes the
    model family's setting."""
    registry.get(name, task="translation")
    return _pipeline_of(name, model, tflite).predict(sentences, beam=beam,
                                                     length_penalty=length_penalty,
                                                     return_errors=return_errors,
                                                     no_repeat_ngram=no_repeat_ngram)


__all__ = [
    "explain", "translate", "pipeline",
    "list_models", "load", "load_tflite", "labels", "model_card", "predict", "read_audio",
    "ChecksumError", "UnknownModelError",
    "PretrainedNotFoundError",
]
