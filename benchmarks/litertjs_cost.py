"""Whole-inference cost of the shipped files in LiteRT.js (wasm), beside ai-edge-litert.

    python -m benchmarks.litertjs_cost [--models kws-att-bilstm ...] [--modes float32,int8]
                                       [--repeat 30] [--out benchmarks/results]

Each file runs in LiteRT.js (`@litertjs/core`, wasm backend, headless Chromium: the
page of `python -m web_demo.gpu_check`, which also checks its outputs against Keras
and `export.runtime`): once cold, up to 5 times untimed, then `--repeat` times on the
same input (the model's shipped example: a bundled recording, real token ids or
series), each timed with `performance.now()`. In the same run, after the browser,
ai-edge-litert (`export.runtime`, one thread) runs the same file on the same input
`--repeat` times, the files alternated round by round. Ratios: each file against its model's float32
file on the same runtime, and LiteRT.js against ai-edge-litert. The check's WebGPU
page runs too (SwiftShader is a CPU emulation: not timed). Writes
`litertjs_cost.json` and `.md`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _p(values, q):
    return float(np.percentile(values, q)) if len(values) else None


def targets(models, modes):
    """`[(model, mode)]` of the shipped files among `models` x `modes`."""
    from zoo import registry

    out = []
    for name in models:
        art = registry.require_artifacts(name)
        out += [(name, m) for m in modes if art.has(registry.tflite_filename(name, m))]
    return out


def litert_times(files, inputs, repeat):
    """`{(model, mode): [ms, ...]}`: ai-edge-litert through `export.runtime` (1 thread),
    one warm-up call each, then `repeat` rounds over all files in turn."""
    from export.runtime import Runtime

    runtimes = {key: Runtime(path.read_bytes(), threads=1) for key, path in files.items()}
    for key, rt in runtimes.items():
        rt(*inputs[key])
    times = {key: [] for key in runtimes}
    for _ in range(repeat):
        for key, rt in runtimes.items():
            start = time.perf_counter()
            rt(*inputs[key])
            times[key].append((time.perf_counter() - start) * 1e3)
    return times


def measure(models, modes, repeat, timeout=1800.0, log=print):
    from web_demo import gpu_check
    from zoo import registry

    pairs = targets(models, modes)
    rows = []
    by_model = {}
    for name, mode in pairs:
        by_model.setdefault(name, []).append(mode)
    for name, model_modes in by_model.items():  # one page per model: a slow one times out alone
        result = gpu_check.check([name], model_modes, (), timeout, log=log, wasm_repeat=repeat)
        entry = registry.get(name)
        files = {(name, m): registry.require_artifacts(name).file(registry.tflite_filename(name, m))
                 for m in model_modes}
        example = gpu_check.shipped_example(entry)[1]
        inputs = {key: example for key in files}
        python = litert_times(files, inputs, repeat)
        for e in result["models"]:
            wasm = e.get("wasm", {})
            js = wasm.get("run_ms_repeat") or []
            py = python[(name, e["mode"])]
            rows.append(dict(model=name, mode=e["mode"], size_bytes=files[(name, e["mode"])].stat().st_size,
                             check=e["status"], wasm_error=wasm.get("error"),
                             wasm_vs_keras=wasm.get("vs_keras"), cold_ms=wasm.get("run_ms"),
                             compile_s=wasm.get("compile_s"),
                             litertjs_p50=_p(js, 50), litertjs_p90=_p(js, 90),
                             litertjs_min=min(js) if js else None,
                             litert_p50=_p(py, 50), litert_p90=_p(py, 90), litert_min=min(py),
                             runs=len(js)))
        log(f"{name}: " + ", ".join(
            f"{r['mode']} LiteRT.js {r['litertjs_p50'] or float('nan'):.2f} ms, ai-edge-litert "
            f"{r['litert_p50']:.2f} ms" for r in rows if r["model"] == name))
    for r in rows:
        base = next((b for b in rows if b["model"] == r["model"] and b["mode"] == "float32"), None)
        for key in ("litertjs", "litert"):
            ok = base and base[f"{key}_p50"] and r[f"{key}_p50"]
            r[f"{key}_vs_float32"] = r[f"{key}_p50"] / base[f"{key}_p50"] if ok else None
        r["litertjs_vs_litert"] = (r["litertjs_p50"] / r["litert_p50"]
                                   if r["litertjs_p50"] and r["litert_p50"] else None)
    return rows


def litertjs_version():
    """The installed `@litertjs/core` (web_demo/node_modules), "?" without one."""
    import json

    path = ROOT / "web_demo" / "node_modules" / "@litertjs" / "core" / "package.json"
    try:
        return json.loads(path.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def _f(v, fmt=".2f"):
    return "–" if v is None else format(v, fmt)


def markdown(rows, repeat, machine):
    lines = ["# LiteRT.js (wasm) beside ai-edge-litert: whole inference of the shipped files", "",
             f"{machine}. One input per call (the model's shipped example); LiteRT.js "
             "(`@litertjs/core`, wasm backend, headless Chromium) runs the plan with "
             "`web_demo/kws.js` (the browser demo's code), ai-edge-litert with `export.runtime` "
             f"(1 thread); {repeat} timed runs each after a cold one (and, in the browser, up "
             "to 5 untimed warm-up runs), in one run of "
             "`python -m benchmarks.litertjs_cost`. *× f32*: against the same model's float32 "
             "file on the same runtime; *JS / litert*: LiteRT.js against ai-edge-litert. "
             "The last two columns are `web_demo.gpu_check`'s checks in the same run: the timed "
             "wasm outputs against Keras, and its WebGPU verdict (SwiftShader, not timed; a "
             "FAIL's reason is in the JSON). LiteRT.js "
             "times spread widely within one page (e.g. 1.5–14 ms for one file, in runs that "
             "alternate fast and slow): compare p50 with p90 and min before reading a ratio.", "",
             "| model | mode | size KiB | LiteRT.js p50 / p90 / min ms | × f32 | cold ms | "
             "ai-edge-litert p50 / p90 / min ms | × f32 | JS / litert | wasm max \\|Δ\\| vs Keras "
             "| WebGPU check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        js = ("error: " + r["wasm_error"].splitlines()[0][:60] if r["wasm_error"] else
              f"{_f(r['litertjs_p50'])} / {_f(r['litertjs_p90'])} / {_f(r['litertjs_min'])}")
        lines.append(
            f"| {r['model']} | {r['mode']} | {r['size_bytes'] / 1024:.1f} | {js} | "
            f"{_f(r['litertjs_vs_float32'])} | {_f(r['cold_ms'], '.1f')} | "
            f"{_f(r['litert_p50'])} / {_f(r['litert_p90'])} / {_f(r['litert_min'])} | "
            f"{_f(r['litert_vs_float32'])} | "
            f"{_f(r['litertjs_vs_litert'], '.1f')} | {_f(r['wasm_vs_keras'], '.1e')} | "
            f"{r['check']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    from web_demo import gpu_check

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=None,
                   help="shipped models the browser page runs (default: all of them)")
    p.add_argument("--modes", default=",".join(gpu_check.MODES),
                   help="comma list among the modes web_demo.gpu_check checks")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per browser page")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error(f"--repeat must be at least 1; got {args.repeat}")
    from benchmarks.export_modes import machine
    from benchmarks.results_io import write_results

    models = args.models or gpu_check.shipped_models()
    try:
        rows = measure(models, [m for m in args.modes.split(",") if m], args.repeat, args.timeout)
    except gpu_check.Unavailable as exc:
        print(f"litertjs_cost: cannot run: {exc}", file=sys.stderr)
        return 2
    m = machine()
    line = (f"Machine: {m['cpu']}, {m['cores']} cores; ai-edge-litert {m['ai_edge_litert']}, "
            f"@litertjs/core {litertjs_version()}, Chromium {gpu_check.find_chromium()}")
    write_results(args.out, "litertjs_cost", {"machine": m, "repeat": args.repeat, "rows": rows},
                  markdown(rows, args.repeat, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
