"""Run our `.tflite` files on an edge runtime, float arrays in and out.

    rt = export.runtime.load("model.tflite", threads=1)
    probs = rt(x)                 # x: (batch, ...) float32
    rt.input_names, rt.output_names, rt.signatures, rt.backend

The interpreter comes from `ai-edge-litert` when installed, else
`tflite-runtime`, else TensorFlow's `tf.lite.Interpreter`. Files made by
`export.to_tflite` carry a plan (see `export.stepped`) that this wrapper
executes: it calls the file's signatures in order and runs the recurrent
loops on the host. Plain single-signature files (from any converter) work
too. Inputs and outputs are float; where a signature's tensors are integer
(int8 / int16 interface) the wrapper quantizes and dequantizes with the
tensor's own scale and zero point.

A `Runtime` serialises its calls with a lock, so it is safe (not parallel)
to share between threads; use one `Runtime` per thread for parallelism.
"""

from __future__ import annotations

import json
import os
import threading

import numpy as np

from export import plan as stepped
from export import plan_schema
from export.errors import RuntimeLoadError
from export.files import check_input_file
from export.flatbuffer import FlatbufferError, check_structure, read_metadata

BACKENDS = ("ai_edge_litert", "tflite_runtime", "tensorflow")


def _interpreter_class(backend=None):
    errors = []
    for name in [backend] if backend else BACKENDS:
        try:
            if name == "ai_edge_litert":
                from ai_edge_litert.interpreter import Interpreter
            elif name == "tflite_runtime":
                from tflite_runtime.interpreter import Interpreter
            elif name == "tensorflow":
                import warnings

                warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
                from tensorflow.lite.python.interpreter import Interpreter
            else:
                raise RuntimeLoadError(f"`backend` must be one of {BACKENDS}; got {name!r}")
            return name, Interpreter
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise RuntimeLoadError("no TFLite runtime found; install ai-edge-litert "
                           f"(pip install ai-edge-litert). Tried: {'; '.join(errors)}")


def json_metadata(metadata: dict, name: str, what: str):
    """The JSON stored under `name` in a file's metadata (`read_metadata`), or None."""
    raw = metadata.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuntimeLoadError(f"corrupt {what} in the file's metadata ({exc})") from None
    except RecursionError:
        raise RuntimeLoadError(f"corrupt {what} in the file's metadata (nested too deeply); "
                               "re-export the model") from None


def read_plan(data: bytes, metadata: dict | None = None):
    """The stepped-export plan stored in a `.tflite` file, or None."""
    metadata = read_metadata(data) if metadata is None else metadata
    plan = json_metadata(metadata, stepped.PLAN_METADATA_NAME, "export plan")
    if plan is None:
        return None
    if not isinstance(plan, dict):
        raise RuntimeLoadError(f"corrupt export plan in the file's metadata: `plan` must be a "
                               f"JSON object, got {type(plan).__name__}; re-export the model")
    if plan.get("version") != stepped.PLAN_VERSION:
        raise RuntimeLoadError(
            f"export plan version {plan.get('version')} is not supported by this "
            f"runtime (expects {stepped.PLAN_VERSION}); re-export the model")
    return plan


#: More interpreter threads than this are refused: LiteRT allocates a pool per
#: thread, and absurd counts (100000) crash the process at teardown.
MAX_THREADS = 256


def check_threads(threads):
    """`threads` as an int in 1..MAX_THREADS (`RuntimeLoadError` otherwise)."""
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise RuntimeLoadError(f"`threads` must be an integer from 1 to {MAX_THREADS}; got "
                               f"{threads!r}")
    if int(threads) < 1:
        raise RuntimeLoadError(f"`threads` must be >= 1; got {threads}")
    if int(threads) > MAX_THREADS:
        raise RuntimeLoadError(f"`threads` must be <= {MAX_THREADS} (this machine has "
                               f"{os.cpu_count()} CPUs; more threads than CPUs only slow it "
                               f"down); got {threads}")
    return int(threads)


