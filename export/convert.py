"""`export.to_tflite`: Keras model -> `.tflite` file in one of five modes.

Modes (`quantize=`, described in `export.modes`):

* `"float32"`: no quantization.
* `"float16"`: float16 weights, float compute (GPU-friendly).
* `"dynamic"`: int8 weights, activations quantized on the fly.
* `"int8"`: full integer: int8 weights and activations, calibrated on
  `representative_data`; only builtin int8 kernels (float interface).
* `"int16x8"`: int16 activations, int8 weights (more accurate full integer).

Layouts (`layout=`):

* `"stepped"` (default): recurrent layers through the stepped rewrite of
  `export.stepped` (no `WHILE` loop: quantizes fully, each weight stored once,
  size independent of the sequence length; variable-length inputs, masks and
  attention decoders). A host loop runs the plan (`export.runtime`).
* `"single"`: one signature, one invoke, the recurrence unrolled in-graph in
  the fused form of `export.single`; for fixed-length models (keyword
  spotting). Any stock TFLite runtime runs it with no code of ours. In integer
  modes the float-only front end (the log-mel) stays float inside the same
  graph (selective quantization) while the body is integer.

`recurrent="keras"` keeps the
converter's own `WHILE` lowering, for comparison; its full-integer modes are
refused because they crash the converter (segmentation fault, measured with
TF 2.21).
"""

from __future__ import annotations

import json
import os
import tempfile
import time

import numpy as np

from export import modes, stepped
from export.errors import ExportError
from export.flatbuffer import (add_metadata, align_broadcast_ranks, float16_constants,
                               hybrid_fully_connected, merge_models)
from export.report import ExportReport, describe
from export.files import OutputPathError, atomic_write_bytes, check_output_path, scratch_directory
from export.inputs import as_input_list

MODES = modes.MODES
CALIBRATION_EXAMPLES = 100
CALIBRATION_SAMPLES_PER_SIGNATURE = 1000


def check_mode(quantize, representative_data):
    """The `export.modes.Mode` called `quantize`, after checking that it exists and
    has its calibration data (`ExportError` otherwise)."""
    try:
        mode = modes.get(quantize)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    if mode.needs_calibration and representative_data is None:
        raise ExportError(
            f"quantize={quantize!r} needs `representative_data` (a few hundred real "
            "inputs, shaped like the model input) to calibrate activation ranges")
    return mode


def _keras_caller(functions):
    def call(signature, feed):
        fn = functions[signature]
        args = [feed[spec.name] for spec in fn.input_signature]
        return {k: v.numpy() for k, v in fn(*args).items()}

    return call


