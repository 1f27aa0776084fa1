"""The parts every `zoo train NAME` run shares, whatever the task.

A trainer (e.g. `zoo.models.kws.train`, `zoo.models.text.train`) loads its
data, builds `entry.build(seed=...)`, compiles it, then:

    args = parse_args(parser, argv, name)       # common options below
    history, seconds = fit(model, entry, out, (x, y), (xv, yv), args, monitor)
    metrics, exports = export_and_measure(model, args.model, out, modes, calib, xv, measure)
    write_run(out, results, details)            # results.json, training.json, SHA256SUMS

`fit` gives Keras progress bars, `BackupAndRestore` (an interrupted run
started again with the same `--out` resumes from its last epoch), the best
weights by the validation metric, early stopping, and a time budget.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from export.modes import MODES
from zoo.data.splits import subset  # noqa: F401  (trainers: training.subset)
from zoo.files import atomic_path, atomic_write_bytes

ALL_MODES = ",".join(MODES)


def add_common_args(p, epochs=30, batch_size=64, learning_rate=2e-3, patience=5):
    """Options shared by every trainer."""
    p.add_argument("--out", default=None, help="artifact folder (default $ZOO_HOME/NAME)")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--learning-rate", type=float, default=learning_rate)
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default="constant",
                   help="constant: --learning-rate, halved when the validation loss stalls; "
                        "cosine: decays from --learning-rate to 1%% of it over --epochs "
                        "(by step, so a resumed run continues the curve)")
    p.add_argument("--patience", type=int, default=patience)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train", type=int, default=None,
                   help="use at most N training examples (smoke runs)")
    p.add_argument("--modes", default=ALL_MODES,
                   help="comma-separated TFLite modes to export and measure ('' for none)")
    p.add_argument("--time-budget", type=float, default=None,
                   help="stop training after this many minutes (at an epoch end)")
    p.add_argument("--evaluate-only", action="store_true",
                   help="skip training: load OUT/model.weights.h5, then export and measure")
    p.add_argument("--init-weights", default=None, metavar="FILE_OR_MODEL",
                   help="fine-tune: start from these weights (a .weights.h5 file, or a model name "
                        "for its shipped weights) instead of a random initialisation")
    return p


LR_SCHEDULES = ("constant", "cosine")
COSINE_FLOOR = 0.01  # the cosine schedule ends at this fraction of --learning-rate


def learning_rate(args, steps_per_epoch):
    """The optimizer's learning rate for `args` (`--learning-rate`, `--lr-schedule`,
    `--epochs`): a float, or a Keras schedule by optimizer step (`steps_per_epoch`
    batches an epoch) that `fit` leaves to itself (no ReduceLROnPlateau)."""
    schedule = getattr(args, "lr_schedule", "constant")
    if schedule == "constant":
        return args.learning_rate
    if schedule != "cosine":
        raise ValueError(f"--lr-schedule {schedule!r}: use one of {', '.join(LR_SCHEDULES)}")
    import keras

    steps = int(args.epochs) * int(steps_per_epoch)
    if steps < 1:
        raise ValueError(f"--lr-schedule cosine needs at least one step (epochs {args.epochs}, "
                         f"{steps_per_epoch} batches an epoch)")
    return keras.optimizers.schedules.CosineDecay(args.learning_rate, decay_steps=steps,
                                                  alpha=COSINE_FLOOR)


def steps_per_epoch(train, batch_size):
    """Batches in one epoch of `train` as `fit` takes it: `(dataset,)`, a dataset of
    batches (a `keras.utils.PyDataset`, or a `tf.data.Dataset` of known cardinality), or
    `(x, y)` arrays (`x` an array or a list of arrays) cut into `batch_size` batches."""
    if len(train) == 1:
        data = train[0]
        n = int(data.cardinality()) if hasattr(data, "cardinality") else len(data)
        if n < 0:
            raise ValueError("a tf.data training set needs a known number of batches "
                             "(tf.data.experimental.assert_cardinality)")
        return n
    x = train[0]
    rows = len(x[0]) if isinstance(x, (list, tuple)) else len(x)
    return -(-rows // int(batch_size))


def schedule_option(args):
    """` --lr-schedule NAME` for a run's reproduce line, "" for the default schedule."""
    schedule = getattr(args, "lr_schedule", "constant")
    return "" if schedule == "constant" else f" --lr-schedule {schedule}"


