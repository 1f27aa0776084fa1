"""A model family: what a task folder of `zoo/models/` declares once.

    # zoo/models/kws/family.py
    FAMILY = tasks.SPEECH.derive(
        "kws", trainer="zoo.models.kws.train:main",
        representative_data="zoo.models.kws.preprocessing:representative_data",
        variants={"streaming": "zoo.models.kws.streaming:streaming_model"})

    # zoo/models/kws/models.py
    @register_model("kws-att-bilstm", family=FAMILY, input_spec=..., baseline="kws-bilstm")
    def kws_att_bilstm(**config): ...

Everything the library does with a model beyond building it is read from its
family, never decided by comparing task names elsewhere:

* `read_input(name, arg)`: one command-line argument (`zoo predict NAME ARG`)
  to one item (a WAV path, a string, an array);
* `item_ndim`: axes of one item (a waveform 1, a string 0; None: the rank
  of the model input), to tell one item from a batch;
* `preprocess(name, items)` / `postprocess(name, outputs, labels)`: items to
  model inputs, model outputs to one result per item;
* `representative_data(name)`: model inputs to calibrate int8 exports;
* `example_input(name)`: one real batch-1 model input to check a file with
  (default: the first of `representative_data`);
* `attention_steps(name, items, x, weights)`: for `zoo.explain`, each item's
  number of real steps and their labels (tokens) or None;
* `explain(name, inputs)` / `predict(name, inputs, model=, tflite=)`:
  replacements of the generic `zoo.explain` / `zoo.predict` (translators);
* `exporter(model, path, quantize=, representative_data=)`: the TFLite
  converter of `zoo export NAME` (default `export.to_tflite`);
* `frame_stream(name, mode, keras=False, threads=1)`: for models that stream one
  frame per call with carried state, a stateful callable `(frames, frame_samples)
  -> (frames, classes)` (with `reset()`): what the demos run instead of re-running
  a window model every hop;
* `tflite_inputs(name)`: the inputs as the standard TFLite Metadata of a
  single-layout file describes them (`export.metadata.TensorInfo` fields, e.g.
  audio with its sample rate, which MediaPipe's AudioClassifier reads); default:
  feature tensors named after `input_spec`;
* `variants`: `{kind: hook(name, pretrained=True) -> keras.Model}`, e.g.
  the streaming twin of a keyword spotter;
* `layouts`: `{mode: "single"}` for the export modes written as one-signature,
  one-invoke files (`export.single`: fixed-length inputs, stock runtimes run
  them as they are); the other modes are "stepped";
* `loss` and `compile_metrics` (how `zoo.load` compiles), `classifier`, `metric` (the headline metric of benchmarks and
  cards), `gpu_check` (whether `zoo export --gpu-check` can drive it),
  `gpu_float_on_cpu` (the WebGPU check and a browser app run the plan's float-only
  segments on LiteRT.js's wasm backend: LiteRT.js computes the forecasters' window
  normalisation wrong on WebGPU),
  `trainer` (the `zoo train NAME` command);
* `pipeline_tag`: the Hugging Face pipeline tag of the task, for the front
  matter of model cards (None where the Hub has no tag for it).

Hooks are callables or dotted paths (`"pkg.mod:attr"`), imported only when
used, so declaring a family imports neither Keras nor TensorFlow. Hooks that
concern one model take its registered name first.

This module imports only the standard library.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: Family fields that are hooks (callables or dotted paths).
HOOKS = ("read_input", "preprocess", "postprocess", "representative_data", "example_input",
         "attention_steps", "explain", "predict", "exporter", "trainer", "frame_stream",
         "tflite_inputs")


@dataclasses.dataclass(frozen=True, eq=False)
class Family:
    """See the module docstring."""

    name: str
    task: str
    classifier: bool = False
    item_ndim: int | None = None
    loss: str = "sparse_categorical_crossentropy"
    compile_metrics: tuple = ()
    metric: str = "accuracy"
    gpu_check: bool = True
    gpu_float_on_cpu: bool = False
    read_input: Any = None
    preprocess: Any = None
    postprocess: Any = None
    representative_data: Any = None
    example_input: Any = None
    attention_steps: Any = None
    explain: Any = None
    predict: Any = None
    exporter: Any = None
    trainer: Any = None
    frame_stream: Any = None
    tflite_inputs: Any = None
    variants: dict = dataclasses.field(default_factory=dict)
    layouts: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    pipeline_tag: str | None = None

    def __post_init__(self):
        for field in HOOKS:
            hook = getattr(self, field)
            if hook is not None and not callable(hook) and not (isinstance(hook, str)
                                                                 and hook.strip()):
                raise TypeError(f"family {self.name!r}: {field} must be a callable or a dotted "
                                f"path string; got {hook!r}")
        if not isinstance(self.layouts, dict) or not set(self.layouts.values()) <= {
                "stepped", "single"}:
            raise TypeError(f"family {self.name!r}: layouts must be a dict {{mode: 'stepped' | "
                            f"'single'}}; got {self.layouts!r}")
        if not isinstance(self.variants, dict):
            raise TypeError(f"family {self.name!r}: variants must be a dict "
                            f"{{kind: hook}}; got {self.variants!r}")

    def layout(self, mode):
        """The TFLite file layout of export mode `mode` (`export.to_tflite(layout=)`):
        `layouts[mode]`, else "stepped"."""
        return self.layouts.get(mode, "stepped")

    def derive(self, name, **changes):
        """A family of the same task with `name` and the given fields changed."""
        return dataclasses.replace(self, name=name, **changes)

    def __repr__(self):
        return f"Family({self.name!r}, task={self.task!r})"


__all__ = ["Family", "HOOKS"]
