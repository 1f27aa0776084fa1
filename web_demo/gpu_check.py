"""Run shipped `.tflite` files on a real GPU backend: LiteRT.js on WebGPU.

    python -m web_demo.gpu_check [--model NAME ...] [--quantize float16 float32] [--float-on-cpu]
                               [--file PATH ...] [--timeout S] [--json PATH] [--trace]

`export.gpu_ops` only says statically which ops are outside the GPU
delegate's documented list; this check runs the files. For each model
(default: every model with artifacts in zoo/pretrained) and mode it serves
the `.tflite` file, its plan (`export.runtime.read_plan`), the output aliases
(`web_demo.prepare.output_aliases`) and one fixed input on 127.0.0.1 with the
web demo's server and node_modules, opens `web_demo/gpu_check.html` in
headless Chromium (WebGPU through SwiftShader: `--enable-unsafe-webgpu
--use-webgpu-adapter=swiftshader`), runs the plan (`web_demo/kws.js`
runPlan) on LiteRT.js's `webgpu` accelerator and on `wasm`, and compares both
with the Keras model (`zoo.load(name).predict`) and with `export.runtime`
(Python). One line per model and mode, then `webgpu: K/N models match`.

Fixed input: a registered model's family `example_input` (keyword spotters:
samples 0..16000 of zoo/demo_audio/yes.wav, zero padded), else the first
example of its shipped calibration data (`representative_data`: real token
ids, real series); anything else seeded normal noise (seed 0) of the plan's input shapes
(batch 1). Integer inputs (token ids) stay integer on every backend. `--file PATH` checks any `.tflite` file (no Keras
reference: compared with `export.runtime` only).

With `--float-on-cpu` (the default for a family with `gpu_float_on_cpu`, the
forecasters) the plan's float-only segments (`float_only` in the plan: export_float
layers, e.g. a forecaster's window normalisation and its inverse) run on a wasm copy of
the file and the rest on WebGPU (`kws.js` floatOnCpuCaller), as a browser app would run
it: LiteRT.js computes the forecasters' three-output normalisation segment wrong on
WebGPU (about 2 ppm off), the same ops in one signature or one graph right.

Pass (`ok`): max |webgpu - export.runtime| <= TOLERANCE[mode] and max |webgpu -
keras| <= TOLERANCE[mode] + max |export.runtime - keras| (the file's own error on the
CPU, e.g. an int8 forecaster's 0.4 ppm, is not WebGPU's), absolute, on the model
outputs (probabilities for the kws models): 1e-4 for float32; 2e-3 for float16
(the float16 file has float16 weights, so it differs from Keras by about
1e-4..1e-3 on CPU already, and a GPU backend may compute in float16);
5e-2 for int8. A file with ops that keep a model off the GPU delegate
(`export.gpu_ops.BLOCKING`, e.g. `WHILE` from recurrent="keras") fails
statically, without a browser: `not GPU-ready: blocking op(s) WHILE`.

`--trace` says where a file goes wrong: the WebGPU page also runs every signature
call on a wasm copy of the file with the same feed (kws.js comparingCaller) and
reports per signature the largest |webgpu - wasm| over its outputs; each call starts
from equal inputs, so a signature over the tolerance is one WebGPU computes wrong, not
one that inherits an earlier error. A failing file's reason then names them (e.g. an
int8 LSTM step as the converter writes it; see `export.flatbuffer.align_broadcast_ranks`).

SwiftShader is a CPU emulation of a GPU: the check proves the WebGPU
*correctness* path (delegation, kernels, read-back); its timings say nothing
about GPU performance.

Exit status: 0 all match, 1 any model fails, 2 the check cannot run
(Chromium, web_demo/node_modules or WebGPU unavailable).

A repository tool (it serves web_demo/, which is not packaged): `zoo export
--gpu-check` and `export.to_tflite(..., gpu_check=measure_file)` use it from a
checkout only.
"""

from __future__ import annotations

import argparse
import json
import math
import posixpath
import shutil
import sys
import tempfile
import threading
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import numpy as np

