"""Copy trained runs into the package (zoo/pretrained/NAME/), write the
attention-vs-baseline comparison over seeds, the measured WebGPU results,
the model cards and SHA256SUMS.

    .venv/bin/python scripts/ship.py NAME=RUN [NAME=RUN ...] \
        [--seeds NAME=RUN,RUN,... ...]      # seed runs of each model (the shipped run first)
    .venv/bin/python scripts/ship.py --cards-only [NAME ...]   # re-run gpu_check + cards

`RUN` is the `--out` of `zoo train NAME`. Every file the run lists in its
SHA256SUMS is shipped (weights re-saved without optimizer state). For an
attention model whose no-attention twin (`BASELINE_OF` of its trainer
module) has seed runs too, `comparison.json` holds the mean test metric of
each over the same seeds. The WebGPU column of the cards comes from
`python -m export.gpu_check` (cards say "not measured" where Chromium is missing).
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
from zoo.files import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
SKIP = {registry.WEIGHTS_FILE, registry.CHECKSUMS_FILE, registry.CARD_JSON, registry.CARD_MD}


def pretrained_dir(name):
    return ROOT / "zoo" / "pretrained" / name


def ship(name, run):
    dest = pretrained_dir(name)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    entry = registry.get(name)
    config = json.loads((run / registry.CONFIG_FILE).read_text()) \
        if (run / registry.CONFIG_FILE).exists() else {}
    model = entry.build(**config)
    model.load_weights(run / registry.WEIGHTS_FILE)
    training.save_inference_weights(entry, model, dest / registry.WEIGHTS_FILE, config)
    for f in registry.read_checksums(run):
        if f not in SKIP:
            shutil.copy(run / f, dest / f)
    return dest


def baseline_of(name):
    return training.baseline_pairs().get(name)


def _metric(run, metric):
    results = json.loads((Path(run) / "results.json").read_text())
    return results["metrics"]["keras"][metric], results["parameters"]


def comparison(attention, baseline, seed_runs, metric="accuracy"):
    """Mean test metric of each model over its seed runs (same seeds, data and epochs)."""
    a = [_metric(r, metric) for r in seed_runs[attention]]
    b = [_metric(r, metric) for r in seed_runs[baseline]]

    def side(name, values):
        v = np.array([x for x, _ in values])
        return {"name": name, "value": float(v.mean()), "parameters": values[0][1]}, \
            f"{name}: {100 * v.mean():.2f} ± {100 * v.std(ddof=1) if len(v) > 1 else 0:.2f} % " \
            f"({', '.join(f'{100 * x:.2f}' for x in v)})"

    (sa, ta), (sb, tb) = side(attention, a), side(baseline, b)
    return {
        "schema": cards.RESULTS_SCHEMA, "model": attention,
        "comparison": {"metric": metric, "split": "test", "attention": sa, "baseline": sb},
        "limitations": [f"Attention vs baseline, test {metric}, mean ± std over {len(a)} / "
                        f"{len(b)} training seeds: {ta}; {tb}."],
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


def _pairs(items, what):
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise SystemExit(f"{what} must look like NAME=PATH; got {item!r}")
        out[name] = value
    return out


def write_card(name, gpu):
    dest = pretrained_dir(name)
    sources = [dest / "results.json"]
    if (dest / "comparison.json").exists():
        sources.append(dest / "comparison.json")
    if name in gpu:
        atomic_write_bytes(dest / "webgpu.json", json.dumps(gpu[name], indent=2).encode())
    if (dest / "webgpu.json").exists():
        sources.append(dest / "webgpu.json")
    registry.write_checksums(dest)
    rel = [str(s.relative_to(ROOT)) for s in sources]
    if cards.main([name, "--results", *rel, "--out", str(dest.relative_to(ROOT))]):
        raise SystemExit(f"card for {name} failed")
    registry.write_checksums(dest)
    size = sum(f.stat().st_size for f in dest.iterdir())
    print(f"shipped {name}: {size / 1e6:.2f} MB in {dest.relative_to(ROOT)}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("items", nargs="*", help="NAME=RUN to ship (NAME alone with --cards-only)")
    p.add_argument("--seeds", nargs="*", default=[], help="NAME=RUN,RUN,... seed runs")
    p.add_argument("--metric", default="accuracy", help="comparison metric (results.metrics.keras)")
    p.add_argument("--cards-only", action="store_true",
                   help="keep the shipped files; re-measure WebGPU and regenerate the cards")
    p.add_argument("--no-gpu", action="store_true", help="do not run export.gpu_check")
    args = p.parse_args()
    if args.cards_only:
        names = args.items
    else:
        runs = {k: Path(v) for k, v in _pairs(args.items, "an item").items()}
        seed_runs = {k: [Path(r) for r in v.split(",")]
                     for k, v in _pairs(args.seeds, "--seeds").items()}
        for name, run in runs.items():
            seed_runs.setdefault(name, [run])
        for name, run in runs.items():
            dest = ship(name, run)
            baseline = baseline_of(name)
            if baseline and baseline in seed_runs:
                atomic_write_bytes(dest / "comparison.json", json.dumps(comparison(
                    name, baseline, seed_runs, args.metric), indent=2).encode())
            registry.write_checksums(dest)
        names = list(runs)
    gpu = {} if args.no_gpu else gpu_results(names)
    for name in names:
        write_card(name, gpu)


if __name__ == "__main__":
    main()
