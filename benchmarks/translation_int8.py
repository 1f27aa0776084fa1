"""Where a translator's int8 file parts from Keras greedy decoding.

    python -m benchmarks.translation_int8 [--models mt-en-de-bahdanau ...] [--data-dir DIR]
                                          [--per-domain 100] [--modes int8,dynamic,float16]

For each shipped translator and each TFLite mode (the shipped file where there
is one, else exported now from the shipped weights and calibration sources),
greedy decoding of the first `--per-domain` test sentences of each domain
(en-de) or of the test split (numbers), against Keras greedy on the same
sentences:

* `sentences_identical`: share of sentences whose token sequence equals
  Keras's (the cards' "same words as Keras greedy");
* `tokens_identical`: share of steps at which the file picks Keras's token
  when fed Keras's own previous tokens (teacher forcing on the Keras greedy
  output, the file's own states): how often one step flips;
* `keras_encoder_file_step` / `file_encoder_keras_step`: the sentence share
  with one half of the model float (Keras) and the other the file's: which
  half loses agreement.

A sentence of n tokens stays identical with probability about p^n for a
per-token agreement p, so long outputs from a large vocabulary fall apart
sentence-wise while the per-token agreement stays high. Writes
`translation_int8.json` and `translation_int8.md`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["mt-en-de-bahdanau", "mt-en-de-seq2seq", "mt-numbers-en-de-bahdanau"]


def token_agreement(candidate, source_ids, hyps):
    """Share of steps at which `candidate` (a backend) picks the token of `hyps` (the
    reference's greedy hypotheses for `source_ids`) when fed those tokens as its previous
    ones (EOS steps included)."""
    from zoo.models.translation import tflite as host

    memory, mask, state = candidate.encode(source_ids)
    first = host.initial_states(state, candidate.state_sizes)
    states = [first[k] for k in candidate.state_names] + [np.asarray(memory, np.float32),
                                                          np.asarray(mask, np.float32)]
    step_fn = host.make_step_fn(candidate.step, candidate.state_names,
                                forbidden=(0, candidate.bos))
    targets = [list(h.tokens) + ([candidate.eos] if h.finished else []) for h in hyps]
    length = max(len(t) for t in targets)
    previous = np.full(len(targets), candidate.bos, np.int32)
    same = total = 0
    for t in range(length):
        logits, states, _ = step_fn(previous, states)
        picked = np.argmax(logits, axis=1)
        for row, target in enumerate(targets):
            if t < len(target):
                same += int(picked[row] == target[t])
                total += 1
        previous = np.array([target[t] if t < len(target) else candidate.eos
                             for target in targets], np.int32)
    return same / max(total, 1)


def _hybrid(encoder_from, step_from):
    return SimpleNamespace(**{**vars(step_from), "encode": encoder_from.encode})


def measure(name, modes, per_domain, data_dir=None, log=print):
    from zoo import api, registry
    from zoo.models.translation import export as mt_export
    from zoo.models.translation import models, translate
    from zoo.models.translation import tflite as host
    from zoo.models.translation import train as mt_train

    spec = models.settings(name)
    parts, data = mt_train.load_splits(Namespace(tsv=None, data_dir=data_dir,
                                                 max_test=per_domain), spec)
    pairs = parts["test"]
    if "test_domains" not in data:  # numbers: no domains, the first 3 x per_domain items
        pairs = pairs[:3 * per_domain]
    source = mt_train.encode_pairs(pairs, translate.vocabularies(name), spec)[0]
    model = api.load(name, compile=False)
    keras_backend = translate.keras_backend(model)
    reference = mt_train.decode_in_chunks(keras_backend, source, beam=1)
    folder = registry.find_artifacts(name).path
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            path = folder / registry.tflite_filename(name, mode)
            shipped = path.is_file()
            if not shipped:
                calibration = np.load(folder / "calibration.npz")
                path = Path(tmp) / registry.tflite_filename(name, mode)
                mt_export.to_tflite(model, path, mode, representative_data=[
                    calibration["source"], calibration["target_in"]])
            start = time.time()
            backend = host.tflite_backend(path, threads=1)
            row = dict(model=name, mode=mode, shipped=shipped, sentences=len(pairs))
            row["sentences_identical"] = host.agreement(
                reference, mt_train.decode_in_chunks(backend, source, beam=1))
            row["tokens_identical"] = token_agreement(backend, source, reference)
            row["keras_encoder_file_step"] = host.agreement(reference, mt_train.decode_in_chunks(
                _hybrid(keras_backend, backend), source, beam=1))
            row["file_encoder_keras_step"] = host.agreement(reference, mt_train.decode_in_chunks(
                _hybrid(backend, keras_backend), source, beam=1))
            row["mean_tokens"] = float(np.mean([len(h.tokens) + 1 for h in reference]))
            rows.append(row)
            log(f"{name} {mode}: sentences {row['sentences_identical']:.3f}, tokens "
                f"{row['tokens_identical']:.4f}, Keras encoder + file step "
                f"{row['keras_encoder_file_step']:.3f}, file encoder + Keras step "
                f"{row['file_encoder_keras_step']:.3f} ({time.time() - start:.0f} s)")
    return rows


def markdown(rows):
    lines = ["# Where int8 translators part from Keras greedy", "",
             "Greedy decoding of the same test sentences; *tokens*: the file's pick equals "
             "Keras's when fed Keras's previous tokens; the last two columns swap one half "
             "of the model for Keras.", "",
             "| model | mode | file | sentences | mean tokens | sentences identical | tokens "
             "identical | Keras encoder + file step | file encoder + Keras step |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['mode']} | {'shipped' if r['shipped'] else 'exported'}"
                     f" | {r['sentences']} | {r['mean_tokens']:.1f} | "
                     f"{100 * r['sentences_identical']:.1f} % | {100 * r['tokens_identical']:.2f} %"
                     f" | {100 * r['keras_encoder_file_step']:.1f} % | "
                     f"{100 * r['file_encoder_keras_step']:.1f} % |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--modes", default="int8,dynamic,float16")
    p.add_argument("--per-domain", type=int, default=100,
                   help="test sentences per en-de domain (numbers: 3x this many)")
    p.add_argument("--data-dir", default=None, help="the built en-de corpus (as the trainer's)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    rows = []
    for name in args.models:
        rows += measure(name, [m for m in args.modes.split(",") if m], args.per_domain,
                        args.data_dir)
    from benchmarks.results_io import write_results

    write_results(args.out, "translation_int8", rows, markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
