"""Train, export and measure a time-series classifier, with classical peers in the same run.

    zoo train ts-att-gru [--dataset japanese_vowels] [--seed 0]
    python -m zoo.models.series.train ts-gru --dataset plaid --out runs/plaid-gru

Data: the official train/test split of the archive (`zoo.data.series`,
bundled in the sktime wheel); 20 % of the training split, stratified, is
the validation split for early stopping. Standardization statistics come
from the training part and go into the model (`config.json`). The peers,
fitted on the whole official training split and scored on the same test
split: 1-NN DTW and MiniRocket + ridge (`zoo.models.series.baselines`).
The shipped `ts-*` models are the JapaneseVowels runs; `--dataset plaid`
(downsampled by 4 to at most 336 steps) is for the benchmark tables.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo import training  # noqa: E402
from zoo.data import series  # noqa: E402

FAMILY = "series"
DATASET_SETTINGS = {"japanese_vowels": dict(downsample=1, length=32),
                    "plaid": dict(downsample=4, length=336)}
CALIBRATION_EXAMPLES = 64


def parse(argv, name=None):
    p = argparse.ArgumentParser(prog=f"zoo train {name}" if name else "python -m zoo.models.series.train",
                                description="Train a time-series classifier (see module doc).")
    p.add_argument("--dataset", choices=sorted(DATASET_SETTINGS), default="japanese_vowels")
    p.add_argument("--no-baselines", action="store_true",
                   help="skip the classical peers (1-NN DTW, MiniRocket)")
    training.add_common_args(p, epochs=150, batch_size=32, learning_rate=3e-3, patience=20)
    return training.parse_args(p, argv, name, FAMILY)


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)

    from zoo.models.series import baselines

    entry, out = training.start_run(args)
    settings = DATASET_SETTINGS[args.dataset]

    train_series, train_labels = series.load(args.dataset, "train", settings["downsample"])
    test_series, test_labels = series.load(args.dataset, "test", settings["downsample"])
    labels = sorted(set(train_labels), key=lambda y: (len(y), y))
    index = {y: i for i, y in enumerate(labels)}
    fit_idx, val_idx = series.validation_split(train_labels, 0.2, seed=0)
    if args.max_train:
        fit_idx = np.sort(training.subset(fit_idx, fit_idx, args.max_train, args.seed)[0])
    length = settings["length"]
    x_all = series.pad(train_series, length)
    y_all = np.array([index[y] for y in train_labels])
    x_test, y_test = series.pad(test_series, length), np.array([index[y] for y in test_labels])
    mean, var = series.channel_stats(x_all[fit_idx])
    data = (x_all[fit_idx], y_all[fit_idx], x_all[val_idx], y_all[val_idx], x_test, y_test)
    print(f"series: train {len(fit_idx)}, validation {len(val_idx)}, test {len(y_test)}",
          flush=True)

    def peers():
        if args.no_baselines:
            return []
        truth = np.array(test_labels)
        return [dict(name="1-NN DTW", accuracy=float(
                    (baselines.one_nn_dtw(train_series, train_labels, test_series) == truth).mean())),
                dict(name="MiniRocket + ridge", accuracy=float(
                    (baselines.minirocket(train_series, train_labels, test_series, args.seed)
                     == truth).mean()))]

    calib = training.subset(data[0], data[1], CALIBRATION_EXAMPLES, args.seed + 1)[0]
    channels = x_all.shape[-1] - 1
    info = series.DATASETS[args.dataset]
    return training.classifier_run(
        entry, args, out, data, labels,
        config={"seed": args.seed, "length": length, "channels": channels,
                "classes": len(labels), "mean": mean.tolist(), "variance": var.tolist()},
        calibration=calib, shipped_calibration={"series": calib},
        data_section=dict(name=f"UEA/UCR {args.dataset}", source=f"sktime.datasets "
                          f"{info['loader']} (bundled in the wheel)", synthetic=False,
                          splits={"train": len(fit_idx), "validation": len(val_idx),
                                  "test": len(y_test)},
                          description="Official train/test split; validation = 20 % of the "
                                      "training split, stratified."
                                      + (f" Downsampled by {settings['downsample']}."
                                         if settings["downsample"] > 1 else "")),
        baselines=peers,
        limitations=["The peers are fitted on the whole official training split (the network "
                     "on 80 % of it, the rest is its validation split)."],
        reproduce={"train": f"zoo train {args.model} --dataset {args.dataset} --seed "
                            f"{args.seed}" + training.schedule_option(args)},
        details={"dataset": args.dataset})


if __name__ == "__main__":
    sys.exit(main())
