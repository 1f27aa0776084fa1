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
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo.files import atomic_path, atomic_write_bytes  # noqa: E402

MODELS = ("kws-att-bilstm", "kws-bilstm", "kws-att-mh-gru", "kws-gru")
BASELINE_OF = {"kws-att-bilstm": "kws-bilstm", "kws-att-mh-gru": "kws-gru"}
CALIBRATION_CLIPS = 200


def parse(argv, name=None):
    p = argparse.ArgumentParser(prog=f"zoo train {name}" if name else "python -m zoo.models.kws.train",
                                description="Train a keyword-spotting model (see module doc).")
    if name is None:
        p.add_argument("model", choices=MODELS)
    p.add_argument("--data-dir", required=True, help="synthetic or real Speech Commands folder")
    p.add_argument("--out", default=None, help="artifact folder (default $ZOO_HOME/NAME)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train", type=int, default=None, help="use at most N training clips (smoke runs)")
    p.add_argument("--max-eval", type=int, default=None, help="use at most N validation/test clips")
    p.add_argument("--modes", default="float32,float16,dynamic,int8,int16x8",
                   help="comma-separated TFLite modes to export and measure")
    p.add_argument("--time-budget", type=float, default=None,
                   help="stop training after this many minutes (at an epoch end)")
    p.add_argument("--evaluate-only", action="store_true",
                   help="skip training: load OUT/model.weights.h5, then export and measure")
    args = p.parse_args(argv)
    if name is not None:
        args.model = name
    return args


def save_inference_weights(entry, model, path):
    """Weights only (an uncompiled copy: no optimizer slots), atomically."""
    fresh = entry.build()
    fresh.set_weights(model.get_weights())
    with atomic_path(path) as tmp:
        fresh.save_weights(str(tmp) + ".weights.h5")
        os.replace(str(tmp) + ".weights.h5", tmp)


def _subset(x, y, n, seed):
    if n is None or n >= len(y):
        return x, y
    idx = np.random.default_rng(seed).permutation(len(y))[:n]
    return x[idx], y[idx]


