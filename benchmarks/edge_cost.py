"""What each shipped model costs on a device, per TFLite mode.

    python -m benchmarks.edge_cost [--quick] [--models PATTERN] [--out benchmarks/results]

For every model with files in `zoo/pretrained/` and every shipped mode:
parameters and test metric (copied from the model's `results.json`), file
size, p50/p90 latency of one example at 1 and 2 threads on ai-edge-litert
and on tflite-runtime 2.14 (its own virtualenv, `make venv-tflite-runtime`;
skipped with a note when absent), and peak resident memory of a process
that loads the file and runs it. Each (file, runtime) is measured in a fresh
child process (`export.runtime`, no TensorFlow), one after the other;
size and latency ratios are taken against the float32 file of the same model
in the same run, because these machines are noisy. Inputs: each model's
family `example_input` (keyword spotters: `zoo/demo_audio/yes.wav`), else the
first example shipped with it (`web_demo.gpu_check.fixed_inputs`). The streaming keyword spotter
(`zoo.models.kws.streaming`, exported here from the shipped weights) is
measured per 20 ms frame, with its real-time factor (p50 / 20 ms).
Translators (`mt-*`) are timed per sentence: the encoder plan and the greedy
`decode_step` loop of `zoo.models.translation.tflite` on their first shipped example.

`--quick`: float32 and int8 only, fewer repeats. Writes `edge_cost.json`
and `edge_cost.md`.

    python -m benchmarks.edge_cost --runtime-compare [--models kws-att-bilstm] [--repeats 200]

compares the old per-call `SignatureRunner` path of `export.runtime` (kept
behind the private `Runtime._legacy` flag for this only) with the bound one,
on the shipped float32 and int8 files, 1 thread, ai-edge-litert and
tflite-runtime 2.14: both runtimes are loaded in one child process and called
alternately (order swapped every round), so the ratio new/old holds on a
noisy machine. Writes `edge_runtime.json` and `edge_runtime.md`.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TFLITE_RUNTIME_PYTHON = ROOT / ".venv-tflite-runtime" / "bin" / "python"
BACKENDS = {"ai_edge_litert": Path(sys.executable), "tflite_runtime": TFLITE_RUNTIME_PYTHON}

CHILD = r"""
import json, sys, time
import numpy as np
from export import runtime
from zoo.models.translation import tflite as translator

def rss_mib():  # VmHWM: peak RSS of this process image (getrusage would keep the parent's peak)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0

path, inputs, backend, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with np.load(inputs) as data:
    x = [data[f"x{i}"] for i in range(len(data.files))]
before = rss_mib()
out = {"rss_before_mib": before}
with open(path, "rb") as f:
    is_translator = translator.is_translator(f.read())
for threads in (1, 2):
    if is_translator:  # one sentence, greedy, host loop
        tb = translator.tflite_backend(path, threads=threads, backend=backend)
        rt = tb.runtime
        call = lambda: translator.decode_ids(tb, x[0])
    else:
        rt = runtime.load(path, threads=threads, backend=backend)
        call = lambda: rt(*x)
    for _ in range(3):
        call()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    out[f"p50_ms_{threads}t"] = float(np.percentile(times, 50) * 1e3)
    out[f"p90_ms_{threads}t"] = float(np.percentile(times, 90) * 1e3)
out["rss_peak_mib"] = rss_mib()
out["backend"] = rt.backend
print("EDGE_COST " + json.dumps(out))
"""


COMPARE_CHILD = r"""
import json, sys, time
import numpy as np
from export import runtime

path, inputs, backend, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with np.load(inputs) as data:
    x = [data[f"x{i}"] for i in range(len(data.files))]
old = runtime.load(path, threads=1, backend=backend)
old._legacy = True  # the per-call SignatureRunner path
new = runtime.load(path, threads=1, backend=backend)
a, b = old(*x), new(*x)
same = all(np.array_equal(u, v) for u, v in zip(a if isinstance(a, list) else [a],
                                                b if isinstance(b, list) else [b]))
for _ in range(5):
    old(*x), new(*x)
wall = {"old": [], "new": []}
cpu = {"old": [], "new": []}
for i in range(repeats):
    for name in (("old", "new") if i % 2 == 0 else ("new", "old")):
        rt = old if name == "old" else new
        c, t = time.thread_time(), time.perf_counter()
        rt(*x)
        wall[name].append(time.perf_counter() - t)
        cpu[name].append(time.thread_time() - c)
