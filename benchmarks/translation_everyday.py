"""Translation of everyday English, as a new user would try it.

    python -m benchmarks.translation_everyday [--out benchmarks/results] [--data-dir DIR]

`benchmarks/data/everyday_en_de.tsv`: 62 everyday English sentences (4 to 22
words: directions, shopping, family, weather, travel) with German references,
written for this check. None of them, on either side, is a sentence of the
built en-de corpus (checked with `--data-dir`, which reports any overlap; the
test split is dictionary examples and software documentation, this set is what
a user types first). Each shipped en-de translator translates them as
`zoo.translate` does (Keras, beam 4, its default n-gram blocking), the attention
model also with repeats allowed (`no_repeat_ngram=0`), and its shipped int8 file as
a phone would run it. Writes `translation_everyday.json` / `.md`: BLEU
and chrF (sacrebleu, cased, one reference), refusals, per-sentence chrF and
every output side by side for reading (a score does not say whether the
meaning came through).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "benchmarks" / "data" / "everyday_en_de.tsv"
#: (column, model, TFLite mode or None for Keras, `no_repeat_ngram` or None for the default)
SYSTEMS = (("mt-en-de-bahdanau", "mt-en-de-bahdanau", None, None),
           ("mt-en-de-bahdanau, repeats allowed", "mt-en-de-bahdanau", None, 0),
           ("mt-en-de-bahdanau int8", "mt-en-de-bahdanau", "int8", None),
           ("mt-en-de-luong", "mt-en-de-luong", None, None),
           ("mt-en-de-seq2seq (no attention)", "mt-en-de-seq2seq", None, None))


def load_pairs(path=SENTENCES):
    """`[(english, german)]` of a two-column TSV; a malformed line is an error naming it."""
    pairs = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        cols = line.split("\t")
        if len(cols) != 2 or not all(c.strip() for c in cols):
            raise ValueError(f"{path}:{i}: expected 'english<TAB>german', got {line!r}")
        pairs.append((cols[0], cols[1]))
    return pairs


def _key(text):
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def corpus_overlap(pairs, data_dir):
    """Sentences of `pairs` whose English or German (case and punctuation aside) is a
    sentence of the built corpus in `data_dir` (every `*.tsv` there): `[(file, side, text)]`."""
    english = {_key(e): e for e, _ in pairs}
    german = {_key(d): d for _, d in pairs}
    found = []
    for f in sorted(Path(data_dir).glob("*.tsv")):
        for line in f.read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) < 2:
                continue
            for side, known, key in (("en", english, _key(cols[0])), ("de", german, _key(cols[1]))):
                if key in known:
                    found.append((f.name, side, known[key]))
    return found


def translate_all(pairs, systems=SYSTEMS, log=print):
    """`{column: {"outputs": [str or None], "refused": [str], "bleu", "chrf", "sentence_chrf"}}`;
    a refused sentence scores as an empty translation."""
    import sacrebleu

    from zoo.models.translation import translate

    sources, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    result = {}
    for column, name, mode, no_repeat in systems:
        out = translate.translate(name, sources, beam=4, tflite=mode, return_errors=True,
                                  no_repeat_ngram=no_repeat)
        refused = [f"{s}: {o}" for s, o in zip(sources, out) if isinstance(o, ValueError)]
        texts = ["" if isinstance(o, ValueError) else o for o in out]
        result[column] = {
            "model": name, "tflite": mode, "no_repeat_ngram": no_repeat,
            "bleu": float(sacrebleu.corpus_bleu(texts, [refs]).score),
            "chrf": float(sacrebleu.corpus_chrf(texts, [refs]).score),
            "sentence_chrf": [float(sacrebleu.sentence_chrf(t, [r]).score)
                              for t, r in zip(texts, refs)],
            "outputs": [None if isinstance(o, ValueError) else o for o in out],
            "refused": refused}
        log(f"{column}: BLEU {result[column]['bleu']:.1f}, chrF {result[column]['chrf']:.1f}, "
            f"{len(refused)} refused")
    return result


def markdown(pairs, result, overlap=None):
    cols = list(result)
    esc = [lambda t: (t or "(refused)").replace("|", "\\|")][0]
    lines = ["# Translation of everyday English", "",
             f"{len(pairs)} everyday sentences written for this check "
             "(`benchmarks/data/everyday_en_de.tsv`), none in the training corpus"
             + ("" if overlap is None else f" (checked against the built corpus: "
                f"{len(overlap)} found)") + "; Keras beam 4 as `zoo.translate` returns them, the "
             "int8 file through the same call (`tflite=\"int8\"`). sacrebleu, cased, one "
             "reference; a refused sentence counts as empty; \"repeats allowed\": "
             "`no_repeat_ngram=0` (the default blocks a second 3-gram of target pieces).", "",
             "| model | BLEU | chrF | mean sentence chrF | refused |", "|---|---:|---:|---:|---:|"]
    for c in cols:
        r = result[c]
        mean = sum(r["sentence_chrf"]) / len(r["sentence_chrf"])
        lines.append(f"| {c} | {r['bleu']:.1f} | {r['chrf']:.1f} | {mean:.1f} | "
                     f"{len(r['refused'])} |")
    if len(cols) > 1 and "mt-en-de-seq2seq (no attention)" in result:
        twin = result["mt-en-de-seq2seq (no attention)"]["sentence_chrf"]
        lines += ["", "Sentences where a model's chrF beats / ties / trails the no-attention "
                  "twin's:", ""]
        for c in cols:
            if result[c]["model"] == "mt-en-de-seq2seq":
                continue
            s = result[c]["sentence_chrf"]
            w = sum(a > b for a, b in zip(s, twin))
            t = sum(a == b for a, b in zip(s, twin))
            lines.append(f"- {c}: {w} / {t} / {len(s) - w - t}")
    lines += ["", "## Every sentence", "",
              "| English | reference | " + " | ".join(cols) + " |",
              "|---|---|" + "---|" * len(cols)]
    for i, (en, de) in enumerate(pairs):
        lines.append(f"| {esc(en)} | {esc(de)} | " + " | ".join(
            f"{esc(result[c]['outputs'][i])} ({result[c]['sentence_chrf'][i]:.0f})"
            for c in cols) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--sentences", default=str(SENTENCES), help="english<TAB>german lines")
    p.add_argument("--data-dir", default=None,
                   help="the built en-de corpus: report sentences of the set found in it")
    args = p.parse_args(argv)
    from benchmarks.results_io import write_results

    pairs = load_pairs(args.sentences)
    overlap = corpus_overlap(pairs, args.data_dir) if args.data_dir else None
    if overlap:
        print(f"{len(overlap)} sentences of the set are in the corpus: {overlap[:3]}")
    result = translate_all(pairs)
    write_results(args.out, "translation_everyday",
                  {"sentences": args.sentences, "pairs": pairs, "corpus_overlap": overlap,
                   "systems": result}, markdown(pairs, result, overlap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