def _frozen(tf, fn):
    """A variable-free copy of a tf.function (multi-signature conversion needs it)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    concrete = fn.get_concrete_function()
    names = sorted(concrete.structured_outputs)
    frozen = convert_variables_to_constants_v2(concrete)
    aliased = _input_aliases(frozen)

    @tf.function(input_signature=fn.input_signature)
    def wrapper(*args):
        outs = frozen(*args)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        for i in aliased:  # a copy op, so that the output is not the input tensor itself
            outs[i] = outs[i][:]
        return dict(zip(names, outs))

    return wrapper.get_concrete_function()


def _input_aliases(concrete):
    """Positions of the outputs of `concrete` that are one of its inputs (through identities
    only): the converter would make each the input tensor itself, which LiteRT.js
    computes wrong when the graph also reads it (`export.flatbuffer.input_outputs`)."""
    inputs = {id(t) for t in concrete.inputs}
    found = []
    for i, t in enumerate(concrete.outputs):
        while t.op.type in ("Identity", "IdentityN", "StopGradient", "Snapshot"):
            t = t.op.inputs[t.value_index if t.op.type == "IdentityN" else 0]
        if id(t) in inputs and t.shape.rank:
            found.append(i)
    return found


def configure_converter(tf, converter, quantize, representative_dataset=None):
    """Apply the converter settings of mode `quantize` (`export.modes.Mode`) to a
    `tf.lite.TFLiteConverter`; `representative_dataset` (a callable returning an
    iterator of samples) is set for the modes that need calibration."""
    mode = modes.get(quantize)
    if mode.optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode.supported_types:
        converter.target_spec.supported_types = [tf.as_dtype(t) for t in mode.supported_types]
    if mode.needs_calibration:
        converter.representative_dataset = representative_dataset
    if mode.supported_ops:
        converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, name)
                                               for name in mode.supported_ops]


def _configure(tf, converter, quantize, samples, per_channel_dense=False):
    # Per-channel scales and int64 zero points of FULLY_CONNECTED weights cost
    # 12 bytes per output channel: for the LSTM/GRU reference models that is
    # 0.33x -> 0.29x of float32 size, at the same error (benchmarks/export_modes).
    converter._experimental_disable_per_channel_quantization_for_dense_layers = not per_channel_dense
    configure_converter(tf, converter, quantize, lambda: iter(samples))


def _calibration_samples(plan, call, data, rng):
    """(signature, feed) pairs recorded while running the float plan."""
    per_signature = {}
    n = data[0].shape[0]
    for i in rng.permutation(n)[:CALIBRATION_EXAMPLES]:
        stepped.run_plan(plan, call, [d[i:i + 1] for d in data],
                         record=lambda sig, feed: per_signature.setdefault(sig, []).append(
                             {k: np.array(v) for k, v in feed.items()}))
    samples = []
    for sig, feeds in per_signature.items():
        if len(feeds) > CALIBRATION_SAMPLES_PER_SIGNATURE:
            keep = rng.choice(len(feeds), CALIBRATION_SAMPLES_PER_SIGNATURE, replace=False)
            feeds = [feeds[k] for k in sorted(keep)]
        samples.extend((sig, f) for f in feeds)
    return samples


LAYOUTS = ("stepped", "single")


def convert_bytes(model, quantize="float32", representative_data=None, recurrent="stepped",
                  seed=0, per_channel_dense=False, layout="stepped", hybrid=True):
    """Convert and return `(tflite_bytes, plan)`; see `to_tflite`."""
    mode = check_mode(quantize, representative_data)
    if recurrent not in ("stepped", "keras"):
        raise ExportError(f"`recurrent` must be 'stepped' or 'keras'; got {recurrent!r}")
    if layout not in LAYOUTS:
        raise ExportError(f"`layout` must be one of {LAYOUTS}; got {layout!r}")
    if layout == "single" and recurrent == "keras":
        raise ExportError("layout='single' unrolls the recurrence itself; use it with "
                          "recurrent='stepped' (the default)")
    data = None if representative_data is None else as_input_list(model, representative_data)
    if recurrent == "keras":
        import tensorflow as tf

        with scratch_directory():
            return _convert_keras_native(tf, model, quantize, data, per_channel_dense), None
    plan, stages = stepped.build_plan(model)  # refuses what it cannot rewrite, before TF runs
    if data is not None and mode.needs_calibration:
        check_calibration(model, data)
    with scratch_directory():
        if layout == "single":
            return _convert_single(model, plan, stages, mode, quantize, data, seed,
                                   per_channel_dense, hybrid)
        return _convert_stepped(model, plan, stages, mode, quantize, data, seed, per_channel_dense)


def check_calibration(model, data):
    """Refuse calibration data that cannot calibrate anything (every input constant,
    e.g. all zeros: every activation range collapses to one value and the int8 file is
    wrong on real data); warn when only some inputs are constant."""
    import warnings

    names = [t.name for t in model.inputs]
    constant = [n for n, a in zip(names, data) if a.size and np.all(a == a.flat[0])]
    if constant and len(constant) == len(data):
        value = data[0].flat[0]
        raise ExportError(
            f"`representative_data` is constant (every value of input(s) {constant} is "
            f"{value:g}): it cannot calibrate the int8 ranges and the file would be wrong on "
            "real inputs; give a few hundred real inputs")
    if constant:
        warnings.warn(f"`representative_data` for input(s) {constant} is constant; the int8 "
                      "ranges of those inputs are calibrated on one value only", UserWarning,
                      stacklevel=3)
    if data[0].shape[0] > 1 and all(np.all(a == a[:1]) for a in data):
        warnings.warn("`representative_data` holds one example repeated; calibrate on a few "
                      "hundred different real inputs", UserWarning, stacklevel=3)


def _convert_stepped(model, plan, stages, mode, quantize, data, seed, per_channel_dense):
    import tensorflow as tf

    functions = stepped.signature_functions(stages, plan=plan)
    samples = []
    if mode.needs_calibration:
        samples = _calibration_samples(plan, _keras_caller(functions), data,
                                       np.random.default_rng(seed))
    float_keys = {st["name"] for st in plan["stages"] if st.get("float_only")}
    if not mode.integer_weights:  # float compute everywhere already
        float_keys = set()
    quantized = {k: f for k, f in functions.items() if k not in float_keys}
    parts = []
    if quantized:
        parts.append(_convert_signatures(tf, quantized, quantize, samples, per_channel_dense))
    if float_keys:
        # Float compute, float16 storage of their constants (window, filters).
        parts.append(_convert_signatures(tf, {k: functions[k] for k in sorted(float_keys)},
                                         "float16", [], per_channel_dense))
    flatbuffer = parts[0] if len(parts) == 1 else merge_models(*parts)
    flatbuffer = add_metadata(flatbuffer, stepped.PLAN_METADATA_NAME,
                              json.dumps(plan, sort_keys=True).encode())
    if mode.full_integer:
        _smoke_test(flatbuffer, [d[:1] for d in data])
    return flatbuffer, plan


def _convert_single(model, plan, stages, mode, quantize, data, seed, per_channel_dense,
                    hybrid=True):
    """One `serving_default` signature (see `export.single`); its plan is one segment."""
    import tensorflow as tf

    from export import single

    hybrid = hybrid and quantize == "int8" and single.has_fused(stages)
    fn = single.single_function(model, plan, stages, hybrid=hybrid)
    in_names, out_names = single.io_names(model, plan)
    samples = []
    if mode.needs_calibration:
        rng = np.random.default_rng(seed)
        order = rng.permutation(data[0].shape[0])[:CALIBRATION_SAMPLES_PER_SIGNATURE]
        samples = [(SINGLE_SIGNATURE, {n: d[i:i + 1] for n, d in zip(in_names, data)})
                   for i in sorted(order)]
    has_float = any(st.get("float_only") for st in plan["stages"])
    if has_float and quantize in SINGLE_REFUSED:
        raise ExportError(f"quantize={quantize!r} with layout='single' {SINGLE_REFUSED[quantize]}; "
                          "use 'int8' (integer body, float front end) or layout='stepped'")
    if (has_float or hybrid) and mode.needs_calibration:
        flatbuffer = _convert_selective(tf, fn, quantize, samples, per_channel_dense)
        if hybrid:  # float activations with int8 weights (see export.single)
            flatbuffer, _ = hybrid_fully_connected(flatbuffer, single.HYBRID_SCOPE)
        # the float part's weights in float16, as a stepped file's float signatures hold them
        flatbuffer, _ = float16_constants(flatbuffer)
    else:  # no float stage: the mode's own converter settings (int8: integer kernels only)
        flatbuffer = _convert_signatures(tf, {SINGLE_SIGNATURE: fn}, quantize, samples,
                                         per_channel_dense)
    single_plan = {
        "version": plan["version"], "layout": "single",
        "inputs": in_names, "outputs": out_names, "input_shapes": plan["input_shapes"],
        "stages": [{"kind": "segment", "name": SINGLE_SIGNATURE, "inputs": in_names,
                    "outputs": out_names}],
    }
    flatbuffer = add_metadata(flatbuffer, stepped.PLAN_METADATA_NAME,
                              json.dumps(single_plan, sort_keys=True).encode())
    if mode.full_integer:
        _smoke_test(flatbuffer, [d[:1] for d in data])
    return flatbuffer, single_plan


#: Modes the single layout cannot give a model with a float-only front end, and why
#: (measured on kws-att-bilstm, TF 2.21).
SINGLE_REFUSED = {
    "dynamic": "would quantize the float-only front end (dynamic-range quantization "
               "cannot keep one part of a graph float; 62 % top-1 agreement with Keras)",
    "int16x8": "is refused by the TFLite quantizer when part of the graph stays float "
               "(int16/float operand types mixed at the front end's boundary)",
}

#: The signature key of a single-layout file (the TFLite default).
SINGLE_SIGNATURE = "serving_default"


def _convert_selective(tf, fn, quantize, samples, per_channel_dense):
    """Integer file whose float-only stages (name scope `export.single.FLOAT_SCOPE`) stay
    float: the converter calibrates the whole graph, then the MLIR quantizer skips the
    nodes of that scope (its `denylisted_nodes`, what `tf.lite.experimental.
    QuantizationDebugger` uses; measured to keep the log-mel float and every other op
    integer, TF 2.21). The denylist is made of the float file's tensor names, and an op
    whose result is a signature output carries the output's name, not its scope: so the
    ops that make the outputs are denylisted by that name too (they compute in float
    from dequantized inputs; the outputs are float anyway). Without it a streaming step
    file's float GRU cell computed its new state (an output) in int8 and its float
    softmax became int8 (probabilities in steps of 1/256): in-stream test accuracy
    77.73 / 74.05 % against the stepped file's 78.70 / 77.98 %, with it 78.83 / 78.05 %
    (kws-stream-att-gru / kws-stream-gru; Keras 78.91 / 78.03 %). Not reached by name:
    a SPLIT (a Keras GRUCell cuts its gates with one) stays int8 whatever names are
    denylisted, so the streaming step model's GRU slices instead (`causal.GRUStep`)."""
    from tensorflow.compiler.mlir.lite import types_pb2
    from tensorflow.lite.python import convert as tfl_convert

    from export.single import FLOAT_SCOPE

    float_file = _convert_signatures(tf, {SINGLE_SIGNATURE: fn}, "float32", [], per_channel_dense)
    names, output_names = _tensor_names(float_file)
    denylist = sorted({name for name in names if FLOAT_SCOPE in name} | set(output_names))
    with scratch_directory() as scratch:
        workdir = str(scratch / "saved_model")
        tf.saved_model.save(tf.Module(), workdir, signatures={SINGLE_SIGNATURE: _frozen(tf, fn)})
        converter = tf.lite.TFLiteConverter.from_saved_model(workdir)
        # (signature, {input name: array}) samples: a list by position would follow the
        # saved model's input order (sorted by name), not the function's (a step model's
        # frame and states were fed to the wrong inputs)
        _configure(tf, converter, quantize, samples, per_channel_dense)
        # float kernels for the denylisted scope: the builtin set, not integer-only
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        converter.experimental_mlir_quantizer = True
        converter._experimental_calibrate_only = True
        calibrated = _run_converter(converter, quantize)
    inference = types_pb2.QUANTIZED_INT16 if quantize == "int16x8" else types_pb2.QUANTIZED_INT8
    try:
        return tfl_convert.mlir_quantize(
            calibrated, disable_per_channel=False, fully_quantize=False,
            inference_type=inference, denylisted_nodes=denylist,
            disable_per_channel_for_dense_layers=not per_channel_dense)
    except Exception as exc:  # the quantizer raises RuntimeError, ConverterError, ...
        raise ExportError(f"the TFLite quantizer cannot make a {quantize!r} single-layout file "
                          f"of this model: {type(exc).__name__}: {exc}") from None


