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