from web_demo.browser import (
    CHROME_FLAGS,
    WEBGPU_FLAGS,
    find_chromium,
    headless,
    node_modules_ready,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web_demo"

#: Absolute tolerance on the outputs, per mode (see the module doc).
TOLERANCE = {"float32": 1e-4, "float16": 2e-3, "int8": 5e-2}
MODES = tuple(TOLERANCE)
ACCELERATORS = ("webgpu", "wasm")
SWIFTSHADER_NOTE = ("WebGPU runs on SwiftShader, a CPU emulation of a GPU: these results check "
                    "the WebGPU correctness path (delegation, kernels, read-back); the timings "
                    "are not GPU performance.")


class Unavailable(Exception):
    """The check cannot run here (exit status 2)."""


# ------------------------------------------------------------------ static
def static_gpu_ops(data: bytes):
    """`{"blocking": [...], "undocumented": [...]}` op names of a flatbuffer
    (`export.gpu_ops`; QUANTIZE/DEQUANTIZE are not counted, as in
    `export.report.describe`)."""
    from export import gpu_ops
    from export.flatbuffer import read_operators

    ops = {op for sig_ops in read_operators(data).values() for op in sig_ops}
    return {"blocking": gpu_ops.blocking_ops(ops),
            "undocumented": gpu_ops.undocumented_ops(
                op for op in ops if op not in ("QUANTIZE", "DEQUANTIZE"))}


def not_gpu_ready_reason(static):
    """The FAIL reason for a file with blocking ops, else None."""
    if static["blocking"]:
        return f"not GPU-ready: blocking op(s) {', '.join(static['blocking'])}"
    return None


# ---------------------------------------------------------- environment
def shipped_models():
    """Models with `.tflite` artifacts in zoo/pretrained/ whose family the page can run
    (not translators: an encoder plan plus a `decode_step` signature driven by a host
    loop that web_demo does not implement; `Family.gpu_check`)."""
    from zoo import registry

    root = registry.package_dir()
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and any(p.glob(f"{p.name}.*.tflite"))
                  and registry.get(p.name).family.gpu_check)


# ----------------------------------------------------------------- inputs
def fixed_inputs(plan, entry=None):
    """Deterministic batch-1 inputs for a plan of the registered model `entry`
    (None for a bare file); see the module doc."""
    shapes = [list(s) for s in plan["input_shapes"]]
    if any(d is None or d < 0 for s in shapes for d in s[1:]):
        raise ValueError(f"input shapes {shapes} are not fixed")
    real = shipped_example(entry)[1] if entry is not None else None
    if real is not None:
        return real
    rng = np.random.default_rng(0)
    return [rng.standard_normal([1, *s[1:]]).astype(np.float32) for s in shapes]


def shipped_example(entry):
    """`(what, inputs)`: a real batch-1 input of a registered model: its family's
    `example_input` (keyword spotters: a bundled recording), else the first example
    of its shipped calibration data (`representative_data`: real token ids, real
    series); `(None, None)` without either."""
    if entry.has_hook("example_input"):
        return entry.hook_path("example_input"), entry.hook("example_input")()
    if not entry.has_hook("representative_data"):
        return None, None
    data = entry.hook("representative_data")()
    arrays = data if isinstance(data, (list, tuple)) else [data]
    return "first example of the shipped calibration data", [np.asarray(a)[:1] for a in arrays]


def measure_file(path, timeout=300.0):
    """The `ExportReport.gpu` entry of one `.tflite` file: run on WebGPU against
    `export.runtime` (status "not measured" with the reason when Chromium,
    node_modules or WebGPU is unavailable)."""
    base = {"backend": "LiteRT.js WebGPU (SwiftShader in headless Chromium; a correctness "
                       "path, not GPU speed)", "max_abs_diff_vs_runtime": None}
    try:
        result = check(files=[path], timeout=timeout, log=lambda *_: None)
    except Unavailable as exc:
        return {**base, "status": "not measured", "reason": str(exc)}
    entry = result["models"][0]
    return {**base, "status": entry["status"], "reason": entry.get("reason"),
            "max_abs_diff_vs_runtime": (entry.get("webgpu") or {}).get("vs_runtime")}


def _as_list(y):
    return [np.asarray(a, np.float64) for a in (y if isinstance(y, (list, tuple)) else [y])]


