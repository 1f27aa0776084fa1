"""The standard TFLite Metadata our single-layout files carry (`export.metadata`).

    options = zoo.file_metadata.export_options("kws-att-bilstm", "int8")  # layout, metadata
    export.to_tflite(model, path, quantize="int8", **options, ...)

Name, description, version, author and licence of the model; its input (audio:
16 kHz mono, so MediaPipe's AudioClassifier feeds it; other inputs as
features) and output (a classifier's probabilities with `labels.txt` attached).
The files a family exports as "single" get it with the model's own inputs and
outputs, the streaming spotters' single-layout step files with the frame, the state
in and out, the probabilities (`for_stream_step`). A stepped file's subgraph 0 is one
stage of its plan, not the model: `for_stepped` gives it the same model fields and
`labels.txt`, describes subgraph 0 as the stage it is, and says that the plan
(`zoo_plan`, kept beside it) orders the signatures.
"""

from __future__ import annotations

from zoo import registry

AUTHOR = "attention-rnn-zoo"
LICENSE = "Apache-2.0"


def for_model(name):
    """`(metadata_bytes, {"labels.txt": bytes})` for `export.to_tflite(metadata=)`."""
    from export import metadata as md
    from zoo import __version__

    entry = registry.get(name)
    if entry.has_hook("tflite_inputs"):
        inputs = [md.TensorInfo(**t) for t in entry.hook("tflite_inputs")()]
    else:
        specs = entry.input_spec if isinstance(entry.input_spec, (list, tuple)) else [
            entry.input_spec]
        inputs = [md.TensorInfo(s.get("name", f"input{i}") if isinstance(s, dict) else
                                f"input{i}", entry.input_summary()) for i, s in enumerate(specs)]
    files = {}
    if entry.is_classifier and entry.labels:
        outputs = [md.TensorInfo("probabilities", "class probabilities (softmax), in the order "
                                 "of labels.txt", labels_file=registry.LABELS_FILE)]
        files.update(_labels_file(entry))
    else:
        outputs = [md.TensorInfo("output", "model output")]
    data = md.build(name, entry.description, __version__, AUTHOR, LICENSE, inputs, outputs)
    return data, files


def export_options(name, mode, layout=None):
    """`{"layout", "metadata"}` for `export.to_tflite` of `name`'s `mode` file: the
    family's layout for the mode (unless `layout` is given) and its standard metadata
    (`for_model` for a single-layout file; `for_stepped`, made from the converted file,
    for a stepped one). Training, `zoo export` and the demo export through this, so a
    file is the same whichever made it."""
    layout = layout or registry.get(name).family.layout(mode)
    return {"layout": layout, "metadata": for_model(name) if layout == "single"
            else stepped_metadata(name)}


def stepped_metadata(name):
    """`export.to_tflite`'s `metadata` for a stepped file of `name`: made from the
    converted file (its subgraph 0, its plan)."""
    return lambda flatbuffer: for_stepped(name, flatbuffer)


def _labels_file(entry):
    return {registry.LABELS_FILE: ("\n".join(entry.labels) + "\n").encode()}


def for_stepped(name, data):
    """`(metadata_bytes, files)` for the stepped file `data` of `name`: the model's name,
    description, version, author and licence; subgraph 0 (one stage of the plan) with its
    tensors as its signature names them; a classifier's `labels.txt` as a model-level
    file (the labelled output is the last stage's, not subgraph 0's)."""
    from export import metadata as md
    from export.flatbuffer import signature_keys, signature_tensor_names
    from zoo import __version__

    entry = registry.get(name)
    keys = signature_keys(data)
    inputs, outputs = signature_tensor_names(data, 0)
    stage = keys.get(0, "?")
    description = (f"{entry.description.rstrip('. ')}. Stepped TFLite file: {len(keys)} signatures "
                   f"({', '.join(sorted(keys.values()))}) that the plan in this file's "
                   "`zoo_plan` metadata (JSON) calls in order, carrying the recurrent state "
                   "between calls (attention-rnn-zoo's export.runtime, web_demo/kws.js and "
                   "the Android demo's PlanRunner run it); subgraph 0 below is the signature "
                   f"{stage!r}, one stage, not the whole model.")
    files, associated = {}, []
    if entry.is_classifier and entry.labels:
        files = _labels_file(entry)
        associated = [md.AssociatedFile(registry.LABELS_FILE, "class labels, one per line, in "
                                        "the order of the model's output probabilities (the "
                                        "plan's last stage)", "labels")]

    def tensor(n, what):
        return md.TensorInfo(n, f"{what} {n!r} of signature {stage!r}")

    data_md = md.build(name, description, __version__, AUTHOR, LICENSE,
                       [tensor(n, "input") for n in inputs],
                       [tensor(n, "output") for n in outputs], associated)
    return data_md, files


#: What each tensor of a streaming step file holds (zoo/models/kws/causal.py); the
#: outputs `next_NAME` are the state to feed back as input NAME on the next call.
STREAM_STATE = {
    "audio_tail": "the previous frame (zeros at the start)",
    "mel_tail": "the last 3 log-mel frames (log(1e-6), the log-mel of silence, at the start)",
    "gru_state": "the GRU state (zeros at the start)",
    "keys": "the attention ring's keys of the last 50 frames (zeros at the start)",
    "values": "the attention ring's values of the last 50 frames (zeros at the start)",
}


def for_stream_step(name, data):
    """`(metadata_bytes, {"labels.txt": bytes})` for the single-layout step file `data`
    of streaming spotter `name`: its tensors in the order of the file's subgraph."""
    from export import metadata as md
    from export.flatbuffer import signature_tensor_names
    from zoo import __version__
    from zoo.models.kws.causal import FRAME

    entry = registry.get(name)
    inputs, outputs = signature_tensor_names(data)

    def tensor(n):
        if n == "frame":
            return md.TensorInfo(n, f"the newest {FRAME / 16:g} ms of audio, {FRAME} samples in "
                                 "[-1, 1]", kind="audio", sample_rate=16000, channels=1)
        if n == "probabilities":
            return md.TensorInfo(n, "class probabilities (softmax) after this frame, in the "
                                 "order of labels.txt", labels_file=registry.LABELS_FILE)
        state = n[len("next_"):] if n.startswith("next_") else n
        if state not in STREAM_STATE:
            raise ValueError(f"{name}: unknown step tensor {n!r}")
        return md.TensorInfo(n, (f"state out: feed it back as {state!r} on the next call"
                                 if n.startswith("next_") else f"state in: {STREAM_STATE[n]}"))

    data_md = md.build(name, f"{entry.description} One 20 ms frame per call, the state "
                       "carried by the caller.", __version__, AUTHOR, LICENSE,
                       [tensor(n) for n in inputs], [tensor(n) for n in outputs])
    return data_md, _labels_file(entry)
