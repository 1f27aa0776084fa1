"""Train, export and measure a forecaster on the weekly CO2 series.

    zoo train forecast-att-lstm [--epochs 50] [--seed 0] [--out DIR]
    python -m zoo.models.forecast.train forecast-lstm --seed 1 --out runs/forecast-lstm-s1

The data (`statsmodels.datasets.co2`) ships with statsmodels: nothing is
downloaded. Splits, windows and metrics are those of
`zoo.data.forecasting` (train before 1994-01-15, validation 1994-1997, test
1998-2001; 26-week horizon; test origins every 4 weeks). The run:

1. trains on every training window (stride 1) with the MAE in ppm as the
   loss, early stopping and best weights on the validation windows' loss
   (the test part is never seen);
2. writes the best weights;
3. measures MASE and sMAPE on the 46 test origins (and on the validation
   origins, every 4 weeks, in training.json) for the Keras model, then
   exports every TFLite mode with `export.to_tflite` (int8 calibrated on
   training windows) and measures each file the same way, plus one-example
   latency (p50, 1 thread);
4. scores the classical baselines of `--baselines` on the same origins
   (default: seasonal naive only; `benchmarks/forecasting.py` runs all);
5. writes `results.json` (schema of `zoo.cards`), `training.json` and
   `SHA256SUMS`.

Artifacts go to `--out` (default `$ZOO_HOME/NAME`). `--evaluate-only` re-exports
and re-measures a finished run, keeping its training record (time, history).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from zoo import training  # noqa: E402

FAMILY = "forecast"
CALIBRATION_WINDOWS = 200


def parse(argv, name=None):
    p = argparse.ArgumentParser(
        prog=f"zoo train {name}" if name else "python -m zoo.models.forecast.train",
        description="Train a forecaster on the weekly CO2 series (see module doc).")
    p.add_argument("--baselines", default="seasonal-naive",
                   help="comma-separated classical baselines to score on the same origins "
                        "(seasonal-naive, ets, sarima; '' for none)")
    training.add_common_args(p, epochs=50, batch_size=64, learning_rate=2e-3, patience=8)
    return training.parse_args(p, argv, name, FAMILY)


def data_description(series, sizes):
    """The `data` section of results.json."""
    from zoo.data import forecasting as fc

    return dict(
        name=fc.CO2_NAME, source=fc.CO2_SOURCE, license="public domain (statsmodels)",
        synthetic=False,
        description=(
            f"{len(series.values)} weekly values 1958-03-29 .. 2001-12-29, "
            f"{series.missing_filled} missing weeks filled by linear interpolation. Fixed "
            f"splits by time: train before 1994-01-15, validation 1994-01-15 .. 1998-01-03 "
            f"({fc.VALIDATION_WEEKS} weeks), test 1998-01-10 .. 2001-12-29 "
            f"({fc.TEST_WEEKS} weeks). Inputs: the last {fc.WINDOW} weeks; horizon "
            f"{fc.HORIZON} weeks. Split sizes below count forecasts: training and validation "
            f"windows (every origin), test origins every {fc.STEP} weeks (rolling origin). "
            f"MASE is scaled by the in-sample seasonal-naive MAE (m={fc.SEASON}) of the "
            "history before each origin; sMAPE in percent."),
        splits=sizes)


def main(argv=None, name=None):
    args = parse(sys.argv[1:] if argv is None else argv, name)
    import json

    import keras

    from zoo.data import forecasting as fc
    from zoo.models import forecast  # noqa: F401  registers the models
    from zoo.models.forecast import baselines
    from zoo.models.forecast.preprocessing import forecast as run_forecast

    entry, out = training.start_run(args)
    previous = out / "training.json"  # --evaluate-only keeps the training record
    previous = json.loads(previous.read_text()) if args.evaluate_only and previous.is_file() \
        else {}
    args.seed = previous.get("seed", args.seed)  # the run's calibration draw

    series = fc.load_co2()
    values = series.values
    split = fc.split(len(values))
    train_at, val_at = fc.train_origins(split), fc.validation_origins(split)
    val_rolling_at, test_at = fc.validation_origins(split, step=fc.STEP), fc.test_origins(split)
    x_train, y_train = fc.windows(values, train_at)
    x_val, y_val = fc.windows(values, val_at)
    x_test, _ = fc.windows(values, test_at)
    x_val_rolling, _ = fc.windows(values, val_rolling_at)
    sizes = {"train": len(y_train), "validation": len(y_val), "test": len(test_at)}
    x_train, y_train = training.subset(x_train, y_train, args.max_train, args.seed)
    print(f"windows: train {len(y_train)}, validation {len(y_val)}; test origins "
          f"{len(test_at)}", flush=True)

    model = entry.build(seed=args.seed)
    steps = training.steps_per_epoch((x_train, y_train), args.batch_size)
    model.compile(optimizer=keras.optimizers.Adam(training.learning_rate(args, steps)), loss="mae")
    history, train_seconds = training.fit(model, entry, out, (x_train, y_train),
                                          (x_val, y_val), args, monitor="val_loss", mode="min")

    def scores(predictor, at, x):
        return fc.evaluate(values, at, run_forecast(predictor, x))

    keras_test = scores(model, test_at, x_test)
    keras_val = scores(model, val_rolling_at, x_val_rolling)
    print(f"test (keras): MASE {keras_test['mase']:.4f}, sMAPE {keras_test['smape']:.4f} %; "
          f"validation MASE {keras_val['mase']:.4f}", flush=True)
    calib = training.subset(x_train, y_train, CALIBRATION_WINDOWS, args.seed + 1)[0]

    def measure(rt):
        return fc.summary(scores(rt, test_at, x_test))

    metrics, exports = training.export_and_measure(model, args.model, out, args.modes, calib,
                                                   x_val[:100], measure,
                                                   latency_input=x_test[:1])
    shipped_exports, failed = training.export_sections(exports)

    methods = [m for m in args.baselines.split(",") if m]
    classical = {"test": baselines.evaluate_all(values, test_at, fc.HORIZON, fc.SEASON, methods),
                 "validation": baselines.evaluate_all(values, val_rolling_at, fc.HORIZON,
                                                      fc.SEASON, methods)} if methods else {}
    limitations = [
        "Trained and measured on one series (weekly Mauna Loa CO2, 1958-2001): a smooth trend "
        "plus a stable yearly cycle. Other weekly series are accepted (the models normalize "
        "each window) but were never measured.",
        f"Test figures are means over {len(test_at)} rolling origins of one 4-year period "
        "(1998-2001); differences below a few hundredths of MASE are within seed noise "
        "(see benchmarks/results/forecasting.md for 3 seeds and the classical baselines).",
    ]
    for method, r in classical.get("test", {}).items():
        limitations.append(f"Classical baseline on the same test origins: {method} MASE "
                           f"{r['mase']:.4f}, sMAPE {r['smape']:.4f} %.")
    hyper = previous.get("hyperparameters") or {
        "epochs": args.epochs, "batch_size": args.batch_size,
        "learning_rate": args.learning_rate, "lr_schedule": args.lr_schedule,
        "patience": args.patience,
        "max_train": args.max_train}
    results = {
        "model": args.model,
        "architecture": entry.description,
        "parameters": int(model.count_params()),
        "data": data_description(series, sizes),
        "metrics_split": "test",
        "metrics": {"keras": fc.summary(keras_test), **metrics},
        "exports": shipped_exports,
        "limitations": limitations + failed,
        "reproduce": {"train": f"zoo train {args.model} --epochs {hyper['epochs']} "
                               f"--seed {args.seed}"
                               + ("" if hyper.get("lr_schedule", "constant") == "constant"
                                  else f" --lr-schedule {hyper['lr_schedule']}"),
                      "measure": "python -m benchmarks.forecasting --runs RUNS_DIR"},
        "environment": training.environment(),
    }
    if history is None:  # --evaluate-only: keep what the training run recorded
        train_seconds = previous.get("train_seconds")
    details = {
        "seed": args.seed, "train_seconds": train_seconds,
        "epochs_run": training.epochs_run(history) if history else previous.get("epochs_run"),
        "history": training.history_dict(history) or previous.get("history"),
        "validation": fc.summary(keras_val),
        "test_per_origin": {"origins": [str(series.dates[t].date()) for t in test_at],
                            **keras_test["per_origin"]},
        "baselines": classical,
        "hyperparameters": hyper,
    }
    training.write_run(out, results, details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
