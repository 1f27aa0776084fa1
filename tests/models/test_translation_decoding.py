"""Greedy and beam search (zoo.models.translation.decoding) against plain NumPy
references on toy step functions, and the sacrebleu evaluation helpers."""

import itertools

import numpy as np
import pytest
import sacrebleu

from zoo.models.translation import decoding, evaluation
from zoo.models.translation.decoding import Hypothesis, beam_search, beam_search_n_best, greedy


class Toy:
    """A fixed random model: logits = table[prev] + per-row offset + h @ W, with a
    running history state h (so reordering/batching bugs change the results) and a
    fake alignment that depends on the path (h), the step and the batch row."""

    def __init__(self, seed, vocab=6, width=5, dim=3, eos=0, eos_bias=0.0, attention=True):
        rng = np.random.default_rng(seed)
        self.vocab, self.width, self.eos, self.bos = vocab, width, eos, vocab
        self.table = rng.normal(size=(vocab + 1, vocab)) * 1.5
        self.table[:, eos] += eos_bias
        self.emb = rng.normal(size=(vocab + 1, dim))
        self.w = rng.normal(size=(dim, vocab))
        self.a = rng.normal(size=(dim, width))
        self.attention = attention
        self.rng = rng
        self.calls = 0

    def states(self, batch):
        return [self.rng.normal(size=(batch, self.vocab)),           # per-row offset
                np.zeros((batch, self.w.shape[0])),                  # running history
                np.arange(batch, dtype=np.float64)[:, None],         # row id
                np.zeros((batch, 1))]                                # step counter

    def __call__(self, tokens, states):
        self.calls += 1
        assert tokens.dtype == np.int32 and tokens.ndim == 1
        offset, h, row, t = states
        h = 0.5 * h + self.emb[tokens]
        logits = self.table[tokens] + offset + h @ self.w
        if not self.attention:
            return logits, [offset, h, row, t + 1], None
        energy = h @ self.a + 0.7 * t + 1.3 * row * np.arange(self.width)
        align = np.exp(energy - energy.max(axis=1, keepdims=True))
        return logits, [offset, h, row, t + 1], align / align.sum(axis=1, keepdims=True)


def row_states(states, row):
    return [s[row:row + 1] for s in states]


def log_softmax(x):
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def teacher_force(model, states, tokens, finished):
    """Score and per-step alignments of one row's token sequence."""
    fed = [model.bos] + list(tokens)
    out = list(tokens) + ([model.eos] if finished else [])
    score, aligns = 0.0, []
    for prev, nxt in zip(fed, out):
        logits, states, align = model(np.array([prev], np.int32), states)
        score += log_softmax(logits[0])[nxt]
        if align is not None:
            aligns.append(align[0])
    return score, (np.array(aligns) if aligns else None)


def plain_greedy(model, states, max_length):
    """A per-row argmax loop, written independently of the module."""
    prev, tokens, score = model.bos, [], 0.0
    for _ in range(max_length):
        logits, states, _ = model(np.array([prev], np.int32), states)
        lp = log_softmax(logits[0])
        prev = int(np.argmax(lp))
        score += lp[prev]
        if prev == model.eos:
            return tokens, score, True
        tokens.append(prev)
    return tokens, score, False


def penalised(score, length, alpha):
    return score / ((5 + length) / 6) ** alpha


# ------------------------------------------------------------------- greedy

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_matches_a_plain_argmax_loop_and_batches(seed):
    model = Toy(seed, vocab=7, eos_bias=1.0)
    states = model.states(5)
    hyps = greedy(model, states, model.bos, model.eos, max_length=9)
    assert len(hyps) == 5
    lengths = set()
    for row, hyp in enumerate(hyps):
        tokens, score, finished = plain_greedy(model, row_states(states, row), 9)
        assert hyp.tokens == tokens and hyp.finished == finished
        assert hyp.score == pytest.approx(score, abs=1e-9)
        assert hyp.alignments.shape == (hyp.length, model.width)
        _, aligns = teacher_force(model, row_states(states, row), hyp.tokens, hyp.finished)
        np.testing.assert_allclose(hyp.alignments, aligns, atol=1e-12)
        one = greedy(model, row_states(states, row), model.bos, model.eos, 9)[0]
        assert one.tokens == hyp.tokens and one.score == pytest.approx(hyp.score, abs=1e-9)
        lengths.add(hyp.length)
    assert len(lengths) > 1, "toy model too regular: all rows have the same length"