def _tensor_names(flatbuffer):
    """(every tensor name, the output tensors' names) of a single-signature file."""
    from export.runtime import interpreter_class

    _, interpreter = interpreter_class()
    it = interpreter(model_content=flatbuffer)
    return [d["name"] for d in it.get_tensor_details()], [d["name"] for d in it.get_output_details()]


def _smoke_test(flatbuffer, example):
    from export.smoke import check_file_runs

    with tempfile.TemporaryDirectory(prefix="zoo-smoke-") as tmp:
        path = os.path.join(tmp, "model.tflite")
        with open(path, "wb") as f:
            f.write(flatbuffer)
        check_file_runs(path, example)


def _convert_signatures(tf, functions, quantize, samples, per_channel_dense):
    """Convert `{signature: tf.function}` into one flatbuffer."""
    samples = [(k, feed) for k, feed in samples if k in functions]
    with scratch_directory() as scratch:
        workdir = str(scratch / "saved_model")
        frozen = {k: _frozen(tf, f) for k, f in functions.items()}
        tf.saved_model.save(tf.Module(), workdir, signatures=frozen)
        converter = tf.lite.TFLiteConverter.from_saved_model(workdir, signature_keys=list(frozen))
        _configure(tf, converter, quantize, samples, per_channel_dense)
        try:
            return _run_converter(converter, quantize)
        except ExportError as exc:
            integer = any(spec.dtype.is_integer for f in functions.values()
                          for spec in f.input_signature)
            if quantize == "int16x8" and integer:
                # measured: token (int32) inputs fail int16x8 calibration in TF 2.21
                raise ExportError(f"{exc}. int16x8 cannot calibrate models with integer (token) "
                                  "inputs; export this one as 'int8', 'dynamic' or "
                                  "'float16'") from None
            raise


