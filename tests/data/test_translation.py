"""English-German pairs, splits and seq2seq encoding (zoo.data.translation)."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from zoo.data import text
from zoo.data import translation as tr

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "translation_pairs.tsv"
HAVE_FREEDICT = Path(tr.DEFAULT_FREEDICT).is_file()

DICT_TEXT = """\
00-database-info
English - German Ding/FreeDict dictionary
    "Apfel" is a masculine noun, this header line is not an example.
eel /iːl/
Aal <masc>
      "Eel au bleu"  - Aal blau, blauer Aal
      "EEL AU BLEU"  - ein Duplikat
      "adopt/pass an amendment"  - einen Abänderungsantrag annehmen
      "move/propose an amendment"  - einen Abänderungsantrag stellen/einbringen
      "make (keep; break) a promise"  - ein Versprechen geben (halten; brechen)
      "If you come, we go."  - Wenn du kommst, gehen wir.
      "The committee declined/demurred."  - Der Ausschuss lehnte ab.
      "all those / everyone who helped"  - alle, die geholfen haben
      "the main thing is to be up there"  - die Hauptsache ist, ganz oben dabei zu sein
      "the laconicism of an expression"  - die Knappheit, die Lakonie eines Ausdrucks
      "a move that changed the country"  - ein Schritt, der das Land veränderte
      "The flood ruined the crops."  - Das Hochwasser machte die Ernte zunichte., Es verdarb die Ernte.
      "a socket 1/4 wide"  - eine Aufnahme 1/4 breit
      "research and development (R&D)"  - Forschung und Entwicklung; FuE
