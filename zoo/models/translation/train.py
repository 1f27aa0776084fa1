"""Train, decode, score and export a translator.

    zoo train mt-en-de-bahdanau --data-dir DIR      # the en-de corpus (python -m zoo.data.translation build --out DIR)
    zoo train mt-numbers-en-de-seq2seq              # numbers and dates in ten written forms
    zoo train mt-en-de-luong --tsv deu.txt          # your own `english<TAB>german` pairs
    python -m zoo.models.translation.train mt-en-de-seq2seq ...

The run builds the vocabularies from the training split (`source_vocab.txt`,
`target_vocab.txt`: WordPiece, except English words for the source of
mt-numbers-*; `--vocab-dir` takes them from an earlier run), leaves out the
training pairs longer than the model reads (never cut), trains with teacher
forcing (cross-entropy on the target tokens, early stopping on validation
loss; a family with `bucketed=True` trains a model of any length on batches
of similar length, `length_batches`), then on the test split:

* decodes with the Keras model, greedy and beam search (`--beam`, length
  penalty `--length-penalty`), and scores BLEU and chrF (sacrebleu), overall,
  by source length (words) and per test group (en-de domain, numbers form),
  and the exact-match rate;
* exports each TFLite mode (`export.seq2seq`: encoder plan + `decode_step`
  in one file), decodes greedily with the file on `export.runtime` and
  reports its scores and its agreement with the Keras greedy output.

Artifacts (weights, vocabularies, `config.json` with the lengths and token
settings the model was trained with, TFLite files, `calibration.npz`,
`results.json`, `training.json`, `translations.json`, `SHA256SUMS`) go to
`--out` (default `$ZOO_HOME/NAME`). Scores compare the detokenized output
with the reference as the model's tokenizer reads it (cased for cased
families; the older case-folded models fold "ß" to "ss"), one reference each.
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

from zoo import file_metadata, training  # noqa: E402
from zoo.data import translation  # noqa: E402
from zoo.models.translation import models  # noqa: E402
from zoo.files import atomic_path, atomic_write_bytes  # noqa: E402

from zoo.models.translation.inference import CALIBRATION_FILE  # noqa: E402

FAMILY = "translation"
#: WordPiece vocabularies are learnt from at most this many training texts (a fixed
#: sample): the learner is single-threaded and slow on long compounds (24,000
#: German numbers: 285 s; 8,000: about a minute) and the pieces are the same.
VOCAB_TEXTS = 8000
CALIBRATION_EXAMPLES = 64
#: Test pairs scored per domain of the en-de corpus (general, documentation, ui).
TEST_PER_DOMAIN = 1000
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
                   help="score at most N test sentences (per domain for en-de; smoke runs)")
    p.add_argument("--data-dir", default=None,
                   help="the en-de corpus as `python -m zoo.data.translation build --out DIR` "
                        "wrote it (default: read the installed Debian packages, ~45 s)")
    p.add_argument("--vocab-dir", default=None,
                   help="take source_vocab.txt / target_vocab.txt from DIR instead of learning "
                        "them (the German 8k learner takes ~13 min on one core)")
    training.add_common_args(p, epochs=30, batch_size=64, learning_rate=2e-3, patience=3)
    p.set_defaults(modes="float32,float16,int8")
    return training.parse_args(p, argv, name, FAMILY)


_DATA = {
    "en-de": dict(
        name="English-German pairs from Debian packages (zoo.data.en_de)",
        source="trans-de-en (Ding), dict-freedict-eng-deu, dict-freedict-deu-eng, "
               "libreoffice-help-en-us/-de, libreoffice-l10n-de, debian-reference, German "
               "message catalogues; read by zoo.data.en_de",
        license="GPL-2.0-or-later (Ding), GPL-3.0-or-later / AGPL-3.0-or-later (FreeDict), "
                "MPL-2.0 (LibreOffice help and UI), GPL-2.0-or-later (debian-reference); "
                "catalogues: each package's licence",
        synthetic=False,
        description="Dictionary examples (general language), software documentation and UI "
                    "strings, 4-40 English words, case and ß kept; deduplicated on the English "
                    "side and split 80/10/10 by a hash so that no validation/test text occurs "
                    "in training on either side; test scored per domain (the first "
                    f"{TEST_PER_DOMAIN} test pairs of each)."),
    "freedict": dict(
        name="FreeDict English-German example phrases and sentences",
        source="Debian package dict-freedict-eng-deu (Ding 1.9 / FreeDict 2022), "
               "zoo.data.translation.freedict_pairs",
        license="GPL-3.0-or-later / AGPL-3.0-or-later (the dictionary)",
        synthetic=False,
        description="Example phrases and sentences written by people for the Ding dictionary, "
                    "4-15 English words, first German alternative; split 80/10/10 by a hash of "
                    "the English text, no English or German text of validation/test occurs in "
                    "training."),
    "numbers": dict(
        name="numbers, years, ordinals and dates as people write them, English -> German",
        source="zoo.data.numbers.pairs (num2words + Babel/CLDR date formats)",
        synthetic=True,
        description="Ten forms drawn evenly (words, word variants, digits, years, ordinals, "
                    "dates spelled out and in CLDR short/medium/long/full); numbers "
                    "log-uniform over 1-10 digits, a third round; every number 0-1,000 in "
                    "training in each number form; split 80/10/10 by item (all forms of a "
                    "number or date in one split); test scored per form."),
}


def load_splits(args, family):
    """`{split: [(english, german), ...]}` and the data section of results.json (with
    `test_domains`, `[[group, count], ...]` in the order of the test pairs, where the
    corpus has groups: en-de domains, numbers forms)."""
    groups = None
    corpus = family["corpus"]
    if args.tsv:
        parts = translation.splits(translation.load_tsv(args.tsv))
        data = dict(name=f"user data {Path(args.tsv).name}", source=str(args.tsv),
                    synthetic=False)
    elif corpus == "en-de":
        from zoo.data.en_de.combine import load_built

        def read(split, domain=None):
            if args.data_dir:
                return load_built(args.data_dir, split, domain)
            return translation.load(corpus, split, domain=domain)

        parts = {s: read(s) for s in ("train", "validation")}
        keep = args.max_test or TEST_PER_DOMAIN
        by_domain = {d: read("test", d)[:keep] for d in translation.DOMAINS}
        parts["test"] = [p for d in translation.DOMAINS for p in by_domain[d]]
        groups = [[d, len(by_domain[d])] for d in translation.DOMAINS]
        data = dict(_DATA[corpus])
    elif corpus == "numbers":
        from zoo.data import numbers

        rows = numbers.corpus()
        parts = {s: [(e, g) for e, g, _ in rows[s]] for s in ("train", "validation")}
        test = sorted(rows["test"], key=lambda r: numbers.FORMS.index(r[2]))
        parts["test"] = [(e, g) for e, g, _ in test]
        groups = [[f, sum(r[2] == f for r in test)] for f in numbers.FORMS]
        data = dict(_DATA[corpus])
    else:
        parts = {s: translation.load(corpus, s) for s in translation.SPLITS}
        data = dict(_DATA[corpus])
    if groups:
        data["test_domains"] = groups  # [group, count] in the order of parts["test"]
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
    n_texts = family.get("vocab_texts", VOCAB_TEXTS) or len(train_pairs)
    sample = sorted(np.random.default_rng(0).permutation(len(train_pairs))[:n_texts])
    sides = ((models.source_texts(family, [p[0] for p in train_pairs]), family["source_level"],
              family["source_cased"]),
             ([p[1] for p in train_pairs], family["target_level"], family["cased"]))
    for texts, level, cased in sides:
        if level == "wordpiece":
            vocabs.append(wordpiece.build_vocab(
                [texts[k] for k in sample], family["vocab_size"], translation.SPECIALS,
                cased=cased, min_count=family.get("min_count", 10)))
        else:
            vocabs.append(translation.build_vocab(translation.tokenize(texts, level, cased),
                                                  family["vocab_size"]))
    return vocabs


def encode_pairs(pairs, vocabs, family):
    src = translation.encode_source(models.source_texts(family, [p[0] for p in pairs]),
                                    vocabs[0], family["source_length"], family["source_level"],
                                    family["source_cased"])
    tgt_in, tgt_out = translation.encode_target([p[1] for p in pairs], vocabs[1],
                                                family["target_length"], family["target_level"],
                                                family["cased"])
    return src, tgt_in, tgt_out


def fitting(pairs, vocabs, family):
    """The pairs whose source and target fit the model's lengths in tokens (with EOS)
    and its word limit: training never sees a cut sentence."""
    src = translation.to_tokens(models.source_texts(family, [p[0] for p in pairs]), vocabs[0],
                                family["source_level"], family["source_cased"])
    tgt = translation.to_tokens([p[1] for p in pairs], vocabs[1], family["target_level"],
                                family["cased"])
    return [p for p, s, t in zip(pairs, src, tgt)
            if len(s) <= family["source_length"] and len(t) < family["target_length"]
            and not models.over_word_limit(family, p[0])]


def length_batches(arrays, batch_size, seed, step=4):
    """A `tf.data.Dataset` of `((source, target_in), target_out)` batches of similar
    length, each cut to its longest row rounded up to `step` tokens (padding is most
    of the cost of a recurrent batch); new batches in a new order every epoch."""
    import tensorflow as tf

    src, tgt_in, tgt_out = arrays
    src_len = np.count_nonzero(src, axis=1)
    tgt_len = np.count_nonzero(tgt_out, axis=1)
    n_batches = -(-len(src) // batch_size)
    rng = np.random.default_rng(seed)

    def batches():
        key = np.maximum(src_len, tgt_len) + rng.uniform(0, 3, len(src))  # jittered sort
        order = np.argsort(key)
        chunks = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        for k in rng.permutation(len(chunks)):
            idx = np.sort(chunks[k])
            ls = int(-(-src_len[idx].max() // step) * step)
            lt = int(-(-tgt_len[idx].max() // step) * step)
            yield (src[idx, :ls], tgt_in[idx, :lt]), tgt_out[idx, :lt]

    spec = tf.TensorSpec((None, None), tf.int32)
    ds = tf.data.Dataset.from_generator(batches, output_signature=((spec, spec), spec))
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)


# ----------------------------------------------------------------- scoring


def score(hyps, pairs, vocab, family, domains=None):
    """Scores of decoded hypotheses against the references of `pairs`; `domains`
    (`[[group, count], ...]` in the order of `pairs`: en-de domains, numbers forms) adds
    BLEU, chrF and exact match per group (`by_domain`)."""
    from zoo.models.translation import evaluation

    texts = [translation.detokenize(h.tokens, vocab, family["target_level"]) for h in hyps]
    refs = _references([p[1] for p in pairs], family)
    lengths = [len(p[0].split()) for p in pairs]
    overall = evaluation.corpus_scores(texts, refs)
    by_domain, start = {}, 0
    for domain, count in domains or ():
        part = slice(start, start + count)
        start += count
        if count:
            by_domain[domain] = dict(
                **evaluation.corpus_scores(texts[part], refs[part]), sentences=count,
                exact_match=evaluation.exact_match(texts[part], refs[part]),
                by_length=evaluation.by_length(lengths[part], texts[part], refs[part],
                                               edges=family["edges"]))
    return dict(bleu=overall["bleu"], chrf=overall["chrf"], by_domain=by_domain,
                exact_match=evaluation.exact_match(texts, refs),
                by_length=evaluation.by_length(lengths, texts, refs, edges=family["edges"]),
                exact_match_by_length=evaluation.exact_match_by_length(
                    lengths, texts, refs, edges=family["edges"])), texts, refs


def _references(texts, family):
    """The references as the tokenizer sees them (NFKC; case-folded unless the family is
    cased), detokenized like the hypotheses, so BLEU compares like with like; one
    tokenizer call."""
    from zoo.data import wordpiece

    cased = family["cased"]
    if family["target_level"] == "char":
        return ["".join(t) for t in translation.tokenize(texts, "char", cased)]
    return [wordpiece.join(t) for t in translation.tokenize(texts, "word", cased)]


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)

    import keras

    from zoo.models.translation import export as translation_export, tflite as host
    from zoo import registry
    from zoo.models.translation import translate

    entry, out = training.start_run(args)
    family = models.settings(args.model, {})  # a new run: the family's, not a shipped config
    parts, data_section = load_splits(args, family)
    if args.max_train:
        keep = sorted(np.random.default_rng(args.seed).permutation(len(parts["train"]))
                      [:args.max_train])
        parts["train"] = [parts["train"][i] for i in keep]
    if args.max_test and "test_domains" not in data_section:  # en-de: per domain already
        parts["test"] = parts["test"][:args.max_test]
    print("pairs: " + ", ".join(f"{s} {len(v)}" for s, v in parts.items()), flush=True)

    vocab_files = [out / models.SOURCE_VOCAB_FILE, out / models.TARGET_VOCAB_FILE]
    if args.vocab_dir and not all(f.is_file() for f in vocab_files):
        for f in vocab_files:
            translation.save_vocab(translation.load_vocab(Path(args.vocab_dir) / f.name), f)
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
              "target_vocab_size": len(vocabs[1]),
              "source_length": family["source_length"], "target_length": family["target_length"],
              **family["build"], **models.build_defaults(args.model),
              **{k: v for k, v in family.items() if k in models.TOKEN_KEYS}}
    atomic_write_bytes(out / "config.json", json.dumps(config).encode())
    family = models.settings(args.model, config)

    for split in ("train", "validation"):
        kept = fitting(parts[split], vocabs, family)
        if len(kept) < len(parts[split]):
            print(f"{split}: {len(parts[split]) - len(kept)} pairs longer than the model reads "
                  "left out", flush=True)
        parts[split] = kept
    test_pairs, domains = parts["test"], data_section.get("test_domains")
    over = [i for i, p in enumerate(test_pairs) if models.over_word_limit(family, p[0])]
    if over:  # the built corpus holds none; a user's TSV may
        raise ValueError(f"{len(over)} test sentences have more than {family['max_words']} words "
                         "(the model's limit): rebuild the data with --max-words")
    train = encode_pairs(parts["train"], vocabs, family)
    val = encode_pairs(parts["validation"], vocabs, family)
    test_src = encode_pairs(test_pairs, vocabs, family)[0]

    if family.get("bucketed"):
        # Length-bucketed batches through a model of any length (same weights as the
        # registered one, which `training.fit` saves and which is reloaded below).
        model = entry.build(**{**config, "source_length": None, "target_length": None})
        fit_train = (length_batches(train, args.batch_size, args.seed),)
        fit_val = length_batches(val, args.batch_size, args.seed + 1)
    else:
        model = entry.build(**config)
        fit_train = ([train[0], train[1]], train[2])
        fit_val = ([val[0], val[1]], val[2])
    steps = training.steps_per_epoch(fit_train, args.batch_size)
    model.compile(optimizer=keras.optimizers.Adam(training.learning_rate(args, steps),
                                                  clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                  ignore_class=0),
                  metrics=["accuracy"])
    history, train_seconds = training.fit(model, entry, out, fit_train, fit_val, args,
                                          monitor="val_loss", mode="min", config=config)
    if family.get("bucketed"):
        model = entry.build(**config)
        model.load_weights(out / "model.weights.h5")
    calib_idx = np.random.default_rng(args.seed + 1).permutation(len(train[0]))
    calib = [train[0][calib_idx[:CALIBRATION_EXAMPLES]], train[1][calib_idx[:CALIBRATION_EXAMPLES]]]
    with atomic_path(out / CALIBRATION_FILE) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, source=calib[0], target_in=calib[1])

    backend = translate.keras_backend(model)
    start = time.time()
    greedy = decode_in_chunks(backend, test_src, beam=1)
    greedy_seconds = time.time() - start
    start = time.time()
    beam = decode_in_chunks(backend, test_src, beam=args.beam,
                            length_penalty=args.length_penalty)
    beam_seconds = time.time() - start
    greedy_scores, greedy_texts, refs = score(greedy, test_pairs, vocabs[1], family, domains)
    beam_scores, beam_texts, _ = score(beam, test_pairs, vocabs[1], family, domains)
    print(f"test (keras): greedy BLEU {greedy_scores['bleu']:.2f} chrF {greedy_scores['chrf']:.2f}"
          f" exact {greedy_scores['exact_match']:.4f}; beam {args.beam} BLEU "
          f"{beam_scores['bleu']:.2f} chrF {beam_scores['chrf']:.2f} exact "
          f"{beam_scores['exact_match']:.4f}", flush=True)

    metrics = {"keras": _flat(beam_scores)}
    exports, per_mode = {}, {"keras_greedy": greedy_scores, f"keras_beam{args.beam}": beam_scores}
    for mode in [m for m in args.modes.split(",") if m]:
        path = out / registry.tflite_filename(args.model, mode)
        try:
            report = translation_export.to_tflite(
                model, path, mode, representative_data=calib,
                metadata=file_metadata.stepped_metadata(args.model))
        except Exception as exc:  # ExportError and converter failures: recorded, run goes on
            print(f"{mode}: not exported: {exc}", flush=True)
            exports[mode] = {"error": str(exc)}
            continue
        tb = host.tflite_backend(path, threads=1)
        start = time.time()
        hyps = decode_in_chunks(tb, test_src, beam=1)
        seconds = time.time() - start
        mode_scores, _, _ = score(hyps, test_pairs, vocabs[1], family, domains)
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
            f"BLEU and chrF (sacrebleu defaults) on {_case_words(family)} text with one "
            f"reference; `keras` is beam search (width {args.beam}, length penalty "
            f"{args.length_penalty}), the TFLite modes are greedy"
            + (f"; per test group (`*_{'`, `*_'.join(g for g, _ in domains)}`)"
               if domains else "") + ".",
        ] + family["limitations"] + failed,
        "reproduce": {"train": train_command(args),
                      "data": family["reproduce_data"]},
        "environment": training.environment(),
    }
    details = {"scores": per_mode, "train_seconds": train_seconds, "seed": args.seed,
               "decode_seconds": {"keras_greedy": round(greedy_seconds, 1),
                                  f"keras_beam{args.beam}": round(beam_seconds, 1)},
               "epochs_run": training.epochs_run(history),
               "history": training.history_dict(history)}
    training.write_run(out, results, details)
    return 0


def train_command(args):
    """The `zoo train` line that repeats this run's training (data and vocabulary
    options aside: the card's `data` line says where the pairs come from)."""
    parts = [f"zoo train {args.model} --seed {args.seed} --epochs {args.epochs}"]
    if args.learning_rate != parse([], args.model).learning_rate:
        parts.append(f"--learning-rate {args.learning_rate:g}")
    if training.schedule_option(args):
        parts.append(training.schedule_option(args).strip())
    if args.time_budget:
        parts.append(f"--time-budget {args.time_budget:g}")
    return " ".join(parts)


#: Test sentences decoded at a time: a beam over a whole test split would hold every
#: row's candidates (rows x beam x vocabulary) until the longest sentence ends.
DECODE_CHUNK = 256


def decode_in_chunks(backend, source_ids, chunk=DECODE_CHUNK, **kwargs):
    """`tflite.decode_ids` over `chunk` sentences at a time (the same hypotheses)."""
    from zoo.models.translation.tflite import decode_ids

    out = []
    for start in range(0, len(source_ids), chunk):
        out += decode_ids(backend, source_ids[start:start + chunk], **kwargs)
    return out


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


def _case_words(family):
    return "cased" if family.get("cased") else "case-folded"


def _flat(scores, greedy=False):
    keys = ("bleu", "chrf", "exact_match") + (("greedy_agreement_with_keras",) if greedy else ())
    flat = {k: float(scores[k]) for k in keys if k in scores}
    for domain, part in scores.get("by_domain", {}).items():
        flat.update({f"{k}_{domain}": float(part[k]) for k in ("bleu", "chrf", "exact_match")
                     if k in part})
    return flat


if __name__ == "__main__":
    sys.exit(main())
