"""Text rules shared by the English-German readers: tidy white space and
apostrophes, count words, spot software markup, and the dedup key.

    tidy("It’s  a\u00a0test .")            # "It's a test."
    has_markup("Cannot open %s")           # True (printf placeholder)
    has_markup("~Save As...")              # True (menu accelerator)
    key("It’s a TEST.")                    # "it's a test."

Case and "ß" are never touched here: readers yield the text as written.
"""

from __future__ import annotations

import re
import unicodedata

DOMAINS = ("general", "documentation", "ui")
MIN_WORDS, MAX_WORDS = 4, 40

_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:])(?=\s|$)")
# Invisible characters that only break words apart: soft hyphen, zero-width space/joiners, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# "I’ve" -> "I've" (German quotes „…“ stay)
_APOSTROPHE = re.compile(r"(?<=\w)[\u2019\u02bc](?=\w)")
_SENTENCE_END = (".", "!", "?", "…", ".“", ".”", '."', "!“", "?“", ".»", "!”", "?”")

# Software markup that a translator must copy, not translate, or that is no prose:
_MARKUP = re.compile("|".join([
    r"%(?:\d+\$)?[-+#0]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t|I64)?[diouxXeEfFgGaAcspnSm]",  # printf
    r"%\([A-Za-z_]\w*\)[sdrifgx]",          # Python %(name)s
    r"%\d",                                 # %1 (Qt, LibreOffice)
    r"%[A-Za-z_]+%",                        # %PRODUCTNAME% style
    r"%[A-Z][A-Z_]{2,}",                    # %PRODUCTNAME
    r"\$\(?[A-Za-z_]\w*\)?",                # $(ARG1), $HOME
    r"\$\{[^}]*\}",                         # ${var}
    r"\{[A-Za-z_0-9.:!]*\}",                # {0}, {name}, {}
    r"<[^<>]+>",                            # tags <b>, <file>
    r"&[A-Za-z]+;|&#\d+;",                  # entities
    r"~",                                   # LibreOffice accelerator (~Save) and home (~/)
    r"_",                                   # GTK accelerator (_Open), identifiers (snake_case)
    r"&(?=\w)",                             # Qt/KDE accelerator (&File)
    r"[^\s\d]/\S|\S/[^\s\d]|(?:^|\s)\.?\.?/\w",  # paths, slashed words (/usr/bin, a/b); not 1/4
    r"\\",                                  # Windows paths, escapes
    r"://|\bwww\.|@\w",                     # URLs, e-mail
    r"(?:^|\s)--?[A-Za-z]",                 # command-line options (--help, -v)
    r"\b\w+\.(?:txt|conf|cfg|ini|py|sh|html?|xml|json|so|dll|exe|deb|rpm|tar|gz|zip|odt|ods|"
    r"doc|docx|xls|xlsx|pdf|png|jpe?g|svg|mo|po|log|ttf|otf|csv)\b",  # file names
]))


def tidy(text):
    """`text` with runs of white space as one space, none before . , ! ? ; : at a word's
    end, invisible characters removed and the typographic apostrophe inside words made
    ASCII ("I’ve" -> "I've"); case, "ß" and German quotes „…“ are kept."""
    text = text.translate(_INVISIBLE)
    text = _APOSTROPHE.sub("'", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip()


def words(text):
    """The number of white-space words of `text` (the 4-40 limit counts these)."""
    return len(text.split())


def has_markup(text):
    """Whether `text` holds a placeholder (%s, %1, {0}, $(ARG), <tag>), a menu accelerator
    (~, _, &), a path, URL, file name or command-line option."""
    return bool(_MARKUP.search(text))


def is_sentence(text):
    """A full sentence: starts with an upper-case letter (or a digit or quote) and ends with
    . ! ? or … (possibly before a closing quote)."""
    first = text.lstrip("\"'„“‚‘»«(")[:1]
    return bool(first) and (first.isupper() or first.isdigit()) and text.endswith(_SENTENCE_END)


def key(text):
    """The dedup and leak-check key: NFKC, Unicode case folding, typographic quotes and
    dashes as ASCII, white space collapsed, final . ! ? dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_ASCII_PUNCT)
    return _SPACE.sub(" ", text).strip().rstrip(".!?… ").strip()


_ASCII_PUNCT = str.maketrans({"’": "'", "‘": "'", "‚": "'", "ʼ": "'", "“": '"', "”": '"',
                              "„": '"', "»": '"', "«": '"', "–": "-", "—": "-", "‑": "-"})


def accept(english, german, min_words=MIN_WORDS, max_words=MAX_WORDS):
    """Whether a tidied pair is kept: both sides non-empty, not the same text (untranslated),
    no software markup on either side, and `min_words`..`max_words` English words."""
    if not english or not german or key(english) == key(german):
        return False
    if not min_words <= words(english) <= max_words:
        return False
    return not (has_markup(english) or has_markup(german))


__all__ = ["DOMAINS", "MAX_WORDS", "MIN_WORDS", "accept", "has_markup", "is_sentence", "key",
           "tidy", "words"]
