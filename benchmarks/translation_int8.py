"""Where a translator's int8 file parts from Keras greedy decoding.

    python -m benchmarks.translation_int8 [--models mt-en-de-bahdanau ...] [--data-dir DIR]
                                          [--per-domain 100] [--modes int8,dynamic,float16]
                                          [--per-channel-dense] [--stem translation_int8]

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
sentence-wise while the per-token agreement stays high. `--per-channel-dense`:
every mode exported now with per-channel scales for the dense layers' weights too
(`export.to_tflite(per_channel_dense=True)`), beside the shipped files. Writes
`<stem>.json` and `<stem>.md` (default `translation_int8`).
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


def forced_logits(candidate, source_ids, hyps):
    """`candidate`'s logits at every step of `hyps` (the reference's greedy hypotheses for
    `source_ids`, EOS steps included) when fed those tokens as its previous ones:
    `(steps, vocabulary)` float32, the steps of all sentences in order."""
    from zoo.models.translation import tflite as host

    memory, mask, state = candidate.encode(source_ids)
    first = host.initial_states(state, candidate.state_sizes)
    states = [first[k] for k in candidate.state_names] + [np.asarray(memory, np.float32),
                                                          np.asarray(mask, np.float32)]
    step_fn = host.make_step_fn(candidate.step, candidate.state_names,
                                forbidden=(0, candidate.bos))
    targets = [list(h.tokens) + ([candidate.eos] if h.finished else []) for h in hyps]
    previous = np.full(len(targets), candidate.bos, np.int32)
    out = [[] for _ in targets]
    for t in range(max(len(x) for x in targets)):
        logits, states, _ = step_fn(previous, states)
        for row, target in enumerate(targets):
            if t < len(target):
                out[row].append(np.asarray(logits[row], np.float32))
        previous = np.array([target[t] if t < len(target) else candidate.eos
                             for target in targets], np.int32)
    return np.stack([step for row in out for step in row])


def _targets(hyps, eos):
    return np.array([tok for h in hyps for tok in list(h.tokens) + ([eos] if h.finished else [])])


def token_agreement(candidate, source_ids, hyps):
    """Share of steps at which `candidate` (a backend) picks the token of `hyps` (the
    reference's greedy hypotheses for `source_ids`) when fed those tokens as its previous
    ones (EOS steps included)."""
    picked = forced_logits(candidate, source_ids, hyps).argmax(axis=1)
    return float(np.mean(picked == _targets(hyps, candidate.eos)))


MARGINS = (0.25, 0.5, 1.0)


def flip_margins(reference, candidate, source_ids, hyps, margins=MARGINS):
    """Where the flips are: at each step of `hyps` (teacher-forced), the reference's margin
    between its two best logits; per bound in `margins`, the share of steps with a smaller
    margin and the share of the candidate's flips (a pick other than the reference's) that
    fall there. A model whose steps are near ties flips under any small perturbation."""
    ref = forced_logits(reference, source_ids, hyps)
    flips = forced_logits(candidate, source_ids, hyps).argmax(1) != ref.argmax(1)
    top2 = np.sort(np.where(np.isfinite(ref), ref, -np.inf), axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    return {"steps": int(len(margin)), "flip_rate": float(flips.mean()),
            "median_margin": float(np.median(margin)),
            "below": {str(m): {"steps": float(np.mean(margin < m)),
                               "flips": float(flips[margin < m].sum() / max(flips.sum(), 1))}
                      for m in margins}}


def _hybrid(encoder_from, step_from):
    return SimpleNamespace(**{**vars(step_from), "encode": encoder_from.encode})


def measure(name, modes, per_domain, data_dir=None, log=print, per_channel_dense=False):
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
            shipped = path.is_file() and not per_channel_dense
            if not shipped:
                calibration = np.load(folder / "calibration.npz")
                path = Path(tmp) / registry.tflite_filename(name, mode)
                mt_export.to_tflite(model, path, mode, representative_data=[
                    calibration["source"], calibration["target_in"]],
                    per_channel_dense=per_channel_dense)
            start = time.time()
            backend = host.tflite_backend(path, threads=1)
            row = dict(model=name, mode=mode, shipped=shipped, sentences=len(pairs),
                       per_channel_dense=per_channel_dense, size_bytes=path.stat().st_size)
            row["sentences_identical"] = host.agreement(
                reference, mt_train.decode_in_chunks(backend, source, beam=1))
            row["tokens_identical"] = token_agreement(backend, source, reference)
            row["flip_margins"] = flip_margins(keras_backend, backend, source, reference)
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


def _file_label(row):
    return ("shipped" if row["shipped"] else "exported") + (
        ", per-channel dense" if row.get("per_channel_dense") else "")


def markdown(rows):
    lines = ["# Where int8 translators part from Keras greedy", "",
             "Greedy decoding of the same test sentences; *tokens*: the file's pick equals "
             "Keras's when fed Keras's previous tokens; the last two columns swap one half "
             "of the model for Keras.", "",
             "| model | mode | file | sentences | mean tokens | sentences identical | tokens "
             "identical | Keras encoder + file step | file encoder + Keras step |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['mode']} | {_file_label(r)}"
                     f" | {r['sentences']} | {r['mean_tokens']:.1f} | "
                     f"{100 * r['sentences_identical']:.1f} % | {100 * r['tokens_identical']:.2f} %"
                     f" | {100 * r['keras_encoder_file_step']:.1f} % | "
                     f"{100 * r['file_encoder_keras_step']:.1f} % |")
    lines += ["", "Where the flips are: Keras's margin between its two best logits at each "
              "teacher-forced step; the share of steps below each margin, and the share of "
              "the file's flips that fall there.", "",
              "| model | mode | file | steps | median margin | "
              + " | ".join(f"steps / flips below {m}" for m in MARGINS) + " |",
              "|---|---|---|---|---|" + "---|" * len(MARGINS)]
    for r in rows:
        fm = r.get("flip_margins")
        if not fm:
            continue
        lines.append(f"| {r['model']} | {r['mode']} | {_file_label(r)} | {fm['steps']} | "
                     f"{fm['median_margin']:.2f} | " + " | ".join(
                         f"{100 * fm['below'][str(m)]['steps']:.1f} / "
                         f"{100 * fm['below'][str(m)]['flips']:.1f} %" for m in MARGINS) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--modes", default="int8,dynamic,float16")
    p.add_argument("--per-domain", type=int, default=100,
                   help="test sentences per en-de domain (numbers: 3x this many)")
    p.add_argument("--data-dir", default=None, help="the built en-de corpus (as the trainer's)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--per-channel-dense", action="store_true",
                   help="export every mode now with per-channel dense weights (no shipped file)")
    p.add_argument("--stem", default="translation_int8", help="results file name, no suffix")
    args = p.parse_args(argv)
    rows = []
    for name in args.models:
        rows += measure(name, [m for m in args.modes.split(",") if m], args.per_domain,
                        args.data_dir, per_channel_dense=args.per_channel_dense)
    from benchmarks.results_io import write_results

    write_results(args.out, args.stem, rows, markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