def max_diff(a, b):
    a, b = _as_list(a), _as_list(b)
    if len(a) != len(b) or any(x.size != y.size for x, y in zip(a, b)):
        return float("inf")
    if not all(np.all(np.isfinite(x)) for x in a):
        return float("nan")
    return float(max(np.max(np.abs(x.ravel() - y.ravel())) for x, y in zip(a, b)))


# ----------------------------------------------------------------- server
def _make_handler():
    from web_demo.serve import Handler

    class CheckHandler(Handler):
        """web_demo's static handler; /check/* is the job directory and
        POST /report hands the page's JSON to the server object."""

        def translate_path(self, path):
            p = unquote(path.split("?")[0].split("#")[0])
            if p.startswith("/check/"):
                return str(Path(self.server.job_dir) / posixpath.basename(p))
            return super().translate_path(path)

        def do_POST(self):
            if self.path.split("?")[0] != "/report":
                self._send(404, b"not found\n", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                report = json.loads(self.rfile.read(length))
            except ValueError:
                self._send(400, b"not JSON\n", "text/plain")
                return
            self.server.reports[report.get("accelerator")] = report
            self._send(200, b"ok\n", "text/plain")

        def log_request(self, code="-", size="-"):
            pass

        def log_message(self, *args):
            pass

    return CheckHandler


def start_server(job_dir):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_make_handler(), directory=str(WEB)))
    server.job_dir = str(job_dir)
    server.reports = {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_page(chromium, server, accel, timeout, repeat=0, trace=False):
    """Open gpu_check.html on one accelerator; returns the page's last report
    (possibly partial) and whether it finished. `repeat`: time that many more runs of
    each model after the checked one (`run_ms_repeat`). `trace`: every signature call
    also on a wasm copy of the file with the same feed (`signatures`: per signature the
    largest |accel - wasm|)."""
    url = (f"http://127.0.0.1:{server.server_address[1]}/gpu_check.html?accel={accel}"
           f"&job=check/job.json&repeat={int(repeat)}&trace={int(bool(trace))}")
    flags = WEBGPU_FLAGS if accel == "webgpu" else ["--disable-gpu"]
    server.reports.pop(accel, None)
    with tempfile.TemporaryFile() as errlog, headless(chromium, url, flags, stderr=errlog) as proc:
        def done():
            report = server.reports.get(accel)
            return report if report and report.get("done") else None

        report = wait_for(done, proc, timeout)
        if report is not None:
            return report, True
        report = server.reports.get(accel)
        if report is None:
            errlog.seek(0)
            tail = errlog.read().decode(errors="replace").strip().splitlines()[-3:]
            why = ("Chromium exited" if proc.poll() is not None
                   else f"no answer from the page within {timeout:g} s")
            raise Unavailable(f"{accel}: {why} ({' | '.join(tail) or 'no stderr'})")
        return report, False


# ------------------------------------------------------------------- check
def _targets(models, modes, files):
    """[(name, mode, path, registry entry or None, keras_name)]."""
    from zoo import registry

    targets = []
    for name in models:
        art = registry.require_artifacts(name)
        model_entry = registry.get(name)
        if not model_entry.family.gpu_check:
            raise SystemExit(f"gpu_check: {name} is a {model_entry.family.name} model (encoder + "
                             "decode_step with a host loop); the WebGPU page runs single-plan "
                             "models only")
        for mode in modes:
            fname = registry.tflite_filename(name, mode)
            if not art.has(fname):
                raise SystemExit(f"gpu_check: {name} has no {mode} file ({art.path / fname})")
            targets.append((name, mode, art.file(fname), model_entry, name))
    for f in files:
        f = Path(f)
        if not f.is_file():
            raise SystemExit(f"gpu_check: {f} does not exist")
        stem = f.name[:-len(".tflite")] if f.name.endswith(".tflite") else f.name
        name, _, mode = stem.rpartition(".")
        mode = mode if name and mode in MODES else "float32"
        targets.append((f.name, mode, f, None, None))
    return targets


def check(models=(), modes=("float16",), files=(), timeout=600.0, log=print, float_on_cpu=None,
          wasm_repeat=0, trace=False):
    """Run the check; returns the result dict (see `--json`). Raises
    `Unavailable` when Chromium, node_modules or WebGPU is missing. `float_on_cpu`: the
    plan's float-only segments run on a wasm copy of the file (kws.js floatOnCpuCaller),
    the rest on the accelerator checked; None: as each model's family says
    (`gpu_float_on_cpu`: the forecasters), never for `files`. `wasm_repeat`: the wasm
    page also times that many more whole inferences of each file (`wasm.run_ms_repeat`,
    for `benchmarks.litertjs_cost`; the WebGPU page runs on SwiftShader, a CPU
    emulation, so its times are not GPU times and are not repeated). `trace`: the WebGPU
    page runs each signature call on wasm too, with the same feed, and
    `webgpu.signatures` gives per signature `calls`, `max_abs_diff` (largest |webgpu -
    wasm| over its outputs and calls) and `worst_output`: which signature the backend
    computes wrong, each call judged from equal inputs (`signatures_apart` lists those
    over the mode's tolerance)."""
    from export import runtime
    from web_demo.prepare import output_aliases

    targets = _targets(models, modes, files)
    job_dir = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    entries, job = [], []
    try:
        for i, (name, mode, path, model_entry, keras_name) in enumerate(targets):
            data = Path(path).read_bytes()
            static = static_gpu_ops(data)
            entry = {"model": name, "mode": mode, "file": str(path), "tolerance": TOLERANCE[mode],
                     "gpu_blocking_ops": static["blocking"],
                     "gpu_undocumented_ops": static["undocumented"],
                     "explanation": ("ops outside the GPU delegate's documented list "
                                     "(export.gpu_ops): " + (", ".join(static["undocumented"]) or "none")),
                     "keras_reference": keras_name is not None}
            entries.append(entry)
            reason = not_gpu_ready_reason(static)
            if reason:
                entry.update(status="FAIL", reason=reason)
                continue
            plan = runtime.read_plan(data)
            rt = runtime.Runtime(data, threads=1, source=str(path))
            plan = plan or rt.plan
            what, x = shipped_example(model_entry) if model_entry is not None else (None, None)
            x = x if x is not None else fixed_inputs(plan)
            entry["_inputs"], entry["_runtime"] = x, _as_list(rt(*x))
            entry["input"] = what or "seeded normal noise (numpy default_rng(0))"
            stem = f"m{i}"
            shutil.copyfile(path, job_dir / f"{stem}.tflite")
            (job_dir / f"{stem}.plan.json").write_text(json.dumps(plan))
            (job_dir / f"{stem}.aliases.json").write_text(json.dumps(output_aliases(data)))
            job.append({"name": name, "mode": mode, "tflite": f"check/{stem}.tflite",
                        "plan": f"check/{stem}.plan.json", "aliases": f"check/{stem}.aliases.json",
                        "float_on_cpu": bool(float_on_cpu if float_on_cpu is not None else
                                             model_entry is not None
                                             and model_entry.family.gpu_float_on_cpu),
                        "inputs": [{"data": a.ravel().astype(float).tolist(), "shape": list(a.shape)}
                                   for a in x]})
        (job_dir / "job.json").write_text(json.dumps({"models": job}))

        pages = {}
        if job:
            chromium = find_chromium()
            if chromium is None:
                raise Unavailable("Chromium is not installed (bash scripts/setup_system.sh installs it)")
            if not node_modules_ready():
                raise Unavailable("web_demo/node_modules is missing or stale: run "
                                  "`(cd web_demo && npm ci)` (pinned @litertjs/core)")
            server = start_server(job_dir)
            try:
                for accel in ACCELERATORS:
                    report, finished = run_page(chromium, server, accel, timeout,
                                                wasm_repeat if accel == "wasm" else 0,
                                                trace and accel == "webgpu")
                    if report.get("fatal"):
                        first = report["fatal"].splitlines()[0]
                        if accel == "webgpu":
                            raise Unavailable(f"webgpu: {first}")
                    report["finished"] = finished
                    pages[accel] = report
            finally:
                server.shutdown()
                server.server_close()
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)

    keras_models = {}
    for entry in entries:
        if "_runtime" not in entry:
            continue
        ref_keras = None
        if entry["keras_reference"]:
            import zoo

            name = entry["model"]
            if name not in keras_models:
                keras_models[name] = zoo.load(name)
            ref_keras = _as_list(keras_models[name].predict(*entry["_inputs"], verbose=0))
            entry["runtime_vs_keras"] = max_diff(entry["_runtime"], ref_keras)
            if entry["mode"] != "int8":
                entry["runtime_vs_keras_logp"] = max_logp_diff(entry["_runtime"], ref_keras)
            entry["keras_top3"] = sorted(ref_keras[0].ravel().tolist(), reverse=True)[:3]
        for accel in ACCELERATORS:
            page = pages.get(accel, {})
            got = next((r for r in page.get("results", [])
                        if r["name"] == entry["model"] and r["mode"] == entry["mode"]), None)
            res = {}
            if got is None:
                res["error"] = (page.get("fatal") or f"no result within {timeout:g} s (timeout)")
            elif got.get("error"):
                res["error"] = got["error"]
            else:
                # dtype=float: the page writes NaN as JSON null; it must stay NaN here
                outs = [np.asarray(o["data"], dtype=float).reshape(o["shape"])
                        for o in got["outputs"]]
                res.update(vs_runtime=max_diff(outs, entry["_runtime"]),
                           output_sum=float(sum(np.sum(o) for o in outs)),
                           all_zero=bool(all(not np.any(o) for o in outs)),
                           fully_accelerated=got.get("fully_accelerated"),
                           cpu_signatures=got.get("cpu_signatures") or [],
                           compile_s=got.get("compile_s"), run_ms=got.get("run_ms"),
                           run_ms_repeat=got.get("run_ms_repeat") or [])
                if got.get("signatures") is not None:
                    res["signatures"] = signature_diffs(got["signatures"])
                    res["signatures_apart"] = [k for k, v in res["signatures"].items()
                                               if not v["max_abs_diff"] <= entry["tolerance"]]
                if ref_keras is not None:
                    res["vs_keras"] = max_diff(outs, ref_keras)
                    if entry["mode"] != "int8":  # int8 outputs are quantized to 1/256
                        res["vs_keras_logp"] = max_logp_diff(outs, ref_keras)
            entry[accel] = res
        gpu, tol = entry["webgpu"], entry["tolerance"]
        if "error" in gpu:
            entry.update(status="FAIL", reason=gpu["error"].splitlines()[0])
            continue
        # vs Keras, the file's own error on the CPU (int8: quantization) is allowed on top
        own = entry.get("runtime_vs_keras") or 0.0
        limits = {"vs_keras": tol + own, "vs_runtime": tol}
        diffs = {k: gpu[k] for k in limits if k in gpu}
        bad = {k: v for k, v in diffs.items() if not v <= limits[k]}  # NaN fails too
        if bad:
            entry.update(status="FAIL", reason="; ".join(
                f"max |webgpu - {k[3:]}| {v:.2g} > {tol:g}"
                + (f" + the file's own {own:.2g}" if k == "vs_keras" and own >= 0.1 * tol else "")
                for k, v in bad.items()) + trace_text(gpu))
        else:
            entry["status"] = "ok"

    for entry in entries:
        for key in ("_inputs", "_runtime"):
            entry.pop(key, None)
        log(format_line(entry))
    passed = sum(e["status"] == "ok" for e in entries)
    log(f"webgpu: {passed}/{len(entries)} models match")
    return {
        "schema": "attention-rnn-zoo/gpu-check/1",
        "backend": "LiteRT.js (@litertjs/core) in headless Chromium",
        "note": SWIFTSHADER_NOTE,
        "tolerance": {"absolute": TOLERANCE, "rule": "max |webgpu - export.runtime| <= "
                      "tolerance[mode] and max |webgpu - keras| <= tolerance[mode] + max "
                      "|export.runtime - keras| over the outputs"},
        "browser": {a: {"userAgent": p.get("userAgent"), "jspi": p.get("jspi"),
                        "finished": p.get("finished"), "fatal": p.get("fatal")}
                    for a, p in pages.items()},
        "adapter": pages.get("webgpu", {}).get("adapter"),
        "chromium_flags": {"webgpu": CHROME_FLAGS + WEBGPU_FLAGS, "wasm": CHROME_FLAGS + ["--disable-gpu"]},
        "passed": passed, "total": len(entries),
        "models": entries,
    }


