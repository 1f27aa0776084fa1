"""Copy trained keyword-spotting runs into the package (zoo/pretrained/NAME/),
write the attention-vs-baseline comparison, the measured WebGPU results, the
model cards and SHA256SUMS.

    .venv/bin/python scripts/ship_kws.py --runs RUNS_DIR --data-dir DATA [NAME ...]
    .venv/bin/python scripts/ship_kws.py --cards-only [NAME ...]   # re-run gpu_check + cards

`RUNS_DIR/NAME/` is the `--out` of `zoo train NAME` (zoo.models.kws.train).
The WebGPU column of the cards comes from `python -m export.gpu_check`
(skipped, and the cards say "not measured", where Chromium is missing).
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from zoo import cards, registry, training
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
    training.save_inference_weights(entry, model, dest / "model.weights.h5")
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
        clips = training.subset(x, y, train.SHIPPED_CALIBRATION_CLIPS, seed + 2)[0]
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


def gpu_results(names, modes=("float32", "float16", "int8")):
    """`{name: results dict}` from one `export.gpu_check` run (empty if it cannot run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gpu.json"
        proc = subprocess.run([sys.executable, "-m", "export.gpu_check", "--model", *names,
                               "--quantize", *modes, "--json", str(path)], cwd=ROOT)
        if proc.returncode == 2 or not path.exists():
            print("export.gpu_check could not run: cards keep WebGPU 'not measured'")
            return {}
        check = json.loads(path.read_text())
    out = {}
    for m in check["models"]:
        webgpu = m.get("webgpu") or {}
        out.setdefault(m["model"], {"schema": cards.RESULTS_SCHEMA, "model": m["model"],
                                    "exports": {}})["exports"][m["mode"]] = {"webgpu": {
            "status": m["status"], "reason": m.get("reason"),
            "max_abs_diff_vs_keras": webgpu.get("vs_keras"),
            "max_abs_diff_vs_runtime": webgpu.get("vs_runtime")}}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", default=list(train.MODELS))
    p.add_argument("--runs", type=Path)
    p.add_argument("--data-dir")
    p.add_argument("--cards-only", action="store_true",
                   help="keep the shipped files; re-measure WebGPU and regenerate the cards")
    args = p.parse_args()
    if not args.cards_only and (args.runs is None or args.data_dir is None):
        p.error("--runs and --data-dir are required unless --cards-only")
    if not args.cards_only:
        for name in args.names:
            ship(name, args.runs, args.data_dir)
            baseline = train.BASELINE_OF.get(name)
            dest = ROOT / "zoo" / "pretrained" / name
            if baseline and (args.runs / baseline / "results.json").exists():
                atomic_write_bytes(dest / "comparison.json", json.dumps(
                    comparison(name, baseline, args.runs), indent=2).encode())
            registry.write_checksums(dest)
    gpu = gpu_results(args.names)
    for name in args.names:
        dest = ROOT / "zoo" / "pretrained" / name
        sources = [dest / "results.json"]
        if (dest / "comparison.json").exists():
            sources.append(dest / "comparison.json")
        if name in gpu:
            atomic_write_bytes(dest / "webgpu.json", json.dumps(gpu[name], indent=2).encode())
            sources.append(dest / "webgpu.json")
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
