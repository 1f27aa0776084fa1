"""WordPiece subwords (tensorflow-text) for the translation models.

    vocab = build_vocab(train_texts, size=4000, reserved=SPECIALS)
    pieces = tokenize(["Der Aachener Dom."], vocab)   # [['der', 'aachen', '##er', 'dom', '.']]
    join(pieces[0])                                   # "der aachener dom."

Words first (`zoo.data.text.tokenize(texts, unicode=True)`, the word level of
`zoo.data.translation`: case folding,
NFKC, punctuation as tokens of its own, Unicode letters kept in words), then each word is cut into the longest pieces of the
vocabulary by `tensorflow_text.FastWordpieceTokenizer`; a piece that
continues a word starts with `##`. The vocabulary is learnt from the
training texts by `tensorflow_text`'s `bert_vocab_from_dataset` (the
WordPiece learner of the BERT tooling) with case and accents left as they
are (German umlauts stay). German compounds that a word vocabulary would
map to [UNK] ("Abänderungsantrag") come out as known pieces, so almost
nothing is unknown.

`cased=True` (both `build_vocab` and `tokenize`; the "en-de" corpus) leaves
out the case folding, so "Straße", "München" and sentence-initial capitals
stay as written; NFKC still applies. The shipped mt-* vocabularies are
case-folded: tokenize for them with the default `cased=False`.

Pieces per word with `cased=True, min_count=2`, each side's vocabulary learnt
from all ~96,000 texts of that side of the "en-de" training split (asked for
8,000 / 16,000, the learner returned 7,708 / 17,444 English and 7,729 /
16,661 German pieces; English took 93 s / 140 s, German 758 s / 668 s on
one core):

| word     | 8k | 16k | word    | 8k | 16k |
|----------|----|-----|---------|----|-----|
| coffee   | 1  | 1   | Kaffee  | 1  | 1   |
| Munich   | 3  | 1   | München | 3  | 4   |
| brother  | 1  | 1   | Bruder  | 1  | 1   |
| teeth    | 1  | 1   | Zähne   | 1  | 1   |
| Coffee   | 4  | 3   | Straße  | 1  | 1   |

("München" is rare in the corpus; a capitalised word costs pieces of its own.)
"""

from __future__ import annotations

import functools
import os
import re

from zoo.data import text as _text

SUFFIX = "##"


def build_vocab(texts, size=4000, reserved=(), cased=False, min_count=10):
    """`[*reserved, *pieces]`: a WordPiece vocabulary of about `size` entries
    learnt from `texts` (a list of strings); `cased=True` learns from the text as
    written (no case folding; tokenize with `cased=True` too).

    `min_count` is the learner's lowest piece-count threshold (`lower_thresh`, 10 by
    default as in tensorflow-text): the vocabulary holds only pieces seen at least that
    often, so it can come out far smaller than `size` on little text (the shipped
    mt-en-de vocabularies asked for 4,000 and got 1,318 and 1,243 from 8,000 texts).
    Lower it (2-3) with more text to reach 8k-16k."""
    if size <= len(reserved) + 1:
        raise ValueError(f"size must exceed the {len(reserved)} reserved tokens; got {size}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset as learner

    words = [" ".join(t) for t in _text.tokenize(list(texts), unicode=True, cased=cased)]
    dataset = tf.data.Dataset.from_tensor_slices(words).batch(1000)
    vocab = learner.bert_vocab_from_dataset(
        dataset, vocab_size=size, reserved_tokens=list(reserved),
        bert_tokenizer_params={"lower_case": False}, learn_params={"lower_thresh": min_count})
    return list(reserved) + [v for v in vocab if v not in reserved]


@functools.lru_cache(maxsize=8)
def _tokenizer(vocab):
    import tensorflow_text as tf_text

    return tf_text.FastWordpieceTokenizer(vocab=list(vocab), suffix_indicator=SUFFIX,
                                          unknown_token="[UNK]", no_pretokenization=True,
                                          token_out_type="string")


def tokenize(texts, vocab, cased=False):
    """Lists of pieces of each text (see the module docstring); `cased=True` keeps
    case, for a vocabulary learnt with `build_vocab(..., cased=True)`."""
    words = _text.tokenize(list(texts), unicode=True, cased=cased)
    if not words:
        return []
    import tensorflow as tf

    if "[UNK]" not in vocab:
        raise ValueError("a WordPiece vocabulary must hold '[UNK]'")
    flat = [w for ws in words for w in ws]
    if not flat:
        return [[] for _ in words]
    pieces = _tokenizer(tuple(vocab)).tokenize(tf.constant(flat)).to_list()
    out, i = [], 0
    for ws in words:
        out.append([p.decode("utf-8") for w in pieces[i:i + len(ws)] for p in w])
        i += len(ws)
    return out


def join(pieces):
    """Text of a piece sequence: pieces starting with `##` attach to the previous
    one, words are separated by spaces, no space before . , ! ? ; : ) or after (,
    and none around . / : between two digits ("1.250", "14.03.2001", "3/14/01", "10:30":
    the tokenizer cut them at the mark; "," is left alone, "2, 3" is a list)."""
    text = ""
    for p in pieces:
        text += p[len(SUFFIX):] if p.startswith(SUFFIX) and text else (" " + p if text else p)
    return _DIGIT_MARK.sub(r"\1", _text.attach_punctuation(text))


_DIGIT_MARK = re.compile(r"(?<=\d) ?([./:]) (?=\d)")