def test_greedy_feeds_eos_to_finished_rows():
    model = Toy(1, vocab=7, eos_bias=1.0)
    fed = []

    def step(tokens, states):
        fed.append(tokens.copy())
        return model(tokens, states)

    hyps = greedy(step, model.states(5), model.bos, model.eos, max_length=9)
    fed = np.array(fed)                      # (steps, batch)
    assert (fed[0] == model.bos).all() and len(fed) == max(h.length for h in hyps)
    fed_eos = 0
    for row, hyp in enumerate(hyps):
        if hyp.finished:                     # fed: BOS, the tokens, then EOS until the end
            assert list(fed[1:hyp.length, row]) == hyp.tokens
            assert (fed[hyp.length:, row] == model.eos).all()
            fed_eos += len(fed) - hyp.length
        else:
            assert list(fed[1:, row]) == hyp.tokens[:-1]
    assert fed_eos > 0


def test_greedy_stops_at_max_length_without_eos_and_when_all_rows_end():
    model = Toy(3, vocab=5, eos_bias=-50.0)          # EOS never wins
    hyps = greedy(model, model.states(2), model.bos, model.eos, max_length=4)
    assert all(len(h.tokens) == 4 and not h.finished and h.length == 4 for h in hyps)
    model = Toy(3, vocab=5, eos_bias=50.0)           # EOS always wins
    hyps = greedy(model, model.states(3), model.bos, model.eos, max_length=10)
    assert model.calls == 1
    assert all(h.tokens == [] and h.finished and h.length == 1 for h in hyps)
    assert all(h.alignments.shape == (1, model.width) for h in hyps)


def test_models_without_attention_give_no_alignments():
    model = Toy(4, attention=False)
    states = model.states(2)
    assert all(h.alignments is None for h in greedy(model, states, model.bos, model.eos, 6))
    assert all(h.alignments is None
               for h in beam_search(model, states, model.bos, model.eos, 6, beam=3))


# -------------------------------------------------------------- beam search

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_beam_of_one_is_greedy(seed):
    model = Toy(seed, vocab=7, eos_bias=0.5)
    states = model.states(4)
    ref = greedy(model, states, model.bos, model.eos, 8)
    for alpha, early in ((0.0, False), (0.6, True), (1.0, True)):
        got = beam_search(model, states, model.bos, model.eos, 8, beam=1,
                          length_penalty=alpha, early_stopping=early)
        for g, r in zip(got, ref):
            assert (g.tokens, g.finished) == (r.tokens, r.finished)
            assert g.score == pytest.approx(r.score, abs=1e-9)
            np.testing.assert_allclose(g.alignments, r.alignments, atol=1e-12)


def brute_force(model, states, max_length):
    """Every sequence: EOS after 0..max_length-1 tokens, or max_length tokens unfinished."""
    others = [t for t in range(model.vocab) if t != model.eos]
    out = []
    for n in range(max_length + 1):
        for toks in itertools.product(others, repeat=n):
            finished = n < max_length
            score, _ = teacher_force(model, states, toks, finished)
            out.append((list(toks), score, n + finished, finished))
    return out


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.5])
@pytest.mark.parametrize("seed", [0, 5, 6, 9])
def test_wide_beam_finds_the_brute_force_optimum(alpha, seed):
    model = Toy(seed, vocab=4, eos_bias=-0.5)
    max_length = 4
    states = model.states(3)
    got = beam_search(model, states, model.bos, model.eos, max_length,
                      beam=4 ** max_length, length_penalty=alpha)
    for row, hyp in enumerate(got):
        every = brute_force(model, row_states(states, row), max_length)
        best = max(every, key=lambda c: penalised(c[1], c[2], alpha))
        assert (hyp.tokens, hyp.finished) == (best[0], best[3])
        assert hyp.score == pytest.approx(best[1], abs=1e-9)
        assert hyp.penalised(alpha) == pytest.approx(penalised(best[1], best[2], alpha), abs=1e-9)


def test_wide_beam_finds_a_long_optimum_under_the_length_penalty():
    # Where alpha=0 prefers a short sentence and alpha=1 a longer one, both found.
    for seed in range(40):
        model = Toy(seed, vocab=4, eos_bias=0.0)
        states = model.states(1)
        every = brute_force(model, states, 4)
        best = {a: max(every, key=lambda c: penalised(c[1], c[2], a)) for a in (0.0, 1.0)}
        if best[0.0][2] < best[1.0][2]:
            break
    else:
        pytest.fail("no toy model where the length penalty changes the best sequence")
    for alpha in (0.0, 1.0):
        hyp = beam_search(model, states, model.bos, model.eos, 4, beam=256, length_penalty=alpha)[0]
        assert hyp.tokens == best[alpha][0] and hyp.length == best[alpha][2]


