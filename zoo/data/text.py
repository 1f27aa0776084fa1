"""Text to token ids for the text models: tensorflow-text tokenization, a
vocabulary built from a training split, fixed-length id arrays.

    tokens = tokenize(["The pause that refreshes."])   # [['the', 'pause', ..., '.']]
    vocab = build_vocab(tokenize(train_texts), max_size=8000)
    ids = encode(texts, vocab, length=64)             # int32 (n, 64); 0 = padding, 1 = unknown

Tokenization (tensorflow-text): Unicode case folding and NFKC
(`case_fold_utf8`, `normalize_utf8`), then `regex_split` on white space,
keeping each punctuation mark as a token of its own. Words keep inner
apostrophes and hyphens ("don't", "ping-pong").

A vocabulary is a list of tokens whose index is the id; it always starts
with `PAD` (id 0, the Keras `mask_zero` padding) and `UNK` (id 1). It is
saved one token per line (`save_vocab` / `load_vocab`), UTF-8.
"""

from __future__ import annotations

import collections
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

PAD, UNK = "[PAD]", "[UNK]"
_DELIM = r"\s+|[^\w\s'\-]"
_KEEP = r"[^\w\s'\-]"
# The same with the letters, marks and digits of every script (RE2's \w is ASCII only):
# the word level of the translation data and the words WordPiece cuts into pieces.
_UNICODE_KEEP = r"[^\p{L}\p{M}\p{N}\s'\-]"
_UNICODE_DELIM = r"\s+|" + _UNICODE_KEEP
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:)])")
_NO_SPACE_AFTER = re.compile(r"\( ")


def has_words(text):
    """Whether `text` holds anything but white space, separators and control or format
    characters (NUL, zero-width spaces, BOM, ...): something a tokenizer can read."""
    return any(not unicodedata.category(ch).startswith(("C", "Z")) for ch in text)


def check_words(name, texts, what="text"):
    """Refuse (`ValueError`) the first of `texts` with no words (`has_words`) or no tokens."""
    for i, t in enumerate(texts):
        if not has_words(t):
            shown = repr(t) if len(t) <= 20 else repr(t[:20]) + "..."
            raise ValueError(f"{what} {i} ({shown}) has no words, only white space or control/"
                             f"invisible characters: {name!r} needs at least one word")


def normalized(texts, cased=False):
    """A string tensor of `texts` (a list of str) after Unicode case folding and
    NFKC (tensorflow-text), or None for an empty list; anything but a list of
    strings raises `TypeError`. `cased=True` skips the case folding (NFKC only:
    "Straße" stays "Straße"; the models shipped so far were trained on folded text)."""
    if isinstance(texts, str):
        raise TypeError("tokenize takes a list of strings; wrap a single string in a list")
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"tokenize takes strings; item {bad[0]} is "
                        f"{type(texts[bad[0]]).__name__}")
    if not texts:
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tensorflow_text as tf_text

    t = tf.constant(texts)
    return tf_text.normalize_utf8(t if cased else tf_text.case_fold_utf8(t), "NFKC")


def tokenize(texts, unicode=False, cased=False):
    """Lists of tokens for a list of strings (tensorflow-text; see module doc).
    Words are made of ASCII letters, digits and _ (the text models), or with
    `unicode=True` of the letters, marks and digits of any script ("tür", "café").
    `cased=True` keeps case ("Die", "Straße"; see `normalized`)."""
    t = normalized(texts, cased)
    if t is None:
        return []
    import tensorflow_text as tf_text

    pieces = (tf_text.regex_split(t, _UNICODE_DELIM, _UNICODE_KEEP) if unicode
              else tf_text.regex_split(t, _DELIM, _KEEP))
    return [[p.decode("utf-8") for p in row] for row in pieces.to_list()]


def attach_punctuation(text):
    """`text` without the space before . , ! ? ; : ) and after ( that joining
    tokens with spaces left."""
    return _NO_SPACE_AFTER.sub("(", _NO_SPACE_BEFORE.sub(r"\1", text))


def build_vocab(token_lists, max_size=10000, min_count=1):
    """`[PAD, UNK, *tokens by falling frequency]` (ties by token), at most `max_size` entries."""
    if max_size < 3:
        raise ValueError(f"max_size must be at least 3 (PAD, UNK and one token); got {max_size}")
    counts = collections.Counter(tok for toks in token_lists for tok in toks)
    ranked = sorted((t for t, c in counts.items() if c >= min_count and t not in (PAD, UNK)),
                    key=lambda t: (-counts[t], t))
    return [PAD, UNK] + ranked[:max_size - 2]


def encode(texts, vocab, length):
    """int32 `(len(texts), length)`: ids of the first `length` tokens, 0-padded on the right."""
    if length < 1:
        raise ValueError(f"length must be positive; got {length}")
    index = vocab if isinstance(vocab, dict) else {t: i for i, t in enumerate(vocab)}
    if index.get(PAD) != 0 or index.get(UNK) != 1:
        raise ValueError(f"the vocabulary must start with {PAD!r} and {UNK!r} (ids 0 and 1)")
    return token_ids(tokenize(texts), index, length)


def token_ids(token_lists, index, length):
    """int32 `(len(token_lists), length)`: `index[token]` (1 when missing) of the first
    `length` tokens of each list, 0-padded on the right."""
    ids = np.zeros((len(token_lists), length), np.int32)
    for row, toks in enumerate(token_lists):
        seq = [index.get(t, 1) for t in toks[:length]]
        ids[row, :len(seq)] = seq
    return ids


def save_vocab(vocab, path):
    from zoo.files import atomic_write_bytes

    atomic_write_bytes(Path(path), ("\n".join(vocab) + "\n").encode("utf-8"))


def load_vocab(path):
    vocab = Path(path).read_text(encoding="utf-8").rstrip("\n").split("\n")
    if vocab[:2] != [PAD, UNK]:
        raise ValueError(f"{path}: not a vocabulary of zoo.data.text (must start with "
                         f"{PAD!r}, {UNK!r})")
    return vocab
