"""Inference side of the text classifiers: strings -> token ids with the vocabulary
shipped with each model, calibration tokens, and the tokens `zoo.explain` labels
its attention weights with. Imports neither Keras nor the trainer."""

from __future__ import annotations

import functools

import numpy as np

from zoo.data import text

SEQUENCE_LENGTH = 128
VOCAB_FILE = "vocab.txt"
CALIBRATION_FILE = "calibration.npz"


@functools.lru_cache(maxsize=8)
def _vocab(path, _mtime):
    return {t: i for i, t in enumerate(text.load_vocab(path))}


def vocab_path(name):
    from zoo import registry

    return registry.require_artifacts(name).file(VOCAB_FILE)


def encode_for(name, items):
    """Token ids `(n, 128)` of strings, with the vocabulary shipped with model `name`."""
    if isinstance(items, str) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{name!r} takes a list of strings")
    empty = [i for i, t in enumerate(items) if not t.strip()]
    if empty:
        raise ValueError(f"text {empty[0]} is empty: {name!r} needs at least one word")
    text.check_words(name, items)
    tokens = text.tokenize(list(items))
    none = [i for i, t in enumerate(tokens) if not t]
    if none:
        raise ValueError(f"text {none[0]} ({items[none[0]][:40]!r}) has no words the tokenizer "
                         f"reads (letters or digits): {name!r} needs at least one word")
    path = vocab_path(name)
    return text.token_ids(tokens, _vocab(str(path), path.stat().st_mtime), SEQUENCE_LENGTH)


def representative_data(name):
    """Token ids of training sentences shipped with the model (`calibration.npz`)."""
    from zoo import registry

    with np.load(registry.require_artifacts(name).file(CALIBRATION_FILE)) as data:
        return data["tokens"].astype(np.int32)


def attention_steps(name, items, x, weights):
    """Each text's tokens (up to the model's length): the steps its attention weighs."""
    return [(len(t), t) for t in (toks[:weights.shape[1]] for toks in text.tokenize(items))]