@pytest.mark.parametrize("alpha", [0.0, 0.6])
def test_beam_is_never_worse_than_greedy(alpha):
    for seed in range(8):
        model = Toy(100 + seed, vocab=6, eos_bias=0.3)
        states = model.states(4)
        ref = greedy(model, states, model.bos, model.eos, 10)
        for beam in (2, 4):
            got = beam_search(model, states, model.bos, model.eos, 10, beam=beam,
                              length_penalty=alpha)
            for g, r in zip(got, ref):
                assert g.penalised(alpha) >= r.penalised(alpha) - 1e-9


def test_beam_batched_equals_one_by_one_and_histories_belong_to_their_hypothesis():
    model = Toy(7, vocab=6, eos_bias=0.3)
    states = model.states(4)
    lists = beam_search_n_best(model, states, model.bos, model.eos, 9, beam=3)
    assert len(lists) == 4
    for row, hyps in enumerate(lists):
        assert 1 <= len(hyps) <= 3
        keys = [h.penalised(0.6) for h in hyps]
        assert keys == sorted(keys, reverse=True)
        for hyp in hyps:
            score, aligns = teacher_force(model, row_states(states, row), hyp.tokens, hyp.finished)
            assert hyp.score == pytest.approx(score, abs=1e-9)
            assert hyp.alignments.shape == (hyp.length, model.width)
            np.testing.assert_allclose(hyp.alignments, aligns, atol=1e-12)
        alone = beam_search_n_best(model, row_states(states, row), model.bos, model.eos, 9,
                                   beam=3)[0]
        assert [(h.tokens, h.finished) for h in alone] == [(h.tokens, h.finished) for h in hyps]
        np.testing.assert_allclose([h.score for h in alone], [h.score for h in hyps], atol=1e-9)


def test_first_step_does_not_fill_the_beam_with_copies():
    model = Toy(8, vocab=5, eos_bias=-3.0)
    fed = []

    def step(tokens, states):
        fed.append(tokens.reshape(2, 4).copy())
        return model(tokens, states)

    hyps = beam_search_n_best(step, model.states(2), model.bos, model.eos, 1, beam=4)
    assert len(fed) == 1 and (fed[0] == model.bos).all()
    for row in hyps:                       # max_length 1: the 4 live one-token sequences
        assert sorted(h.tokens[0] for h in row) == [1, 2, 3, 4]
        assert all(np.isfinite(h.score) and not h.finished for h in row)
    fed.clear()
    beam_search(step, model.states(2), model.bos, model.eos, 3, beam=4)
    assert all(sorted(row) == [1, 2, 3, 4] for row in fed[1])


def test_length_penalty_formula():
    assert decoding.length_penalty(1, 0.0) == 1.0
    assert decoding.length_penalty(1, 0.6) == 1.0
    assert decoding.length_penalty(7, 0.6) == pytest.approx(2.0 ** 0.6)
    hyp = Hypothesis([3, 4], -2.0, None, finished=True)
    assert hyp.length == 3 and hyp.penalised(1.0) == pytest.approx(-2.0 / (8 / 6))
    assert Hypothesis([3, 4], -2.0, None, finished=False).length == 2


# --------------------------------------------------------------- bad inputs

def test_bad_arguments_raise_clear_errors():
    model = Toy(0)
    states = model.states(2)
    with pytest.raises(ValueError, match="beam must be at least 1; got 0"):
        beam_search(model, states, model.bos, model.eos, 5, beam=0)
    with pytest.raises(ValueError, match="max_length must be at least 1; got 0"):
        greedy(model, states, model.bos, model.eos, 0)
    with pytest.raises(ValueError, match="max_length must be at least 1"):
        beam_search(model, states, model.bos, model.eos, 0)
    with pytest.raises(ValueError, match=r"n \(5\) can be at most beam \(2\)"):
        beam_search_n_best(model, states, model.bos, model.eos, 5, beam=2, n=5)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search(model, states, model.bos, model.eos, 5, length_penalty=float("nan"))
    with pytest.raises(ValueError, match=r"different first dimensions \[2, 3\]"):
        greedy(model, [states[0], np.zeros((3, 4))], model.bos, model.eos, 5)
    with pytest.raises(ValueError, match="list of arrays"):
        greedy(model, states[0], model.bos, model.eos, 5)
    with pytest.raises(ValueError, match="at least one array"):
        greedy(model, [], model.bos, model.eos, 5)
    with pytest.raises(ValueError, match="eos id 9 is outside the vocabulary of size 6"):
        greedy(model, states, model.bos, 9, 5)


