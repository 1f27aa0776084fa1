"""Copy trained keyword-spotting runs into the package (zoo/pretrained/NAME/),
write the attention-vs-baseline comparison, the model cards and SHA256SUMS.

    .venv/bin/python scripts/ship_kws.py --runs RUNS_DIR --data-dir DATA [NAME ...]

`RUNS_DIR/NAME/` is the `--out` of `zoo train NAME` (zoo.models.kws.train).
"""

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from zoo import cards, registry
from zoo.files import atomic_path, atomic_write_bytes
from zoo.models.kws import train

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("config.json", "labels.txt", "results.json", "training.json")


def ship(name, runs, data_dir):
    run = runs / name
    dest = ROOT / "zoo" / "pretrained" / name
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    entry = registry.get(name)
    model = entry.build()
    model.load_weights(run / "model.weights.h5")
    train.save_inference_weights(entry, model, dest / "model.weights.h5")
    for f in KEEP:
        shutil.copy(run / f, dest / f)
    results = json.loads((run / "results.json").read_text())
    for mode in results["exports"]:
        f = registry.tflite_filename(name, mode)
        shutil.copy(run / f, dest / f)
    calibration = run / train.SHIPPED_CALIBRATION
    if calibration.exists():
        shutil.copy(calibration, dest / train.SHIPPED_CALIBRATION)
    else:  # runs made before the trainer wrote it: same rule as the trainer
        from zoo.data import speech_commands

        x, y, _ = speech_commands.load(data_dir, "train")
        seed = json.loads((run / "config.json").read_text())["seed"]
        clips = train._subset(x, y, train.SHIPPED_CALIBRATION_CLIPS, seed + 2)[0]
        with atomic_path(dest / train.SHIPPED_CALIBRATION) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, audio=np.round(clips * 32767).astype(np.int16))
    return dest, results


def comparison(attention, baseline, runs):
    a = json.loads((runs / attention / "results.json").read_text())
    b = json.loads((runs / baseline / "results.json").read_text())
    return {
        "schema": cards.RESULTS_SCHEMA, "model": attention,
        "comparison": {
            "metric": "accuracy", "split": "test",
            "attention": {"name": attention, "value": a["metrics"]["keras"]["accuracy"],
                          "parameters": a["parameters"]},
            "baseline": {"name": baseline, "value": b["metrics"]["keras"]["accuracy"],
                         "parameters": b["parameters"]},
        },
        "limitations": ["The attention-vs-baseline figures come from one training seed each "
                        "(same data, epochs and seed for both models)."],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", default=list(train.MODELS))
    p.add_argument("--runs", type=Path, required=True)
    p.add_argument("--data-dir", required=True)
    args = p.parse_args()
    for name in args.names:
        dest, _ = ship(name, args.runs, args.data_dir)
        sources = [dest / "results.json"]
        baseline = train.BASELINE_OF.get(name)
        if baseline and (args.runs / baseline / "results.json").exists():
            atomic_write_bytes(dest / "comparison.json",
                               json.dumps(comparison(name, baseline, args.runs), indent=2).encode())
            sources.append(dest / "comparison.json")
        registry.write_checksums(dest)
        rel = [str(s.relative_to(ROOT)) for s in sources]
        code = cards.main([name, "--results", *rel, "--out", str(dest.relative_to(ROOT))])
        if code:
            raise SystemExit(f"card for {name} failed")
        registry.write_checksums(dest)
        size = sum(f.stat().st_size for f in dest.iterdir())
        print(f"shipped {name}: {size / 1e6:.2f} MB in {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
