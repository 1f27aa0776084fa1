"""Train, export and measure a keyword-spotting model.

    zoo train kws-att-bilstm --data-dir DATA [--epochs 30] [--seed 0] [--out DIR]
    python -m zoo.models.kws.train kws-att-bilstm --data-dir DATA ...

`DATA` is a folder made by `python -m zoo.data.speech_commands build` (or the
real Speech Commands v0.02 folder). The run:

1. trains with Keras progress bars, early stopping on validation accuracy,
   and `BackupAndRestore` (an interrupted run resumes from its last epoch
   when started again with the same `--out`);
2. writes the best weights, `config.json`, `labels.txt`;
3. exports every TFLite mode with `export.to_tflite` (calibrated on training
   clips) and measures test accuracy of the Keras model and of each file,
   plus one-example latency (p50, 1 thread);
4. writes `results.json` (schema of `zoo.cards`: per-class accuracy,
   confusion matrix, parameters, training time), the model card and
   `SHA256SUMS`.

Artifacts go to `--out` (default `$ZOO_HOME/NAME`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo import training  # noqa: E402
from zoo.models.kws.preprocessing import (  # noqa: E402
    CALIBRATION_CLIPS,
    SHIPPED_CALIBRATION_CLIPS,
)

FAMILY = "kws"


def parse(argv, name=None, family=FAMILY, module="zoo.models.kws.train", extra=None):
    """The trainer's arguments; `extra(parser)` adds a trainer's own."""
    p = argparse.ArgumentParser(prog=f"zoo train {name}" if name else f"python -m {module}",
                                description="Train a keyword-spotting model (see module doc).")
    p.add_argument("--data-dir", required=True, help="synthetic or real Speech Commands folder")
    p.add_argument("--max-eval", type=int, default=None, help="use at most N validation/test clips")
    if extra is not None:
        extra(p)
    training.add_common_args(p)
    return training.parse_args(p, argv, name, family)


def data_description(data_dir, splits):
    """The `data` section of results.json."""
    from zoo.data import speech_commands

    synthetic = (Path(data_dir) / "manifest.csv").is_file()
    if synthetic:
        return dict(
            name="Speech Commands 12-class task, synthetic reconstruction",
            source="zoo.data.speech_commands.build (espeak-ng, flite, festival, piper-tts; "
                   "no real recordings: asterisk English and ALSA are reserved for evaluation)",
            synthetic=True,
            description="Text-to-speech keywords with augmentation (speed, pitch, band-limit, "
                        "reverb, noise, music); splits by voice: whole voices (piper joe, "
                        "festival ked) are test-only.",
            splits=splits)
    return dict(name="Speech Commands v0.02", source=speech_commands.SPEECH_COMMANDS_URL,
                license="CC-BY-4.0", synthetic=False, splits=splits)


def load_splits(args, labels):
    """`((x_train, y_train, x_val, y_val, x_test, y_test), split sizes before subsetting)`
    of `args.data_dir`, subset by `--max-train` / `--max-eval`."""
    from zoo.data import speech_commands

    print(f"loading {args.data_dir} ...", flush=True)
    data, sizes = [], {}
    for split in ("train", "validation", "test"):
        x, y, names = speech_commands.load(args.data_dir, split)
        if list(names) != labels:
            raise ValueError(f"data labels {list(names)} differ from the model's {labels}")
        sizes[split] = len(y)
        data += training.subset(x, y, args.max_train if split == "train" else args.max_eval,
                                args.seed)
    return tuple(data), sizes


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)
    entry, out = training.start_run(args)
    labels = list(entry.labels)

    (x_train, y_train, x_val, y_val, x_test, y_test), split_sizes = load_splits(args, labels)
    print(f"clips: train {len(y_train)}, validation {len(y_val)}, test {len(y_test)}", flush=True)

    shipped = training.subset(x_train, y_train, SHIPPED_CALIBRATION_CLIPS, args.seed + 2)[0]
    return training.classifier_run(
        entry, args, out, (x_train, y_train, x_val, y_val, x_test, y_test), labels,
        config={"seed": args.seed},
        calibration=training.subset(x_train, y_train, CALIBRATION_CLIPS, args.seed + 1)[0],
        shipped_calibration={"audio": np.round(shipped * 32767).astype(np.int16)},
        data_section=data_description(args.data_dir, split_sizes),
        limitations=[
            "Trained on synthetic speech (text-to-speech voices plus a few real recordings "
            "in the unknown class): accuracy on real microphones will be lower than the "
            "test figure, which is measured on held-out synthetic voices."],
        reproduce={"train": f"zoo train {args.model} --data-dir DATA --epochs {args.epochs} "
                            f"--seed {args.seed} --learning-rate {args.learning_rate:g}"
                            + training.schedule_option(args),
                   "data": "python -m zoo.data.speech_commands build --data-dir DATA"},
        metric_keys=("accuracy",), validation_examples=100)


if __name__ == "__main__":
    sys.exit(main())
