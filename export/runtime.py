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


def interpreter_class(backend=None):
    """`(backend name, Interpreter class)` of `backend`, or of the first installed of
    `BACKENDS`; `RuntimeLoadError` naming what to install when none is."""
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


def plan_layout(data: bytes) -> str:
    """"single" or "stepped": the layout the file's plan names (a file without a plan, or
    with a plan written before plans named their layout, is stepped)."""
    return (read_plan(data) or {}).get("layout", "stepped")


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


def _input_conversion(d):
    """How a float value becomes what one input tensor holds (as `SignatureRunner` callers
    must): None for a float32 tensor (set as is), else `(dtype, quantization, (min, max))`."""
    dtype = np.dtype(d["dtype"])
    if dtype == np.float32:
        return None
    scale, zero = d.get("quantization") or (0.0, 0)
    if scale:  # a quantized integer input
        info = np.iinfo(dtype)
        return dtype, (scale, zero), (info.min, info.max)
    return dtype, None, None


def _dequantizer(d):
    """Float from one quantized output tensor (None: the tensor's values as they are)."""
    scale, zero = d.get("quantization") or (0.0, 0)
    if scale and np.dtype(d["dtype"]) != np.float32:
        return lambda value: (value.astype(np.float32) - zero) * scale
    return None


class _Bound:
    """One signature of an interpreter with its subgraph, tensor indices, shapes and
    conversions looked up once (`Runtime._bind`). A call sets the inputs, invokes and
    gets the outputs; it resizes and re-allocates only when an input's shape changes
    (a dynamic dimension, `-1` in the tensor's shape signature)."""

    def __init__(self, wrapper, key, ins, outs, source):
        self.key, self.source, self._w = key, source, wrapper
        self.subgraph = wrapper.GetSubgraphIndexFromSignature(key)
        self.in_names = list(ins)
        self.position = {n: i for i, n in enumerate(self.in_names)}
        self.in_index = [int(ins[n]["index"]) for n in self.in_names]
        self.shapes = [tuple(int(v) for v in ins[n]["shape"]) for n in self.in_names]
        self.signature_shapes = [tuple(int(v) for v in ins[n].get("shape_signature", ins[n]["shape"]))
                                 for n in self.in_names]
        self.conversions = [_input_conversion(ins[n]) for n in self.in_names]
        self.all_float = all(c is None for c in self.conversions)
        self.out_names = list(outs)
        self.out_index = [int(outs[n]["index"]) for n in self.out_names]
        self.dequantizers = [_dequantizer(outs[n]) for n in self.out_names]
        self._allocated = False

    def _error(self, exc):
        return RuntimeLoadError(f"{self.source}: the TFLite runtime cannot run signature "
                                f"{self.key!r} of this file ({exc})")

    def _allocate(self):
        try:
            self._w.AllocateTensors(self.subgraph)
        except RuntimeError as exc:  # e.g. tensors that cannot be allocated: a corrupt file
            raise self._error(exc) from None
        self._allocated = True

    def _invoke(self):
        try:
            self._w.Invoke(self.subgraph)
        except RuntimeError as exc:
            raise self._error(exc) from None

    def _prepare(self, i, value):
        """`value` as input `i`'s tensor holds it: dtype, quantization, shape."""
        value = np.asarray(value, np.float32)
        conversion = self.conversions[i]
        if conversion is not None:
            dtype, quantization, limits = conversion
            if quantization is not None:
                scale, zero = quantization
                value = np.clip(np.round(value / scale + zero), *limits)
            elif np.issubdtype(dtype, np.integer):  # e.g. token ids
                value = np.round(value)
            value = value.astype(dtype)
        else:
            value = value.astype(np.float32)
        shape = self.shapes[i]
        if value.shape == shape:
            return value
        if value.size == int(np.prod(shape)):
            return value.reshape(shape)
        signature = self.signature_shapes[i]
        if len(signature) == value.ndim and all(s in (-1, v) for s, v in zip(signature, value.shape)):
            return value  # a dynamic dimension changed: `_set_slow` resizes
        want = ", ".join("None" if s == -1 else str(s) for s in signature)
        raise ValueError(f"signature {self.key!r} input {self.in_names[i]!r} must have shape "
                         f"({want}); got {value.shape}")

    def _set_slow(self, values):
        """Convert, resize (all first, then allocate once) and set the inputs."""
        prepared = [self._prepare(i, v) for i, v in enumerate(values)]
        resize = [i for i, v in enumerate(prepared) if v.shape != self.shapes[i]]
        for i in resize:
            self._w.ResizeInputTensor(self.in_index[i], np.array(prepared[i].shape, np.int32),
                                      False, self.subgraph)
            self.shapes[i] = prepared[i].shape
        if resize or not self._allocated:
            self._allocate()
        for index, value in zip(self.in_index, prepared):
            self._w.SetTensor(index, value, self.subgraph)

    def _set(self, values):
        if self._allocated:
            set_, subgraph = self._w.SetTensor, self.subgraph
            try:  # float32 arrays of the tensors' shapes go straight in, others converted
                for i, (index, conversion, value) in enumerate(zip(self.in_index, self.conversions,
                                                                   values)):
                    set_(index, value if conversion is None else self._prepare(i, value), subgraph)
                return
            except ValueError:  # another dtype or shape: convert all (and resize if dynamic)
                pass
        self._set_slow(values)

    def _outputs(self, indices, dequantizers):
        get, subgraph = self._w.GetTensor, self.subgraph
        return [get(i, subgraph) if f is None else f(get(i, subgraph))
                for i, f in zip(indices, dequantizers)]

    def call(self, feed):
        """`{input: array}` -> `{output: array}`, as a `SignatureRunner` call with the
        conversions of `Runtime._call_signature_legacy`."""
        if len(feed) != len(self.in_names):
            raise ValueError(f"signature {self.key!r} takes {len(self.in_names)} input(s) "
                             f"{self.in_names}; got {len(feed)} {sorted(feed)}")
        values = [None] * len(self.in_names)
        for name, value in feed.items():
            i = self.position.get(name)
            if i is None:
                raise ValueError(f"signature {self.key!r} has no input {name!r}; its inputs "
                                 f"are {self.in_names}")
            values[i] = value
        self._set(values)
        self._invoke()
        return dict(zip(self.out_names, self._outputs(self.out_index, self.dequantizers)))

    def step_function(self, n_states):
        """`step(x, states) -> (y, states)` for a recurrent step signature (inputs `x`,
        `state<i>`; outputs `y`, `state<i>_out`), or None if this is not one. An output
        tensor that is two outputs (an LSTM's `y` and `state0_out`) is read once, and both
        get the same (read-only) array."""
        names = ["x"] + [f"state{i}" for i in range(n_states)]
        out_names = ["y"] + [f"state{i}_out" for i in range(n_states)]
        if sorted(names) != sorted(self.in_names) or not set(out_names) <= set(self.out_names):
            return None
        if not self._allocated:
            self._allocate()
        order = [self.position[n] for n in names]
        outputs = [self.out_names.index(n) for n in out_names]
        out_index = [self.out_index[k] for k in outputs]
        dequantizers = [self.dequantizers[k] for k in outputs]

        def slow(x, states):
            values = [None] * len(order)
            for i, value in zip(order, [x, *states]):
                values[i] = value
            self._set_slow(values)
            self._invoke()
            got = self._outputs(out_index, dequantizers)
            return got[0], got[1:]

        if not self.all_float or any(dequantizers):
            return slow
        set_, invoke, get, subgraph = (self._w.SetTensor, self._w.Invoke, self._w.GetTensor,
                                       self.subgraph)
        x_index = self.in_index[order[0]]
        state_index = [self.in_index[i] for i in order[1:]]
        unique = list(dict.fromkeys(out_index))
        pick = [unique.index(i) for i in out_index]
        error = self._error

        def invoked():
            try:
                invoke(subgraph)
            except RuntimeError as exc:
                raise error(exc) from None

        if pick == [0, 0] and len(state_index) == 1:  # GRU / SimpleRNN: y is the state
            (s0,) = state_index

            def step(x, states):
                try:
                    set_(x_index, x, subgraph)
                    set_(s0, states[0], subgraph)
                except ValueError:  # another dtype or shape: convert (and resize if dynamic)
                    return slow(x, states)
                invoked()
                y = get(unique[0], subgraph)
                return y, [y]

        elif pick == [0, 0, 1] and len(state_index) == 2:  # LSTM: y is h (state0)
            s0, s1 = state_index
            y_index, c_index = unique

            def step(x, states):
                try:
                    set_(x_index, x, subgraph)
                    set_(s0, states[0], subgraph)
                    set_(s1, states[1], subgraph)
                except ValueError:
                    return slow(x, states)
                invoked()
                y = get(y_index, subgraph)
                return y, [y, get(c_index, subgraph)]

        else:
            def step(x, states):
                try:
                    set_(x_index, x, subgraph)
                    for index, state in zip(state_index, states):
                        set_(index, state, subgraph)
                except ValueError:
                    return slow(x, states)
                invoked()
                got = [get(i, subgraph) for i in unique]
                return got[pick[0]], [got[k] for k in pick[1:]]

        return step


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
        self.backend, Interpreter = interpreter_class(backend)
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
        self._legacy = False  # benchmarks only: the per-call SignatureRunner path (see _bind)
        self._bound = self._bind(source)
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
    def _bind(self, source):
        """`{signature: _Bound}`: tensor indices, shapes and conversions looked up once, so a
        call only sets, invokes and gets (no per-call resize, allocation or detail dicts).
        None where the interpreter lacks the internals this needs (then every call goes
        through the `SignatureRunner`)."""
        wrapper = getattr(self.interpreter, "_interpreter", None)
        needed = ("SetTensor", "GetTensor", "Invoke", "AllocateTensors", "ResizeInputTensor",
                  "GetSubgraphIndexFromSignature")
        if not all(hasattr(wrapper, n) for n in needed):
            return None
        try:
            bound = {key: _Bound(wrapper, key, *self._details[key], source)
                     for key in self.signatures}
        except (ValueError, RuntimeError, TypeError, KeyError) as exc:
            raise RuntimeLoadError(f"{source}: the TFLite runtime cannot load this file "
                                   f"({exc})") from None
        return bound

    def _call_signature(self, key, feed):
        """Run one signature on a batch-1 feed `{input: array}`; `{output: float array}`."""
        if self._bound is None or self._legacy:
            return self._call_signature_legacy(key, feed)
        return self._bound[key].call(feed)

    def _bind_step(self, key, n_states):
        """The step function `(x, states) -> (y, states)` of a recurrent step signature, for
        `run_plan`'s inner loop (None: use `_call_signature`)."""
        if self._bound is None or self._legacy:
            return None
        return self._bound[key].step_function(n_states)

    def _run_plan(self, inputs):
        bind = None if self._bound is None or self._legacy else self._bind_step
        return stepped.run_plan(self.plan, self._call_signature, inputs, bind=bind)

    def _call_signature_legacy(self, key, feed):
        """The straightforward path (a `SignatureRunner` call, which resizes and allocates
        every input each time); kept to compare against in `benchmarks.edge_cost`."""
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

    def run_one(self, arrays):
        """One example without the checks of `__call__`, for hot loops such as a
        streaming step fed its own previous outputs: `arrays` are the inputs in
        order, float32 with batch 1 and the right shapes (check them once through
        `__call__`). Returns the list of outputs."""
        with self._lock:
            return self._run_plan(arrays)

    def __call__(self, *args, **kwargs):
        """Run the model on a batch; returns one array or a list (several outputs)."""
        arrays, batch = self._check_inputs(args, kwargs)
        results = []
        with self._lock:
            for i in range(batch):
                results.append(self._run_plan([a[i:i + 1] for a in arrays]))
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
