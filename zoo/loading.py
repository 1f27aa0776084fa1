"""Models and inputs by name, the layer under `zoo.pipelines` and `zoo.api`:
`load`, `load_tflite`, `tflite_path`, `labels`, `model_card`, `list_models` and
`read_audio` (all re-exported by `zoo.api`; see its docstring)."""

from __future__ import annotations

import json
import os

import numpy as np

from zoo import registry
from zoo.data import audio
from zoo.data.audio import SAMPLE_RATE
from zoo.registry import (  # noqa: F401  (re-exported by zoo.api)
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


def _check_range(samples, what):
    """Refuse samples outside [-1, 1], naming the peak and its likely cause."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak <= 1.0:
        return
    if peak <= 2.0:
        cause = "clipped or amplified audio: scale it into [-1, 1] (e.g. x / max(abs(x)))"
    elif peak <= 128.0:
        cause = "looks like 8-bit scale: divide by 128"
    elif peak <= 32768.0:
        cause = "looks like int16 scale: divide by 32768"
    elif peak <= 8388608.0:
        cause = "looks like 24-bit scale: divide by 8388608"
    elif peak <= 2147483648.0:
        cause = "looks like int32 scale: divide by 2147483648"
    else:
        cause = "far beyond any PCM scale: these are not audio samples"
    raise ValueError(f"{what} must lie in [-1, 1]; its largest |sample| is {peak:.6g} ({cause})")


def read_audio(item, sample_rate=SAMPLE_RATE, *, max_samples=None, with_length=False):
    """A mono float32 waveform in [-1, 1] from an audio file path (WAV or FLAC,
    read by `zoo.data.audio.read_audio`) or from an array of float samples.

    Files: several channels are averaged to mono and another sample rate is
    resampled to `sample_rate`, each with a `UserWarning`; a missing file raises
    `FileNotFoundError`, anything unreadable (not WAV/FLAC, corrupt, no samples,
    NaN) a `ValueError` naming the file. Arrays must be 1-D, non-empty, float
    and finite (`ValueError` otherwise: integer / complex / non-numeric, NaN, Inf).
    Samples (of arrays and of float WAV files) must lie in [-1, 1]: a larger peak
    raises `ValueError` naming it and its likely cause (e.g. int16 scale).

    `max_samples`: read only the first `max_samples` samples of a file (a 1-hour
    WAV costs what a 1-second one does); `with_length=True` returns `(samples,
    length of the whole)`.
    """
    if isinstance(item, (str, os.PathLike)):
        if max_samples is None:
            samples = audio.read_audio(item, sample_rate)
            total = len(samples)
        else:
            samples, total = audio.read_audio_head(item, int(max_samples), sample_rate)
        if audio.audio_info(item).subtype in ("FLOAT", "DOUBLE"):  # PCM cannot exceed 1
            _check_range(samples, f"audio file {os.fspath(item)!r}")
        return (samples, total) if with_length else samples
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
    _check_range(samples, "a waveform")
    if max_samples is not None:
        samples = samples[:int(max_samples)]
    return (samples, arr.shape[0]) if with_length else samples


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


def _class_labels(entry):
    """Labels of a classifier (None for other tasks, or a classifier without labels)."""
    if not entry.is_classifier:
        return None
    try:
        return labels(entry.name)
    except ValueError:
        return None