class TimeBudget:
    """Keras callback: stop at the end of the epoch that exceeds the budget."""

    def __new__(cls, minutes):
        import keras

        class _Budget(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.time()

            def on_epoch_end(self, epoch, logs=None):
                if minutes and time.time() - self.start > 60 * minutes:
                    print(f"\ntime budget of {minutes} min reached after epoch {epoch + 1}")
                    self.model.stop_training = True

        return _Budget()


def evaluate(predict_fn, x, y, labels, batch=256):
    probs = np.concatenate([predict_fn(x[i:i + batch]) for i in range(0, len(y), batch)])
    pred = probs.argmax(-1)
    k = len(labels)
    confusion = np.zeros((k, k), int)
    np.add.at(confusion, (y, pred), 1)
    per_class = {labels[i]: float(confusion[i, i] / max(1, confusion[i].sum())) for i in range(k)}
    return dict(accuracy=float((pred == y).mean()), per_class_accuracy=per_class,
                confusion_matrix=confusion.tolist()), probs


def data_description(data_dir, splits):
    """The `data` section of results.json."""
    from zoo.data import speech_commands

    synthetic = (Path(data_dir) / "manifest.csv").is_file()
    if synthetic:
        return dict(
            name="Speech Commands 12-class task, synthetic reconstruction",
            source="zoo.data.speech_commands.build (espeak-ng, flite, festival, piper-tts; "
                   "real recordings only in _unknown_)",
            synthetic=True,
            description="Text-to-speech keywords with augmentation (speed, pitch, band-limit, "
                        "reverb, noise, music); splits by voice: whole voices (piper joe, "
                        "festival ked, asterisk Allison) are test-only.",
            splits=splits)
    return dict(name="Speech Commands v0.02", source=speech_commands.SPEECH_COMMANDS_URL,
                license="CC-BY-4.0", synthetic=False, splits=splits)


SHIPPED_CALIBRATION = "calibration.npz"
SHIPPED_CALIBRATION_CLIPS = 48


def representative_data(name, data_dir=None, n=CALIBRATION_CLIPS, seed=0):
    """Training clips for int8 calibration (`zoo export NAME`): from
    `data_dir` or `$ZOO_KWS_DATA` when given, else the small calibration set
    shipped with the model (`calibration.npz`, 48 training clips)."""
    from zoo import registry
    from zoo.data import speech_commands

    data_dir = data_dir or os.environ.get("ZOO_KWS_DATA")
    if data_dir:
        x, y, _ = speech_commands.load(data_dir, "train")
        return _subset(x, y, n, seed)[0]
    artifacts = registry.require_artifacts(name)
    with np.load(artifacts.file(SHIPPED_CALIBRATION)) as data:
        return data["audio"].astype(np.float32) / 32768.0


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)
    import keras

    import export
    from zoo import registry
    from zoo.data import speech_commands
    from zoo.models import kws  # noqa: F401  registers the models

    entry = registry.get(args.model)
    labels = list(entry.labels)
    out = Path(args.out) if args.out else registry.user_dir(args.model)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    print(f"loading {args.data_dir} ...", flush=True)
    x_train, y_train, names = speech_commands.load(args.data_dir, "train")
    x_val, y_val, _ = speech_commands.load(args.data_dir, "validation")
    x_test, y_test, _ = speech_commands.load(args.data_dir, "test")
    if list(names) != labels:
        raise ValueError(f"data labels {list(names)} differ from the model's {labels}")
    split_sizes = {"train": len(y_train), "validation": len(y_val), "test": len(y_test)}
    x_train, y_train = _subset(x_train, y_train, args.max_train, args.seed)
    x_val, y_val = _subset(x_val, y_val, args.max_eval, args.seed)
    x_test, y_test = _subset(x_test, y_test, args.max_eval, args.seed)
    print(f"clips: train {len(y_train)}, validation {len(y_val)}, test {len(y_test)}", flush=True)

    model = entry.build(seed=args.seed)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    best = out / "model.weights.h5"
    callbacks = [
        keras.callbacks.BackupAndRestore(str(out / ".backup")),
        keras.callbacks.ModelCheckpoint(str(out / ".best.weights.h5"), monitor="val_accuracy",
                                        save_best_only=True, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=args.patience),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
        TimeBudget(args.time_budget),
    ]
    start = time.time()
    if args.evaluate_only:
        model.load_weights(best)
        history, train_seconds = None, None
    else:
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val),
                            epochs=args.epochs, batch_size=args.batch_size, callbacks=callbacks,
                            verbose=1).history
        train_seconds = round(time.time() - start, 1)
        model.load_weights(out / ".best.weights.h5")
        save_inference_weights(entry, model, best)
        os.unlink(out / ".best.weights.h5")
    atomic_write_bytes(out / "labels.txt", ("\n".join(labels) + "\n").encode())
    atomic_write_bytes(out / "config.json", json.dumps({"seed": args.seed}).encode())
    shipped = _subset(x_train, y_train, SHIPPED_CALIBRATION_CLIPS, args.seed + 2)[0]
    with atomic_path(out / SHIPPED_CALIBRATION) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, audio=np.round(shipped * 32767).astype(np.int16))

    keras_metrics, _ = evaluate(lambda b: model.predict(b, verbose=0), x_test, y_test, labels)
    print(f"test accuracy (keras): {keras_metrics['accuracy']:.4f}", flush=True)
    metrics = {"keras": keras_metrics}
    exports = {}
    calib = _subset(x_train, y_train, CALIBRATION_CLIPS, args.seed + 1)[0]
    for mode in [m for m in args.modes.split(",") if m]:
        path = out / registry.tflite_filename(args.model, mode)
        try:
            report = export.to_tflite(model, path, quantize=mode, representative_data=calib,
                                      validation_data=x_val[:100])
        except export.ExportError as exc:
            print(f"{mode}: not exported: {exc}", flush=True)
            exports[mode] = {"error": str(exc)}
            continue
        rt = export.runtime.load(path, threads=1)
        mode_metrics, _ = evaluate(rt, x_test, y_test, labels, batch=64)
        metrics[mode] = {"accuracy": mode_metrics["accuracy"]}
        exports[mode] = dict(size_bytes=report.size_bytes,
                             p50_ms_1t=export.runtime.latency_ms(rt, x_test[:1])[0],
                             report=report.to_dict())
        print(f"{mode}: {report.size_bytes / 1024:.1f} KiB, test accuracy "
              f"{mode_metrics['accuracy']:.4f}", flush=True)
    results = {
        "schema": "attention-rnn-zoo/results/1",
        "model": args.model,
        "architecture": entry.description,
        "parameters": int(model.count_params()),
        "data": data_description(args.data_dir, split_sizes),
        "metrics_split": "test",
        "metrics": {k: ({kk: vv for kk, vv in v.items() if kk == "accuracy"}) for k, v in metrics.items()},
        "exports": {k: v for k, v in exports.items() if "error" not in v},
        "limitations": [
            "Trained on synthetic speech (text-to-speech voices plus a few real recordings "
            "in the unknown class): accuracy on real microphones will be lower than the "
            "test figure, which is measured on held-out synthetic voices.",
        ] + [f"{m}: not exported: {v['error']}" for m, v in exports.items() if "error" in v],
        "reproduce": {"train": f"zoo train {args.model} --data-dir DATA --epochs {args.epochs} "
                               f"--seed {args.seed}",
                      "data": "python -m zoo.data.speech_commands build --data-dir DATA"},
        "environment": {"python": platform.python_version(), "keras": keras.__version__,
                        "cpu_count": os.cpu_count()},
    }
    details = {"per_class_accuracy": keras_metrics["per_class_accuracy"],
               "confusion_matrix": keras_metrics["confusion_matrix"],
               "labels": labels, "train_seconds": train_seconds,
               "epochs_run": None if history is None else len(history.get("loss", [])),
               "history": None if history is None else
               {k: [float(v) for v in vs] for k, vs in history.items()},
               "seed": args.seed}
    atomic_write_bytes(out / "results.json", json.dumps(results, indent=2).encode())
    atomic_write_bytes(out / "training.json", json.dumps(details, indent=2).encode())
    registry.write_checksums(out)
    print(f"artifacts in {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
