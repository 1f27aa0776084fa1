"""The standard TFLite Metadata our single-layout files carry (`export.metadata`).

    options = zoo.file_metadata.export_options("kws-att-bilstm", "int8")  # layout, metadata
    export.to_tflite(model, path, quantize="int8", **options, ...)

Name, description, version, author and licence of the model; its input (audio:
16 kHz mono, so MediaPipe's AudioClassifier feeds it; other inputs as
features) and output (a classifier's probabilities with `labels.txt` attached).
Stepped files carry their plan instead (their subgraph 0 is one step, not the
model), so only the files a family exports as "single" get it.
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
        files[registry.LABELS_FILE] = ("\n".join(entry.labels) + "\n").encode()
    else:
        outputs = [md.TensorInfo("output", "model output")]
    data = md.build(name, entry.description, __version__, AUTHOR, LICENSE, inputs, outputs)
    return data, files


def export_options(name, mode, layout=None):
    """`{"layout", "metadata"}` for `export.to_tflite` of `name`'s `mode` file: the
    family's layout for the mode (unless `layout` is given) and, for a single-layout
    file, its standard metadata (`for_model`). Training, `zoo export` and the demo
    export through this, so a file is the same whichever made it."""
    layout = layout or registry.get(name).family.layout(mode)
    return {"layout": layout, "metadata": for_model(name) if layout == "single" else None}