def init_weights_path(spec):
    """The weights file `--init-weights` names: an existing path, or a model name (its
    shipped or user `model.weights.h5`)."""
    if Path(spec).is_file():
        return Path(spec)
    from zoo import registry

    if spec not in registry.list_models():
        raise ValueError(f"--init-weights {spec!r} is neither a weights file nor a model name "
                         f"(see `zoo list`)")
    return Path(registry.require_artifacts(spec).file(registry.WEIGHTS_FILE))


def parse_args(p, argv, name, family):
    """Parse `argv` for a trainer of `family` (its name); without `name` (module entry
    point) the model is the first argument, one of the family's models."""
    from zoo import registry

    models = registry.list_models(family=family)
    if name is None:
        p.add_argument("model", choices=models)
    args = p.parse_args(argv)
    if name is not None:
        if name not in models:
            raise SystemExit(f"{p.prog}: this trainer serves {', '.join(models)}, not {name!r}")
        args.model = name
    return args


def start_run(args):
    """`(entry, out)` of a run: the registry entry of `args.model`, its artifact folder
    (`--out`, default `$ZOO_HOME/NAME`, created) and Keras' global seed set to `--seed`."""
    import keras

    from zoo import registry

    entry = registry.get(args.model)
    out = Path(args.out) if args.out else registry.user_dir(args.model)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    return entry, out


def save_inference_weights(entry, model, path, config=None):
    """Weights only (an uncompiled copy of `entry.build(**config)`: no optimizer slots),
    atomically."""
    fresh = entry.build(**(config or {}))
    fresh.set_weights(model.get_weights())
    with atomic_path(path) as tmp:
        fresh.save_weights(str(tmp) + ".weights.h5")
        os.replace(str(tmp) + ".weights.h5", tmp)


def log_learning_rate():
    """Keras callback: the learning rate at each epoch's end into the logs (the history),
    as ReduceLROnPlateau does for the constant schedule."""
    import keras

    class LogLearningRate(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))

    return LogLearningRate()


def time_budget(minutes):
    """Keras callback: stop at the end of the epoch that exceeds the budget."""
    import keras

    class TimeBudget(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.time()

        def on_epoch_end(self, epoch, logs=None):
            if minutes and time.time() - self.start > 60 * minutes:
                print(f"\ntime budget of {minutes} min reached after epoch {epoch + 1}")
                self.model.stop_training = True

    return TimeBudget()


def fit(model, entry, out, train, validation, args, monitor="val_accuracy", mode="max",
        callbacks=(), config=None):
    """Train `model` (compiled) and leave its best weights in `out/model.weights.h5`.

    `config`: the builder keyword arguments of `model` (`entry.build(**config)`).
    With `args.evaluate_only` the weights are loaded from there instead.
    Returns `(history dict or None, training seconds or None)`.
    """
    import keras

    best = Path(out) / "model.weights.h5"
    if args.evaluate_only:
        model.load_weights(best)
        return None, None
    checkpoint = Path(out) / ".best.weights.h5"
    callbacks = [
        keras.callbacks.BackupAndRestore(str(Path(out) / ".backup")),
        keras.callbacks.ModelCheckpoint(str(checkpoint), monitor=monitor, mode=mode,
                                        save_best_only=True, save_weights_only=True),
        keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=args.patience),
        time_budget(args.time_budget),
        *callbacks,
    ]
    if getattr(args, "lr_schedule", "constant") == "constant":  # a schedule sets its own rate
        callbacks.insert(3, keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                              patience=2))
    else:
        callbacks.insert(3, log_learning_rate())
    init = getattr(args, "init_weights", None)
    if init:
        path = init_weights_path(init)
        try:
            model.load_weights(path)
        except ValueError as e:
            raise ValueError(f"--init-weights {init}: {path} does not fit {entry.name} as built "
                             f"here ({e})") from e
        print(f"starting from {path}", flush=True)
    start = time.time()
    batched = len(train) == 1  # a dataset of batches (e.g. length-bucketed), not arrays
    history = model.fit(*train, validation_data=validation, epochs=args.epochs,
                        batch_size=None if batched else args.batch_size, callbacks=callbacks,
                        shuffle=not batched, verbose=1).history
    seconds = round(time.time() - start, 1)
    # A run resumed by BackupAndRestore starts at a later epoch; its history holds the epochs
    # of this process only, so number them (and `seconds` is this process's time).
    first = int(getattr(model, "_initial_epoch", 0) or 0)
    history = dict(history, epoch=list(range(first + 1, first + len(history.get("loss", [])) + 1)))
    model.load_weights(checkpoint)
    save_inference_weights(entry, model, best, config)
    os.unlink(checkpoint)
    return history, seconds


