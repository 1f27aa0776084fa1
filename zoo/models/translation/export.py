"""A trained translator to one `.tflite` file: its encoder and one-step decoder
(`inference_models`) through `export.seq2seq`.

    report = zoo.models.translation.export.to_tflite(model, "mt.int8.tflite", quantize="int8",
                                                     representative_data=[source_ids, target_in_ids])

`model` is a training model of `zoo.models.translation` (teacher forcing,
`[source, target_in] -> logits`); validate the file with
`zoo.models.translation.tflite.agreement`.
"""

from __future__ import annotations

from export import seq2seq
from export.inputs import as_input_list
from zoo.models.translation.architecture import inference_models
from zoo.models.translation.models import BOS, EOS


def convert_bytes(model, quantize="float32", representative_data=None, seed=0,
                  per_channel_dense=False):
    """`(tflite_bytes, metadata)` of a translator; see `export.seq2seq.convert_bytes`."""
    return seq2seq.convert_bytes(**_arguments(model, representative_data), quantize=quantize,
                                 seed=seed, per_channel_dense=per_channel_dense)


def to_tflite(model, path, quantize="float32", representative_data=None, per_channel_dense=False,
              metadata=None):
    """Convert a translator to `path` (written atomically) and return an `ExportReport`;
    `metadata`: standard TFLite Metadata, as `export.to_tflite` takes it."""
    return seq2seq.to_tflite(path=path, **_arguments(model, representative_data),
                             quantize=quantize, per_channel_dense=per_channel_dense,
                             metadata=metadata)


def _arguments(model, representative_data):
    """The `export.seq2seq` arguments of a training model; `representative_data`
    (`[source_ids, target_in_ids]`) is checked against the model's two inputs."""
    if representative_data is not None:
        representative_data = as_input_list(model, representative_data)
    inf = inference_models(model)
    return dict(encoder=inf.encoder, step=inf.step, state_names=inf.state_names, bos=BOS,
                eos=EOS, max_length=int(model.inputs[1].shape[1]), attention=inf.attention,
                representative_data=representative_data)


__all__ = ["to_tflite", "convert_bytes"]
