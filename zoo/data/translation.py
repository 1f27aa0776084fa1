"""English -> German sentence pairs for the sequence-to-sequence (translation)
models: built-in corpora, a deterministic leak-free split, and tensorflow-text
tokenization at word or character level.

    pairs = load("freedict", "train")              # [(english, german), ...]
    pairs = load("numbers", "test")                # numbers and dates as people write them
    pairs = load("en-de", "test", domain="general")   # all Debian sources, case kept
    pairs = load_tsv("deu.txt")                    # your own `english<TAB>german[<TAB>...]`
    parts = splits(pairs)                          # {"train": [...], "validation": [...], "test": [...]}

    src_vocab = build_vocab(tokenize([e for e, _ in train], "word"), max_size=8000)
    tgt_vocab = build_vocab(tokenize([g for _, g in train], "word"), max_size=8000)
    x = encode_source([e for e, _ in train], src_vocab, length=20, level="word")
    y_in, y_out = encode_target([g for _, g in train], tgt_vocab, length=24, level="word")
    detokenize(y_out[0], tgt_vocab, "word")        # "der aachener dom"

Corpora
-------
"en-de" (`zoo.data.en_de`) combines seven Debian sources: the Ding dictionary
in three packagings (general language), the LibreOffice help and the Debian
Reference aligned paragraph by paragraph (documentation), and German `.mo`
message catalogues (ui): about 121,000 pairs of 4-40 English words, case and
"ß" kept, one per normalised English text. Its reproducible build writes TSV
per split and domain and a stats file:

    python -m zoo.data.translation build --out data/en-de
    python -m zoo.data.translation stats --out data/en-de

`freedict_pairs` reads the example phrases and sentences of the English-German
Ding/FreeDict dictionary (Debian package `dict-freedict-eng-deu`, file
`/usr/share/dictd/freedict-eng-deu.dict.dz`, dictzip = gzip). Examples are the
lines indented by white space of the form

          "english text"  - german text

(about 63,000 lines, 55,000 distinct). They are dictionary examples written
by people, many short phrases ("the Aachen Cathedral" - "der Aachener Dom")
and a good share of full sentences. Cleaning, in this order, on both sides
unless said otherwise:

1. Parenthesised, bracketed and braced parts are removed: in this data they
   are optional words ("have (one's) supper"), alternatives ("make (keep;
   break) a promise") or domain labels ("(Mechanik)", "(Goethe)").
2. Pairs with a spaced slash (" / ") on either side are dropped: it separates
   alternative phrases whose extent cannot be told ("Viele meiner Freunde /
   viele von meinen Freunden waren dort").
3. German alternatives: only the part before the first "; " is kept. A German
   side is a *sentence* when it ends in . ! ? … or a closing quote, or when
   the English side itself holds a comma (the German comma then mirrors it:
   "'I can't,' she faltered." - "„Ich kann nicht“, sagte sie ..."); a sentence
   is never split at commas. Otherwise ", " separates alternatives ("Aal blau,
   blauer Aal" -> "Aal blau") and the first is kept, except that a piece which
   opens a subordinate clause (starts with a conjunction, relative or
   interrogative word such as dass, wenn, was, die, welche, um, ohne) or is an
   infinitive clause (its last-but-one word is "zu") stays joined to the piece
   before it ("alles, was dein Herz begehrt" and "die Hauptsache ist, ganz
   oben mit dabei zu sein" stay whole).
4. Word-level slash alternatives keep their first option, punctuation kept:
   "adopt/pass an amendment" -> "adopt an amendment", "declined/demurred." ->
   "declined.". Fractions such as "3/8" are left alone; a pair still holding
   another "/" is dropped.
5. White space is collapsed and no space is left before . , ! ? ; :.

Then one pair is kept per case-folded English text (the first in file order),
and only pairs whose English side has `min_words`..`max_words` white-space
words and whose German side is not empty. The dictionary's abbreviations for
placeholders ("sth.", "sb.", "etw.", "jdn.") are kept: they are part of the
phrases. With the defaults (4..15 words) this gives 24,491 pairs (FreeDict 1.9-fd1).

The "numbers" corpus is `zoo.data.numbers`: numbers, years, ordinals and
dates in ten written forms (words, word variants, digits, CLDR date formats),
German cased, split by item. `numbers_pairs` is its first version, kept for
the models trained on it: synthetic spelled-out numbers and dates (num2words
for the words, Babel/CLDR for the month names), e.g.

    "three hundred and twenty-one"        - "dreihunderteinundzwanzig"
    "november twenty-fifth, twenty twenty-six"
                                          - "fünfundzwanzigster november zweitausendsechsundzwanzig"

Numbers are spread log-uniformly over 1..6 digits (0..999,999); years are
1900..2099 and spelled as num2words does for `to="year"` in each language
("nineteen ninety-nine" - "neunzehnhundertneunundneunzig"); the German day is
the masculine ordinal ("erster", "fünfundzwanzigster"). Everything is lower
case; the set is deterministic for a seed and deduplicated by English text.

`load_tsv` reads the Tatoeba / ManyThings Anki format that users download
themselves (`english<TAB>german<TAB>attribution`).

Splits
------
`split_of` puts a pair in train (80 %), validation (10 %) or test (10 %) by
the SHA-1 of its case-folded English text, so it does not depend on the
corpus order. `splits` then drops from validation and test every pair whose
case-folded English *or* German text also occurs in train: no evaluation
sentence is ever seen in training.

Tokens
------
Both levels start with tensorflow-text Unicode case folding and NFKC
(`case_fold_utf8`, `normalize_utf8`); note that case folding maps "ß" to "ss"
and NFKC "…" to "...". This is where case is lost, and what the shipped mt-*
models were trained on. `cased=True` (of `tokenize`, `to_tokens`,
`encode_source`, `encode_target`, `source_lengths`, and of
`zoo.data.wordpiece`) leaves the folding out and keeps NFKC: "Die Straße"
stays "Die Straße". The readers never fold case; only dedup and split keys
do. Word level then splits like `zoo.data.text.tokenize`
(`regex_split` on white space, each punctuation mark a token of its own,
inner apostrophes and hyphens kept), except that letters are Unicode letters
(`\\p{L}`, `\\p{M}`, `\\p{N}`): `zoo.data.text` uses RE2's ASCII-only `\\w`, which
would cut "tür" into "t", "ü", "r". For ASCII text the two agree. Character
level is `tf.strings.unicode_split` of the folded text; spaces are characters
too.
Vocabularies start with `SPECIALS` = [PAD] 0, [UNK] 1, [BOS] 2, [EOS] 3, so
`zoo.data.text.save_vocab` / `load_vocab` store them.
"""

