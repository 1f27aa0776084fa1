"""`ExportReport`: what a `.tflite` file holds and how it compares with Keras."""

from __future__ import annotations

import collections
import dataclasses
import json

from export import gpu_ops
from export.flatbuffer import read_operators


@dataclasses.dataclass
class ExportReport:
    path: str
    quantize: str
    recurrent: str
    size_bytes: int
    op_histogram: dict
    ops_by_signature: dict
    signatures: list
    inputs: list  # per model input: name, shape, dtype, quantization
    outputs: list
    builtin_only: bool
    gpu_undocumented_ops: list
    gpu_blocking_ops: list
    convert_seconds: float | None = None
    validation: dict | None = None
    #: Measured on a GPU backend (`to_tflite(..., gpu_check=measure)` or
    #: `measure_gpu(measure)`): {"status": "ok" | "FAIL" | "not measured", "backend",
    #: "max_abs_diff_vs_runtime", "reason"}. None: not measured.
    gpu: dict | None = None

    @property
    def gpu_documented_ops_only(self):
        """Static: only ops of the GPU delegate's documented list (an explanation, not a proof)."""
        return not self.gpu_undocumented_ops and not self.gpu_blocking_ops

    @property
    def gpu_compatible(self):
        """Runs on the GPU path: the measured result when there is one (`gpu`);
        False without a run when an op is known to block the delegate (`WHILE`);
        otherwise None (not measured; `gpu_documented_ops_only` is the static hint)."""
        status = (self.gpu or {}).get("status")
        if status in ("ok", "FAIL"):
            return status == "ok"
        return False if self.gpu_blocking_ops else None

    def measure_gpu(self, measure, timeout=300.0):
        """Run the file on a GPU backend with `measure(path, timeout=) -> dict` (the
        repository's `web_demo.gpu_check.measure_file`: LiteRT.js WebGPU in headless
        Chromium) and store the result in `gpu`."""
        self.gpu = measure(self.path, timeout=timeout)
        return self.gpu

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["gpu_compatible"] = self.gpu_compatible
        d["gpu_documented_ops_only"] = self.gpu_documented_ops_only
        return d

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)

    def table(self):
        """Rows `(field, value)` for printing."""
        rows = [
            ("file", self.path), ("mode", self.quantize), ("recurrent", self.recurrent),
            ("size", f"{self.size_bytes / 1024:.1f} KiB"),
            ("signatures", ", ".join(self.signatures)),
            ("ops", ", ".join(f"{k}×{v}" for k, v in sorted(self.op_histogram.items()))),
            ("builtin ops only", "yes" if self.builtin_only else "no"),
            ("GPU delegate (documented ops)",
             "yes" if self.gpu_documented_ops_only else
             "no: " + ", ".join(self.gpu_blocking_ops + self.gpu_undocumented_ops)),
            ("GPU (WebGPU, measured)", self._gpu_text()),
        ]
        for io in self.inputs + self.outputs:
            q = io.get("quantization")
            rows.append((f"{io['kind']} {io['name']}",
                         f"{io['shape']} {io['dtype']}" + (f" scale={q[0]:.3g} zero={q[1]}" if q else "")))
        if self.validation:
            v = self.validation
            rows.append(("max |tflite - keras|", f"{v['max_abs_error']:.3g}"))
            rows.append(("mean |tflite - keras|", f"{v['mean_abs_error']:.3g}"))
            if v.get("top1_agreement") is not None:
                rows.append(("top-1 agreement", f"{100 * v['top1_agreement']:.2f} %"))
            if v.get("data"):
                rows.append(("validated on", f"the {v['data']} ({v.get('examples', '?')} "
                                             "examples)"))
        return rows


    def _gpu_text(self):
        g = self.gpu or {}
        if g.get("status") == "ok":
            return f"runs, max |Δ| vs CPU runtime {g['max_abs_diff_vs_runtime']:.1e}"
        if g.get("status") == "FAIL":
            return f"fails: {g.get('reason')}"
        if self.gpu_blocking_ops:
            return "no (blocking op " + ", ".join(self.gpu_blocking_ops) + ")"
        return ("not measured" + (f" ({g['reason']})" if g.get("reason") else "")
                + ": zoo export --gpu-check (repository checkout)")


def _io_entries(runtime):
    """Model-level inputs/outputs with the tensor types of the signatures
    that consume/produce them."""
    entries = []
    plan = runtime.plan
    for kind, names in (("input", plan["inputs"]), ("output", plan["outputs"])):
        for name in names:
            for stage in plan["stages"]:
                if stage["kind"] != "segment":
                    continue
                pool = stage["inputs"] if kind == "input" else stage["outputs"]
                if name in pool:
                    ins, outs = runtime.signature_details(stage["name"])
                    d = (ins if kind == "input" else outs)[name]
                    q = d.get("quantization") or (0.0, 0)
                    entries.append(dict(kind=kind, name=name, signature=stage["name"],
                                        shape=[int(s) for s in d["shape"]],
                                        dtype=str(d["dtype"].__name__ if hasattr(d["dtype"], "__name__") else d["dtype"]),
                                        quantization=list(q) if q[0] else None))
                    break
    return entries


def describe(flatbuffer: bytes, path="", quantize="?", recurrent="?"):
    """Build an `ExportReport` (without validation) for a flatbuffer."""
    from export.runtime import Runtime

    by_sig = read_operators(flatbuffer)
    histogram = collections.Counter(op for ops in by_sig.values() for op in ops)
    runtime = Runtime(flatbuffer, source=path or "<bytes>")
    io = _io_entries(runtime)
    return ExportReport(
        path=path, quantize=quantize, recurrent=recurrent, size_bytes=len(flatbuffer),
        op_histogram=dict(sorted(histogram.items())),
        ops_by_signature={k: dict(collections.Counter(v)) for k, v in by_sig.items()},
        signatures=runtime.signatures,
        inputs=[e for e in io if e["kind"] == "input"],
        outputs=[e for e in io if e["kind"] == "output"],
        builtin_only=not any(op.startswith("CUSTOM:") for op in histogram),
        gpu_undocumented_ops=gpu_ops.undocumented_ops(
            op for op in histogram if op not in ("QUANTIZE", "DEQUANTIZE")),
        gpu_blocking_ops=gpu_ops.blocking_ops(histogram),
    )
