"""Tokenization, vocabulary and encoding of the text models (zoo.data.text)."""

import numpy as np
import pytest

from zoo.data import text

pytestmark = pytest.mark.tensorflow_only  # tensorflow-text


def test_tokenize_splits_words_and_punctuation_case_folded():
    assert text.tokenize(["The pause, that REFRESHES!", "Don't ping-pong  twice."]) == [
        ["the", "pause", ",", "that", "refreshes", "!"],
        ["don't", "ping-pong", "twice", "."],
    ]
    assert text.tokenize(["Ｆｕｌｌ width"]) == [["full", "width"]]  # NFKC
    assert text.tokenize([]) == [] and text.tokenize([""]) == [[]]


def test_tokenize_rejects_a_bare_string_and_non_strings():
    with pytest.raises(TypeError, match="wrap a single string"):
        text.tokenize("one sentence")
    with pytest.raises(TypeError, match="item 1 is int"):
        text.tokenize(["ok", 3])


def test_vocab_orders_by_count_then_token_and_caps_size():
    vocab = text.build_vocab([["b", "a", "b"], ["c", "a", "b"], ["d"]], max_size=5)
    assert vocab == [text.PAD, text.UNK, "b", "a", "c"]
    assert text.build_vocab([["x", "y", "y"]], min_count=2) == [text.PAD, text.UNK, "y"]
    with pytest.raises(ValueError, match="at least 3"):
        text.build_vocab([["a"]], max_size=2)


def test_encode_pads_truncates_and_marks_unknown():
    vocab = [text.PAD, text.UNK, "the", "cat", "."]
    ids = text.encode(["The cat.", "the dog the cat the"], vocab, length=4)
    np.testing.assert_array_equal(ids, [[2, 3, 4, 0], [2, 1, 2, 3]])
    assert ids.dtype == np.int32
    with pytest.raises(ValueError, match="must start with"):
        text.encode(["a"], ["a", "b"], length=3)


def test_vocab_file_round_trip(tmp_path):
    vocab = [text.PAD, text.UNK, "größe", "naïve", "'"]
    text.save_vocab(vocab, tmp_path / "vocab.txt")
    assert text.load_vocab(tmp_path / "vocab.txt") == vocab
    (tmp_path / "bad.txt").write_text("a\nb\n")
    with pytest.raises(ValueError, match="not a vocabulary"):
        text.load_vocab(tmp_path / "bad.txt")