from __future__ import annotations

import calendar
import collections
import functools
import random

import numpy as np

from zoo.data import splits as _splits
from zoo.data import text as _text
from zoo.data import wordpiece as _wordpiece
from zoo.data.pairs import (  # noqa: F401  (public here too: the translation data API)
    DEFAULT_FREEDICT, clean_pair, load_tsv, read_freedict_examples, split_of)

CORPORA = ("freedict", "numbers", "en-de")
#: Domains of the "en-de" corpus (`load(..., domain=...)`).
DOMAINS = ("general", "documentation", "ui")
SPLITS = ("train", "validation", "test")
LEVELS = ("word", "char")
#: Levels of the id functions (`encode_*`, `detokenize`); WordPiece needs the vocabulary.
ID_LEVELS = LEVELS + ("wordpiece",)
NUMBERS_DEFAULT_N = 30000
PAD, UNK, BOS, EOS = SPECIALS = ("[PAD]", "[UNK]", "[BOS]", "[EOS]")


def freedict_pairs(path=DEFAULT_FREEDICT, min_words=4, max_words=15):
    """Cleaned, deduplicated `(english, german)` examples of the FreeDict
    English-German dictionary whose English has `min_words`..`max_words` words."""
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words; got {min_words}, {max_words}")
    seen, pairs = set(), []
    for raw in read_freedict_examples(path):
        pair = clean_pair(*raw)
        if pair is None:
            continue
        key = _splits.key(pair[0])
        if key in seen:
            continue
        seen.add(key)
        if min_words <= len(pair[0].split()) <= max_words:
            pairs.append(pair)
    return pairs


# ----------------------------------------------------------------------------- numbers and dates

def number_pair(k):
    """`(english, german)` words for the integer `k` (num2words), lower case."""
    from num2words import num2words

    return num2words(k, lang="en").lower(), num2words(k, lang="de").lower()


@functools.cache
def _months():
    from babel.dates import get_month_names

    en = get_month_names("wide", locale="en")
    de = get_month_names("wide", locale="de")
    return {m: (en[m].lower(), de[m].lower()) for m in range(1, 13)}


def date_pair(year, month, day):
    """`(english, german)` words for a date, e.g. (2026, 11, 25) ->
    ("november twenty-fifth, twenty twenty-six",
     "fünfundzwanzigster november zweitausendsechsundzwanzig")."""
    from num2words import num2words

    en_month, de_month = _months()[month]
    english = (f"{en_month} {num2words(day, lang='en', to='ordinal')}, "
               f"{num2words(year, lang='en', to='year')}")
    german = (f"{num2words(day, lang='de', to='ordinal')}r {de_month} "
              f"{num2words(year, lang='de', to='year')}")
    return english.lower(), german.lower()