def signature_diffs(page_signatures):
    """The page's per-signature trace, largest difference first (the page writes NaN
    as JSON null: NaN here, ranked first)."""
    rows = {k: {**v, "max_abs_diff": float("nan") if v["max_abs_diff"] is None
                else float(v["max_abs_diff"])} for k, v in page_signatures.items()}

    def worst_first(item):
        d = item[1]["max_abs_diff"]
        return -math.inf if math.isnan(d) else -d

    return dict(sorted(rows.items(), key=worst_first))


def trace_text(gpu):
    """What a `trace` run says of one file's WebGPU result ("" without a trace)."""
    apart = gpu.get("signatures_apart")
    if apart is None:
        return ""
    if not apart:
        return "; from equal inputs every signature within tolerance of wasm"
    sigs = gpu["signatures"]
    return "; computed wrong from equal inputs in " + ", ".join(
        f"{k} (max |webgpu - wasm| {_fmt(sigs[k]['max_abs_diff'])}, output "
        f"{sigs[k]['worst_output']})" for k in apart)


def max_logp_diff(a, b, floor=1e-6):
    """Max |log a - log b| over entries where either is >= `floor`: on
    saturated probabilities (p ~ 0.999) the plain difference hides errors
    that this one shows. None for outputs that are not probabilities."""
    a, b = _as_list(a), _as_list(b)
    if any(np.any(x < 0) or np.any(x > 1) for x in a + b):
        return None
    worst = 0.0
    for x, y in zip(a, b):
        x, y = x.ravel(), y.ravel()
        keep = (x >= floor) | (y >= floor)
        if keep.any():
            worst = max(worst, float(np.max(np.abs(np.log(np.maximum(x[keep], 1e-12))
                                                    - np.log(np.maximum(y[keep], 1e-12))))))
    return worst


