"""Sentences in, sentences out: `zoo.translate` and its pieces.

    zoo.translate("mt-en-de-bahdanau", ["I have no idea."], beam=4)
    zoo.translate("mt-en-de-bahdanau", [...], tflite="int8")     # the shipped int8 file
    result = translate_with_alignments("mt-en-de-luong", ["..."])[0]
    result.source_tokens, result.target_tokens, result.alignments  # (target, source) weights

The shipped vocabularies (`source_vocab.txt`, `target_vocab.txt`) turn text
into ids and back; `zoo.models.translation.tflite.decode_ids` runs the decoder loop
(greedy for `beam=1`, else beam search) over the Keras models or a `.tflite`
file.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from types import SimpleNamespace

import numpy as np

from zoo.data import translation

#: Sentences encoded and decoded at a time (bounds memory when translating many).
CHUNK_SIZE = 64


@dataclasses.dataclass
class Translation:
    """One translated sentence with what the plot needs."""

    source: str
    text: str
    source_tokens: list
    target_tokens: list
    alignments: np.ndarray | None  # (len(target_tokens) + EOS step, len(source_tokens))
    score: float


def keras_backend(model):
    """The `zoo.models.translation.tflite` backend of a Keras training model (NumPy in and out)."""
    from zoo.models.translation.architecture import inference_models
    from zoo.models.translation.models import BOS, EOS

    inf = inference_models(model)

    def encode(source_ids):
        return [np.asarray(a) for a in inf.encoder(np.asarray(source_ids, np.int32),
                                                   training=False)]

    def step(feed):
        return {k: np.asarray(v) for k, v in inf.step(feed, training=False).items()}

    return SimpleNamespace(encode=encode, step=step, state_sizes=inf.state_sizes,
                           state_names=inf.state_names, bos=BOS, eos=EOS,
                           max_length=int(model.inputs[1].shape[1]), attention=inf.attention)


@functools.lru_cache(maxsize=16)
def _vocab_file(path, _mtime):
    return tuple(translation.load_vocab(path))


def vocabularies(name):
    """`(source vocabulary, target vocabulary)` shipped with model `name` (checked)."""
    from zoo import registry
    from zoo.models.translation.models import SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE

    artifacts = registry.require_artifacts(name)
    out = []
    for fname in (SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE):
        path = artifacts.file(fname)
        out.append(list(_vocab_file(str(path), path.stat().st_mtime)))
    return out


def _check_sentences(name, sentences):
    """`sentences` as a list of str; a call that is not one (a str, bytes, other items,
    nothing) raises `ValueError`, whatever `return_errors` says."""
    if isinstance(sentences, str):
        raise ValueError(f"{name!r} takes a list of sentences; wrap a single string in a list")
    if isinstance(sentences, (bytes, bytearray)):
        raise ValueError(f"{name!r} takes sentences as str, not bytes: decode them first "
                         "(e.g. data.decode('utf-8'))")
    sentences = list(sentences)
    bad = [i for i, s in enumerate(sentences) if not isinstance(s, str)]
    if bad:
        kind = type(sentences[bad[0]]).__name__
        hint = ": decode it first (e.g. s.decode('utf-8'))" if kind in ("bytes", "bytearray") \
            else ""
        raise ValueError(f"sentence {bad[0]} is of type {kind}, not a str{hint}")
    if not sentences:
        raise ValueError("no sentences given")
    return sentences


def refusals(name, sentences, split=False):
    """`({index: message}, parts)`: why model `name` cannot translate each refused
    sentence of `sentences` (a list of str) — empty, no words or no tokens, a word outside
    a refusing vocabulary, over the word or token limit — and, for the others, the parts
    it reads: `[sentence]`, or with `split=True` the sentence cut at its boundaries
    (`split_long`; a clause over the limit is refused)."""
    problems, parts, _ = _screen(name, sentences, split)
    return problems, parts


def _screen(name, sentences, split):
    """`refusals`, and the source tokens of each part of the sentences it keeps
    (`{index: [tokens of each part]}`)."""
    from zoo.data import text
    from zoo.models.translation.models import over_word_limit, settings, source_texts

    family = settings(name)
    vocab, limit = vocabularies(name)[0], family["source_length"]
    problems, parts = {}, {}
    for i, sentence in enumerate(sentences):
        if not sentence.strip():
            problems[i] = f"sentence {i} is empty: {name!r} needs at least one word"
        elif not text.has_words(sentence):
            shown = repr(sentence) if len(sentence) <= 20 else repr(sentence[:20]) + "..."
            problems[i] = (f"sentence {i} ({shown}) has no words, only white space or "
                           f"control/invisible characters: {name!r} needs at least one word")
        elif not split:
            parts[i] = [sentence]
        else:
            try:
                parts[i] = split_long(sentence, family["max_words"])
            except ValueError as exc:
                problems[i] = f"sentence {i}: {exc}"
    flat = [(i, part) for i, ps in parts.items() for part in ps]
    tokens = translation.to_tokens(source_texts(family, [part for _, part in flat]), vocab,
                                   family["source_level"], family["source_cased"]) if flat else []
    known = set(vocab)
    for (i, part), toks in zip(flat, tokens):
        if i in problems:
            continue
        shown = sentences[i][:40]
        if not toks:
            problems[i] = (f"sentence {i} ({shown!r}) has no tokens: {name!r} needs at least "
                           "one word")
        elif family["refuse_unknown"] and any(t not in known or t == translation.UNK
                                              for t in toks):
            # an unknown word would get a confident wrong answer
            word = next(t for t in toks if t not in known or t == translation.UNK)
            problems[i] = (f"sentence {i} ({shown!r}): {name!r} cannot read {word!r} (not in "
                           f"its vocabulary of {len(vocab)} words); write the number or date "
                           "in words or digits as in its card (e.g. 'twenty-one', '1,250', "
                           "'March 3, 2001')")
        elif over_word_limit(family, part):
            problems[i] = (f"sentence {i} has {len(part.split())} words; {name!r} reads at "
                           f"most {family['max_words']}: split it")
        elif len(toks) > limit:
            problems[i] = (f"sentence {i} has {len(toks)} tokens; {name!r} reads at most "
                           f"{limit}, as long as the longest of its training sentences: split it")
    kept = {i: ps for i, ps in parts.items() if i not in problems}
    by_sentence = {}
    for (i, _), toks in zip(flat, tokens):
        if i in kept:
            by_sentence.setdefault(i, []).append(toks)
    return problems, kept, by_sentence


def encode_for(name, sentences):
    """Source ids `(n, S)` of sentences with the vocabulary of model `name` (the
    `preprocess` hook). A sentence `refusals` names (e.g. more than the model's words,
    `max_words` of its config, or more than S tokens) raises `ValueError` naming it; nothing
    is cut: a cut source would give a silently partial translation (`translate` splits
    such sentences at sentence boundaries first)."""
    from zoo.models.translation.models import settings

    sentences = _check_sentences(name, sentences)
    problems, _, tokens = _screen(name, sentences, split=False)
    if problems:
        raise ValueError(problems[min(problems)])
    return translation.ids_of([tokens[i][0] for i in range(len(sentences))],
                              vocabularies(name)[0], settings(name)["source_length"])


#: Where `split_long` cuts a sentence over the word limit: after a sentence end, then
#: after a clause mark; never inside a clause.
_BOUNDARIES = (r"(?<=[.!?])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+")


def split_long(sentence, max_words):
    """`sentence` as consecutive parts of at most `max_words` words each, cut at
    sentence boundaries (else at ; : then ,); `[sentence]` when it fits. A clause longer
    than the limit raises `ValueError` naming it (nothing is cut mid-clause)."""
    if not max_words or len(sentence.split()) <= max_words:  # as models.over_word_limit
        return [sentence]
    parts = [sentence]
    for pattern in _BOUNDARIES:
        out = []
        for part in parts:
            if len(part.split()) <= max_words:
                out.append(part)
                continue
            pieces, current = re.split(pattern, part), []
            for piece in pieces:  # greedy: as many pieces per part as fit
                if current and len(" ".join(current + [piece]).split()) > max_words:
                    out.append(" ".join(current))
                    current = []
                current.append(piece)
            out.append(" ".join(current))
        parts = out
    over = [p for p in parts if len(p.split()) > max_words]
    if over:
        raise ValueError(f"a clause of {len(over[0].split())} words with no sentence or clause "
                         f"boundary ({over[0][:60]!r}...): the model reads at most {max_words} "
                         "words at a time; split it")
    return parts


def translate_with_alignments(name, sentences, *, beam=4, length_penalty=0.6, model=None,
                              tflite=None, return_errors=False, no_repeat_ngram=None):
    """`Translation`s of `sentences` (see the module docstring). `model`: a loaded
    Keras model to reuse; `tflite`: a shipped mode ("int8", ...) or a path. A sentence over
    the word limit is translated part by part (cut at sentence, then clause boundaries)
    and joined. A sentence the model cannot read (`refusals`: empty, a clause over the
    limit, a word a refusing vocabulary lacks) raises `ValueError` naming it before
    anything is decoded; with `return_errors=True` its place holds that `ValueError`
    instead and the other sentences are translated. `no_repeat_ngram`: forbid repeating
    an n-gram of target pieces (`decoding`; 0 = off, None = the family's default)."""
    from zoo.models.translation import tflite as host
    from zoo.models.translation.models import settings

    family = settings(name)
    if isinstance(beam, bool) or not isinstance(beam, (int, np.integer)) or beam < 1:
        raise ValueError(f"beam must be a whole number of hypotheses, at least 1 (1 = greedy); "
                         f"got {beam!r}")
    if no_repeat_ngram is None:
        no_repeat_ngram = family["no_repeat_ngram"]
    sentences = _check_sentences(name, sentences)  # a generator is read once, here
    problems, parts, tokens = _screen(name, sentences, split=True)
    if problems and not return_errors:
        raise ValueError(problems[min(problems)])
    src_vocab, tgt_vocab = vocabularies(name)
    if len(problems) < len(sentences):
        if tflite is not None:
            backend = _tflite_backend(str(_tflite_path(name, tflite)))
        else:
            if model is None:
                from zoo import api

                model = api.load(name, compile=False)
            _check_model(name, model)
            backend = keras_backend(model)
    keep = sorted(parts)
    flat = [p for i in keep for p in parts[i]]
    all_ids = translation.ids_of([t for i in keep for t in tokens[i]], src_vocab,
                                 family["source_length"]) if flat else None
    done = []
    for start in range(0, len(flat), CHUNK_SIZE):  # bounded memory for long lists
        chunk = flat[start:start + CHUNK_SIZE]
        source_ids = all_ids[start:start + CHUNK_SIZE]
        hyps = host.decode_ids(backend, source_ids, beam=int(beam), length_penalty=length_penalty,
                               no_repeat_ngram=no_repeat_ngram)
        done += _translations(family, chunk, source_ids, hyps, src_vocab, tgt_vocab)
    out, k = [], 0
    for i, sentence in enumerate(sentences):
        if i in problems:
            out.append(ValueError(problems[i]))
            continue
        n = len(parts[i])
        out.append(done[k] if n == 1 else _joined(sentence, done[k:k + n]))
        k += n
    return out


def _joined(sentence, pieces):
    """One `Translation` of a sentence translated in parts: texts joined with a space,
    tokens concatenated, alignments block-diagonal (each part's EOS row kept only for
    the last part)."""
    src = [t for p in pieces for t in p.source_tokens]
    tgt = [t for p in pieces for t in p.target_tokens]
    align = None
    if all(p.alignments is not None for p in pieces):
        align = np.zeros((len(tgt) + 1, len(src)), np.float32)
        row = col = 0
        for i, p in enumerate(pieces):
            a = np.asarray(p.alignments)
            rows = a if i == len(pieces) - 1 else a[:len(p.target_tokens)]
            align[row:row + len(rows), col:col + a.shape[1]] = rows
            row += len(p.target_tokens)
            col += a.shape[1]
    return Translation(source=sentence, text=" ".join(p.text for p in pieces),
                       source_tokens=src, target_tokens=tgt, alignments=align,
                       score=float(sum(p.score for p in pieces)))


def _check_model(name, model):
    """A `model=` given to translate must be the Keras model of this translator."""
    from zoo import loading, registry

    if not (hasattr(model, "predict") and hasattr(model, "inputs")):
        raise TypeError(f"`model` must be the Keras model of {name!r} (zoo.load({name!r})); got "
                        f"{type(model).__name__} (for a TFLite file pass tflite= instead)")
    loading._check_model(registry.get(name), model)


@functools.lru_cache(maxsize=4)
def _tflite_file_backend(path, _identity):
    from zoo.models.translation import tflite as host

    return host.tflite_backend(path)


def _tflite_backend(path):
    """The backend of a translator file, loaded once per file version."""
    import os

    st = os.stat(path)
    return _tflite_file_backend(path, (st.st_size, st.st_mtime_ns, st.st_ino))


def _translations(family, sentences, source_ids, hyps, src_vocab, tgt_vocab):
    out = []
    for sentence, ids, hyp in zip(sentences, source_ids, hyps):
        n_src = int(np.count_nonzero(ids))
        align = None if hyp.alignments is None else np.asarray(hyp.alignments)[:, :n_src]
        out.append(Translation(
            source=sentence, text=translation.detokenize(hyp.tokens, tgt_vocab, family["target_level"]),
            source_tokens=[src_vocab[i] for i in ids[:n_src]],
            target_tokens=[tgt_vocab[i] for i in hyp.tokens], alignments=align,
            score=float(hyp.score)))
    return out


def translate(name, sentences, *, beam=4, length_penalty=0.6, model=None, tflite=None,
              return_errors=False, no_repeat_ngram=None):
    """Translations (list of str) of a list of sentences with the model `name`; with
    `return_errors=True` a sentence it cannot read gives its `ValueError` in its place
    (`translate_with_alignments`)."""
    found = translate_with_alignments(name, sentences, beam=beam, length_penalty=length_penalty,
                                      model=model, tflite=tflite, return_errors=return_errors,
                                      no_repeat_ngram=no_repeat_ngram)
    return [t if isinstance(t, ValueError) else t.text for t in found]


def _tflite_path(name, tflite):
    from pathlib import Path

    from zoo import registry

    if str(tflite) in registry.MODES:
        from zoo.api import tflite_path

        try:
            return tflite_path(name, str(tflite))
        except ValueError as exc:
            raise ValueError(f"{exc}; then pass its path as tflite=") from None
    path = Path(tflite)
    if not path.is_file():
        raise FileNotFoundError(f"tflite={str(tflite)!r} is neither a mode "
                                f"({', '.join(registry.MODES)}) nor an existing file")
    return path
