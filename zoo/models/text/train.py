"""Train, export and measure a text classifier, with a TF-IDF baseline in the same run.

    zoo train text-att-bigru [--fortunes-dir /usr/share/games/fortunes] [--seed 0]
    zoo train text-att-bigru --tsv my_data.tsv      # your own `text<TAB>label` lines
    python -m zoo.models.text.train text-bigru ...

The run builds the vocabulary from the training split (`vocab.txt`), trains
with early stopping on validation accuracy, exports every TFLite mode
(calibrated on training sentences), measures accuracy and macro-F1 of the
Keras model and of each file on the test split, and fits the classical
peer on the same split: TF-IDF (word 1-2 grams, sublinear tf) + logistic
regression (scikit-learn, C chosen on validation). Artifacts (weights,
vocab, labels, config, TFLite files, `results.json`, `training.json`,
`calibration.npz`, `SHA256SUMS`) go to `--out` (default `$ZOO_HOME/NAME`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo import training  # noqa: E402
from zoo.data import fortunes, text  # noqa: E402
from zoo.models.text.preprocessing import SEQUENCE_LENGTH, VOCAB_FILE  # noqa: E402

FAMILY = "text"
CALIBRATION_EXAMPLES = 64
MIN_COUNT = 2


def parse(argv, name=None):
    p = argparse.ArgumentParser(prog=f"zoo train {name}" if name else "python -m zoo.models.text.train",
                                description="Train a text classifier (see module doc).")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--fortunes-dir", default=fortunes.DEFAULT_DIR,
                     help="folder of the Debian fortunes files (the 10-topic task)")
    src.add_argument("--tsv", default=None, help="train on your own `text<TAB>label` file instead")
    training.add_common_args(p, epochs=25, batch_size=32, learning_rate=2e-3, patience=5)
    return training.parse_args(p, argv, name, FAMILY)


def load_splits(args):
    """`{split: (texts, labels)}` and the data section of results.json."""
    if args.tsv:
        splits = {s: fortunes.load_tsv(args.tsv, split=s) for s in fortunes.SPLITS}
        data = dict(name=f"user data {Path(args.tsv).name}", source=str(args.tsv),
                    synthetic=False)
    else:
        splits = {s: fortunes.load(s, args.fortunes_dir) for s in fortunes.SPLITS}
        data = dict(name="fortunes 10-topic quotations",
                    source="Debian package `fortunes` (/usr/share/games/fortunes), "
                           "zoo.data.fortunes", synthetic=False,
                    description="Real quotations from 10 category files (" +
                                ", ".join(fortunes.CATEGORIES) + "); deduplicated; split "
                                "70/15/15 by a hash of the text (no text shared).")
    empty = [s for s, (t, _) in splits.items() if not t]
    if empty:
        raise ValueError(f"the {', '.join(empty)} split(s) are empty: give more lines (the split "
                         "is 70/15/15 by a hash of each text)")
    data["splits"] = {s: len(t) for s, (t, _) in splits.items()}
    return splits, data


# --------------------------------------------------------------- baseline


def tfidf_baseline(splits, label_index):
    """TF-IDF + logistic regression: C picked on validation accuracy, scored on test."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.time()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    xtr = vec.fit_transform(splits["train"][0])
    ytr = np.array([label_index[y] for y in splits["train"][1]])
    xva, xte = vec.transform(splits["validation"][0]), vec.transform(splits["test"][0])
    yva = np.array([label_index[y] for y in splits["validation"][1]])
    yte = np.array([label_index[y] for y in splits["test"][1]])
    best = None
    for c in (1.0, 3.0, 10.0, 30.0, 100.0):
        clf = LogisticRegression(C=c, max_iter=2000).fit(xtr, ytr)
        acc = float((clf.predict(xva) == yva).mean())
        if best is None or acc > best[0]:
            best = (acc, c, clf)
    labels = sorted(label_index, key=label_index.get)
    probs = np.zeros((len(yte), len(labels)))
    probs[:, best[2].classes_] = best[2].predict_proba(xte)
    test, _ = training.classification_metrics(lambda _: probs, np.arange(len(yte)), yte, labels,
                                              batch=max(1, len(yte)))
    return dict(name="TF-IDF (1-2 grams) + logistic regression", C=best[1],
                validation_accuracy=best[0], accuracy=test["accuracy"],
                macro_f1=test["macro_f1"], seconds=round(time.time() - start, 1))


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)

    entry, out = training.start_run(args)

    splits, data_section = load_splits(args)
    labels = list(entry.labels) if not args.tsv else sorted(set(splits["train"][1]))
    label_index = {y: i for i, y in enumerate(labels)}
    unseen = sorted({y for s in splits.values() for y in s[1]} - set(labels))
    if unseen:
        raise ValueError(f"labels {unseen} occur outside the training split; give each label "
                         "more lines")
    texts, ys = splits["train"]
    if args.max_train:
        keep = sorted(np.random.default_rng(args.seed).permutation(len(texts))[:args.max_train])
        splits["train"] = ([texts[i] for i in keep], [ys[i] for i in keep])
    print("texts: " + ", ".join(f"{s} {len(t)}" for s, (t, _) in splits.items()), flush=True)

    vocab = text.build_vocab(text.tokenize(splits["train"][0]), max_size=8000,
                             min_count=MIN_COUNT)
    text.save_vocab(vocab, out / VOCAB_FILE)

    def xy(split):
        texts, ys = splits[split]
        return text.encode(texts, vocab, SEQUENCE_LENGTH), np.array([label_index[y] for y in ys])

    data = (*xy("train"), *xy("validation"), *xy("test"))
    calib = training.subset(data[0], data[1], CALIBRATION_EXAMPLES, args.seed + 1)[0]
    return training.classifier_run(
        entry, args, out, data, labels,
        config={"seed": args.seed, "vocab_size": len(vocab), "classes": len(labels)},
        calibration=calib, shipped_calibration={"tokens": calib}, data_section=data_section,
        baselines=lambda: [tfidf_baseline(splits, label_index)],
        limitations=["Topics of short quotations overlap (a joke about programmers' food); "
                     "the classes are unbalanced (computers is the largest, medicine the "
                     "smallest): macro-F1 is reported beside accuracy."],
        reproduce={"train": f"zoo train {args.model} --epochs {args.epochs} --seed {args.seed}"
                            + training.schedule_option(args),
                   "data": "apt-get install fortunes (scripts/setup_system.sh)"})


if __name__ == "__main__":
    sys.exit(main())
