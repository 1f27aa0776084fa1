"""The translation family's hooks: `zoo.predict` / `zoo.translate`, `zoo.explain`
and the int8 calibration pairs of `zoo export`."""

from __future__ import annotations

import numpy as np

CALIBRATION_FILE = "calibration.npz"


def representative_data(name):
    """`[source, target_in]` ids of training pairs shipped with the model."""
    from zoo import registry

    with np.load(registry.require_artifacts(name).file(CALIBRATION_FILE)) as data:
        return [data["source"].astype(np.int32), data["target_in"].astype(np.int32)]


def predict(name, sentences, *, beam=4, length_penalty=0.6, model=None, tflite=None,
            return_errors=False, no_repeat_ngram=None):
    """Translations of `sentences` (a list of str; one str gives one str); with
    `return_errors=True` a sentence the model cannot read gives its `ValueError`."""
    from zoo.models.translation import translate

    single = isinstance(sentences, str)
    out = translate.translate(name, [sentences] if single else sentences, beam=beam,
                              length_penalty=length_penalty, model=model, tflite=tflite,
                              return_errors=return_errors, no_repeat_ngram=no_repeat_ngram)
    return out[0] if single else out


def explain(name, inputs, beam=4):
    """Translations with their alignments: `result`, `weights` (target steps + EOS,
    source tokens), `steps` (source tokens) and `target_steps`."""
    from zoo import registry
    from zoo.models.translation import translate

    single = isinstance(inputs, str)
    found = translate.translate_with_alignments(name, [inputs] if single else inputs, beam=beam)
    if any(t.alignments is None for t in found):
        raise ValueError(f"{name!r} has no attention (a no-attention baseline): nothing to "
                         f"explain; use {', '.join(registry.list_models('mt-*-bahdanau'))}")
    out = [{"result": t.text, "weights": np.asarray(t.alignments, np.float32),
            "steps": t.source_tokens, "target_steps": t.target_tokens + ["[EOS]"]}
           for t in found]
    return out[0] if single else out
