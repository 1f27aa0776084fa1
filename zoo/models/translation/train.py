"""Train, decode, score and export a translator.

    zoo train mt-en-de-bahdanau [--seed 0]          # FreeDict English-German examples
    zoo train mt-numbers-en-de-seq2seq              # spelled-out numbers and dates
    zoo train mt-en-de-luong --tsv deu.txt          # your own `english<TAB>german` pairs
    python -m zoo.models.translation.train mt-en-de-seq2seq ...

The run builds the vocabularies from the training split (`source_vocab.txt`,
`target_vocab.txt`: WordPiece, except English words for the source of
mt-numbers-*), trains with teacher forcing (cross-entropy on the target
tokens, early stopping on validation loss), then on the test split:

* decodes with the Keras model, greedy and beam search (`--beam`, length
  penalty `--length-penalty`), and scores BLEU and chrF (sacrebleu), overall
  and by source length (words), and the exact-match rate;
* exports each TFLite mode (`export.seq2seq`: encoder plan + `decode_step`
  in one file), decodes greedily with the file on `export.runtime` and
  reports its scores and its agreement with the Keras greedy output.

Artifacts (weights, vocabularies, config, TFLite files, `calibration.npz`,
`results.json`, `training.json`, `translations.json`, `SHA256SUMS`) go to
`--out` (default `$ZOO_HOME/NAME`). BLEU is on case-folded text (the
tokenizer folds case: "ß" becomes "ss"), one reference per sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo import training  # noqa: E402
from zoo.data import translation  # noqa: E402
from zoo.files import atomic_path, atomic_write_bytes  # noqa: E402

from zoo.models.translation.inference import CALIBRATION_FILE  # noqa: E402

FAMILY = "translation"
#: WordPiece vocabularies are learnt from at most this many training texts (a fixed
#: sample): the learner is single-threaded and slow on long compounds (24,000
#: German numbers: 285 s; 8,000: about a minute) and the pieces are the same.
VOCAB_TEXTS = 8000
CALIBRATION_EXAMPLES = 64
TRANSLATIONS_FILE = "translations.json"


def parse(argv, name=None):
    p = argparse.ArgumentParser(
        prog=f"zoo train {name}" if name else "python -m zoo.models.translation.train",
        description="Train a translator (see module doc).")
    p.add_argument("--tsv", default=None,
                   help="train on your own `english<TAB>german[<TAB>...]` pairs instead")
    p.add_argument("--beam", type=int, default=4, help="beam width for the test decoding")
    p.add_argument("--length-penalty", type=float, default=0.6,
                   help="GNMT length penalty alpha of the beam search")
    p.add_argument("--max-test", type=int, default=None,
                   help="score at most N test sentences (smoke runs)")
    training.add_common_args(p, epochs=30, batch_size=64, learning_rate=2e-3, patience=3)
    p.set_defaults(modes="float32,float16,int8")
    return training.parse_args(p, argv, name, FAMILY)


def load_splits(args, family):
    """`{split: [(english, german), ...]}` and the data section of results.json."""
    if args.tsv:
        parts = translation.splits(translation.load_tsv(args.tsv))
        data = dict(name=f"user data {Path(args.tsv).name}", source=str(args.tsv),
                    synthetic=False)
    else:
        corpus = family["corpus"]
        parts = {s: translation.load(corpus, s) for s in translation.SPLITS}
        if corpus == "freedict":
            data = dict(
                name="FreeDict English-German example phrases and sentences",
                source="Debian package dict-freedict-eng-deu (Ding 1.9 / FreeDict 2022), "
                       "zoo.data.translation.freedict_pairs",
                license="GPL-3.0-or-later / AGPL-3.0-or-later (the dictionary)",
                synthetic=False,
                description="Example phrases and sentences written by people for the Ding "
                            "dictionary, 4-15 English words, first German alternative; split "
                            "80/10/10 by a hash of the English text, no English or German "
                            "text of validation/test occurs in training.")
        else:
            data = dict(
                name="spelled-out numbers and dates, English -> German",
                source="zoo.data.translation.numbers_pairs (num2words + Babel/CLDR month names)",
                synthetic=True,
                description="Numbers 0-999,999 (log-uniform over digit counts) and dates "
                            "1900-2099 spelled out in English and German, lower case; "
                            "split 80/10/10 by a hash of the English text.")
    empty = [s for s, v in parts.items() if not v]
    if empty:
        raise ValueError(f"the {', '.join(empty)} split(s) are empty: give more pairs (the "
                         "split is 80/10/10 by a hash of the English text)")
    data["splits"] = {s: len(v) for s, v in parts.items()}
    return parts, data


# ------------------------------------------------------------ vocabularies


def build_vocabs(train_pairs, family):
    """`[source vocabulary, target vocabulary]` learnt from the training pairs."""
    from zoo.data import wordpiece

    vocabs = []
    sample = sorted(np.random.default_rng(0).permutation(len(train_pairs))[:VOCAB_TEXTS])
    for i, level in enumerate((family["source_level"], family["target_level"])):
        texts = [p[i] for p in train_pairs]
        if level == "wordpiece":
            vocabs.append(wordpiece.build_vocab([texts[k] for k in sample], family["vocab_size"],
                                                translation.SPECIALS))
        else:
            vocabs.append(translation.build_vocab(translation.tokenize(texts, level),
                                                  family["vocab_size"]))
    return vocabs


def encode_pairs(pairs, vocabs, family):
    src = translation.encode_source([p[0] for p in pairs], vocabs[0],
                                    family["source_length"], family["source_level"])
    tgt_in, tgt_out = translation.encode_target([p[1] for p in pairs], vocabs[1],
                                                family["target_length"], family["target_level"])
    return src, tgt_in, tgt_out


# ----------------------------------------------------------------- scoring


def score(hyps, pairs, vocab, family):
    """Scores of decoded hypotheses against the references of `pairs`."""
    from zoo.models.translation import evaluation

    texts = [translation.detokenize(h.tokens, vocab, family["target_level"]) for h in hyps]
    refs = _references([p[1] for p in pairs], family)
    lengths = translation.source_lengths([p[0] for p in pairs], "word")
    overall = evaluation.corpus_scores(texts, refs)
    return dict(bleu=overall["bleu"], chrf=overall["chrf"],
                exact_match=evaluation.exact_match(texts, refs),
                by_length=evaluation.by_length(lengths, texts, refs, edges=family["edges"]),
                exact_match_by_length=evaluation.exact_match_by_length(
                    lengths, texts, refs, edges=family["edges"])), texts, refs


def _references(texts, family):
    """The references as the tokenizer sees them (case-folded, NFKC), detokenized
    like the hypotheses, so BLEU compares like with like; one tokenizer call."""
    from zoo.data import wordpiece

    if family["target_level"] == "char":
        return ["".join(t) for t in translation.tokenize(texts, "char")]
    return [wordpiece.join(t) for t in translation.tokenize(texts, "word")]


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)

    import keras

    from zoo.models.translation import export as translation_export, tflite as host
    from zoo import registry
    from zoo.models.translation import models, translate

    entry, out = training.start_run(args)
    family = models.family_of(args.model)
    parts, data_section = load_splits(args, family)
    if args.max_train:
        keep = sorted(np.random.default_rng(args.seed).permutation(len(parts["train"]))
                      [:args.max_train])
        parts["train"] = [parts["train"][i] for i in keep]
    if args.max_test:
        parts["test"] = parts["test"][:args.max_test]
    print("pairs: " + ", ".join(f"{s} {len(v)}" for s, v in parts.items()), flush=True)

    vocab_files = [out / models.SOURCE_VOCAB_FILE, out / models.TARGET_VOCAB_FILE]
    if args.evaluate_only or all(f.is_file() for f in vocab_files):
        vocabs = [translation.load_vocab(f) for f in vocab_files]  # resumed run: same ids
    else:
        start = time.time()
        vocabs = build_vocabs(parts["train"], family)
        for v, f in zip(vocabs, vocab_files):
            translation.save_vocab(v, f)
        print(f"vocabularies: {len(vocabs[0])} source, {len(vocabs[1])} target "
              f"({time.time() - start:.0f} s)", flush=True)
    config = {"seed": args.seed, "source_vocab_size": len(vocabs[0]),
              "target_vocab_size": len(vocabs[1])}
    atomic_write_bytes(out / "config.json", json.dumps(config).encode())

    train = encode_pairs(parts["train"], vocabs, family)
    val = encode_pairs(parts["validation"], vocabs, family)
    test_pairs = parts["test"]
    test_src = encode_pairs(test_pairs, vocabs, family)[0]

    model = entry.build(**config)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate, clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  ignore_class=0),
                  metrics=["accuracy"])
    history, train_seconds = training.fit(
        model, entry, out, ([train[0], train[1]], train[2]), ([val[0], val[1]], val[2]), args,
        monitor="val_loss", mode="min", config=config)
    calib_idx = np.random.default_rng(args.seed + 1).permutation(len(train[0]))
    calib = [train[0][calib_idx[:CALIBRATION_EXAMPLES]], train[1][calib_idx[:CALIBRATION_EXAMPLES]]]
    with atomic_path(out / CALIBRATION_FILE) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, source=calib[0], target_in=calib[1])

    backend = translate.keras_backend(model)
    start = time.time()
    greedy = host.decode_ids(backend, test_src, beam=1)
    greedy_seconds = time.time() - start
    start = time.time()
    beam = host.decode_ids(backend, test_src, beam=args.beam, length_penalty=args.length_penalty)
    beam_seconds = time.time() - start
    greedy_scores, greedy_texts, refs = score(greedy, test_pairs, vocabs[1], family)
    beam_scores, beam_texts, _ = score(beam, test_pairs, vocabs[1], family)
    print(f"test (keras): greedy BLEU {greedy_scores['bleu']:.2f} chrF {greedy_scores['chrf']:.2f}"
          f" exact {greedy_scores['exact_match']:.4f}; beam {args.beam} BLEU "
          f"{beam_scores['bleu']:.2f} chrF {beam_scores['chrf']:.2f} exact "
          f"{beam_scores['exact_match']:.4f}", flush=True)

    metrics = {"keras": _flat(beam_scores)}
    exports, per_mode = {}, {"keras_greedy": greedy_scores, f"keras_beam{args.beam}": beam_scores}
    for mode in [m for m in args.modes.split(",") if m]:
        path = out / registry.tflite_filename(args.model, mode)
        try:
            report = translation_export.to_tflite(model, path, mode, representative_data=calib)
        except Exception as exc:  # ExportError and converter failures: recorded, run goes on
            print(f"{mode}: not exported: {exc}", flush=True)
            exports[mode] = {"error": str(exc)}
            continue
        tb = host.tflite_backend(path, threads=1)
        start = time.time()
        hyps = host.decode_ids(tb, test_src, beam=1)
        seconds = time.time() - start
        mode_scores, _, _ = score(hyps, test_pairs, vocabs[1], family)
        mode_scores["greedy_agreement_with_keras"] = host.agreement(greedy, hyps)
        metrics[mode] = _flat(mode_scores, greedy=True)
        per_mode[mode] = mode_scores
        exports[mode] = dict(size_bytes=report.size_bytes,
                             p50_ms_1t=sentence_latency_ms(tb, test_src),
                             ms_per_sentence_greedy_1t=round(1e3 * seconds / len(hyps), 2),
                             report=report.to_dict())
        print(f"{mode}: {report.size_bytes / 1024:.1f} KiB, greedy BLEU {mode_scores['bleu']:.2f} "
              f"exact {mode_scores['exact_match']:.4f}, agreement with Keras greedy "
              f"{mode_scores['greedy_agreement_with_keras']:.4f}", flush=True)
    shipped, failed = training.export_sections(exports)
    examples = [dict(source=p[0], reference=r, greedy=g, beam=b)
                for p, r, g, b in zip(test_pairs, refs, greedy_texts, beam_texts)]
    atomic_write_bytes(out / TRANSLATIONS_FILE,
                       json.dumps(examples[:200], ensure_ascii=False, indent=1).encode())
    results = {
        **training.results_header(args, entry, model, data_section),
        "metrics": metrics,
        "exports": shipped,
        "limitations": [
            "BLEU and chrF (sacrebleu defaults) on case-folded text with one reference; "
            "`keras` is beam search (width "
            f"{args.beam}, length penalty {args.length_penalty}), the TFLite modes are greedy.",
        ] + family["limitations"] + failed,
        "reproduce": {"train": f"zoo train {args.model} --seed {args.seed}",
                      "data": family["reproduce_data"]},
        "environment": training.environment(),
    }
    details = {"scores": per_mode, "train_seconds": train_seconds, "seed": args.seed,
               "decode_seconds": {"keras_greedy": round(greedy_seconds, 1),
                                  f"keras_beam{args.beam}": round(beam_seconds, 1)},
               "epochs_run": None if history is None else len(history.get("loss", [])),
               "history": training.history_dict(history)}
    training.write_run(out, results, details)
    return 0


def sentence_latency_ms(backend, source_ids, n=30):
    """Median wall time (ms) of one whole greedy translation (encoder + decoder loop),
    over the first `n` test sentences one at a time, after one warm-up."""
    from zoo.models.translation.tflite import decode_ids as host_decode
    host_decode(backend, source_ids[:1])
    times = []
    for i in range(min(n, len(source_ids))):
        start = time.perf_counter()
        host_decode(backend, source_ids[i:i + 1])
        times.append(time.perf_counter() - start)
    return round(float(np.median(times)) * 1e3, 3)


def _flat(scores, greedy=False):
    keys = ("bleu", "chrf", "exact_match") + (("greedy_agreement_with_keras",) if greedy else ())
    return {k: float(scores[k]) for k in keys if k in scores}


if __name__ == "__main__":
    sys.exit(main())
