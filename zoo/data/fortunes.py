"""A 10-topic text classification task from real quotations (Debian `fortunes`).

    texts, labels = load("train")          # from /usr/share/games/fortunes
    texts, labels = load_tsv("my.tsv")      # your own `text<TAB>label` lines

The Debian package `fortunes` (installed by `scripts/setup_system.sh`)
ships quotations written by people, in one file per category. The task uses
exactly these ten category files; the label is the file name:

    computers science politics law food sports love education medicine literature

Entries are separated by lines holding only `%` (strfile format). Each
entry's white space is collapsed. Entries are deduplicated by their
case-folded text; a text found in two categories is dropped (its label is
ambiguous). The split is deterministic and independent of the files' order:
the SHA-1 of the case-folded text picks train (70 %), validation (15 %) or
test (15 %), so the test split shares no text with training.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.data import splits as _splits

DEFAULT_DIR = "/usr/share/games/fortunes"
CATEGORIES = ("computers", "science", "politics", "law", "food", "sports", "love",
              "education", "medicine", "literature")
SPLITS = ("train", "validation", "test")
_BOUNDS = {"train": (0, 70), "validation": (70, 85), "test": (85, 100)}
_SPACE = re.compile(r"\s+")


def read_strfile(path):
    """The entries of one fortune file, white space collapsed, empty ones dropped."""
    raw = Path(path).read_bytes().decode("utf-8", errors="replace")
    entries = re.split(r"^%[ \t]*$", raw, flags=re.MULTILINE)
    return [e for e in (_SPACE.sub(" ", x).strip() for x in entries) if e]


def _key(text):
    return _splits.key(text)


def split_of(text):
    """`train` / `validation` / `test` for a text (by the SHA-1 of its case-folded form)."""
    return _splits.split_of(text, _BOUNDS)


def examples(directory=DEFAULT_DIR, categories=CATEGORIES):
    """All `(text, label)` pairs after deduplication, sorted by label then text."""
    directory = Path(directory)
    missing = [c for c in categories if not (directory / c).is_file()]
    if missing:
        raise FileNotFoundError(
            f"fortune files {missing} not found in {directory}: install the Debian package "
            "`fortunes` (`bash scripts/setup_system.sh` or `apt-get install fortunes`), or "
            "train on your own data with load_tsv()")
    seen = {}
    for label in categories:
        for text in read_strfile(directory / label):
            seen.setdefault(_key(text), {}).setdefault(label, text)
    pairs = [(next(iter(by_label.values())), next(iter(by_label)))
             for by_label in seen.values() if len(by_label) == 1]
    return sorted(pairs, key=lambda p: (p[1], p[0]))


def load(split, directory=DEFAULT_DIR):
    """`(texts, labels)` of one split; labels are category names."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    pairs = [p for p in examples(directory) if split_of(p[0]) == split]
    return [t for t, _ in pairs], [y for _, y in pairs]


def load_tsv(path, split=None):
    """`(texts, labels)` from a UTF-8 file of `text<TAB>label` lines (blank lines skipped).

    With `split`, only the lines that `split_of` assigns to it (the same
    deterministic 70/15/15 split as the fortunes task)."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8") from None
    texts, labels = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text, tab, label = line.rpartition("\t")
        if not tab or not text.strip() or not label.strip():
            raise ValueError(f"{path}:{number}: expected `text<TAB>label`; got {line[:60]!r}")
        if split is None or split_of(text) == split:
            texts.append(_SPACE.sub(" ", text).strip())
            labels.append(label.strip())
    if not texts and split is None:
        raise ValueError(f"{path} holds no `text<TAB>label` lines")
    return texts, labels
