"""Deterministic splits by a hash of the text, shared by the text data sets.

    split_of("A quotation.", {"train": (0, 70), "validation": (70, 85), "test": (85, 100)})

A text goes to the split whose `[low, high)` range holds the SHA-1 of its
key modulo 100; the key is the case-folded text with white space collapsed,
so the split does not depend on the file order, on case or on spacing.
"""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def key(text):
    """The case-folded text with runs of white space as one space (dedup and split key)."""
    return _SPACE.sub(" ", text.casefold()).strip()


def split_of(text, bounds):
    """The name of the split of `text` in `bounds` (`{name: (low, high)}` over 0..100)."""
    bucket = int(hashlib.sha1(key(text).encode("utf-8")).hexdigest(), 16) % 100
    return next(s for s, (lo, hi) in bounds.items() if lo <= bucket < hi)


def subset(x, y, n, seed):
    """At most `n` examples of `(x, y)`, drawn with `seed` (all when `n` is None)."""
    import numpy as np

    if n is None or n >= len(y):
        return x, y
    idx = np.random.default_rng(seed).permutation(len(y))[:n]
    return x[idx], y[idx]
