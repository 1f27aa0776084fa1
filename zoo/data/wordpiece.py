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
"""

from __future__ import annotations

import functools
import os

from zoo.data import text as _text

SUFFIX = "##"


def build_vocab(texts, size=4000, reserved=()):
    """`[*reserved, *pieces]`: a WordPiece vocabulary of about `size` entries
    learnt from `texts` (a list of strings)."""
    if size <= len(reserved) + 1:
        raise ValueError(f"size must exceed the {len(reserved)} reserved tokens; got {size}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset as learner

    words = [" ".join(t) for t in _text.tokenize(list(texts), unicode=True)]
    dataset = tf.data.Dataset.from_tensor_slices(words).batch(1000)
    vocab = learner.bert_vocab_from_dataset(
        dataset, vocab_size=size, reserved_tokens=list(reserved),
        bert_tokenizer_params={"lower_case": False}, learn_params={})
    return list(reserved) + [v for v in vocab if v not in reserved]


@functools.lru_cache(maxsize=8)
def _tokenizer(vocab):
    import tensorflow_text as tf_text

    return tf_text.FastWordpieceTokenizer(vocab=list(vocab), suffix_indicator=SUFFIX,
                                          unknown_token="[UNK]", no_pretokenization=True,
                                          token_out_type="string")


def tokenize(texts, vocab):
    """Lists of pieces of each text (see the module docstring)."""
    words = _text.tokenize(list(texts), unicode=True)
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
    one, words are separated by spaces, no space before . , ! ? ; : ) or after (."""
    text = ""
    for p in pieces:
        text += p[len(SUFFIX):] if p.startswith(SUFFIX) and text else (" " + p if text else p)
    return _text.attach_punctuation(text)