def _convert_keras_native(tf, model, quantize, data, per_channel_dense):
    has_rnn = any(stepped.is_recurrent(layer) for layer in stepped.all_layers(model))
    if has_rnn and modes.get(quantize).full_integer:
        raise ExportError(
            f"quantize={quantize!r} with recurrent='keras' would crash the TFLite converter "
            "(full-integer quantization of a WHILE loop segfaults in TF 2.21); use "
            "recurrent='stepped' (the default)")
    if data is not None and modes.get(quantize).needs_calibration:
        check_calibration(model, data)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    samples = []
    if data is not None:
        n = min(CALIBRATION_EXAMPLES, data[0].shape[0])
        samples = [[d[i:i + 1] for d in data] for i in range(n)]
    _configure(tf, converter, quantize, samples, per_channel_dense)
    return _run_converter(converter, quantize)


def _run_converter(converter, quantize):
    """`converter.convert()`, its failures turned into one `ExportError`."""
    import warnings

    try:
        with warnings.catch_warnings():
            # The calibrator uses tf.lite.Interpreter internally; not our call to make.
            warnings.filterwarnings("ignore", message=r"(?s).*tf\.lite\.Interpreter is deprecated")
            return converter.convert()
    except Exception as exc:  # the converter raises RuntimeError, ConverterError, ...
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        reasons = sorted({ln for ln in lines if "not yet supported" in ln or "error:" in ln})
        detail = "; ".join(reasons[:4]) if reasons else (lines[0] if lines else type(exc).__name__)
        raise ExportError(f"the TFLite converter cannot make a {quantize!r} file of this "
                          f"model: {detail}") from None


