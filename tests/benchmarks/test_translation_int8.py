"""`benchmarks.translation_int8.token_agreement` on toy NumPy backends with known answers."""

from types import SimpleNamespace

import numpy as np

from benchmarks.translation_int8 import token_agreement
from zoo.models.translation import tflite as host

V, BOS, EOS = 8, 1, 2


def counting_backend(flip_after=None):
    """Emits BOS -> 3 -> 4 -> 5 -> 6 -> EOS; with `flip_after=t`, 7 (then EOS) after t."""
    successor = {BOS: 3, 3: 4, 4: 5, 5: 6, 6: EOS, 7: EOS, EOS: EOS}
    if flip_after is not None:
        successor = {**successor, flip_after: 7}

    def step(feed):
        tokens = feed["token"][:, 0]
        logits = np.full((len(tokens), V), -5.0, np.float32)
        logits[np.arange(len(tokens)), [successor[int(t)] for t in tokens]] = 5.0
        return {"logits": logits, "state": feed["state"]}

    def encode(source):
        n = len(source)
        return np.zeros((n, 2, 1), np.float32), np.ones((n, 2), np.float32), np.zeros((n, 1),
                                                                                       np.float32)

    return SimpleNamespace(encode=encode, step=step, state_sizes={"state": 1},
                           state_names=["state"], bos=BOS, eos=EOS, max_length=10)


def test_token_agreement_counts_the_steps_where_a_backend_picks_the_reference_token():
    source = np.ones((3, 2), np.int32)
    reference = counting_backend()
    hyps = host.decode_ids(reference, source)
    assert [list(h.tokens) for h in hyps] == [[3, 4, 5, 6]] * 3
    assert token_agreement(reference, source, hyps) == 1.0
    # one of the 5 steps (tokens 3 4 5 6 and EOS) flips; the next is fed the reference token
    assert token_agreement(counting_backend(flip_after=4), source, hyps) == 4 / 5
    flipped = host.decode_ids(counting_backend(flip_after=4), source)
    assert host.agreement(hyps, flipped) == 0.0  # sentence-wise, one flip loses the sentence


def test_flip_margins_puts_each_flip_at_the_reference_margin_of_its_step():
    """Reference logits with known top-2 margins (5 - -5 = 10 at every step but the one
    before token 5, where a second candidate sits 0.2 below): the flipping backend's one
    flip falls below every bound; the other steps are above them."""
    from benchmarks.translation_int8 import flip_margins

    source = np.ones((2, 2), np.int32)
    reference = counting_backend()
    near_tie = counting_backend()
    step = reference.step

    def close_step(feed):
        out = step(feed)
        logits = out["logits"].copy()
        rows = feed["token"][:, 0] == 4          # the step that emits 5
        logits[rows, 7] = 4.8
        return {**out, "logits": logits}

    near_tie.step = close_step
    hyps = host.decode_ids(near_tie, source)
    assert [list(h.tokens) for h in hyps] == [[3, 4, 5, 6]] * 2
    result = flip_margins(near_tie, counting_backend(flip_after=4), source, hyps,
                          margins=(0.5, 20.0))
    assert result["steps"] == 10 and result["flip_rate"] == 0.2
    assert result["below"]["0.5"] == {"steps": 0.2, "flips": 1.0}
    assert result["below"]["20.0"] == {"steps": 1.0, "flips": 1.0}
    assert result["median_margin"] == 10.0
