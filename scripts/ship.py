"""Copy trained runs into the package (zoo/pretrained/NAME/), write the
attention-vs-baseline comparison over seeds, the measured WebGPU results,
the model cards and SHA256SUMS; stepped files shipped without standard TFLite
Metadata get it and a lower-rank computed operand of ADD/SUB/MUL the full rank
(`zoo.shipping.refresh_files`: the arithmetic untouched).

    .venv/bin/python scripts/ship.py NAME=RUN [NAME=RUN ...] \
        [--seeds NAME=RUN,RUN,... ...]      # seed runs of each model (the shipped run first)
    .venv/bin/python scripts/ship.py --cards-only [NAME ...]   # re-run gpu_check + cards

`RUN` is the `--out` of `zoo train NAME`. Every file the run lists in its
SHA256SUMS is shipped (weights re-saved without optimizer state). For an
attention model whose no-attention twin (`baseline=` of its registration)
has seed runs too, `comparison.json` holds the mean test metric of
each over the same seeds. The WebGPU column of the cards comes from
`python -m web_demo.gpu_check` (cards say "not measured" where Chromium is missing).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from zoo import cards, registry
from zoo.files import atomic_write_bytes
from zoo.shipping import ROOT, refresh_files, ship, write_card

POINT_METRICS = ("bleu", "chrf")


def baseline_of(name):
    return registry.baseline_pairs().get(name)


# metrics read from a run's streaming.json (`zoo.models.kws.stream_export`), not results.json
STREAM_METRICS = {"accuracy_in_stream": "accuracy in stream (each clip after 1 s of silence)"}


def _metric(run, metric):
    results = json.loads((Path(run) / "results.json").read_text())
    if metric in STREAM_METRICS:
        streaming = json.loads((Path(run) / "streaming.json").read_text())["streaming"]
        return streaming["test_in_stream"]["keras_accuracy"], results["parameters"]
    return results["metrics"]["keras"][metric], results["parameters"]


def comparison(attention, baseline, seed_runs, metric="accuracy"):
    """Mean test metric of each model over its seed runs (same seeds, data and epochs)."""
    a = [_metric(r, metric) for r in seed_runs[attention]]
    b = [_metric(r, metric) for r in seed_runs[baseline]]

    # Fractions (accuracy) are shown in percent; scores already on 0-100 (BLEU, chrF) as they are.
    scale, unit = (1, "") if metric in POINT_METRICS else (100, " %")

    def side(name, values):
        v = np.array([x for x, _ in values])
        return {"name": name, "value": float(v.mean()), "parameters": values[0][1]}, \
            f"{name}: {scale * v.mean():.2f} ± {scale * v.std(ddof=1) if len(v) > 1 else 0:.2f}" \
            f"{unit} ({', '.join(f'{scale * x:.2f}' for x in v)})"

    (sa, ta), (sb, tb) = side(attention, a), side(baseline, b)
    return {
        "schema": cards.RESULTS_SCHEMA, "model": attention,
        "comparison": {"metric": metric, "split": "test", "attention": sa, "baseline": sb},
        "limitations": [f"Attention vs baseline, test {STREAM_METRICS.get(metric, metric)}, "
                        f"mean ± std over {len(a)} / "
                        f"{len(b)} training seeds: {ta}; {tb}."],
    }


def gpu_results(names, modes=("float32", "float16", "int8")):
    """`{name: results dict}` from one `web_demo.gpu_check` run (empty if it cannot run), over
    the `modes` every one of `names` ships (a mode dropped from the package is not checked)."""
    from zoo.shipping import pretrained_dir

    modes = [m for m in modes
             if all((pretrained_dir(n) / registry.tflite_filename(n, m)).is_file() for n in names)]
    if not modes:
        print("web_demo.gpu_check: no TFLite mode shipped by all of " + ", ".join(names))
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gpu.json"
        proc = subprocess.run([sys.executable, "-m", "web_demo.gpu_check", "--model", *names,
                               "--quantize", *modes, "--trace", "--json", str(path)], cwd=ROOT)
        if proc.returncode == 2 or not path.exists():
            print("web_demo.gpu_check could not run: cards keep WebGPU 'not measured'")
            return {}
        check = json.loads(path.read_text())
    out = {}
    for m in check["models"]:
        webgpu = m.get("webgpu") or {}
        out.setdefault(m["model"], {"schema": cards.RESULTS_SCHEMA, "model": m["model"],
                                    "exports": {}})["exports"][m["mode"]] = {"webgpu": {
            "status": m["status"], "reason": m.get("reason"),
            "max_abs_diff_vs_keras": webgpu.get("vs_keras"),
            "max_abs_diff_vs_runtime": webgpu.get("vs_runtime"),
            **({"float_segments_on_wasm": webgpu["cpu_signatures"]}
               if webgpu.get("cpu_signatures") else {}),
            **({"computed_wrong_in": {k: webgpu["signatures"][k]["max_abs_diff"]
                                      for k in webgpu["signatures_apart"]}}
               if webgpu.get("signatures_apart") else {})}}
    return out


def _pairs(items, what):
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise SystemExit(f"{what} must look like NAME=PATH; got {item!r}")
        out[name] = value
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("items", nargs="*", help="NAME=RUN to ship (NAME alone with --cards-only)")
    p.add_argument("--seeds", nargs="*", default=[], help="NAME=RUN,RUN,... seed runs")
    p.add_argument("--metric", default="accuracy",
                   help="comparison metric (results.metrics.keras, or accuracy_in_stream: "
                        "streaming.json's in-stream Keras accuracy)")
    p.add_argument("--cards-only", action="store_true",
                   help="keep the shipped files; re-measure WebGPU and regenerate the cards")
    p.add_argument("--no-gpu", action="store_true", help="do not run web_demo.gpu_check")
    p.add_argument("--drop-modes", default="",
                   help="comma-separated TFLite modes measured in the run but not shipped "
                        "(users make them with `zoo export NAME -q MODE`)")
    p.add_argument("--keep-results", default="",
                   help="comma-separated keys of the shipped results.json to keep over the "
                        "run's (e.g. data,limitations: text written after training)")
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
            dest = ship(name, run, [m for m in args.drop_modes.split(",") if m],
                        keep_results=[k for k in args.keep_results.split(",") if k])
            baseline = baseline_of(name)
            if baseline and baseline in seed_runs:
                atomic_write_bytes(dest / "comparison.json", json.dumps(comparison(
                    name, baseline, seed_runs, args.metric), indent=2).encode())
        names = list(runs)
    for name in names:  # files shipped before today's exporter, same arithmetic
        refreshed = refresh_files(name)
        if refreshed:
            print(f"{name}: refreshed to today's exporter: {', '.join(refreshed)}")
    gpu = {} if args.no_gpu else gpu_results(names)
    for name in names:
        write_card(name, gpu)


if __name__ == "__main__":
    main()
