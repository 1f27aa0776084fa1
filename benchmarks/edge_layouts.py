"""Stepped vs single layout of the keyword spotters: latency, size, int8 quality.

    python -m benchmarks.edge_layouts [--models 'kws-*'] [--kws-data DIR] [--repeats 200]

For every whole-window keyword spotter shipped in `zoo/pretrained/` the
float32 and int8 files are made in both layouts from the shipped weights and
calibration clips (`export.to_tflite(layout=...)`): `stepped` (signatures run
by the host loop of `export.runtime`) and `single` (one signature, one invoke,
the fused unrolled recurrence of `export.single`, front end float in int8;
and the int8 single file with an all-int8 body, `hybrid=False`, for the cost and
gain of the hybrid recurrent steps and head).
Latency: the files of one model are loaded in one child process per runtime
(ai-edge-litert; tflite-runtime 2.14 from its own venv) together with the
stepped files through the old per-call `SignatureRunner` path ("today's",
`Runtime._legacy`), and called in turn, order rotated every round, on
`zoo/demo_audio/yes.wav`, 1 thread; ratios are taken within that run.
With `--kws-data` (a built speech-commands set) every file's top-1 accuracy
on the test split, and the Keras model's, on the same clips.

Writes `edge_layouts.json` and `edge_layouts.md`.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ("stepped", "single")
MODES = ("float32", "int8")
#: The int8 single file with an all-int8 body (`hybrid=False`: no hybrid steps and head).
PLAIN_STATE = "single int8 all-int8"

CHILD = r"""
import json, sys, time
import numpy as np
from export import runtime

backend, inputs, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = json.loads(sys.argv[4])  # {label: path}
x = np.load(inputs)["x0"]
runners = {}
for label, path in files.items():
    rt = runtime.load(path, threads=1, backend=backend)
    runners[label] = rt
    if label.startswith("stepped"):
        old = runtime.load(path, threads=1, backend=backend)
        old._legacy = True  # today's per-call SignatureRunner path
        runners["today " + label] = old
labels = list(runners)
for _ in range(5):
    for rt in runners.values():
        rt(x)
wall = {k: [] for k in labels}
for i in range(repeats):
    k = i % len(labels)
    for label in labels[k:] + labels[:k]:
        t = time.perf_counter()
        runners[label](x)
        wall[label].append(time.perf_counter() - t)
out = {"backend": backend, "rows": {k: {"p50_ms": float(np.percentile(v, 50) * 1e3),
                                       "p90_ms": float(np.percentile(v, 90) * 1e3)}
                                   for k, v in wall.items()}}
