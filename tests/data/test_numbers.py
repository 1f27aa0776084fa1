"""Numbers and dates as people write them (zoo.data.numbers): known renderings, variants,
quotas, the split by item."""

import collections
import datetime

import pytest

from zoo.data import numbers


def test_forms_render_known_english_and_german():
    d = datetime.date(2001, 3, 14)
    assert numbers.render(30, "words") == ("thirty", "dreißig")  # ß kept
    assert numbers.render(1_250_000, "words") == (
        "one million, two hundred and fifty thousand", "eine Million zweihundertfünfzigtausend")
    assert numbers.render(1250, "digits") == ("1,250", "1.250")
    assert numbers.render(2_000_000_000, "digits") == ("2,000,000,000", "2.000.000.000")
    assert numbers.render(1984, "year") == ("nineteen eighty-four",
                                            "neunzehnhundertvierundachtzig")
    assert numbers.render(3, "ordinal") == ("3rd", "3.")
    assert numbers.render(21, "ordinal") == ("21st", "21.")
    assert numbers.render(datetime.date(2001, 3, 3), "date-words") == (
        "march third, two thousand and one", "dritter März zweitausendeins")
    assert numbers.render(d, "date-short") == ("3/14/01", "14.03.01")
    assert numbers.render(d, "date-medium") == ("Mar 14, 2001", "14.03.2001")
    assert numbers.render(d, "date-long") == ("March 14, 2001", "14. März 2001")
    assert numbers.render(d, "date-full") == ("Wednesday, March 14, 2001",
                                              "Mittwoch, 14. März 2001")
    assert numbers.render(7, "words-variant") is None  # "seven" has no other spelling
    with pytest.raises(ValueError, match="form must be one of"):
        numbers.render(3, "roman")


def test_variants_are_the_spellings_people_type():
    assert numbers.variants("twenty-one") == ["twenty one"]
    got = set(numbers.variants("one hundred and fifty-two"))
    assert {"one hundred and fifty two", "one hundred fifty-two", "one hundred fifty two",
            "a hundred and fifty-two", "a hundred fifty two"} <= got
    assert "one hundred and fifty-two" not in got


def test_quotas_are_even_where_the_forms_allow():
    q = numbers.quotas(40000)
    assert sum(q.values()) == 40000 and set(q) == set(numbers.FORMS)
    assert q["year"] == numbers.CAPACITY["year"] // 2
    assert q["ordinal"] == numbers.CAPACITY["ordinal"] // 2
    others = [v for f, v in q.items() if f not in numbers.CAPACITY]
    assert max(others) - min(others) <= 1


def test_pairs_are_deterministic_distinct_and_split_by_item():
    rows = numbers.pairs(3000, seed=1)
    assert rows == numbers.pairs(3000, seed=1) and rows != numbers.pairs(3000, seed=2)
    assert len({r[0] for r in rows}) == len(rows)
    core = {(r[3], r[2]) for r in rows if r[2] in ("words", "digits")}
    assert all((k, f) in core for k in numbers.CORE for f in ("words", "digits"))
    drawn = collections.Counter(r[2] for r in rows[-3000:])
    assert drawn == collections.Counter(numbers.quotas(3000))
    parts = numbers.splits(rows)
    where = collections.defaultdict(set)
    for split, part in parts.items():
        for english, german, form in part:
            where[english].add(split)
    item_split = collections.defaultdict(set)
    for english, german, form, item in rows:
        item_split[numbers._key(item, form)] |= where[english]
    assert all(len(s) == 1 for s in item_split.values())  # every form of an item together
    for english, german, form, item in rows:
        if form in ("words", "words-variant", "digits") and item in numbers.CORE:
            assert where[english] == {"train"}
    assert len(parts["test"]) > 0.05 * 3000  # of the drawn pairs (the core is training)


def test_every_english_text_has_one_german_reading():
    # "May 8, 2059" is CLDR medium and long in English but not in German: left out of
    # medium, so no English text asks for two different German forms
    may = datetime.date(2059, 5, 8)
    assert numbers.render(may, "date-medium") is None
    assert numbers.render(may, "date-long") == ("May 8, 2059", "8. Mai 2059")
    day, german = datetime.date(2059, 1, 1), {}
    while day.year == 2059:  # every date of a year in every date form
        for form in [f for f in numbers.FORMS if f.startswith("date-")]:
            pair = numbers.render(day, form)
            if pair is not None:
                assert german.setdefault(pair[0], pair[1]) == pair[1], (form, pair)
        day += datetime.timedelta(days=1)
