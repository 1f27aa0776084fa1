"""Readers of the Ding German-English dictionary, in its three Debian packagings.
Every pair is general language (`domain="general"`): idioms, collocations and
example sentences written by the dictionary's editors.

* `trans_pairs`: Ding itself (package `trans-de-en`, `/usr/share/trans/de-en`,
  Ding 1.9 devel 2023), one entry a line:

      Aachener {adj} | der Aachener Dom :: Aachen | the Aachen Cathedral

  German and English sides are cut at " | " into sub-entries that correspond
  one to one (lines whose counts differ are skipped); inside a sub-entry,
  "; " separates alternatives, of which the first is kept.
* `freedict_deu_eng_pairs`: the example lines of FreeDict German-English
  (`dict-freedict-deu-eng`, Ding 1.9 2020), `"german"  - english, english`;
  the English side's ", " separates alternatives.
* `freedict_eng_deu_pairs`: the examples of FreeDict English-German
  (`dict-freedict-eng-deu`), cleaned as `zoo.data.translation.clean_pair`
  does for the shipped "freedict" corpus.

All three drop bracketed annotations ({n}, [Br.], (explanations), <abbr.>),
keep the first of "a/b" word alternatives and drop pairs with a spaced slash,
as `zoo.data.translation` does. Case and "ß" are kept.
"""

from __future__ import annotations

from pathlib import Path

from zoo.data import pairs as _tr
from zoo.data.en_de.clean import MAX_WORDS, MIN_WORDS, accept, tidy

DEFAULT_TRANS = "/usr/share/trans/de-en"
DEFAULT_FREEDICT_DEU_ENG = "/usr/share/dictd/freedict-deu-eng.dict.dz"
DEFAULT_FREEDICT_ENG_DEU = _tr.DEFAULT_FREEDICT
DOMAIN = "general"

# English words that open a clause: a ", " before them is a comma, not an alternative.
_EN_CLAUSE_WORDS = frozenset(["that", "which", "who", "whom", "whose", "when", "where", "if",
                              "because", "although", "though", "while", "whereas", "unless",
                              "since", "as", "and", "but", "or", "so", "than", "whether",
                              "what", "how", "why", "before", "after", "until", "till"])


def _missing(path, package):
    return FileNotFoundError(f"{path} not found: install the Debian package "
                             f"(`apt-get install {package}`)")


def _side(text):
    """One side of a Ding sub-entry: annotations dropped, first "; " alternative, first
    slash option; None when that alternative holds a spaced slash ("It's not / It isn't
    over") or a slash that is no fraction remains."""
    text = _tr._drop_bracketed(text).split("; ", 1)[0].strip()
    if " / " in text:
        return None
    text = _tr._first_slash_option(text)
    if "/" in _tr._FRACTION.sub("", text):
        return None
    return tidy(text) or None


def read_trans(path=DEFAULT_TRANS):
    """The raw `(english, german)` sub-entry pairs of the Ding file, in file order."""
    path = Path(path)
    if not path.is_file():
        raise _missing(path, "trans-de-en")
    pairs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#") or " :: " not in line:
                continue
            german, english = line.rstrip("\n").split(" :: ", 1)
            de_parts, en_parts = german.split(" | "), english.split(" | ")
            if len(de_parts) == len(en_parts):
                pairs.extend(zip(en_parts, de_parts))
    return pairs


def trans_pairs(path=DEFAULT_TRANS, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """`(english, german, "general")` from the Ding dictionary file (`trans-de-en`)."""
    for english, german in read_trans(path):
        english, german = _side(english), _side(german)
        if english and german and accept(english, german, min_words, max_words):
            yield english, german, DOMAIN


def _first_english_alternative(english, german):
    english = english.split("; ", 1)[0]
    if english.endswith(("." , "!", "?", "…", '"', "”", "'")) or "," in german:
        return english  # a sentence: its commas are commas
    pieces = english.split(", ")
    kept = pieces[0]
    for piece in pieces[1:]:
        first = piece.split(" ", 1)[0].lower()
        if first not in _EN_CLAUSE_WORDS:
            break
        kept += ", " + piece
    return kept


def freedict_deu_eng_pairs(path=DEFAULT_FREEDICT_DEU_ENG, min_words=MIN_WORDS,
                           max_words=MAX_WORDS):
    """`(english, german, "general")` from the examples of FreeDict German-English."""
    if not Path(path).is_file():
        raise _missing(path, "dict-freedict-deu-eng")
    for german, english in _tr.read_freedict_examples(path):
        german = _tr._drop_bracketed(german)
        english = _tr._drop_bracketed(english)
        if " / " in english or " / " in german:
            continue
        english = _first_english_alternative(english, german)
        english, german = _side(english), _side(german)
        if english and german and accept(english, german, min_words, max_words):
            yield english, german, DOMAIN


def freedict_eng_deu_pairs(path=DEFAULT_FREEDICT_ENG_DEU, min_words=MIN_WORDS,
                           max_words=MAX_WORDS):
    """`(english, german, "general")` from the examples of FreeDict English-German,
    cleaned by `zoo.data.translation.clean_pair` (the shipped corpus' rules, without its
    4-15 word limit)."""
    for raw in _tr.read_freedict_examples(path):
        pair = _tr.clean_pair(*raw)
        if pair is None:
            continue
        english, german = tidy(pair[0]), tidy(pair[1])
        if accept(english, german, min_words, max_words):
            yield english, german, DOMAIN


__all__ = ["DEFAULT_FREEDICT_DEU_ENG", "DEFAULT_FREEDICT_ENG_DEU", "DEFAULT_TRANS",
           "freedict_deu_eng_pairs", "freedict_eng_deu_pairs", "read_trans", "trans_pairs"]
