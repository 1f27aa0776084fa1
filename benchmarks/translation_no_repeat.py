"""Beam search with and without n-gram blocking, on the en-de validation split.

    python -m benchmarks.translation_no_repeat --data-dir DIR [--model mt-en-de-bahdanau]
        [--sentences 500] [--out benchmarks/results]

How `zoo.translate`'s default for the en-de family (`no_repeat_ngram=3`:
no 3-gram of target pieces twice, `zoo.models.translation.decoding`) was
chosen: the first `--sentences` validation pairs of the general and the
documentation domain of the built corpus (`python -m zoo.data.translation
build --out DIR`; never the test split), decoded by the shipped Keras model
with beam 4 and greedy, `no_repeat_ngram` 0 (off), 3 and 4. Scores as the
trainer scores (`zoo.models.translation.train.score`: BLEU / chrF of the
model's tokens); `loops`: hypotheses in which a run of 3 pieces follows
itself at once ("Schne Schne Schne"). Writes `translation_no_repeat.json` / `.md`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("general", "documentation")
SETTINGS = [(beam, n) for beam in (4, 1) for n in (0, 3, 4)]


def loops(tokens, size=3):
    """Whether `size` tokens are followed at once by the same `size` tokens."""
    return any(tokens[i:i + size] == tokens[i + size:i + 2 * size]
               for i in range(len(tokens) - 2 * size + 1))


def measure(name, data_dir, sentences=500, settings=SETTINGS, log=print):
    """Rows `{domain, beam, no_repeat_ngram, n, bleu, chrf, loops, seconds}`."""
    from zoo import api
    from zoo.data.en_de.combine import load_built
    from zoo.models.translation import models, translate
    from zoo.models.translation import train as mt

    spec = models.settings(name)
    vocabs = translate.vocabularies(name)
    backend = translate.keras_backend(api.load(name, compile=False))
    rows = []
    for domain in DOMAINS:
        pairs = load_built(data_dir, "validation", domain)[:sentences]
        src = mt.encode_pairs(pairs, vocabs, spec)[0]
        for beam, n in settings:
            start = time.time()
            hyps = mt.decode_in_chunks(backend, src, beam=beam, no_repeat_ngram=n)
            scores, _, _ = mt.score(hyps, pairs, vocabs[1], spec, None)
            rows.append(dict(domain=domain, beam=beam, no_repeat_ngram=n, n=len(pairs),
                             bleu=scores["bleu"], chrf=scores["chrf"],
                             loops=sum(loops(h.tokens) for h in hyps),
                             seconds=round(time.time() - start, 1)))
            log(rows[-1])
    return rows


def markdown(name, rows):
    lines = ["# Beam search with and without n-gram blocking (validation split)", "",
             f"`{name}`, Keras, the first {rows[0]['n']} validation pairs of each domain; "
             "BLEU / chrF as the trainer scores; loops: outputs where 3 pieces follow "
             "themselves at once. `no_repeat_ngram` 0 = off.", "",
             "| domain | decoding | no_repeat_ngram | BLEU | chrF | loops |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        decoding = "greedy" if r["beam"] == 1 else f"beam {r['beam']}"
        lines.append(f"| {r['domain']} | {decoding} | {r['no_repeat_ngram']} | "
                     f"{r['bleu']:.2f} | {r['chrf']:.2f} | {r['loops']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True, help="the built en-de corpus")
    p.add_argument("--model", default="mt-en-de-bahdanau")
    p.add_argument("--sentences", type=int, default=500)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    from benchmarks.results_io import write_results
    from zoo.data.en_de.combine import load_built

    try:
        load_built(args.data_dir, "validation", DOMAINS[0])
    except (OSError, ValueError) as e:
        p.error(f"--data-dir {args.data_dir}: no built en-de corpus there ({e}); build one "
                "with `python -m zoo.data.translation build --out DIR`")
    rows = measure(args.model, args.data_dir, args.sentences)
    write_results(args.out, "translation_no_repeat", {"model": args.model, "rows": rows},
                  markdown(args.model, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