_YEARS = (1900, 2099)
_CAPACITY = {"numbers": 1_000_000,
             "dates": sum(366 if calendar.isleap(y) else 365
                          for y in range(_YEARS[0], _YEARS[1] + 1))}


def numbers_pairs(n=NUMBERS_DEFAULT_N, seed=0, kind="mixed"):
    """`n` distinct synthetic `(english, german)` pairs: spelled-out numbers
    (`kind="numbers"`), dates (`"dates"`) or alternately one of each
    (`"mixed"`, the default). Deterministic for a seed."""
    kinds = {"mixed": ("numbers", "dates"), "numbers": ("numbers",), "dates": ("dates",)}
    if kind not in kinds:
        raise ValueError(f"kind must be one of {tuple(kinds)}; got {kind!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    order = kinds[kind]
    for i, which in enumerate(order):
        wanted = len(range(i, n, len(order)))
        if wanted > _CAPACITY[which]:
            raise ValueError(f"there are only {_CAPACITY[which]} distinct {which} "
                             f"(asked for {wanted}); ask for fewer pairs")
    rng = random.Random(seed)
    seen, pairs = set(), []
    attempts, limit = 0, 50 * n + 1000
    while len(pairs) < n:
        attempts += 1
        if attempts > limit:
            raise ValueError(f"could not make {n} distinct {kind} pairs; ask for fewer")
        which = order[len(pairs) % len(order)]
        if which == "numbers":
            digits = rng.randint(1, 6)
            pair = number_pair(rng.randint(0 if digits == 1 else 10 ** (digits - 1),
                                           10 ** digits - 1))
        else:
            year, month = rng.randint(*_YEARS), rng.randint(1, 12)
            pair = date_pair(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))
        if pair[0] not in seen:
            seen.add(pair[0])
            pairs.append(pair)
    return pairs


# ----------------------------------------------------------------------------- user data

# ----------------------------------------------------------------------------- splits

def splits(pairs):
    """`{"train": [...], "validation": [...], "test": [...]}` by `split_of`, with
    every validation/test pair whose English or German (case-folded) also
    occurs in train removed. Order is preserved."""
    parts = {s: [] for s in SPLITS}
    for pair in pairs:
        parts[split_of(pair[0])].append(pair)
    train_en = {_splits.key(e) for e, _ in parts["train"]}
    train_de = {_splits.key(g) for _, g in parts["train"]}
    for s in ("validation", "test"):
        parts[s] = [(e, g) for e, g in parts[s]
                    if _splits.key(e) not in train_en and _splits.key(g) not in train_de]
    return parts


@functools.lru_cache(maxsize=4)
def _splits_of(corpus):
    if corpus == "en-de":
        from zoo.data.en_de import combine as _en_de

        return {s: tuple(p) for s, p in _en_de.split_records(_en_de.corpus()).items()}
    if corpus == "numbers":
        from zoo.data import numbers

        return {s: tuple(r[:2] for r in rows) for s, rows in numbers.corpus().items()}
    return {s: tuple(p) for s, p in splits(freedict_pairs()).items()}


def load(corpus, split, domain=None):
    """The `(english, german)` pairs of one split of a built-in corpus:
    "freedict" (default `freedict_pairs()`), "numbers"
    (`zoo.data.numbers.corpus()`: numbers and dates in ten written forms) or "en-de" (`zoo.data.en_de`: all Debian
    sources, case kept; `domain` "general", "documentation" or "ui" selects one
    domain, None all). "en-de" reads the installed packages on the first call (about
    45 s); `zoo.data.en_de.load_built` reads a `build` directory instead."""
    if corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {CORPORA}; got {corpus!r} "
                         "(use load_tsv() and splits() for your own pairs)")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    if domain is not None and corpus != "en-de":
        raise ValueError(f"only the en-de corpus has domains; got domain={domain!r} for "
                         f"{corpus!r}")
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS} or None; got {domain!r}")
    return [(r[0], r[1]) for r in _splits_of(corpus)[split]
            if domain is None or r[2] == domain]


# ----------------------------------------------------------------------------- tokens and ids

def _check_level(level, allowed=LEVELS):
    if level not in allowed:
        raise ValueError(f"level must be one of {allowed}; got {level!r}")


def to_tokens(texts, vocab, level, cased=False):
    """Tokens to look up in `vocab`: WordPiece pieces (`level="wordpiece"`,
    `zoo.data.wordpiece`, which needs the vocabulary) or `tokenize(texts, level)`;
    `cased=True` keeps case (for vocabularies built from cased tokens)."""
    if level == "wordpiece":
        return _wordpiece.tokenize(texts, list(vocab), cased=cased)
    return tokenize(texts, level, cased=cased)


