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

import json
import os

import numpy as np

from zoo import registry
from zoo.data import audio
from zoo.data.audio import SAMPLE_RATE
from zoo.registry import (
    CARD_JSON,
    CARD_MD,
    CONFIG_FILE,
    LABELS_FILE,
    MODES,
    WEIGHTS_FILE,
    ChecksumError,
    PretrainedNotFoundError,
    UnknownModelError,
)

CARD_FORMATS = ("dict", "json", "markdown")


def list_models(pattern="*", task=None):
    """Registered model names matching the fnmatch `pattern` (and `task`), sorted."""
    return registry.list_models(pattern, task=task)


def _compile(model, entry):
    model.compile(optimizer="adam", loss=entry.family.loss,
                  metrics=list(entry.family.compile_metrics) or None)


def load(name, pretrained=True, *, compile=True, **config):
    """The registered model `name` as a `keras.Model`.

    `pretrained=True` loads the artifact weights after checking them (and
    the optional `config.json` of builder arguments) against SHA256SUMS;
    `pretrained=False` returns the untrained architecture. `config`
    overrides builder arguments. Models that the builder did not compile are
    compiled with the task's default loss (sparse categorical cross-entropy
    on probabilities for classifiers, MSE for forecasters).
    """
    entry = registry.get(name)
    artifacts = None
    if pretrained:
        artifacts = registry.require_artifacts(name)
        config = {**artifacts.config(), **config}
    model = entry.build(**config)
    if artifacts is not None:
        weights = artifacts.file(WEIGHTS_FILE)
        try:
            model.load_weights(weights)
        except ValueError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"the weights in {weights} do not fit the architecture built by "
                f"{entry.builder_path} ({first}); were they trained with another config? "
                f"(store builder arguments in {artifacts.path / CONFIG_FILE})") from exc
    if compile and not getattr(model, "compiled", False):
        _compile(model, entry)
    return model


def _shipped_modes(entry, artifacts):
    return tuple(m for m in artifacts.tflite_modes() if m in entry.exports)


def load_tflite(name, quantize="int8", threads=None):
    """The shipped `<name>.<quantize>.tflite`, checked, as an `export.runtime.Runtime`
    (call it with float arrays). A mode without a shipped file raises a
    `ValueError` listing the shipped modes."""
    from export import runtime

    return runtime.load(tflite_path(name, quantize), threads=threads)


def tflite_path(name, quantize="int8"):
    """The path of the shipped `<name>.<quantize>.tflite`, checksum-checked; a mode
    without a shipped file raises a `ValueError` listing the shipped modes."""
    entry = registry.get(name)
    if quantize not in MODES:
        raise ValueError(f"quantize must be one of {', '.join(MODES)}; got {quantize!r}")
    artifacts = registry.require_artifacts(name)
    shipped = _shipped_modes(entry, artifacts)
    if quantize not in shipped:
        how = (f"make one with `zoo export {name} --quantize {quantize} -o FILE`"
               if quantize in entry.exports else f"{name!r} does not support {quantize} export")
        raise ValueError(f"{name!r} ships no {quantize} TFLite file; shipped modes: "
                         f"{', '.join(shipped) or 'none'} ({how})")
    return artifacts.file(registry.tflite_filename(name, quantize))


def labels(name):
    """Class labels of a classifier: the artifact `labels.txt` (checked), else
    the labels given to `register_model`."""
    entry = registry.get(name)
    artifacts = registry.find_artifacts(name)
    if artifacts is not None and artifacts.has(LABELS_FILE):
        text = artifacts.read_text(LABELS_FILE)
        return [line.strip() for line in text.splitlines() if line.strip()]
    if entry.labels is not None:
        return list(entry.labels)
    raise ValueError(f"{name!r} ({entry.task}) has no labels: neither a {LABELS_FILE} among "
                     "its artifacts nor labels= in its registration")


def model_card(name, format="dict"):
    """The model card: `card.json` as a dict (`format="dict"`), its text
    (`"json"`) or `card.md` (`"markdown"`); files are checked first."""
    if format not in CARD_FORMATS:
        raise ValueError(f"format must be one of {', '.join(CARD_FORMATS)}; got {format!r}")
    registry.get(name)
    artifacts = registry.require_artifacts(name)
    fname = CARD_MD if format == "markdown" else CARD_JSON
    if not artifacts.has(fname):
        raise FileNotFoundError(f"{name!r} has no {fname} in {artifacts.path}; generate it with "
                                f"`python -m zoo.cards {name} --results RESULTS.json`")
    text = artifacts.file(fname).read_text(encoding="utf-8")
    return json.loads(text) if format == "dict" else text


# ------------------------------------------------------------------ predict


def read_audio(item, sample_rate=SAMPLE_RATE):
    """A mono float32 waveform in [-1, 1] from an audio file path (WAV or FLAC,
    read by `zoo.data.audio.read_audio`) or from an array of float samples.

    Files: several channels are averaged to mono and another sample rate is
    resampled to `sample_rate`, each with a `UserWarning`; a missing file raises
    `FileNotFoundError`, anything unreadable (not WAV/FLAC, corrupt, no samples,
    NaN) a `ValueError` naming the file. Arrays must be 1-D, non-empty, float
    and finite (`ValueError` otherwise: integer / complex / non-numeric, NaN, Inf).
    """
    if isinstance(item, (str, os.PathLike)):
        return audio.read_audio(item, sample_rate)
    arr = np.asarray(item)
    if arr.dtype.kind != "f":
        hint = (" (integer PCM? divide by 32768 for int16)" if arr.dtype.kind in "iu" else "")
        raise ValueError(f"a waveform must be an array of float samples in [-1, 1]; got dtype "
                         f"{arr.dtype}{hint}")
    samples = arr.astype(np.float32)
    if samples.ndim != 1:
        raise ValueError(f"a waveform must be a 1-D array of samples; got shape {samples.shape}")
    if samples.size == 0:
        raise ValueError("a waveform must hold at least one sample; got an empty array")
    if not np.all(np.isfinite(samples)):
        raise ValueError(f"a waveform must be finite; got {int(np.sum(~np.isfinite(samples)))} "
                         "NaN or Inf sample(s)")
    return samples