"""

CLEANED = [
    ("Eel au bleu", "Aal blau"),
    ("adopt an amendment", "einen Abänderungsantrag annehmen"),
    ("move an amendment", "einen Abänderungsantrag stellen"),
    ("make a promise", "ein Versprechen geben"),
    ("If you come, we go.", "Wenn du kommst, gehen wir."),
    ("The committee declined.", "Der Ausschuss lehnte ab."),
    ("the main thing is to be up there", "die Hauptsache ist, ganz oben dabei zu sein"),
    ("the laconicism of an expression", "die Knappheit"),
    ("a move that changed the country", "ein Schritt, der das Land veränderte"),
    ("The flood ruined the crops.", "Das Hochwasser machte die Ernte zunichte."),
    ("a socket 1/4 wide", "eine Aufnahme 1/4 breit"),
    ("research and development", "Forschung und Entwicklung"),
]


@pytest.fixture
def dict_file(tmp_path):
    path = tmp_path / "mini.dict.dz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(DICT_TEXT)
    return path


def test_freedict_examples_are_read_from_a_dictzip_file(dict_file):
    raw = tr.read_freedict_examples(dict_file)
    assert len(raw) == 14  # the indented header line with quotes is no example
    assert raw[0] == ("Eel au bleu", "Aal blau, blauer Aal")


def test_freedict_cleaning_alternatives_slashes_annotations_and_duplicates(dict_file):
    # the spaced-slash pair is dropped, the upper-case duplicate too
    assert tr.freedict_pairs(dict_file, min_words=1, max_words=50) == CLEANED
    # word counts are taken on the cleaned English side
    # "research and development (R&D)" has 4 words before cleaning, 3 after
    four_to_five = tr.freedict_pairs(dict_file, min_words=4, max_words=5)
    assert [e for e, _ in four_to_five] == [
        "If you come, we go.", "the laconicism of an expression",
        "The flood ruined the crops.", "a socket 1/4 wide"]


def test_freedict_missing_file_names_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"apt-get install dict-freedict-eng-deu.*load_tsv"):
        tr.freedict_pairs(tmp_path / "nope.dict.dz")
    with pytest.raises(ValueError, match="min_words"):
        tr.freedict_pairs(tmp_path / "nope.dict.dz", min_words=5, max_words=4)


@pytest.mark.skipif(not HAVE_FREEDICT, reason="Debian package dict-freedict-eng-deu not installed")
def test_real_freedict_corpus():
    pairs = tr.freedict_pairs()
    assert 20000 < len(pairs) < 30000
    keys = [e.casefold() for e, _ in pairs]
    assert len(set(keys)) == len(keys)
    assert all(4 <= len(e.split()) <= 15 and g.strip() for e, g in pairs)
    assert not any(c in e + g for e, g in pairs for c in "()[]{}")
    assert ("hard ginger bread from Aachen", "Aachener Printen") in pairs
    assert ("I've made one or two modifications to the original design.",
            "Ich habe am ursprünglichen Entwurf ein paar Änderungen vorgenommen.") in pairs
    parts = tr.splits(pairs)
    assert sum(map(len, parts.values())) > 0.95 * len(pairs)
    assert len(parts["test"]) > 0.08 * len(pairs)


def test_number_and_date_words_match_known_values():
    assert tr.number_pair(321) == ("three hundred and twenty-one", "dreihunderteinundzwanzig")
    assert tr.number_pair(0) == ("zero", "null")
    assert tr.number_pair(999999)[1] == "neunhundertneunundneunzigtausendneunhundertneunundneunzig"
    assert tr.date_pair(2026, 11, 25) == (
        "november twenty-fifth, twenty twenty-six",
        "fünfundzwanzigster november zweitausendsechsundzwanzig")
    assert tr.date_pair(1999, 3, 1) == ("march first, nineteen ninety-nine",
                                        "erster märz neunzehnhundertneunundneunzig")


def test_numbers_pairs_are_deterministic_distinct_and_mixed():
    pairs = tr.numbers_pairs(400, seed=3)
    assert pairs == tr.numbers_pairs(400, seed=3)
    assert pairs != tr.numbers_pairs(400, seed=4)
    assert len({e for e, _ in pairs}) == 400
    assert all(e == e.lower() and g == g.lower() for e, g in pairs)
    dates = [p for p in pairs if any(m in p[0].split() for m in
                                     ("january", "march", "may", "june", "july", "august",
                                      "september", "october", "november", "december",
                                      "february", "april"))]
    assert len(dates) == 200
    numbers = tr.numbers_pairs(300, seed=0, kind="numbers")
    lengths = [len(g) for _, g in numbers]
    assert min(lengths) <= 5 and max(lengths) >= 40  # short and long numbers both appear
    assert all(" " not in g for _, g in numbers)  # German numbers are one word
    with pytest.raises(ValueError, match="kind must be one of"):
        tr.numbers_pairs(10, kind="roman")
    with pytest.raises(ValueError, match="there are only 73049 distinct dates"):
        tr.numbers_pairs(80000, kind="dates")


def test_splits_share_no_sentence_with_train():
    pairs = [(f"english {i}", f"deutsch {i % 300}") for i in range(1000)]
    parts = tr.splits(pairs)
    assert parts == tr.splits(pairs)
    train_en = {e.casefold() for e, _ in parts["train"]}
    train_de = {g.casefold() for _, g in parts["train"]}
    for s in ("validation", "test"):
        assert parts[s], s
        assert not {e.casefold() for e, _ in parts[s]} & train_en
        assert not {g.casefold() for _, g in parts[s]} & train_de
        assert parts[s] == sorted(parts[s], key=pairs.index)  # order kept
    # German texts shared with train are gone: far fewer than 20 % remain outside train
    assert sum(len(p) for p in parts.values()) < len(pairs)


def test_load_rejects_unknown_names():
    with pytest.raises(ValueError, match="corpus must be one of"):
        tr.load("tatoeba", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        tr.load("numbers", "dev")


def test_load_tsv_reads_the_anki_format_and_reports_bad_lines(tmp_path):
    pairs = tr.load_tsv(FIXTURE)
    assert pairs[:3] == [("Hi.", "Hallo!"), ("I am cold.", "Mir ist kalt."),
                         ("We lost the game.", "Wir haben das Spiel verloren.")]
    assert len(pairs) == 5
    assert tr.load_tsv(FIXTURE, source_column=1, target_column=0)[0] == ("Hallo!", "Hi.")
    bad = tmp_path / "bad.tsv"
    bad.write_text("Hi.\tHallo!\n\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:3: expected at least 2 tab-separated"):
        tr.load_tsv(bad)
    bad.write_text("Hi.\t  \tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:1: empty target"):
        tr.load_tsv(bad)
    with pytest.raises(ValueError, match=r"bad.tsv:1: expected at least 4"):
        tr.load_tsv(bad, target_column=3)
    bad.write_bytes("caf\xe9\tKaffee\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        tr.load_tsv(bad)
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        tr.load_tsv(tmp_path / "missing.tsv")


def test_tokenize_word_and_char_levels():
    texts = ["Die Straße ist NASS.", "Hi, (you)!"]
    ascii_texts = ["Don't stop the ping-pong, Bob!", "It's 3.5 km (or so)."]
    assert tr.tokenize(ascii_texts, "word") == text.tokenize(ascii_texts)
    # unlike zoo.data.text (ASCII \w), letters with umlauts stay inside their words
    assert tr.tokenize(["Die Tür ist offen, café „ja“"], "word") == [
        ["die", "tür", "ist", "offen", ",", "café", "„", "ja", "“"]]
    chars = tr.tokenize(texts, "char")
    assert chars[0] == list("die strasse ist nass.")  # case folding maps ß to ss
    assert "".join(chars[1]) == "hi, (you)!"
    assert tr.source_lengths(texts, "char") == [21, 10]
    assert tr.source_lengths(texts, "word") == [5, 6]
    with pytest.raises(ValueError, match="level must be one of"):
        tr.tokenize(texts, "byte")
    with pytest.raises(TypeError, match="wrap a single string"):
        tr.tokenize("text", "char")


def test_vocab_encode_and_detokenize_round_trip(tmp_path):
    german = [g for _, g in tr.load_tsv(FIXTURE)]
    for level in tr.LEVELS:
        vocab = tr.build_vocab(tr.tokenize(german, level), max_size=500)
        assert vocab[:4] == list(tr.SPECIALS)
        text.save_vocab(vocab, tmp_path / f"{level}.txt")
        assert text.load_vocab(tmp_path / f"{level}.txt") == vocab
        _, target = tr.encode_target(german, vocab, length=40, level=level)
        back = [tr.detokenize(row, vocab, level) for row in target]
        expected = ["".join(t) for t in tr.tokenize(german, "char")]  # case-folded NFKC text
        assert back == expected, level
        source = tr.encode_source(german, vocab, length=40, level=level)
        assert [tr.detokenize(row, vocab, level) for row in source] == expected
    assert tr.detokenize([2, 0, 0], ["[PAD]", "[UNK]", "[BOS]", "[EOS]"], "word") == ""


def test_bos_eos_placement_truncation_and_unknowns():
    vocab = tr.build_vocab(tr.tokenize(["a b c d"], "word"), max_size=10)
    ids = {t: i for i, t in enumerate(vocab)}
    a, b, c, d = (ids[t] for t in "abcd")
    dec_in, dec_out = tr.encode_target(["a b c", "a b c d", "a b x"], vocab, length=4, level="word")
    assert dec_in.dtype == np.int32 and dec_in.shape == dec_out.shape == (3, 4)
    assert dec_in[0].tolist() == [2, a, b, c] and dec_out[0].tolist() == [a, b, c, 3]  # keeps EOS
    assert dec_in[1].tolist() == [2, a, b, c] and dec_out[1].tolist() == [a, b, c, d]  # cut
    assert dec_out[2].tolist() == [a, b, 1, 3]  # unknown -> 1
    short_in, short_out = tr.encode_target(["a"], vocab, length=4, level="word")
    assert short_in[0].tolist() == [2, a, 0, 0] and short_out[0].tolist() == [a, 3, 0, 0]
    src = tr.encode_source(["d c b a x"], vocab, length=3, level="word")
    assert src.dtype == np.int32 and src.tolist() == [[d, c, b]]
    assert tr.encode_source(["a"], vocab, length=3, level="word").tolist() == [[a, 0, 0]]
    # detokenize stops at the first EOS
    assert tr.detokenize([a, b, 3, c], vocab, "word") == "a b"
    with pytest.raises(ValueError, match="must start with"):
        tr.encode_source(["a"], ["[PAD]", "[UNK]", "a"], length=3)
    with pytest.raises(ValueError, match="length must be positive"):
        tr.encode_target(["a"], vocab, length=0)
    with pytest.raises(ValueError, match="max_size"):
        tr.build_vocab([["a"]], max_size=4)


def test_word_detokenize_closes_up_punctuation():
    vocab = list(tr.SPECIALS) + ["hallo", ",", "welt", "!", "(", "ja", ")", "."]
    ids = [vocab.index(t) for t in ["hallo", ",", "welt", "!", "(", "ja", ")", "."]]
    assert tr.detokenize(ids, vocab, "word") == "hallo, welt! (ja)."