def write_converted(path, convert, *, quantize, recurrent, inputs=(), metadata=None):
    """Check `path`, run `convert() -> (flatbuffer, plan)`, align the ranks of its
    broadcasts (`export.flatbuffer.align_broadcast_ranks`), write the file atomically and
    return its `ExportReport`. Every exporter writes through here, so a bad path (a
    directory, a FIFO, one of the files in `inputs`) fails before the (slow) conversion
    and no file is ever half-written (a full disk raises `export.files.WriteError`)."""
    try:
        check_output_path(path, inputs)
    except (IsADirectoryError, OutputPathError) as exc:
        raise ExportError(f"`path`: {exc}") from None
    start = time.perf_counter()
    flatbuffer, _ = convert()
    # a lower-rank computed operand of ADD/SUB/MUL at full rank: the same arithmetic, and
    # LiteRT.js WebGPU computes the int8 broadcast right (export.flatbuffer)
    flatbuffer = align_broadcast_ranks(flatbuffer)[0]
    if metadata is not None:  # standard TFLite Metadata + associated files (export.metadata)
        from export.metadata import attach

        if callable(metadata):  # made from the converted file (e.g. its tensor order)
            metadata = metadata(flatbuffer)

        flatbuffer = attach(flatbuffer, *metadata)
    seconds = time.perf_counter() - start
    atomic_write_bytes(path, flatbuffer, inputs)
    report = describe(flatbuffer, path=str(path), quantize=quantize, recurrent=recurrent)
    report.convert_seconds = round(seconds, 2)
    return report