out = {"backend": new.backend, "bit_identical": bool(same)}
for name in ("old", "new"):
    out[name] = {"p50_ms": float(np.percentile(wall[name], 50) * 1e3),
                 "p90_ms": float(np.percentile(wall[name], 90) * 1e3),
                 "cpu_p50_ms": float(np.percentile(cpu[name], 50) * 1e3)}
print("EDGE_RUNTIME " + json.dumps(out))
"""


def _child(python, script, args, tag):
    """Run `script` with `python` (fresh process, 2 OpenMP threads at most); its
    `<tag> {json}` line as a dict, or `{"error": ...}`."""
    if not python.exists():
        return {"error": f"{python} missing (make venv-tflite-runtime)"}
    proc = subprocess.run([str(python), "-c", script, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", ""),
                               "OMP_NUM_THREADS": "2"})
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(tag + " ")), None)
    if proc.returncode != 0 or line is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    return json.loads(line[len(tag) + 1:])


def compare_runtimes(pattern="kws-att-bilstm", repeats=200, modes=("float32", "int8")):
    """Old (per-call `SignatureRunner`) vs bound `export.runtime`, interleaved in one
    process per (file, backend): rows with p50/p90 wall ms, p50 thread CPU ms and the
    ratios new/old."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, mode, path in shipped_files(pattern):
            if mode not in modes:
                continue
            inputs = Path(tmp) / f"{name}.npz"
            if not inputs.exists():
                np.savez(inputs, **{f"x{i}": a for i, a in enumerate(model_inputs(name, path))})
            for backend, python in BACKENDS.items():
                r = _child(python, COMPARE_CHILD, [path, inputs, backend, repeats], "EDGE_RUNTIME")
                row = {**dict(model=name, mode=mode, backend=backend), **r}
                if "error" not in r:
                    row["ratio_p50"] = r["new"]["p50_ms"] / r["old"]["p50_ms"]
                    row["ratio_p90"] = r["new"]["p90_ms"] / r["old"]["p90_ms"]
                    row["ratio_cpu_p50"] = r["new"]["cpu_p50_ms"] / r["old"]["cpu_p50_ms"]
                rows.append(row)
    return rows


