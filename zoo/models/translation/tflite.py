"""The host loop of a translator, on the Keras models or on a `.tflite` file.

A translator is two functions on NumPy arrays (a *backend*):

* `encode(source_ids (n, S)) -> (memory, memory_mask, state)`;
* `step(feed) -> outputs`, one decoder step for a batch of hypotheses:
  feed `token (k, 1)`, the fed-back states (`state_names`), `memory`,
  `memory_mask`; outputs `logits (k, V)`, the new states and, with
  attention, `alignment (k, S)`.

`decode_ids` runs greedy or beam search (`zoo.models.translation.decoding`)
over any backend; `tflite_backend(path)` is the reference device loop on
`export.runtime` (ai-edge-litert or tflite-runtime, no TensorFlow) for the
files of `export.seq2seq`: the encoder plan once per sentence, then the
`decode_step` signature once per hypothesis and token, as an app would call
it. `zoo.models.translation.translate` gives the Keras backend, so both paths
share this loop.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from export.errors import RuntimeLoadError
from export.flatbuffer import read_metadata
from export.runtime import json_metadata, load
from export.seq2seq import METADATA_NAME, initial_states
from zoo.models.translation import decoding


def make_step_fn(step, state_names, forbidden=(0, 2)):
    """A `decoding` step function over a backend `step`: the decoding states are
    `[*fed-back states, memory, memory_mask]` (the last two are constants that
    beam search reorders with the rest)."""
    n = len(state_names)

    def step_fn(tokens, states):
        feed = dict(zip(state_names, states[:n]))
        feed.update(memory=states[n], memory_mask=states[n + 1],
                    token=np.asarray(tokens, np.int32).reshape(-1, 1))
        out = step(feed)
        logits = np.array(out["logits"], np.float32)
        logits[:, list(forbidden)] = -np.inf  # never emit padding or BOS
        new = [np.asarray(out[k], np.float32) for k in state_names]
        alignment = out.get("alignment")
        return (logits, new + list(states[n:]),
                None if alignment is None else np.asarray(alignment, np.float32))

    return step_fn


def decode_ids(backend, source_ids, beam=1, length_penalty=0.6, max_length=None,
               no_repeat_ngram=0):
    """Token ids and alignments of the translations of `source_ids (n, S)`:
    a list of `decoding.Hypothesis` (greedy when `beam == 1`; `no_repeat_ngram`:
    `decoding`'s n-gram blocking, 0 = off)."""
    source_ids = np.asarray(source_ids, np.int32)
    if source_ids.ndim != 2:
        raise ValueError(f"source ids must have shape (n, S); got {source_ids.shape}")
    memory, mask, state = backend.encode(source_ids)
    first = initial_states(state, backend.state_sizes)
    states = [first[k] for k in backend.state_names] + [np.asarray(memory, np.float32),
                                                         np.asarray(mask, np.float32)]
    step_fn = make_step_fn(backend.step, backend.state_names, forbidden=(0, backend.bos))
    max_length = max_length or backend.max_length
    if int(beam) == 1:
        return decoding.greedy(step_fn, states, backend.bos, backend.eos, max_length,
                               no_repeat_ngram=no_repeat_ngram)
    return decoding.beam_search(step_fn, states, backend.bos, backend.eos, max_length,
                                beam=int(beam), length_penalty=length_penalty,
                                no_repeat_ngram=no_repeat_ngram)


def is_translator(data: bytes) -> bool:
    """Whether a `.tflite` file's bytes hold a translator (`export.seq2seq`)."""
    return METADATA_NAME in read_metadata(data)


def tflite_backend(path, threads=None, backend=None):
    """The backend of a translator `.tflite` file (see `export.seq2seq`)."""
    rt = load(path, threads=threads, backend=backend)
    meta = json_metadata(rt.metadata, METADATA_NAME, "translator description")
    if meta is None:
        raise RuntimeLoadError(f"{path}: not a translator file (no {METADATA_NAME!r} metadata); "
                               "export translators with zoo.models.translation.export.to_tflite")
    signature = meta["step_signature"]
    if signature not in rt.signatures:
        raise RuntimeLoadError(f"{path}: the {signature!r} signature is missing")
    inputs, _ = rt.signature_details(signature)
    sizes = {k: int(inputs[k]["shape"][-1]) for k in meta["state_names"]}

    def encode(source_ids):
        memory, mask, state = rt(np.asarray(source_ids, np.float32))
        return memory, mask, state

    def step(feed):
        return rt.call_signature(signature, feed)

    return SimpleNamespace(encode=encode, step=step, state_sizes=sizes,
                           state_names=list(meta["state_names"]), bos=meta["bos"],
                           eos=meta["eos"], max_length=meta["max_length"],
                           attention=meta["attention"], runtime=rt)


def agreement(reference, candidate):
    """Share of sentences whose token sequences are identical (two lists of hypotheses)."""
    if len(reference) != len(candidate) or not reference:
        raise ValueError("agreement needs two equally long, non-empty lists of hypotheses")
    same = [list(a.tokens) == list(b.tokens) for a, b in zip(reference, candidate)]
    return float(np.mean(same))


__all__ = ["decode_ids", "initial_states", "tflite_backend", "make_step_fn", "agreement",
           "is_translator"]