def to_tflite(model, path, quantize="float32", representative_data=None, validate=True,
              validation_data=None, recurrent="stepped", threads=1, per_channel_dense=False,
              gpu_check=None, layout="stepped", metadata=None, hybrid=True):
    """Export a Keras model to a `.tflite` file and return an `ExportReport`.

    Args:
        model: a built functional or Sequential Keras model with fixed
            feature and time sizes (the batch size may be left open).
        path: output file; written atomically (never half-written).
        quantize: one of `MODES`.
        representative_data: array (or list/dict of arrays, one per input)
            of real inputs `(n, ...)`, needed for "int8" and "int16x8";
            also the default validation data.
        validate: run the file against the Keras model and put the errors
            in the report.
        validation_data: inputs for validation, not the calibration set
            (defaults to `representative_data`, and the report then says
            "validated on the calibration data": errors measured on the data
            the ranges were fitted to flatter an int8 file).
        recurrent: "stepped" (default, see `export.stepped`) or "keras".
        layout: "stepped" (default: a plan of signatures run by a host loop;
            any length, masks, attention decoders) or "single" (one
            signature, one invoke, recurrence unrolled in-graph: fixed-length
            models; stock runtimes run it as is). See `export.single`.
        metadata: `(metadata_bytes, files)`: standard TFLite Metadata made by
            `export.metadata.build` and its associated files `{name: bytes}`
            (e.g. labels.txt), stored in the file as the TFLite Support
            writers store them (MediaPipe Tasks need it). Its tensors describe
            subgraph 0, in the order the converter gave them: use it with
            single-layout (one-signature) files. Or a function `flatbuffer ->
            (metadata_bytes, files)`, called with the converted file (before it
            is written), to describe tensors in that order.
        hybrid: in "int8" single-layout files, the recurrent steps (matmul, gates,
            state) and the head after the last recurrent layer compute in float
            with int8 weights, their FULLY_CONNECTED ops quantizing their input at
            each call's own range (`export.single`; default). Measured on the test
            clips: kws-gru int8 81.62 -> 81.98 %, kws-att-mh-gru 84.51 -> 84.91 %
            (Keras 82.10 / 85.17), as fast on ai-edge-litert
            (benchmarks/results/edge_layouts.md). False: an all-int8 body.
        threads: interpreter threads used for validation.
        per_channel_dense: per-output-channel weight scales for dense
            (FULLY_CONNECTED) layers; off by default (smaller files, same
            measured error on our reference models).
        gpu_check: a function `measure(path, timeout=) -> dict` that runs
            the file on a GPU backend, e.g. the repository's
            `web_demo.gpu_check.measure_file` (LiteRT.js WebGPU in headless
            Chromium); its result goes to `report.gpu`
            (`report.gpu_compatible`). Without it the report says "not
            measured" (or "no" for a blocking op).
    """
    if gpu_check is not None and gpu_check is not False and not callable(gpu_check):
        raise ExportError("`gpu_check` must be a function path -> result dict, e.g. "
                          "web_demo.gpu_check.measure_file from a repository checkout (the "
                          f"WebGPU check is a repository tool); got {gpu_check!r}")
    if validate and validation_data is not None:
        as_input_list(model, validation_data, argument="validation_data")
    report = write_converted(
        path, lambda: convert_bytes(model, quantize, representative_data, recurrent,
                                    per_channel_dense=per_channel_dense, layout=layout,
                                    hybrid=hybrid),
        quantize=quantize, recurrent="single" if layout == "single" else recurrent,
        metadata=metadata)
    if validate:
        data = validation_data if validation_data is not None else representative_data
        if data is not None:
            from export.validation import validate as run_validation

            report.validation = run_validation(path, model, data, threads=threads)
            report.validation["data"] = ("validation data" if validation_data is not None
                                         else "calibration data")
    if gpu_check:
        report.measure_gpu(gpu_check)
    return report


__all__ = ["MODES", "to_tflite", "convert_bytes", "ExportReport"]