def _item_ndim(entry):
    ndim = entry.family.item_ndim
    return len(entry.input_spec[0]["shape"]) if ndim is None else ndim


def _as_items(entry, inputs):
    """`(single, items)`: one item or a batch, as a list."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        return True, [inputs]
    if isinstance(inputs, (list, tuple)):
        return False, list(inputs)
    arr = np.asarray(inputs)
    ndim = _item_ndim(entry)
    if arr.ndim == ndim:
        return True, [arr]
    if arr.ndim == ndim + 1:
        return False, list(arr)
    raise ValueError(f"{entry.name!r} takes one {entry.task} input with {ndim} axes or a batch "
                     f"with {ndim + 1}; got an array of shape {arr.shape}")


def _check_model(entry, model):
    """A `model=` given to `predict` must take the inputs of the entry."""
    if hasattr(model, "predict") and hasattr(model, "inputs"):
        shapes = [tuple(t.shape[1:]) for t in model.inputs]
    elif callable(model) and hasattr(model, "input_shapes"):
        shapes = [tuple(s[1:]) for s in model.input_shapes]
    else:
        raise TypeError(f"`model` must be a keras.Model or an export.runtime.Runtime; got "
                        f"{type(model).__name__}")
    want = [s["shape"] for s in entry.input_spec]
    fits = len(shapes) == len(want) and all(
        len(g) == len(w) and all(a is None or b is None or a == b for a, b in zip(g, w))
        for g, w in zip(shapes, want))
    if not fits:
        got = ", ".join("(" + ", ".join("?" if d is None else str(d) for d in g) + ")"
                        for g in shapes)
        raise ValueError(f"`model` does not fit {entry.name!r}: {entry.name!r} takes "
                         f"{entry.input_summary()}; the given model takes {got}")


def predict(name, inputs, *, model=None, tflite=None, batch_size=32):
    """Labels (classifiers) or outputs for `inputs` (see module doc).

    Runs the Keras model (`load(name)`), or with `tflite="int8"` etc. the
    shipped TFLite file; pass `model=` (a loaded Keras model or TFLite
    runtime) to reuse one across calls.
    """
    entry = registry.get(name)
    if entry.has_hook("predict"):  # the family decodes by itself (translators)
        return entry.hook("predict")(inputs, model=model, tflite=tflite)
    entry, single, items, x, post = _prepared(name, inputs, "predict")
    if model is None:
        model = load_tflite(name, tflite) if tflite else load(name)
    else:
        _check_model(entry, model)
    if hasattr(model, "predict"):
        y = model.predict(x, batch_size=batch_size, verbose=0)
    else:
        y = model(*x) if isinstance(x, (list, tuple)) else model(x)
    results = post(y, _class_labels(entry))
    return results[0] if single else results


def _prepared(name, inputs, what):
    """`(entry, single, items, model inputs, postprocess)` of `predict` / `explain`."""
    entry = registry.get(name)
    single, items = _as_items(entry, inputs)
    if not items:
        raise ValueError(f"{what} needs at least one input")
    return entry, single, items, entry.hook("preprocess")(items), entry.hook("postprocess")


def _class_labels(entry):
    """Labels of a classifier (None for other tasks, or a classifier without labels)."""
    if not entry.is_classifier:
        return None
    try:
        return labels(entry.name)
    except ValueError:
        return None


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
    entry, single, items, x, post = _prepared(name, inputs, "explain")
    try:
        model = load(name, compile=False, return_attention=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name!r} returns no attention weights to explain ({exc}); use a "
                         "model with attention, e.g. "
                         f"{', '.join(list_models('*-att-*')[:3])}") from None
    probs, weights = model.predict(x, verbose=0)
    results = post(probs, _class_labels(entry))
    steps_of = entry.hook("attention_steps")
    steps = steps_of(items, x, weights) if steps_of else [(weights.shape[-1], None)] * len(items)
    out = [{"result": result, "weights": np.asarray(weights[i, ..., :n], np.float32),
            "steps": labels_}
           for i, (result, (n, labels_)) in enumerate(zip(results, steps))]
    return out[0] if single else out


def translate(name, sentences, *, beam=4, length_penalty=0.6, model=None, tflite=None):
    """Translations of `sentences` (a list of str; one str gives one str) with the
    translation model `name`: beam search of width `beam` (1 = greedy) with the
    GNMT length penalty `length_penalty`, on the Keras model (`model=` reuses a
    loaded one) or on the shipped TFLite file of mode `tflite` (e.g. "int8")."""
    entry = registry.get(name, task="translation")
    return entry.hook("predict")(sentences, beam=beam, length_penalty=length_penalty,
                                 model=model, tflite=tflite)


__all__ = [
    "explain", "translate",
    "list_models", "load", "load_tflite", "labels", "model_card", "predict", "read_audio",
    "ChecksumError", "UnknownModelError",
    "PretrainedNotFoundError",
]