class Runtime:
    """A loaded `.tflite` file; call it with float arrays (see module doc)."""

    def __init__(self, data: bytes, threads=None, backend=None, source="<bytes>"):
        self.source = source
        try:
            check_structure(data)  # bad indices can crash the interpreter itself
            self.metadata = read_metadata(data)
            self.plan = read_plan(data, self.metadata)
        except FlatbufferError as exc:
            raise RuntimeLoadError(f"{source}: {exc}") from None
        self.backend, Interpreter = _interpreter_class(backend)
        kwargs = {"model_content": bytes(data)}
        if threads is not None:
            kwargs["num_threads"] = check_threads(threads)
        try:
            self.interpreter = Interpreter(**kwargs)
            self.signatures = sorted(self.interpreter.get_signature_list())
            self._runners = {k: self.interpreter.get_signature_runner(k) for k in self.signatures}
            self._details = {}
            for key, runner in self._runners.items():
                self._details[key] = (
                    {n: d for n, d in runner.get_input_details().items()},
                    {n: d for n, d in runner.get_output_details().items()},
                )
        except (ValueError, RuntimeError, TypeError) as exc:
            raise RuntimeLoadError(f"{source}: the TFLite runtime cannot load this file ({exc})") from None
        if not self.signatures:
            raise RuntimeLoadError(f"{source}: the file has no signatures; convert it "
                                   "with signatures (export.to_tflite does)")
        self._lock = threading.Lock()
        if self.plan is not None:
            signatures = {k: ({n: list(d["shape"]) for n, d in ins.items()},
                              {n: list(d["shape"]) for n, d in outs.items()})
                          for k, (ins, outs) in self._details.items()}
            try:
                plan_schema.check_plan(self.plan, signatures)
            except plan_schema.PlanError as exc:
                raise RuntimeLoadError(f"{source}: corrupt export plan (`{stepped.PLAN_METADATA_NAME}` "
                                       f"metadata): {exc}; re-export the model") from None
        if self.plan is None:
            if len(self.signatures) != 1:
                raise RuntimeLoadError(f"{source}: {len(self.signatures)} signatures but no "
                                       "export plan; cannot tell how to run them")
            key = self.signatures[0]
            ins, outs = self._details[key]
            self.plan = {
                "version": stepped.PLAN_VERSION,
                "inputs": sorted(ins), "outputs": sorted(outs),
                "input_shapes": [list(ins[n]["shape"]) for n in sorted(ins)],
                "stages": [{"kind": "segment", "name": key, "inputs": sorted(ins),
                            "outputs": sorted(outs)}],
            }

    # ------------------------------------------------------------------ info
    @property
    def input_names(self):
        return list(self.plan["inputs"])

    @property
    def output_names(self):
        return list(self.plan["outputs"])

    @property
    def input_shapes(self):
        return [tuple(s) for s in self.plan["input_shapes"]]

    def signature_details(self, key):
        """`(inputs, outputs)` tensor details of one signature."""
        return self._details[key]

    # --------------------------------------------------------------- running
    def _call_signature(self, key, feed):
        ins, outs = self._details[key]
        prepared = {}
        for name, value in feed.items():
            d = ins[name]
            value = np.asarray(value, np.float32)
            scale, zero = d.get("quantization") or (0.0, 0)
            if scale and np.dtype(d["dtype"]) != np.float32:  # a quantized integer input
                info = np.iinfo(d["dtype"])
                value = np.clip(np.round(value / scale + zero), info.min, info.max)
            elif np.issubdtype(np.dtype(d["dtype"]), np.integer):  # e.g. token ids
                value = np.round(value)
            prepared[name] = value.astype(d["dtype"]).reshape(d["shape"])
        try:
            result = self._runners[key](**prepared)
        except RuntimeError as exc:  # e.g. tensors that cannot be allocated: a corrupt file
            raise RuntimeLoadError(f"{self.source}: the TFLite runtime cannot run signature "
                                   f"{key!r} of this file ({exc})") from None
        out = {}
        for name, value in result.items():
            scale, zero = outs[name].get("quantization") or (0.0, 0)
            if scale and np.dtype(outs[name]["dtype"]) != np.float32:
                value = (value.astype(np.float32) - zero) * scale
            out[name] = value
        return out

    def call_signature(self, key, feed):
        """Run one signature on a batch feed `{input: (batch, ...)}`, row by row (the
        signatures have batch 1); returns `{output: (batch, ...)}`."""
        batch = len(next(iter(feed.values())))
        with self._lock:
            rows = [self._call_signature(key, {k: v[i:i + 1] for k, v in feed.items()})
                    for i in range(batch)]
        return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}

    def _check_inputs(self, args, kwargs):
        names = self.input_names
        if kwargs:
            unknown = set(kwargs) - set(names)
            if unknown:
                raise ValueError(f"unknown input name(s) {sorted(unknown)}; inputs are {names}")
            if args:
                raise ValueError("pass inputs either positionally or by name, not both")
            args = [kwargs.get(n) for n in names]
        if len(args) != len(names):
            raise ValueError(f"expected {len(names)} input(s) {names}; got {len(args)}")
        arrays = []
        for name, value, shape in zip(names, args, self.input_shapes):
            if value is None:
                raise ValueError(f"input `{name}` is missing (got None); inputs are {names}")
            dtype = np.asarray(value).dtype
            if dtype.kind not in "biuf":  # strings, objects, complex (would drop the imaginary part)
                raise ValueError(f"input `{name}` must be a real numeric array; got dtype {dtype}")
            value = np.asarray(value, np.float32)
            if value.shape[1:] != tuple(shape[1:]) and value.shape != tuple(shape[1:]):
                raise ValueError(
                    f"input `{name}` must have shape (batch, {', '.join(map(str, shape[1:]))}); "
                    f"got {value.shape}")
            if value.shape == tuple(shape[1:]) and value.ndim < len(shape):
                value = value[None]
            if not np.all(np.isfinite(value)):
                raise ValueError(f"input `{name}` contains NaN or Inf values")
            arrays.append(value)
        batch = {a.shape[0] for a in arrays}
        if len(batch) != 1:
            raise ValueError(f"inputs have different batch sizes {sorted(batch)}")
        if 0 in batch:
            raise ValueError(f"input `{names[0]}` is an empty batch (shape {arrays[0].shape}); "
                             "pass at least one example")
        return arrays, batch.pop()

    def __call__(self, *args, **kwargs):
        """Run the model on a batch; returns one array or a list (several outputs)."""
        arrays, batch = self._check_inputs(args, kwargs)
        results = []
        with self._lock:
            for i in range(batch):
                results.append(stepped.run_plan(self.plan, self._call_signature,
                                                [a[i:i + 1] for a in arrays]))
        outputs = [np.concatenate([r[k] for r in results], axis=0)
                   for k in range(len(self.output_names))]
        return outputs[0] if len(outputs) == 1 else outputs