def compare_markdown(result):
    m = result["machine"]
    lines = ["# export.runtime: bound tensors vs the old per-call SignatureRunner path", "",
             f"Machine: {m['cpu']}, {m['cores']} cores; ai-edge-litert {m['ai_edge_litert']}, "
             "tflite-runtime 2.14 (own venv). One whole inference (one example, 1 thread) per "
             "call; old and new runtime loaded in one process and called alternately, "
             f"{result['repeats']} rounds; ratio = new / old of the same run. `same`: the "
             "outputs are bit-identical. Command: `python -m benchmarks.edge_cost "
             "--runtime-compare`.", "",
             "| model | mode | runtime | old p50 / p90 ms | new p50 / p90 ms | new/old p50 "
             "| new/old p90 | old / new CPU p50 ms | new/old CPU | same |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r['model']} | {r['mode']} | {r['backend']} | fails: "
                         f"{_reason(r['error'])} | | | | | | |")
            continue
        o, n = r["old"], r["new"]
        lines.append(f"| {r['model']} | {r['mode']} | {r['backend']} | {o['p50_ms']:.2f} / "
                     f"{o['p90_ms']:.2f} | {n['p50_ms']:.2f} / {n['p90_ms']:.2f} | "
                     f"{r['ratio_p50']:.2f} | {r['ratio_p90']:.2f} | {o['cpu_p50_ms']:.2f} / "
                     f"{n['cpu_p50_ms']:.2f} | {r['ratio_cpu_p50']:.2f} | "
                     f"{'yes' if r['bit_identical'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def shipped_files(pattern="*"):
    """`[(name, mode, path)]` of the TFLite files in zoo/pretrained."""
    from zoo import registry

    files = []
    for d in sorted(registry.package_dir().iterdir()):
        if not d.is_dir() or not fnmatch.fnmatch(d.name, pattern):
            continue
        for mode in registry.MODES:
            f = d / registry.tflite_filename(d.name, mode)
            if f.is_file():
                files.append((d.name, mode, f))
    return files


def model_inputs(name, path):
    from export import runtime
    from web_demo import gpu_check
    from zoo import registry

    data = Path(path).read_bytes()
    plan = runtime.read_plan(data) or runtime.Runtime(data).plan
    # translators: the source ids only (the file's plan is the encoder; the
    # child times a whole greedy translation of that sentence)
    return gpu_check.fixed_inputs(plan, registry.get(name))[:len(plan["inputs"])]


def measure(path, inputs_npz, backend, repeats):
    return _child(BACKENDS[backend], CHILD, [path, inputs_npz, backend, repeats], "EDGE_COST")


def headline_metric(name):
    """The metric a model is judged by, as its registration or family declares it
    (None for an unknown name)."""
    from zoo import registry

    try:
        return registry.get(name).headline_metric
    except registry.UnknownModelError:
        return None


def metric_of(results, mode, prefer=None):
    """`(metric name, value of `mode`)` from a `results.json`: `prefer` when the results have
    it, else the first Keras metric."""
    metrics = results.get("metrics") or {}
    keras_metrics = metrics.get("keras") or {}
    if not keras_metrics:
        return None, None
    key = prefer if prefer in keras_metrics else next(iter(keras_metrics))
    return key, (metrics.get(mode) or {}).get(key)


STREAMING = ("kws-att-bilstm",)


def streaming_rows(tmp, repeats, names=STREAMING, modes=("float32", "int8")):
    """Per-frame cost of the streaming KWS variant (`zoo.models.kws.streaming`), exported
    here from the shipped weights: one call = one 20 ms frame, so the real-time factor
    is p50 / 20 ms."""
    import export
    from zoo.models.kws import streaming
    from zoo.models.kws.preprocessing import representative_data

    rows = []
    for name in names:
        stream = streaming.streaming_model(name)
        calib = streaming.streaming_calibration(representative_data(name))
        x = [c[:1] for c in calib]
        inputs = Path(tmp) / f"{name}-streaming.npz"
        np.savez(inputs, **{f"x{i}": a for i, a in enumerate(x)})
        for mode in modes:
            path = Path(tmp) / f"{name}-streaming.{mode}.tflite"
            report = export.to_tflite(stream, path, quantize=mode, representative_data=calib,
                                      validate=False)
            row = dict(model=f"{name} (streaming, per 20 ms frame)", mode=mode,
                       size_bytes=report.size_bytes, parameters=int(stream.count_params()),
                       metric=None, value=None, streaming=True)
            for backend in BACKENDS:
                row[backend] = measure(path, inputs, backend, repeats)
                p50 = row[backend].get("p50_ms_1t")
                row[backend]["real_time_factor_1t"] = p50 / 20.0 if p50 else None
            rows.append(row)
    return rows


def run(pattern="*", quick=False, log=print):
    from tqdm import tqdm

    files = shipped_files(pattern)
    if quick:
        files = [f for f in files if f[1] in ("float32", "int8")]
    repeats = 15 if quick else 50
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {}
        for name, mode, path in tqdm(files, desc="edge_cost"):
            if name not in inputs:
                x = model_inputs(name, path)
                inputs[name] = Path(tmp) / f"{name}.npz"
                np.savez(inputs[name], **{f"x{i}": a for i, a in enumerate(x)})
            results_file = path.parent / "results.json"
            results = json.loads(results_file.read_text()) if results_file.is_file() else {}
            metric, value = metric_of(results, mode, headline_metric(name))
            row = dict(model=name, mode=mode, size_bytes=path.stat().st_size,
                       parameters=results.get("parameters"), metric=metric, value=value)
            for backend in BACKENDS:
                row[backend] = measure(path, inputs[name], backend, repeats)
            rows.append(row)
        rows += streaming_rows(tmp, repeats,
                               [n for n in STREAMING if fnmatch.fnmatch(n, pattern)])
    by_float = {r["model"]: r for r in rows if r["mode"] == "float32"}
    for r in rows:
        ref = by_float.get(r["model"])
        if ref is None:
            continue
        r["size_ratio"] = r["size_bytes"] / ref["size_bytes"]
        for backend in BACKENDS:
            a, b = r[backend].get("p50_ms_1t"), ref[backend].get("p50_ms_1t")
            r[backend]["latency_ratio_1t"] = a / b if a and b else None
    return rows


def _reason(error):
    """The runtime's own words from an error line (after the file path), shortened."""
    text = error.split(".tflite: ", 1)[-1]
    return (text[:117] + "...") if len(text) > 120 else text


def _f(v, fmt):
    return "–" if v is None else format(v, fmt)


def markdown(result):
    m = result["machine"]
    lines = ["# Edge cost of the shipped models", "",
             f"Machine: {m['cpu']}, {m['cores']} cores; ai-edge-litert {m['ai_edge_litert']}, "
             "tflite-runtime 2.14 (own venv). One example per call through `export.runtime` "
             "(host loop in Python for recurrent steps), fresh process per file and runtime; "
             "ratios against the float32 file of the same model in this run. Peak RSS is the "
             "whole Python process (its RSS before loading the model is the first number).", "",
             "| model | mode | params | test metric | size KiB | × f32 | litert p50/p90 ms 1t "
             "| litert p50 2t | × f32 (1t) | tflite-runtime p50/p90 1t | tflite-runtime p50 2t "
             "| peak RSS MiB (litert) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        a, t = r["ai_edge_litert"], r["tflite_runtime"]
        metric = "–" if r["value"] is None else f"{r['metric']} {r['value']:.4g}"
        rt_cell = (f"{_f(t.get('p50_ms_1t'), '.2f')} / {_f(t.get('p90_ms_1t'), '.2f')}"
                   if "error" not in t else "fails: " + _reason(t["error"]))
        lines.append(
            f"| {r['model']} | {r['mode']} | {_f(r['parameters'], ',')} | {metric} | "
            f"{r['size_bytes'] / 1024:.1f} | {_f(r.get('size_ratio'), '.2f')} | "
            f"{_f(a.get('p50_ms_1t'), '.2f')} / {_f(a.get('p90_ms_1t'), '.2f')} | "
            f"{_f(a.get('p50_ms_2t'), '.2f')} | {_f(a.get('latency_ratio_1t'), '.2f')} | "
            f"{rt_cell} | {_f(t.get('p50_ms_2t'), '.2f')} | "
            f"{_f(a.get('rss_before_mib'), '.0f')} → {_f(a.get('rss_peak_mib'), '.0f')} |")
    stream = [r for r in result["rows"] if r.get("streaming")]
    if stream:
        lines += ["", "Streaming keyword spotting, one call per 20 ms frame (real-time factor = "
                  "p50 / 20 ms; below 1 keeps up with the microphone):", "",
                  "| model | mode | p50 ms per frame (litert 1t) | real-time factor | "
                  "tflite-runtime p50 1t | real-time factor |", "|---|---|---|---|---|---|"]
        for r in stream:
            a, t = r["ai_edge_litert"], r["tflite_runtime"]
            lines.append(f"| {r['model']} | {r['mode']} | {_f(a.get('p50_ms_1t'), '.2f')} | "
                         f"{_f(a.get('real_time_factor_1t'), '.3f')} | "
                         f"{_f(t.get('p50_ms_1t'), '.2f')} | "
                         f"{_f(t.get('real_time_factor_1t'), '.3f')} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="float32 and int8 only, fewer repeats")
    p.add_argument("--models", default="*", help="fnmatch pattern of model names")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--runtime-compare", action="store_true",
                   help="old vs bound export.runtime on the shipped float32/int8 files "
                        "(--models defaults to kws-att-bilstm); writes edge_runtime.*")
    p.add_argument("--repeats", type=int, default=200,
                   help="rounds of --runtime-compare (each calls old and new once)")
    args = p.parse_args(argv)
    from benchmarks.export_modes import machine
    from benchmarks.results_io import write_results

    if args.runtime_compare:
        if args.repeats < 1:
            p.error(f"--repeats must be >= 1; got {args.repeats}")
        pattern = "kws-att-bilstm" if args.models == "*" else args.models
        rows = compare_runtimes(pattern, args.repeats)
        if not rows:
            p.error(f"no shipped float32/int8 TFLite files match --models {pattern!r}")
        result = dict(machine=machine(), repeats=args.repeats, rows=rows)
        write_results(args.out, "edge_runtime", result, compare_markdown(result))
        return 0

    rows = run(args.models, args.quick)
    if not rows:
        p.error(f"no shipped TFLite files match --models {args.models!r}")
    result = dict(machine=machine(), quick=args.quick, rows=rows)
    write_results(args.out, "edge_cost", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