def _fmt(v):
    return "nan" if v != v else f"{v:.1e}"


def format_line(e):
    head = f"{e['model']} {e['mode']} webgpu"
    if e["status"] != "ok":
        return f"{head} FAIL {e['reason']}"
    gpu, ref = e["webgpu"], ("keras" if "vs_keras" in e["webgpu"] else "runtime")
    wasm = e.get("wasm", {})
    w = (f"wasm error: {wasm['error'].splitlines()[0][:80]}" if "error" in wasm
         else f"wasm {_fmt(wasm.get('vs_' + ref, float('nan')))}")
    extra = f", python {_fmt(gpu['vs_runtime'])}" if ref == "keras" else ""
    cpu = gpu.get("cpu_signatures")
    extra += f"; float-only segments {', '.join(cpu)} on wasm" if cpu else ""
    return f"{head} ok maxdiff {_fmt(gpu['vs_' + ref])} vs {ref} ({w}{extra}){trace_text(gpu)}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", action="extend", default=None,
                        help="shipped model name(s) (default: all in zoo/pretrained)")
    parser.add_argument("--quantize", nargs="+", choices=MODES, default=None,
                        help="mode(s) (default: float16)")
    parser.add_argument("--file", nargs="+", action="extend", default=[],
                        help="any .tflite file(s) (compared with export.runtime only)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per browser run (one per accelerator)")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--float-on-cpu", action=argparse.BooleanOptionalAction, default=None,
                        help="run the plan's float-only segments (export_float layers: front "
                             "ends, a forecaster's normalisation) on LiteRT.js's wasm backend and "
                             "the rest on WebGPU (kws.js floatOnCpuCaller); default: as the "
                             "model's family says (the forecasters do)")
    parser.add_argument("--trace", action="store_true",
                        help="find the signature WebGPU computes wrong: every call also on "
                             "wasm with the same feed, per-signature max |webgpu - wasm|")
    args = parser.parse_args(argv)
    models = args.model if args.model is not None else ([] if args.file else shipped_models())
    try:
        result = check(models, args.quantize or ["float16"], args.file, args.timeout,
                       float_on_cpu=args.float_on_cpu, trace=args.trace)
    except Unavailable as exc:
        print(f"gpu_check: cannot run: {exc}", file=sys.stderr)
        return 2
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str) + "\n")
    return 0 if result["passed"] == result["total"] else 1


if __name__ == "__main__":
    sys.exit(main())