def epochs_run(history):
    """Epochs trained in all, counting those before a resume (`fit`'s `epoch` numbers)."""
    if not history:
        return None
    return history["epoch"][-1] if history.get("epoch") else len(history.get("loss", []))


def predict_batches(predict_fn, x, batch=256):
    """`predict_fn` over `x` (an array, or a list of arrays for several inputs) in batches."""
    parts = x if isinstance(x, (list, tuple)) else [x]
    n = len(parts[0])
    outs = []
    for i in range(0, n, batch):
        chunk = [p[i:i + batch] for p in parts]
        y = predict_fn(*chunk) if len(chunk) > 1 else predict_fn(chunk[0])
        outs.append(np.asarray(y[0] if isinstance(y, (list, tuple)) else y))
    return np.concatenate(outs)


def classification_metrics(predict_fn, x, y, labels, batch=256):
    """Accuracy, per-class accuracy and confusion matrix; also returns the probabilities."""
    probs = predict_batches(predict_fn, x, batch)
    pred = probs.argmax(-1)
    k = len(labels)
    confusion = np.zeros((k, k), int)
    np.add.at(confusion, (y, pred), 1)
    per_class = {labels[i]: float(confusion[i, i] / max(1, confusion[i].sum())) for i in range(k)}
    return dict(accuracy=float((pred == y).mean()), macro_f1=macro_f1(confusion),
                per_class_accuracy=per_class, confusion_matrix=confusion.tolist()), probs


def macro_f1(confusion):
    """Unweighted mean of the per-class F1 scores (classes absent from both truth and
    predictions are left out) from a confusion matrix `[true, predicted]`."""
    confusion = np.asarray(confusion, float)
    tp = np.diag(confusion)
    support, predicted = confusion.sum(1), confusion.sum(0)
    present = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=present)
    return float(f1[present].mean()) if present.any() else 0.0


def export_and_measure(model, name, out, modes, representative_data, validation_x, measure,
                       latency_input=None):
    """Export `model` in each mode to `out/<name>.<mode>.tflite` and measure each file.

    `measure(runtime) -> dict` scores a loaded file on the test split (same
    keys as the Keras metrics). Returns `(metrics per mode, exports per mode)`;
    a mode the exporter refuses is recorded as `{"error": message}`.
    """
    import export
    from zoo import file_metadata, registry

    metrics, exports = {}, {}
    for mode in [m for m in modes.split(",") if m]:
        path = Path(out) / registry.tflite_filename(name, mode)
        try:
            report = export.to_tflite(model, path, quantize=mode,
                                      representative_data=representative_data,
                                      validation_data=validation_x,
                                      **file_metadata.export_options(name, mode))
        except export.ExportError as exc:
            print(f"{mode}: not exported: {exc}", flush=True)
            exports[mode] = {"error": str(exc)}
            continue
        rt = export.runtime.load(path, threads=1)
        metrics[mode] = measure(rt)
        probe = latency_input if latency_input is not None else (
            [v[:1] for v in validation_x] if isinstance(validation_x, (list, tuple))
            else validation_x[:1])
        exports[mode] = dict(size_bytes=report.size_bytes,
                             p50_ms_1t=export.runtime.latency_ms(rt, probe)[0],
                             report=report.to_dict())
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics[mode].items())
        print(f"{mode}: {report.size_bytes / 1024:.1f} KiB, test {shown}", flush=True)
    return metrics, exports


def export_sections(exports):
    """`exports` and `limitations` entries of results.json from `export_and_measure`'s exports."""
    ok = {k: v for k, v in exports.items() if "error" not in v}
    failed = [f"{m}: not exported: {v['error']}" for m, v in exports.items() if "error" in v]
    return ok, failed


def environment():
    import keras

    return {"python": platform.python_version(), "keras": keras.__version__,
            "cpu_count": os.cpu_count()}


def history_dict(history):
    return None if history is None else {k: [float(v) for v in vs] for k, vs in history.items()}


def results_header(args, entry, model, data_section):
    """The first fields of results.json: model, architecture, parameters, data, split."""
    return {"model": args.model, "architecture": entry.description,
            "parameters": int(model.count_params()), "data": data_section,
            "metrics_split": "test"}


