"""Host-side decoding loops in NumPy (greedy and beam search), shared by the
Keras translation models and the TFLite runtime.

The model is hidden behind a step function that advances k hypotheses by one
token:

    logits, new_states, alignment = step_fn(tokens, states)

    tokens      int32 (k,): the previous token of each hypothesis (BOS first)
    states      list of arrays, each (k, ...): decoder state and per-sentence
                constants (encoder memory, source mask ...). All states are
                treated alike: beam search repeats and reorders their rows
                with `np.take(state, rows, axis=0)`.
    logits      (k, V) unnormalised scores; a stable log-softmax is applied
                here (a logit of -inf forbids a token).
    alignment   (k, S) attention weights of this step, or None for models
                without attention (then every `Hypothesis.alignments` is None).

    hyps = greedy(step_fn, states, bos=1, eos=2, max_length=40)
    best = beam_search(step_fn, states, bos=1, eos=2, max_length=40, beam=4)
    lists = beam_search_n_best(step_fn, states, bos=1, eos=2, max_length=40, beam=4, n=4)

Conventions (the same for greedy and beam search):

* `Hypothesis.tokens` holds the emitted tokens without BOS and without EOS.
* `Hypothesis.score` is the total log-probability of the emitted tokens,
  the EOS step included when the hypothesis finished.
* `Hypothesis.length` (|Y|) counts the steps taken, i.e. the emitted tokens
  including EOS: `len(tokens) + 1` for a finished hypothesis, `len(tokens)`
  for one cut at `max_length` (`finished=False`). `max_length` bounds |Y|.
* `Hypothesis.alignments` has one row per step, the EOS step included:
  shape `(length, S)`; row i is the attention of the step that emitted
  token i (or EOS for the last row of a finished hypothesis).
* Length penalty (Wu et al. 2016, GNMT): `lp(Y) = ((5 + |Y|) / 6) ** alpha`;
  beam search ranks hypotheses by `score / lp(Y)`; alpha = 0 ranks by the
  raw log-probability.

Beam search is batched over batch x beam (the step function sees
`batch * beam` rows). At the first step only one copy of each sentence's
beam is live. A candidate ending in EOS is finished when it ranks among the
top `beam` candidates of its sentence; the `beam` best non-EOS candidates stay
live. A sentence stops when its best finished hypothesis beats every score a
live hypothesis could still reach (log-probabilities only fall, so a live
score `c` can reach at most `c / max lp` over the lengths still allowed; this
rule never changes the best hypothesis), with `early_stopping=True` also as
soon as `beam` hypotheses have finished (fairseq's rule: faster, and beam=1
then reproduces greedy for any alpha), and at `max_length`, where the live
hypotheses join the candidates unfinished.

`no_repeat_ngram=n` (greedy and beam search; 0 = off) forbids a token that
would repeat an n-gram the hypothesis already holds (fairseq's
`no_repeat_ngram_size`): a step's log-probability of such a token becomes
-inf after the softmax, so the scores of what is emitted are unchanged and
the stopping rule above still holds. It ends the loops a weak model falls
into ("nicht nicht nicht ...") without touching a hypothesis that has none.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["Hypothesis", "beam_search", "beam_search_n_best", "greedy", "length_penalty"]


@dataclasses.dataclass
class Hypothesis:
    """One decoded sequence (see the module doc for the conventions)."""

    tokens: list
    score: float
    alignments: np.ndarray | None = None
    finished: bool = True

    @property
    def length(self):
        """|Y|: emitted tokens including EOS (`len(tokens) + finished`)."""
        return len(self.tokens) + int(self.finished)

    def penalised(self, alpha=0.6):
        """`score / lp(|Y|)`, the beam search ranking score."""
        return self.score / length_penalty(self.length, alpha)


def length_penalty(length, alpha=0.6):
    """GNMT length penalty `((5 + length) / 6) ** alpha`."""
    return ((5.0 + length) / 6.0) ** alpha


# ---------------------------------------------------------------- validation

def _check_int(name, value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def _check_states(states):
    if isinstance(states, np.ndarray) or not isinstance(states, (list, tuple)):
        raise ValueError("states must be a list of arrays, each (batch, ...); "
                         "wrap a single state array in a list")
    if not states:
        raise ValueError("states must hold at least one array (batch, ...) so that "
                         "the batch size is known")
    states = [np.asarray(s) for s in states]
    if any(s.ndim == 0 for s in states):
        i = next(i for i, s in enumerate(states) if s.ndim == 0)
        raise ValueError(f"state {i} is a scalar; every state must be (batch, ...)")
    firsts = [s.shape[0] for s in states]
    if len(set(firsts)) > 1:
        raise ValueError(f"states have different first dimensions {firsts}; every "
                         f"state must be (batch, ...) with the same batch size")
    return states, firsts[0]


def _check_step(out, k, n_states, eos, vocab, align_width):
    """Validated `(log_probs float64 (k, V), states, alignment or None)`."""
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise ValueError("step_fn must return a tuple (logits, new_states, alignment)")
    logits, new_states, alignment = out
    logits = np.asarray(logits)
    if logits.ndim != 2 or logits.shape[0] != k:
        raise ValueError(f"step_fn returned logits of shape {logits.shape}; expected "
                         f"(k, V) = ({k}, V), one row per hypothesis fed")
    if vocab is not None and logits.shape[1] != vocab:
        raise ValueError(f"step_fn returned logits of shape {logits.shape}; expected "
                         f"({k}, {vocab}) like the previous steps")
    if not 0 <= eos < logits.shape[1]:
        raise ValueError(f"eos id {eos} is outside the vocabulary of size "
                         f"{logits.shape[1]} returned by step_fn")
    if not isinstance(new_states, (list, tuple)) or len(new_states) != n_states:
        got = (len(new_states) if isinstance(new_states, (list, tuple))
               else type(new_states).__name__)
        raise ValueError(f"step_fn returned {got} states; expected a list of "
                         f"{n_states} arrays, each ({k}, ...)")
    new_states = [np.asarray(s) for s in new_states]
    for i, s in enumerate(new_states):
        if s.ndim == 0 or s.shape[0] != k:
            raise ValueError(f"step_fn returned state {i} of shape {s.shape}; "
                             f"expected ({k}, ...), one row per hypothesis fed")
    if alignment is not None:
        alignment = np.asarray(alignment)
        if alignment.ndim != 2 or alignment.shape[0] != k:
            raise ValueError(f"step_fn returned an alignment of shape {alignment.shape}; "
                             f"expected (k, S) = ({k}, S) or None")
        if align_width not in (None, alignment.shape[1]):
            expected = ("None (as in the first step)" if align_width == 0
                        else f"({k}, {align_width})")
            raise ValueError(f"step_fn returned an alignment of shape {alignment.shape}; "
                             f"expected {expected} like the previous steps")
    elif align_width not in (None, 0):
        raise ValueError(f"step_fn returned no alignment; expected ({k}, {align_width}) "
                         f"like the previous steps")
    log_probs = _log_softmax(logits.astype(np.float64))
    if np.isnan(log_probs).any():
        raise ValueError("step_fn returned NaN logits, or a row whose logits are all -inf")
    return log_probs, new_states, alignment


def _check_no_repeat(n):
    n = _check_int("no_repeat_ngram", n, 0)
    if n == 1:
        raise ValueError("no_repeat_ngram=1 would forbid every token already emitted; use 0 "
                         "(off) or at least 2 (3 or 4 for subword pieces)")
    return n


def block_repeats(log_probs, histories, n):
    """`log_probs (k, V)` with -inf for each row's tokens that would complete an
    `n`-gram already in that row's `histories[row]` (tokens emitted so far); `n` = 0:
    unchanged. A row with fewer than `n - 1` tokens has nothing to repeat."""
    if not n:
        return log_probs
    for row, h in enumerate(histories):
        h = np.asarray(h, np.int64)
        if len(h) < n:
            continue
        grams = np.lib.stride_tricks.sliding_window_view(h, n)
        hit = np.all(grams[:, :-1] == h[len(h) - n + 1:], axis=1)
        if hit.any():
            log_probs[row, grams[hit, -1]] = -np.inf
    return log_probs


def _log_softmax(x):
    top = np.max(x, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    shifted = x - top
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


# --------------------------------------------------------------------- greedy

def greedy(step_fn, states, bos, eos, max_length, no_repeat_ngram=0):
    """Greedy decoding of each batch row: a list of `Hypothesis`, one per row.

    All rows step together; a finished row is fed EOS and its outputs ignored.
    Decoding stops when every row has emitted EOS or after `max_length`
    tokens (then `finished=False`, no EOS). See the module doc for the
    conventions.
    """
    bos = _check_int("bos", bos)
    eos = _check_int("eos", eos, 0)
    max_length = _check_int("max_length", max_length, 1)
    no_repeat_ngram = _check_no_repeat(no_repeat_ngram)
    states, batch = _check_states(states)
    if batch == 0:
        return []
    tokens = np.full(batch, bos, np.int32)
    out_tokens = [[] for _ in range(batch)]
    scores = np.zeros(batch)
    aligns = [[] for _ in range(batch)]
    done = np.zeros(batch, bool)
    vocab, width = None, None
    for _ in range(max_length):
        log_probs, states, alignment = _check_step(
            step_fn(tokens, states), batch, len(states), eos, vocab, width)
        vocab = log_probs.shape[1]
        width = 0 if alignment is None else alignment.shape[1]
        log_probs = block_repeats(  # finished rows: nothing to block (outputs ignored)
            log_probs, [() if d else h for d, h in zip(done, out_tokens)], no_repeat_ngram)
        best = np.argmax(log_probs, axis=1)
        for row in np.flatnonzero(~done):
            scores[row] += log_probs[row, best[row]]
            if alignment is not None:
                aligns[row].append(alignment[row])
            if best[row] == eos:
                done[row] = True
            else:
                out_tokens[row].append(int(best[row]))
        tokens = np.where(done, eos, best).astype(np.int32)
        if done.all():
            break
    return [Hypothesis(out_tokens[row], float(scores[row]),
                       np.array(aligns[row]) if width else None, bool(done[row]))
            for row in range(batch)]


# ---------------------------------------------------------------- beam search

def beam_search(step_fn, states, bos, eos, max_length, beam=4, length_penalty=0.6,
                early_stopping=False, no_repeat_ngram=0):
    """Beam search: the best `Hypothesis` of each batch row (module doc)."""
    return [hyps[0] for hyps in _beam(step_fn, states, bos, eos, max_length, beam,
                                      length_penalty, early_stopping, 1, no_repeat_ngram)]


def beam_search_n_best(step_fn, states, bos, eos, max_length, beam=4, length_penalty=0.6,
                       early_stopping=False, n=None, no_repeat_ngram=0):
    """Beam search: for each batch row a list of up to `n` (default `beam`)
    hypotheses, best first by `score / lp`."""
    n = beam if n is None else n
    return _beam(step_fn, states, bos, eos, max_length, beam, length_penalty,
                 early_stopping, n, no_repeat_ngram)


def _beam(step_fn, states, bos, eos, max_length, beam, alpha, early_stopping, n,
          no_repeat_ngram=0):
    bos = _check_int("bos", bos)
    eos = _check_int("eos", eos, 0)
    max_length = _check_int("max_length", max_length, 1)
    beam = _check_int("beam", beam, 1)
    n = _check_int("n", n, 1)
    no_repeat_ngram = _check_no_repeat(no_repeat_ngram)
    if n > beam:
        raise ValueError(f"n ({n}) can be at most beam ({beam}); raise beam to keep "
                         f"more hypotheses")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) \
            or not math.isfinite(alpha):
        raise ValueError(f"length_penalty (alpha) must be a finite number; got {alpha!r}")
    states, batch = _check_states(states)
    if batch == 0:
        return []
    keep = max(beam, n)                      # finished hypotheses kept per sentence
    rows = batch * beam
    offsets = (np.arange(batch) * beam)[:, None]
    states = [np.repeat(s, beam, axis=0) for s in states]
    tokens = np.full(rows, bos, np.int32)
    cum = np.full((batch, beam), -np.inf)
    cum[:, 0] = 0.0                          # one live copy per sentence at the first step
    history = np.zeros((rows, 0), np.int64)
    align_history = None
    finished = [[] for _ in range(batch)]    # (penalised, Hypothesis), best first
    done = np.zeros(batch, bool)
    vocab, width = None, None

    def add(row, hyp):
        item = (hyp.penalised(alpha), hyp)
        finished[row].append(item)
        finished[row].sort(key=lambda it: -it[0])
        del finished[row][keep:]

    for step in range(max_length):
        log_probs, new_states, alignment = _check_step(
            step_fn(tokens, states), rows, len(states), eos, vocab, width)
        vocab = log_probs.shape[1]
        width = 0 if alignment is None else alignment.shape[1]
        if align_history is None:
            align_history = np.zeros((rows, 0, width))
        log_probs = block_repeats(log_probs, history, no_repeat_ngram)
        cand = (cum.reshape(rows, 1) + log_probs).reshape(batch, beam * vocab)
        n_cand = min(2 * beam, beam * vocab)
        if n_cand < cand.shape[1]:
            order = np.argpartition(-cand, n_cand - 1, axis=1)[:, :n_cand]
        else:
            order = np.broadcast_to(np.arange(n_cand), cand.shape)
        # Best first, ties by candidate index.
        order = np.take_along_axis(
            order, np.lexsort((order, -np.take_along_axis(cand, order, axis=1)), axis=1), axis=1)
        cand_scores = np.take_along_axis(cand, order, axis=1)
        cand_parent, cand_token = order // vocab, order % vocab
        is_eos = cand_token == eos

        # Candidates ending in EOS among the top `beam` finish.
        length = step + 1
        for row, pos in zip(*np.nonzero(is_eos[:, :beam] & np.isfinite(cand_scores[:, :beam]))):
            if done[row]:
                continue
            parent = offsets[row, 0] + cand_parent[row, pos]
            aligns = (np.concatenate([align_history[parent], alignment[parent][None]])
                      if width else None)
            add(row, Hypothesis([int(t) for t in history[parent]],
                                float(cand_scores[row, pos]), aligns, True))

        # The best `beam` non-EOS candidates stay live (-inf placeholders when
        # the vocabulary has no other token).
        live_pos = np.argsort(is_eos, axis=1, kind="stable")[:, :beam]
        live_ok = ~np.take_along_axis(is_eos, live_pos, axis=1)
        if live_pos.shape[1] < beam:
            pad = beam - live_pos.shape[1]
            live_pos = np.pad(live_pos, ((0, 0), (0, pad)))
            live_ok = np.pad(live_ok, ((0, 0), (0, pad)))
        cum = np.where(live_ok, np.take_along_axis(cand_scores, live_pos, axis=1), -np.inf)
        parents = (offsets + np.take_along_axis(cand_parent, live_pos, axis=1)).reshape(rows)
        new_tokens = np.where(live_ok, np.take_along_axis(cand_token, live_pos, axis=1), eos)
        new_tokens = new_tokens.reshape(rows)
        history = np.concatenate([history[parents], new_tokens[:, None]], axis=1)
        if width:
            align_history = np.concatenate(
                [align_history[parents], alignment[parents][:, None]], axis=1)
        states = [np.take(s, parents, axis=0) for s in new_states]
        tokens = new_tokens.astype(np.int32)

        # Stop sentences that live hypotheses can no longer improve.
        if length < max_length:
            best_lp = max(length_penalty(length + 1, alpha), length_penalty(max_length, alpha))
            reach = cum.max(axis=1) / best_lp
            for row in np.flatnonzero(~done):
                if finished[row] and (finished[row][0][0] >= reach[row]
                                      or (early_stopping and len(finished[row]) >= beam)):
                    done[row] = True
            if done.all():
                break
    else:
        # max_length reached: live hypotheses are candidates, unfinished.
        for row in np.flatnonzero(~done):
            for j in range(beam):
                if np.isfinite(cum[row, j]):
                    r = offsets[row, 0] + j
                    add(row, Hypothesis([int(t) for t in history[r]], float(cum[row, j]),
                                        align_history[r].copy() if width else None, False))
    return [[hyp for _, hyp in finished[row][:n]] for row in range(batch)]
