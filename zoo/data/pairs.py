"""Parallel-text basics shared by `zoo.data.translation` and `zoo.data.en_de` (so
neither imports the other): reading and cleaning the FreeDict English-German example
sentences (dictd files of Debian's dict-freedict-eng-deu / -deu-eng), reading
`source<TAB>target` files, and the split rule."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from zoo.data import splits as _splits

DEFAULT_FREEDICT = "/usr/share/dictd/freedict-eng-deu.dict.dz"
_BOUNDS = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}

_SPACE = re.compile(r"\s+")
_EXAMPLE = re.compile(r'^\s+"(.*?)"  - (.*)$')
_BRACKETED = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}|<[^<>]*>)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:])")
_SENTENCE_END = ("." , "!", "?", "…", "“", '"', "'", "’", "»", "«")
_TRAILING_PUNCT = re.compile(r"[.,!?;:…“”\"'’»«]+$")
_FRACTION = re.compile(r"\d+/\d+")
_CLAUSE_WORDS = frozenset(["dass", "daß", "ob", "wenn", "weil", "als", "da", "damit", "bevor", "nachdem", "obwohl", "obgleich", "sodass", "während", "falls", "sofern", "indem", "um", "ohne", "statt", "anstatt", "bis", "seit", "seitdem", "sobald", "solange", "ehe", "wie", "wo", "wohin", "woher", "womit", "wofür", "worauf", "worüber", "wodurch", "was", "wer", "wem", "wen", "wessen", "warum", "weshalb", "dessen", "deren", "denen", "welche", "welcher", "welches", "welchem", "welchen", "und", "oder", "aber", "sondern", "denn", "sowie", "bzw"])
# also articles: a relative clause only after a noun and when ending in a verb
_ARTICLE_LIKE = frozenset(["der", "die", "das", "dem", "den", "wie"])
_SENTENCE_ALTERNATIVE = re.compile(r"(?<=[.!?…“]), (?=[„\"'A-ZÄÖÜ])")


# ----------------------------------------------------------------------------- cleaning

def _tidy(text):
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def _drop_bracketed(text):
    previous = None
    while previous != text:  # innermost groups first, so nested ones go too
        previous, text = text, _BRACKETED.sub("", text)
    return _tidy(text)


def _first_slash_option(text):
    """"adopt/pass an amendment" -> "adopt an amendment"; fractions stay."""
    words = []
    for word in text.split(" "):
        if "/" in word and not _FRACTION.fullmatch(_TRAILING_PUNCT.sub("", word)):
            first = word.split("/", 1)[0]
            tail = _TRAILING_PUNCT.search(word)
            if tail and not _TRAILING_PUNCT.search(first):
                first += tail.group()
            word = first
        words.append(word)
    return _tidy(" ".join(words))


def _is_sentence(german, english):
    return german.endswith(_SENTENCE_END) or "," in english


def _opens_clause(before, piece):
    words, previous = piece.split(), before.split()
    if not words or not previous:
        return False
    first = words[0].strip("„“\"'").lower()
    if first in _ARTICLE_LIKE:  # "ein Schritt, der ... veränderte", not "die Knappheit, die Lakonie"
        return previous[-1][:1].isupper() and words[-1][:1].islower() and len(words) > 2
    return first in _CLAUSE_WORDS or (len(words) >= 2 and words[-2].lower() == "zu")


def _first_german_alternative(german, english):
    german = _SENTENCE_ALTERNATIVE.split(german.split("; ", 1)[0], 1)[0]
    if _is_sentence(german, english):
        return german
    pieces = german.split(", ")
    kept = pieces[0]
    for piece in pieces[1:]:
        if not _opens_clause(kept, piece):
            break
        kept += ", " + piece
    return kept


def clean_pair(english, german):
    """The cleaned `(english, german)` of one dictionary example, or None when
    the pair is dropped (see the module doc for the rules)."""
    english, german = _drop_bracketed(english), _drop_bracketed(german)
    if " / " in english or " / " in german:
        return None
    german = _first_german_alternative(german, english)
    english, german = _first_slash_option(english), _first_slash_option(german)
    if not english or not german:
        return None
    if any("/" in _FRACTION.sub("", side) for side in (english, german)):
        return None
    return english, german


def read_freedict_examples(path=DEFAULT_FREEDICT):
    """The raw `(english, german)` example lines of a dictd file, in file order
    (dictzip files are read as gzip; plain text works too)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"FreeDict English-German dictionary not found at {path}: install the Debian "
            "package (`apt-get install dict-freedict-eng-deu`), or train on your own "
            "`english<TAB>german` pairs with load_tsv()")
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    pairs = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            match = _EXAMPLE.match(line.rstrip("\n"))
            if match:
                pairs.append((match.group(1), match.group(2)))
    return pairs


def load_tsv(path, source_column=0, target_column=1):
    """`(source, target)` pairs from a UTF-8 tab-separated file (the Tatoeba /
    ManyThings Anki format `english<TAB>german<TAB>attribution`); blank lines
    are skipped, white space inside a text is collapsed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pair file {path} not found; give the path of a "
                                "`english<TAB>german` file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc}); save it as UTF-8") from None
    need = max(source_column, target_column) + 1
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < need:
            raise ValueError(f"{path}:{number}: expected at least {need} tab-separated "
                             f"columns; got {len(columns)} in {line[:60]!r}")
        source = _SPACE.sub(" ", columns[source_column]).strip()
        target = _SPACE.sub(" ", columns[target_column]).strip()
        if not source or not target:
            side = "source" if not source else "target"
            raise ValueError(f"{path}:{number}: empty {side} text (column "
                             f"{source_column if side == 'source' else target_column})")
        pairs.append((source, target))
    if not pairs:
        raise ValueError(f"{path} holds no `source<TAB>target` lines")
    return pairs


def split_of(english):
    """`train` / `validation` / `test` for an English text (SHA-1 of its case-folded form)."""
    return _splits.split_of(english, _BOUNDS)