def tokenize(texts, level="word", cased=False):
    """Lists of tokens: words and punctuation marks (`level="word"`) or
    characters incl. spaces (`"char"`), both case-folded and NFKC-normalized
    by tensorflow-text (see the module doc); `cased=True` keeps case and "ß"
    (NFKC only)."""
    _check_level(level)
    if level == "word":
        return _text.tokenize(texts, unicode=True, cased=cased)
    t = _text.normalized(texts, cased)
    if t is None:
        return []
    import tensorflow as tf

    pieces = tf.strings.unicode_split(t, "UTF-8")
    return [[p.decode("utf-8") for p in row] for row in pieces.to_list()]


def source_lengths(texts, level="word", cased=False):
    """The number of tokens of each text (for bucketing scores by length)."""
    return [len(toks) for toks in tokenize(texts, level, cased)]


def build_vocab(token_lists, max_size=10000):
    """`[*SPECIALS, *tokens by falling frequency]` (ties by token), at most `max_size` entries."""
    if max_size < len(SPECIALS) + 1:
        raise ValueError(f"max_size must be at least {len(SPECIALS) + 1} (the specials "
                         f"{SPECIALS} and one token); got {max_size}")
    counts = collections.Counter(tok for toks in token_lists for tok in toks)
    ranked = sorted((t for t in counts if t not in SPECIALS), key=lambda t: (-counts[t], t))
    return list(SPECIALS) + ranked[:max_size - len(SPECIALS)]


def _index(vocab):
    index = vocab if isinstance(vocab, dict) else {t: i for i, t in enumerate(vocab)}
    if any(index.get(tok) != i for i, tok in enumerate(SPECIALS)):
        raise ValueError(f"the vocabulary must start with {SPECIALS} (ids 0..3); build it "
                         "with zoo.data.translation.build_vocab")
    return index


def _check_length(length):
    if length < 1:
        raise ValueError(f"length must be positive; got {length}")


def encode_source(texts, vocab, length, level="word", cased=False):
    """int32 `(len(texts), length)`: ids of the first `length` tokens, 0-padded,
    1 for tokens not in the vocabulary (`cased`: see `tokenize`)."""
    _check_length(length)
    return ids_of(to_tokens(texts, vocab, level, cased), vocab, length)


def ids_of(token_lists, vocab, length):
    """int32 `(len(token_lists), length)` ids of tokenized texts (`to_tokens`), as
    `encode_source` makes them."""
    _check_length(length)
    return _text.token_ids(token_lists, _index(vocab), length)


def encode_target(texts, vocab, length, level="word", cased=False):
    """`(decoder_input, decoder_target)`, both int32 `(len(texts), length)`:
    input is [BOS] + tokens, target is tokens + [EOS] (teacher forcing), each
    cut to `length` and 0-padded. A text of `length - 1` tokens keeps its EOS
    (`cased`: see `tokenize`)."""
    _check_length(length)
    index = _index(vocab)
    token_lists = to_tokens(texts, vocab, level, cased)
    inputs = np.zeros((len(token_lists), length), np.int32)
    targets = np.zeros((len(token_lists), length), np.int32)
    bos, eos = index[BOS], index[EOS]
    for row, toks in enumerate(token_lists):
        seq = [index.get(t, 1) for t in toks]
        x, y = ([bos] + seq)[:length], (seq + [eos])[:length]
        inputs[row, :len(x)] = x
        targets[row, :len(y)] = y
    return inputs, targets


def detokenize(ids, vocab, level="word"):
    """The text of one id sequence: stops at the first [EOS], skips [PAD] and
    [BOS]; characters are joined as they are, words with spaces, and then no
    space is left before . , ! ? ; : ) or after (."""
    _check_level(level, ID_LEVELS)
    vocab = list(vocab)
    tokens = []
    for i in np.asarray(ids).reshape(-1).tolist():
        if i == 3:
            break
        if i in (0, 2):
            continue
        tokens.append(vocab[i] if 0 <= i < len(vocab) else UNK)
    if level == "char":
        return "".join(tokens)
    if level == "wordpiece":
        return _wordpiece.join(tokens)
    return _text.attach_punctuation(" ".join(tokens))


#: Vocabulary files: one token per line (they start with SPECIALS, so
#: `zoo.data.text`'s reader accepts them).
from zoo.data.text import load_vocab, save_vocab  # noqa: E402,F401


def main(argv=None):
    """`python -m zoo.data.translation build --out DIR` (and `stats --out DIR`): the
    "en-de" corpus build (`zoo.data.en_de.combine.main`)."""
    from zoo.data.en_de.combine import main as _main

    return _main(argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