def broken(model, what):
    def step(tokens, states):
        logits, new, align = model(tokens, states)
        if what == "logits":
            logits = logits[:, None]
        elif what == "rows":
            logits = logits[:1]
        elif what == "state":
            new = [new[0][:1]] + new[1:]
        elif what == "count":
            new = new[:2]
        elif what == "align":
            align = align[:, None]
        elif what == "nan":
            logits = logits * np.nan
        return logits, new, align
    return step


@pytest.mark.parametrize("what, message", [
    ("logits", r"logits of shape \(6, 1, 6\); expected \(k, V\) = \(6, V\)"),
    ("rows", r"logits of shape \(1, 6\); expected \(k, V\) = \(6, V\)"),
    ("state", r"state 0 of shape \(1, 6\); expected \(6, \.\.\.\)"),
    ("count", r"returned 2 states; expected a list of 4 arrays, each \(6, \.\.\.\)"),
    ("align", r"alignment of shape \(6, 1, 5\); expected \(k, S\) = \(6, S\) or None"),
    ("nan", "NaN logits"),
])
def test_step_fn_returning_wrong_shapes_is_named(what, message):
    model = Toy(0)
    states = model.states(2)
    with pytest.raises(ValueError, match=message):
        beam_search(broken(model, what), states, model.bos, model.eos, 5, beam=3)


def test_empty_batch_decodes_to_nothing():
    model = Toy(0)
    assert greedy(model, model.states(0), model.bos, model.eos, 5) == []
    assert beam_search(model, model.states(0), model.bos, model.eos, 5) == []
    assert model.calls == 0


# ---------------------------------------------------------------- evaluation

HYPS = ["the cat sat on the mat today", "a quick brown fox jumps over it",
        "it is raining in the city now", "we will meet at nine tomorrow"]
REFS = ["the cat sat on the mat today", "the quick brown fox jumped over it",
        "it rains in the town now", "we meet tomorrow at nine"]


def test_identical_hypotheses_score_100():
    scores = evaluation.corpus_scores(REFS, REFS)
    assert scores == {"bleu": pytest.approx(100.0), "chrf": pytest.approx(100.0), "n": 4}


