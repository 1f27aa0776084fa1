"""Re-export shipped keyword spotters' TFLite files from their shipped weights, in the
layout their family picks per mode (`Family.layouts`), and re-measure them on the test
split they were scored on.

    .venv/bin/python scripts/reexport.py NAME [NAME ...] --data-dir DATA [--modes float32,int8]

`DATA` must be the speech-commands set the model was trained on (built with the same
seed and size): the Keras accuracy on its test split must equal the card's, else the
script stops (a figure on other clips would not compare), unless `--rescore` is given:
then Keras and every shipped file are scored again on DATA's test split, and the card
says so (e.g. after the builder dropped the reserved recordings from every split, the
old test split cannot be rebuilt). Each re-exported file replaces
the shipped one; its `results.json` entries (size, latency, report, test metric) are
replaced, the card and SHA256SUMS rewritten. Safe to re-run.
"""

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from zoo import registry, training
from zoo.files import atomic_write_bytes
from zoo.shipping import portable, pretrained_dir, write_card


def reexport(name, data_dir, modes, rescore=False, validation_examples=500):
    import zoo
    from export import runtime
    from zoo.data import speech_commands

    entry = registry.get(name)
    if entry.task != "speech":
        raise SystemExit(f"{name}: only keyword spotters (task speech) are re-exported here")
    dest = pretrained_dir(name)
    results = json.loads((dest / "results.json").read_text())
    labels = list(entry.labels)
    x_test, y_test, names = speech_commands.load(data_dir, "test")
    x_val = speech_commands.load(data_dir, "validation")[0]
    if list(names) != labels:
        raise SystemExit(f"{data_dir}: labels {list(names)} differ from {name}'s {labels}")
    model = zoo.load(name)
    keras_metrics, _ = training.classification_metrics(lambda b: model.predict(b, verbose=0),
                                                       x_test, y_test, labels)
    card = results["metrics"]["keras"]["accuracy"]
    keys = list(results["metrics"]["keras"])
    if abs(keras_metrics["accuracy"] - card) > 1e-9 and rescore:
        print(f"{name}: rescoring Keras and every shipped file on {data_dir}'s test split "
              f"(Keras {keras_metrics['accuracy']:.4f}; the card said {card:.4f})", flush=True)
        results["metrics"]["keras"] = {k: keras_metrics[k] for k in keys}
        for mode in set(results["metrics"]) - {"keras"} - set(modes):
            rt = runtime.load(dest / registry.tflite_filename(name, mode), threads=2)
            m = training.classification_metrics(rt, x_test, y_test, labels, batch=64)[0]
            results["metrics"][mode] = {k: m[k] for k in keys}
        sizes = {split: len(speech_commands.load(data_dir, split)[1])
                 for split in ("train", "validation", "test")}
        results.setdefault("limitations", []).append(
            f"Test figures re-measured on {date.today().isoformat()} on the test split of "
            f"today's builder ({sizes['test']:,} clips; the card's earlier split of "
            f"{results['data']['splits']['test']:,} clips held recordings now reserved for "
            f"evaluation and cannot be rebuilt); Keras then scored {100 * card:.2f} %.")
        results["data"]["splits"] = sizes
        card = keras_metrics["accuracy"]
    elif abs(keras_metrics["accuracy"] - card) > 1e-9:
        raise SystemExit(f"{name}: Keras accuracy on {data_dir}'s test split is "
                         f"{keras_metrics['accuracy']:.4f}, the card says {card:.4f}: not the "
                         "test split the model was scored on (build DATA with the model's "
                         "`reproduce.data` command, or pass --rescore)")

    measure = training.file_metrics(x_test, y_test, labels, keys)
    calibration = entry.hook("representative_data")()
    with tempfile.TemporaryDirectory() as tmp:
        metrics, exports = training.export_and_measure(
            model, name, tmp, ",".join(modes), calibration, x_val[:validation_examples], measure)
        shipped, failed = training.export_sections(exports)
        if failed:
            raise SystemExit(f"{name}: {failed}")
        for mode in modes:
            fname = registry.tflite_filename(name, mode)
            atomic_write_bytes(dest / fname, (Path(tmp) / fname).read_bytes())
    results["metrics"].update(metrics)
    results["exports"].update(shipped)
    atomic_write_bytes(dest / "results.json", json.dumps(portable(results), indent=2).encode())
    write_card(name)
    for mode in modes:
        print(f"{name} {mode}: {shipped[mode]['report']['recurrent']} layout, "
              f"{shipped[mode]['size_bytes'] / 1024:.0f} KiB, test accuracy "
              f"{metrics[mode]['accuracy']:.4f} (Keras {card:.4f})", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="+")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--rescore", action="store_true",
                   help="score Keras and every shipped file again on DATA's test split when "
                        "it is not the split the card was measured on")
    p.add_argument("--modes", default=None,
                   help="comma list (default: the shipped modes the family exports as 'single')")
    args = p.parse_args(argv)
    for name in args.names:
        family = registry.get(name).family
        shipped = json.loads((pretrained_dir(name) / "results.json").read_text())["exports"]
        modes = args.modes.split(",") if args.modes else [
            m for m in sorted(family.layouts) if m in shipped]
        reexport(name, args.data_dir, modes, rescore=args.rescore)
    return 0


if __name__ == "__main__":
    sys.exit(main())