def load(path, threads=None, backend=None, verify=False):
    """Load a `.tflite` file (see module doc). Raises `FileNotFoundError` for a
    missing file and `RuntimeLoadError` (a `ValueError`) for anything that is
    not a usable TFLite model.

    The file's structure is always checked before the interpreter sees it.
    With `verify=True` (for files from untrusted sources) the model also runs
    once on zero inputs in a child process first, so a file whose operators
    were tampered with, and which would crash a LiteRT kernel (a segfault
    takes the whole process down), is refused with a `RuntimeLoadError`
    instead. It costs a process start (about a second)."""
    path = check_input_file(path, "TFLite file")
    data = path.read_bytes()
    if not data:
        raise RuntimeLoadError(f"{path}: the file is empty")
    runtime = Runtime(data, threads=threads, backend=backend, source=str(path))
    if verify:
        from export.errors import ExportError
        from export.smoke import check_file_runs

        zeros = [np.zeros((1,) + tuple(int(d) for d in shape[1:]), np.float32)
                 for shape in runtime.input_shapes]
        try:
            check_file_runs(path, zeros)
        except ExportError as exc:
            raise RuntimeLoadError(f"{path}: the model fails a trial run in a separate "
                                   f"process ({exc})") from None
    return runtime


def latency_ms(rt, x, repeats=20, warmup=3):
    """`(p50, p90)` wall time in milliseconds of `rt(x)` over `repeats` calls
    after `warmup` calls (one process, so compare figures of one run)."""
    import time

    for _ in range(warmup):
        rt(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rt(x)
        times.append(time.perf_counter() - start)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 90) * 1e3)


def default_threads():
    return max(1, min(4, os.cpu_count() or 1))