def write_run(out, results, details):
    """`results.json` (the `zoo.cards` schema), `training.json`, then `SHA256SUMS`."""
    from zoo import cards, registry

    results = {"schema": cards.RESULTS_SCHEMA, **results}
    atomic_write_bytes(Path(out) / "results.json", json.dumps(results, indent=2).encode())
    atomic_write_bytes(Path(out) / "training.json", json.dumps(details, indent=2).encode())
    registry.write_checksums(out)
    print(f"artifacts in {out}", flush=True)


def file_metrics(x_test, y_test, labels, keys=("accuracy", "macro_f1")):
    """`measure(runtime) -> {key: value}`: the classification metrics `keys` of a TFLite
    runtime on the test split (what `export_and_measure` records per mode)."""
    def measure(rt):
        m = classification_metrics(rt, x_test, y_test, labels, batch=64)[0]
        return {k: m[k] for k in keys}

    return measure


def classifier_run(entry, args, out, data, labels, *, config, calibration, shipped_calibration,
                   data_section, limitations=(), reproduce=None, baselines=None, details=None,
                   metric_keys=("accuracy", "macro_f1"), validation_examples=64,
                   train_config=None, train_data=None, export_validation=None):
    """The whole run of a classifier trainer after its data are loaded.

    `data`: `(x_train, y_train, x_val, y_val, x_test, y_test)` model inputs and
    integer labels; `config`: builder keyword arguments (saved to
    `config.json`); `calibration`: model inputs for int8 calibration;
    `shipped_calibration`: arrays saved to `calibration.npz` (the small set
    `zoo export NAME` calibrates with); `validation_examples`: how many
    validation inputs check each exported file against Keras; `baselines()`: classical peers
    measured on the same test split, a list of `{"name", "accuracy", ...}`.
    `train_config`: builder arguments that differ while training only (e.g. longer
    inputs; the weights then move to `entry.build(**config)`); `train_data`: a
    `keras.utils.PyDataset` that replaces `(x_train, y_train)` for fitting;
    `export_validation`: inputs of the saved model that check each exported file
    (default: the first validation inputs).
    Writes weights, labels, config, TFLite files, results and checksums to `out`.
    """
    import keras

    x_train, y_train, x_val, y_val, x_test, y_test = data
    atomic_write_bytes(Path(out) / "config.json", json.dumps(config).encode())
    atomic_write_bytes(Path(out) / "labels.txt", ("\n".join(labels) + "\n").encode())
    model = entry.build(**config)
    fitted = entry.build(**config, **train_config) if train_config else model
    train = (train_data,) if train_data is not None else (x_train, y_train)
    fitted.compile(optimizer=keras.optimizers.Adam(
                       learning_rate(args, steps_per_epoch(train, args.batch_size))),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history, train_seconds = fit(fitted, entry, out, train, (x_val, y_val), args, config=config)
    if fitted is not model:
        model.set_weights(fitted.get_weights())
    with atomic_path(Path(out) / "calibration.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **shipped_calibration)

    keras_metrics, _ = classification_metrics(lambda b: model.predict(b, verbose=0),
                                              x_test, y_test, labels)
    print("test (keras): " + ", ".join(f"{k} {keras_metrics[k]:.4f}" for k in metric_keys),
          flush=True)

    measure = file_metrics(x_test, y_test, labels, metric_keys)
    check = export_validation if export_validation is not None else x_val
    metrics, exports = export_and_measure(model, args.model, out, args.modes, calibration,
                                          check[:validation_examples], measure)
    peers = baselines() if baselines else []
    for peer in peers:
        print(f"{peer['name']}: test accuracy {peer['accuracy']:.4f}", flush=True)
    shipped_exports, failed = export_sections(exports)
    ours = keras_metrics["accuracy"]
    results = {
        **results_header(args, entry, model, data_section),
        "metrics": {"keras": {k: keras_metrics[k] for k in metric_keys}, **metrics},
        "exports": shipped_exports,
        "limitations": [f"Classical peer on the same test split: {p['name']} reaches "
                        f"{100 * p['accuracy']:.1f} % accuracy (this model: {100 * ours:.1f} %)."
                        for p in peers] + list(limitations) + failed,
        "reproduce": reproduce or {},
        "environment": environment(),
    }
    details = {"per_class_accuracy": keras_metrics["per_class_accuracy"],
               "confusion_matrix": keras_metrics["confusion_matrix"], "labels": list(labels),
               "train_seconds": train_seconds, "seed": args.seed,
               "epochs_run": epochs_run(history),
               "history": history_dict(history), "classical_baselines": peers,
               **(details or {})}
    write_run(out, results, details)
    return 0
