"""Translation scores with sacrebleu: BLEU and chrF over a corpus, by source
length, and exact match.

    corpus_scores(hyps, refs)                 # {"bleu": 41.2, "chrf": 63.0, "n": 500}
    by_length(src_lengths, hyps, refs)        # one dict per source-length bucket
    exact_match(hyps, refs)                   # 0.31
    exact_match_by_length(src_lengths, hyps, refs)

Hypotheses and references are detokenized strings, one reference per
sentence; BLEU and chrF are sacrebleu's defaults (`corpus_bleu` with the 13a
tokenizer, `corpus_chrf` with character 6-grams, beta 2), on a 0-100 scale.

Buckets: `edges=(4, 7, 10, 13, 16)` means source lengths [4, 7), [7, 10),
[10, 13), [13, 16), labelled "4-6", "7-9", ... with inclusive `low` and
`high`. Every bucket is reported; an empty one has n=0 and None scores.
Sentences outside the edges are not dropped: they go to an extra bucket
"0-3" (below the first edge) or "16+" (`high` None), reported only when it
is not empty.

Exact match compares strings after collapsing white space (leading,
trailing and runs of spaces); it is case-sensitive.
"""

from __future__ import annotations

import itertools
import numbers

DEFAULT_EDGES = (4, 7, 10, 13, 16)

__all__ = ["DEFAULT_EDGES", "by_length", "corpus_scores", "exact_match", "exact_match_by_length"]


def _check_texts(hypotheses, references):
    for name, texts in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(texts, str):
            raise ValueError(f"{name} must be a list of strings; wrap a single "
                             f"sentence in a list")
    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references; "
                         f"give exactly one reference per hypothesis")
    if not hypotheses:
        raise ValueError("no hypotheses to score; hypotheses and references are empty")
    for name, texts in (("hypotheses", hypotheses), ("references", references)):
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"{name} must be strings (detokenized text); item {bad[0]} is "
                             f"{type(texts[bad[0]]).__name__} (join token lists with ' ')")
    return hypotheses, references


def _scores(hypotheses, references):
    import sacrebleu

    return {"bleu": float(sacrebleu.corpus_bleu(hypotheses, [references]).score),
            "chrf": float(sacrebleu.corpus_chrf(hypotheses, [references]).score),
            "n": len(hypotheses)}


def corpus_scores(hypotheses, references):
    """`{"bleu", "chrf", "n"}` of a corpus with one reference per sentence."""
    return _scores(*_check_texts(hypotheses, references))


def _normalise(text):
    return " ".join(text.split())


def _exact(hypotheses, references):
    same = sum(_normalise(h) == _normalise(r) for h, r in zip(hypotheses, references))
    return same / len(hypotheses)


def exact_match(hypotheses, references):
    """Fraction of hypotheses equal to their reference (white space collapsed)."""
    return _exact(*_check_texts(hypotheses, references))


def _buckets(source_lengths, n, edges):
    """`[(label, low, high, indices)]` for the edges plus non-empty outer buckets."""
    if isinstance(source_lengths, str):
        raise ValueError("source_lengths must be a list of integers (words per source sentence)")
    source_lengths = list(source_lengths)
    if len(source_lengths) != n:
        raise ValueError(f"{len(source_lengths)} source lengths but {n} hypotheses; give "
                         f"one length per sentence")
    for i, length in enumerate(source_lengths):
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"source_lengths must be non-negative integers (words per "
                             f"source sentence); item {i} is {length!r} — pass "
                             f"len(source.split())")
    edges = list(edges)
    if len(edges) < 2 or any(isinstance(e, bool) or not isinstance(e, numbers.Integral)
                             for e in edges) \
            or any(b <= a for a, b in itertools.pairwise(edges)) or edges[0] < 0:
        raise ValueError(f"edges must be at least two strictly increasing non-negative "
                         f"integers, e.g. {DEFAULT_EDGES}; got {tuple(edges)}")
    buckets = []
    below = [i for i, x in enumerate(source_lengths) if x < edges[0]]
    if below:
        buckets.append((f"0-{edges[0] - 1}", 0, edges[0] - 1, below))
    for low, end in itertools.pairwise(edges):
        idx = [i for i, x in enumerate(source_lengths) if low <= x < end]
        buckets.append((f"{low}-{end - 1}", low, end - 1, idx))
    above = [i for i, x in enumerate(source_lengths) if x >= edges[-1]]
    if above:
        buckets.append((f"{edges[-1]}+", edges[-1], None, above))
    return buckets


def by_length(source_lengths, hypotheses, references, edges=DEFAULT_EDGES):
    """BLEU and chrF per source-length bucket: a list of dicts
    `{"bucket", "low", "high", "n", "bleu", "chrf"}` (module doc)."""
    hypotheses, references = _check_texts(hypotheses, references)
    out = []
    for label, low, high, idx in _buckets(source_lengths, len(hypotheses), edges):
        row = {"bucket": label, "low": low, "high": high, "n": len(idx), "bleu": None, "chrf": None}
        if idx:
            row.update(_scores([hypotheses[i] for i in idx], [references[i] for i in idx]))
        out.append(row)
    return out


def exact_match_by_length(source_lengths, hypotheses, references, edges=DEFAULT_EDGES):
    """Exact match per source-length bucket: a list of dicts
    `{"bucket", "low", "high", "n", "exact_match"}` (module doc)."""
    hypotheses, references = _check_texts(hypotheses, references)
    out = []
    for label, low, high, idx in _buckets(source_lengths, len(hypotheses), edges):
        value = (_exact([hypotheses[i] for i in idx], [references[i] for i in idx])
                 if idx else None)
        out.append({"bucket": label, "low": low, "high": high, "n": len(idx),
                    "exact_match": value})
    return out
