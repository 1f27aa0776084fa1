"""Numbers and dates as people write them, English -> German (the "numbers" corpus).

    rows = zoo.data.numbers.pairs(n=40000, seed=0)      # [(english, german, form, item), ...]
    parts = zoo.data.numbers.splits(rows)                # {split: [(english, german, form)]}
    zoo.data.numbers.render(1250, "digits")              # ("1,250", "1.250")

Every pair is one *item* (a number, a year, an ordinal or a date) in one *form*:

| form           | English                          | German                          |
|----------------|----------------------------------|---------------------------------|
| `words`        | two hundred and fifty thousand   | zweihundertfünfzigtausend       |
| `words-variant`| twenty five, a hundred, three hundred fifty (no hyphen, no "and", "a" for "one") | as `words` |
| `digits`       | 42, 1,250, 2,000,000             | 42, 1.250, 2.000.000            |
| `year`         | nineteen eighty-four             | neunzehnhundertvierundachtzig   |
| `ordinal`      | 3rd, 21st                        | 3., 21.                         |
| `date-words`   | march third, two thousand and one | dritter März zweitausendeins   |
| `date-short`   | 3/14/01 (CLDR short, en)         | 14.03.01 (CLDR short, de)       |
| `date-medium`  | Mar 14, 2001                     | 14.03.2001                      |
| `date-long`    | March 14, 2001                   | 14. März 2001                   |
| `date-full`    | Wednesday, March 14, 2001        | Mittwoch, 14. März 2001         |

Words come from num2words, dates from Babel's CLDR patterns of each locale;
German keeps its case and "ß" ("dreißig", "eine Million", "März"). Forms are
drawn evenly; numbers log-uniformly over their digit count up to 10 digits,
a third of them round (`m * 10**e`: "two billion", "forty thousand").
Every number 0-1,000 is in training in each of its number forms
(`CORE`). The split is by item, not by text: all forms of one number or date
fall in the same split, so a test number was never seen in any form.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import random

from zoo.data import splits as _splits

FORMS = ("words", "words-variant", "digits", "year", "ordinal",
         "date-words", "date-short", "date-medium", "date-long", "date-full")
DATE_WIDTHS = ("short", "medium", "long", "full")
#: Numbers always in training, in every number form ("all of 0-1,000 exhaustively").
CORE = range(0, 1001)
YEARS = (1900, 2099)          # dates
YEAR_WORDS = (1100, 2099)     # the `year` form
MAX_DIGITS = 10
DEFAULT_N = 40000
SPLITS = ("train", "validation", "test")
_BOUNDS = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}


def _n2w(k, lang, to="cardinal"):
    from num2words import num2words

    return num2words(k, lang=lang, to=to)


def variants(english):
    """Other ways people type the same number words: without hyphens, without "and",
    "a" for a leading "one" before hundred/thousand/million/billion (each distinct
    result once, the canonical text left out)."""
    out = []
    no_hyphen = english.replace("-", " ")
    no_and = english.replace(" and ", " ")
    for text in (english, no_hyphen, no_and, no_and.replace("-", " ")):
        for word in ("hundred", "thousand", "million", "billion"):
            if text.startswith(f"one {word}"):
                text2 = "a" + text[3:]
                if text2 not in out and text2 != english:
                    out.append(text2)
        if text not in out and text != english:
            out.append(text)
    return out


def _grouped(k, sep):
    return f"{k:,}".replace(",", sep)


def render(item, form, rng=None):
    """`(english, german)` of one item in one form; `item` is an int (numbers, years,
    ordinals) or a `datetime.date`. `rng` picks among the variants of `words-variant`
    (None: the first); None when the form has no text for the item (e.g. no variant)."""
    from babel.dates import format_date

    if form == "words":
        return _n2w(item, "en").lower(), _n2w(item, "de")
    if form == "words-variant":
        options = variants(_n2w(item, "en").lower())
        if not options:
            return None
        return (options[0] if rng is None else rng.choice(options)), _n2w(item, "de")
    if form == "digits":
        return _grouped(item, ","), _grouped(item, ".")
    if form == "year":
        return _n2w(item, "en", "year").lower(), _n2w(item, "de", "year")
    if form == "ordinal":
        return _n2w(item, "en", "ordinal_num"), f"{item}."
    if form == "date-words":
        month_en = format_date(item, "MMMM", locale="en").lower()
        month_de = format_date(item, "MMMM", locale="de")
        return (f"{month_en} {_n2w(item.day, 'en', 'ordinal')}, "
                f"{_n2w(item.year, 'en', 'year')}".lower(),
                f"{_n2w(item.day, 'de', 'ordinal')}r {month_de} {_n2w(item.year, 'de', 'year')}")
    if form.startswith("date-"):
        width = form[5:]
        english = format_date(item, width, locale="en")
        if width == "medium" and english == format_date(item, "long", locale="en"):
            return None  # "May 8, 2059" is medium and long in English, not in German
        return english, format_date(item, width, locale="de")
    raise ValueError(f"form must be one of {FORMS}; got {form!r}")


def _key(item, form):
    """The split key of an item: one per number (all number forms), year, ordinal, date."""
    if isinstance(item, datetime.date):
        return f"date {item.isoformat()}"
    if form == "year":
        return f"year {item}"
    if form == "ordinal":
        return f"ordinal {item}"
    return f"number {item}"


def split_of_item(item, form):
    """`train` / `validation` / `test` of an item (every form of it alike); numbers of
    `CORE` are always `train`."""
    if form in ("words", "words-variant", "digits") and item in CORE:
        return "train"
    return _splits.split_of(_key(item, form), _BOUNDS)


def _number(rng):
    digits = rng.randint(1, MAX_DIGITS)
    if rng.random() < 1 / 3 and digits >= 4:  # round: m * 10**e
        e = rng.choice([e for e in (3, 6, 9) if e < digits])
        m = rng.randint(1, min(999, 10 ** (digits - e) - 1))
        return m * 10 ** e
    return rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits - 1)


def _item(form, rng):
    if form in ("words", "words-variant", "digits"):
        return _number(rng)
    if form == "year":
        return rng.randint(*YEAR_WORDS)
    if form == "ordinal":
        return rng.choice((rng.randint(1, 31), rng.randint(1, 999)))
    year, month = rng.randint(*YEARS), rng.randint(1, 12)
    return datetime.date(year, month, rng.randint(1, calendar.monthrange(year, month)[1]))


def pairs(n=DEFAULT_N, seed=0):
    """`[(english, german, form, item), ...]`: every number of `CORE` in each number form
    (its words, digits and word variants), then `n` more distinct pairs drawn evenly over
    `FORMS`. Deterministic for a seed; distinct English texts."""
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    rng = random.Random(seed)
    seen, out = set(), []

    def add(item, form, text=None):
        pair = render(item, form, rng) if text is None else (text, _n2w(item, "de"))
        if pair is None or pair[0] in seen:
            return
        seen.add(pair[0])
        out.append((pair[0], pair[1], form, item))

    for k in CORE:
        add(k, "words")
        add(k, "digits")
        for v in variants(_n2w(k, "en").lower()):
            add(k, "words-variant", v)
    for form, count in quotas(n).items():
        want, attempts = len(out) + count, 0
        while len(out) < want:
            attempts += 1
            if attempts > 50 * count + 1000:
                raise ValueError(f"could not draw {count} distinct {form!r} pairs; ask for "
                                 "fewer")
            add(_item(form, rng), form)
    return out


#: Distinct items a form can draw from (`None`: far more than any corpus asks for).
CAPACITY = {"year": YEAR_WORDS[1] - YEAR_WORDS[0] + 1, "ordinal": 999}


def quotas(n):
    """Pairs per form for `n` drawn pairs: even, except that a form with few distinct
    items (`CAPACITY`: years, ordinals) takes at most half of them and the rest is
    shared by the others."""
    quota = {f: 0 for f in FORMS}
    left, open_forms = n, list(FORMS)
    while left and open_forms:
        share, rest = divmod(left, len(open_forms))
        for i, f in enumerate(list(open_forms)):
            cap = CAPACITY.get(f)
            want = share + (1 if i < rest else 0)
            if cap is not None and quota[f] + want >= cap // 2:
                want = cap // 2 - quota[f]
                open_forms.remove(f)
            quota[f] += want
            left -= want
    return quota


def splits(rows):
    """`{split: [(english, german, form), ...]}` of `pairs` rows by `split_of_item`:
    every form of an item in one split."""
    parts = {s: [] for s in SPLITS}
    for english, german, form, item in rows:
        parts[split_of_item(item, form)].append((english, german, form))
    return parts


@functools.lru_cache(maxsize=2)
def corpus(n=DEFAULT_N, seed=0):
    """`{split: ((english, german, form), ...)}` of `pairs(n, seed)` (cached)."""
    return {s: tuple(v) for s, v in splits(pairs(n, seed)).items()}