print("EDGE_LAYOUTS " + json.dumps(out))
"""


def whole_window_kws(pattern):
    from zoo import registry

    names = []
    for p in sorted(registry.package_dir().glob("kws-*/SHA256SUMS")):
        name = p.parent.name
        entry = registry.get(name)
        if fnmatch.fnmatch(name, pattern) and not entry.has_hook("frame_stream"):
            names.append(name)
    return names


def export_files(name, folder, log=print):
    """`{f"{layout} {mode}": (path, report)}` exported from the shipped weights."""
    import export
    import zoo
    from zoo import registry

    model = zoo.load(name)
    calib = registry.get(name).hook("representative_data")()
    files = {}
    for layout in LAYOUTS:
        for mode in MODES:
            path = Path(folder) / f"{name}.{layout}.{mode}.tflite"
            log(f"  {name}: {layout} {mode}")
            report = export.to_tflite(model, path, quantize=mode, representative_data=calib,
                                      layout=layout, validate=False)
            files[f"{layout} {mode}"] = (path, report)
    from export import single, stepped

    if single.has_fused(stepped.build_plan(model)[1]):  # the all-int8 body, for comparison
        path = Path(folder) / f"{name}.single.int8-all-int8.tflite"
        log(f"  {name}: {PLAIN_STATE}")
        files[PLAIN_STATE] = (path, export.to_tflite(
            model, path, quantize="int8", representative_data=calib, layout="single",
            validate=False, hybrid=False))
    return files


def accuracy(name, files, data_dir, log=print):
    """Top-1 accuracy of Keras and of every file on the test split, and each file's
    top-1 agreement with Keras."""
    import zoo
    from export import runtime
    from zoo.data import speech_commands

    x, y, _ = speech_commands.load(data_dir, "test")
    keras_top = zoo.load(name).predict(x, verbose=0, batch_size=256).argmax(-1)
    out = {"clips": int(len(y)), "keras": float(np.mean(keras_top == y))}
    for label, (path, _) in files.items():
        log(f"  {name}: accuracy of {label}")
        top = runtime.load(path, threads=2)(x).argmax(-1)
        out[label] = {"accuracy": float(np.mean(top == y)),
                      "agreement_with_keras": float(np.mean(top == keras_top))}
    return out


def run(pattern="kws-*", data_dir=None, repeats=200, log=print):
    from benchmarks.edge_cost import BACKENDS, _child, model_inputs

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in whole_window_kws(pattern):
            files = export_files(name, tmp, log)
            inputs = Path(tmp) / f"{name}.npz"
            np.savez(inputs, x0=model_inputs(name, files["stepped float32"][0])[0])
            row = {"model": name, "files": {}, "latency": {}}
            for label, (path, report) in files.items():
                row["files"][label] = {"size_bytes": report.size_bytes,
                                       "ops": sum(report.op_histogram.values())}
            paths = {label: str(path) for label, (path, _) in files.items()}
            import json

            for backend, python in BACKENDS.items():
                log(f"  {name}: latency on {backend}")
                r = _child(python, CHILD, [backend, inputs, repeats, json.dumps(paths)],
                           "EDGE_LAYOUTS")
                row["latency"][backend] = r
            if data_dir:
                row["accuracy"] = accuracy(name, files, data_dir, log)
            rows.append(row)
    return rows


def _ms(lat, label):
    r = lat.get("rows", {}).get(label)
    return None if r is None else r["p50_ms"]


def markdown(result):
    lines = ["# Keyword spotters: stepped vs single layout", "",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; "
             f"{result['repeats']} rounds, one 1-s clip (`yes.wav`) per call, 1 thread, all "
             "files of a model called in turn in one process per runtime. *today* = the "
             "stepped file through the old per-call SignatureRunner path (before the lean "
             "runtime); ratios are within one run. Command: `python -m benchmarks.edge_layouts"
             + (" --kws-data DIR`." if result.get("kws_data") else "`."), "",
             "| model | runtime | today stepped float32 p50 ms | stepped float32 | stepped int8 "
             "| single float32 | single int8 | single int8 / today | int8/float32 stepped "
             "| int8/float32 single | single int8, all-int8 body |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        for backend, lat in row["latency"].items():
            if "error" in lat:
                lines.append(f"| {row['model']} | {backend} | fails: {lat['error'][:80]} "
                             "| | | | | | | | |")
                continue
            t = {k: _ms(lat, k) for k in ("today stepped float32", "stepped float32",
                                          "stepped int8", "single float32", "single int8")}
            lines.append(
                f"| {row['model']} | {backend} | {t['today stepped float32']:.2f} | "
                f"{t['stepped float32']:.2f} | {t['stepped int8']:.2f} | "
                f"{t['single float32']:.2f} | {t['single int8']:.2f} | "
                f"{t['single int8'] / t['today stepped float32']:.2f} | "
                f"{t['stepped int8'] / t['stepped float32']:.2f} | "
                f"{t['single int8'] / t['single float32']:.2f} | "
                + (f"{_ms(lat, PLAIN_STATE):.2f} |" if _ms(lat, PLAIN_STATE) else "– |"))
    lines += ["", "| model | file | KiB | ops | int8/float32 size | test accuracy | "
              "top-1 = Keras |", "|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        acc = row.get("accuracy", {})
        if acc:
            lines.append(f"| {row['model']} | Keras | | | | {acc['keras']:.2%} | |")
        for label, f in row["files"].items():
            layout, mode = label.split()[:2]
            ratio = f["size_bytes"] / row["files"][f"{layout} float32"]["size_bytes"]
            a = acc.get(label, {})
            lines.append(f"| {row['model']} | {label} | {f['size_bytes'] / 1024:.0f} | "
                         f"{f['ops']} | {ratio:.2f} | "
                         + (f"{a['accuracy']:.2%} | {a['agreement_with_keras']:.2%} |" if a
                            else "| |"))
    if any("accuracy" in r for r in result["rows"]):
        clips = result["rows"][0]["accuracy"]["clips"]
        lines += ["", f"Accuracy on the {clips} test clips of `--kws-data` (voices held out "
                  "of training)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="kws-*", help="fnmatch pattern of model names")
    p.add_argument("--kws-data", help="a built speech-commands set: adds test accuracy")
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1; got {args.repeats}")
    if not whole_window_kws(args.models):
        p.error(f"no shipped whole-window keyword spotter matches --models {args.models!r}")
    from benchmarks.export_modes import machine
    from benchmarks.results_io import write_results

    rows = run(args.models, args.kws_data, args.repeats)
    result = dict(machine=machine(), repeats=args.repeats, kws_data=bool(args.kws_data),
                  rows=rows)
    write_results(args.out, "edge_layouts", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