def test_corpus_scores_match_sacrebleu():
    scores = evaluation.corpus_scores(HYPS, REFS)
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPS, [REFS]).score)
    assert scores["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPS, [REFS]).score)
    assert 0 < scores["bleu"] < 100 and 0 < scores["chrf"] < 100 and scores["n"] == 4


def test_by_length_buckets():
    lengths = [4, 6, 7, 12, 15, 3, 16, 9]
    hyps = HYPS + HYPS
    refs = REFS + REFS
    rows = evaluation.by_length(lengths, hyps, refs)
    assert [(r["bucket"], r["low"], r["high"], r["n"]) for r in rows] == [
        ("0-3", 0, 3, 1), ("4-6", 4, 6, 2), ("7-9", 7, 9, 2), ("10-12", 10, 12, 1),
        ("13-15", 13, 15, 1), ("16+", 16, None, 1)]
    four_six = rows[1]
    assert four_six["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPS[:2], [REFS[:2]]).score)
    assert four_six["chrf"] == pytest.approx(sacrebleu.corpus_chrf(HYPS[:2], [REFS[:2]]).score)
    assert rows[2]["chrf"] == pytest.approx(
        sacrebleu.corpus_chrf([hyps[2], hyps[7]], [[refs[2], refs[7]]]).score)

    rows = evaluation.by_length([4, 5, 13, 14], HYPS, REFS)
    assert [r["bucket"] for r in rows] == ["4-6", "7-9", "10-12", "13-15"]   # no outer buckets
    assert rows[1] == {"bucket": "7-9", "low": 7, "high": 9, "n": 0, "bleu": None, "chrf": None}
    assert rows[0]["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPS[:2], [REFS[:2]]).score)
    rows = evaluation.by_length([1, 2, 5, 5], HYPS, REFS, edges=(0, 3, 10))
    assert [(r["bucket"], r["n"]) for r in rows] == [("0-2", 2), ("3-9", 2)]


def test_exact_match():
    assert evaluation.exact_match(HYPS, REFS) == 0.25
    # White space collapses, case counts.
    assert evaluation.exact_match(["a  b ", "c"], ["a b", "C"]) == 0.5
    rows = evaluation.exact_match_by_length([5, 5, 8, 20], HYPS, REFS)
    assert [(r["bucket"], r["n"], r["exact_match"]) for r in rows] == [
        ("4-6", 2, 0.5), ("7-9", 1, 0.0), ("10-12", 0, None), ("13-15", 0, None), ("16+", 1, 0.0)]


@pytest.mark.parametrize("call, message", [
    (lambda: evaluation.corpus_scores(HYPS, REFS[:3]), "4 hypotheses but 3 references"),
    (lambda: evaluation.corpus_scores([], []), "no hypotheses to score"),
    (lambda: evaluation.corpus_scores("a b", "a b"), "wrap a single sentence in a list"),
    (lambda: evaluation.corpus_scores([["a", "b"]], ["a b"]), "item 0 is list"),
    (lambda: evaluation.exact_match(HYPS, REFS[:1]), "4 hypotheses but 1 references"),
    (lambda: evaluation.by_length([4, 5], HYPS, REFS), "2 source lengths but 4 hypotheses"),
    (lambda: evaluation.by_length([4, 5, "x", 6], HYPS, REFS), "item 2 is 'x'"),
    (lambda: evaluation.by_length([4, 5, 6, 7], HYPS, REFS, edges=(4, 4, 8)),
     "strictly increasing"),
    (lambda: evaluation.exact_match_by_length([4, 5, 6, 7], HYPS, REFS, edges=(4,)),
     "at least two"),
])
def test_evaluation_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------- no repeated n-grams

def repeats(tokens, n):
    """Whether some n-gram occurs twice in `tokens` (written independently of the module)."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) != len(set(grams))


def test_block_repeats_known_values():
    lp = np.zeros((3, 6))
    out = decoding.block_repeats(lp.copy(), [[1, 2, 3, 1, 2], [4, 4], [5]], 3)
    # row 0: prefix (1, 2) was followed by 3; row 1: (4, 4) never seen before; row 2: short
    assert np.isneginf(out[0]).tolist() == [False, False, False, True, False, False]
    assert not np.isneginf(out[1:]).any()
    out = decoding.block_repeats(lp.copy(), [[1, 2, 1, 3, 1], [4, 4], []], 2)
    assert np.flatnonzero(np.isneginf(out[0])).tolist() == [2, 3]
    assert np.flatnonzero(np.isneginf(out[1])).tolist() == [4]
    np.testing.assert_array_equal(decoding.block_repeats(lp.copy(), [[1, 1, 1]] * 3, 0), lp)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_greedy_without_repeats_matches_a_masked_argmax_loop(seed, n):
    model = Toy(seed, vocab=3, eos_bias=-2.0)   # two words and a reluctant EOS: loops
    states = model.states(4)
    got = greedy(model, states, model.bos, model.eos, max_length=10, no_repeat_ngram=n)
    plain = greedy(model, states, model.bos, model.eos, max_length=10)
    assert any(repeats(h.tokens, n) for h in plain), "toy model does not loop"
    for row, hyp in enumerate(got):
        st, prev, tokens, score = row_states(states, row), model.bos, [], 0.0
        for _ in range(10):
            logits, st, _ = model(np.array([prev], np.int32), st)
            lp = log_softmax(logits[0])
            allowed = [t for t in range(model.vocab) if not repeats(tokens + [t], n)
                       or t == model.eos]
            prev = max(allowed, key=lambda t: lp[t])
            score += lp[prev]
            if prev == model.eos:
                break
            tokens.append(prev)
        assert hyp.tokens == tokens and not repeats(hyp.tokens, n)
        assert hyp.score == pytest.approx(score, abs=1e-9)  # scores of what was emitted


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("seed", [0, 4, 7])
def test_wide_beam_without_repeats_is_the_best_sequence_without_repeats(seed, n):
    model = Toy(seed, vocab=3, eos_bias=-1.0)
    max_length = 6
    states = model.states(2)
    got = beam_search(model, states, model.bos, model.eos, max_length, beam=3 ** max_length,
                      length_penalty=0.6, no_repeat_ngram=n)
    for row, hyp in enumerate(got):
        every = [c for c in brute_force(model, row_states(states, row), max_length)
                 if not repeats(c[0], n)]
        best = max(every, key=lambda c: penalised(c[1], c[2], 0.6))
        assert (hyp.tokens, hyp.finished) == (best[0], best[3])
        assert hyp.score == pytest.approx(best[1], abs=1e-9)


@pytest.mark.parametrize("n, message", [(1, "no_repeat_ngram=1 would forbid"),
                                        (-1, "at least 0"), (2.0, "must be an integer")])
def test_bad_no_repeat_ngram(n, message):
    model = Toy(0)
    for decode in (greedy, beam_search):
        with pytest.raises(ValueError, match=message):
            decode(model, model.states(1), model.bos, model.eos, 5, no_repeat_ngram=n)
