"""Translators to one `.tflite` file: the encoder and a one-step decoder.

    report = export.seq2seq.to_tflite(model, "mt.int8.tflite", quantize="int8",
                                      representative_data=[source_ids, target_in_ids])

`model` is a training model of `zoo.models.translation` (teacher forcing,
`[source, target_in] -> logits`). The file holds

* the **encoder** as the stepped plan of `export.stepped` (its signatures
  `seg*` and `rnn*_fw` / `rnn*_bw`: the bidirectional GRU without a `WHILE`
  loop, so it quantizes fully); `export.runtime.load(path)(source)` runs it
  and returns `[memory, memory_mask, state]`;
* the **one-step decoder**, signature `decode_step`: `token (1, 1)` int32,
  `state`, (`attention_vector`), `memory`, `memory_mask` -> `logits`,
  `state`, (`attention_vector`, `alignment`); loop-free, one call per
  generated token.

The host runs the loop (greedy or beam search): `export.translator` is the
Python reference of it on `export.runtime`, with no TensorFlow. The metadata
entry `zoo_seq2seq` (JSON) says which step inputs are fed back
(`state_names`), the BOS/EOS ids and the maximum target length.

Calibration (`int8`, `int16x8`): the encoder signatures on the recorded
stepped runs of `representative_data[0]`; `decode_step` on the inputs it
sees when the float Keras decoder replays the reference targets
`representative_data[1]` (teacher forcing, the states of real sentences).
"""

from __future__ import annotations

import json

import numpy as np

from export import convert, stepped
from export.errors import ExportError
from export.flatbuffer import add_metadata

from export.translator import METADATA_NAME, initial_states  # noqa: E402  (host loop)

STEP_SIGNATURE = "decode_step"
STEP_SAMPLES = 1000


def _step_function(tf, step_model):
    specs = [tf.TensorSpec((1,) + tuple(t.shape[1:]), t.dtype, name=t.name.split(":")[0])
             for t in step_model.inputs]
    names = [s.name for s in specs]

    @tf.function(input_signature=specs)
    def fn(*args):
        return dict(step_model(dict(zip(names, args)), training=False))

    return fn


def _teacher_forced_feeds(inf, source, target_in, rng, limit=STEP_SAMPLES):
    """Step inputs `{name: (1, ...)}` of the float decoder replaying `target_in`."""
    memory, mask, state = (np.asarray(a) for a in inf.encoder(source, training=False))
    states = initial_states(state, inf.state_sizes)
    feeds = []
    for t in range(target_in.shape[1]):
        token = target_in[:, t:t + 1]
        live = np.flatnonzero(token[:, 0] != 0)
        feed = {"token": token.astype(np.int32), "memory": memory, "memory_mask": mask, **states}
        feeds.extend({k: v[i:i + 1] for k, v in feed.items()} for i in live)
        out = inf.step(feed, training=False)
        states = {k: np.asarray(out[k]) for k in inf.state_names}
    if len(feeds) > limit:
        feeds = [feeds[i] for i in sorted(rng.choice(len(feeds), limit, replace=False))]
    return feeds


def convert_bytes(model, quantize="float32", representative_data=None, seed=0,
                  per_channel_dense=False):
    """`(tflite_bytes, metadata)` of a translator; see the module docstring."""
    from zoo.models.translation.models import BOS, EOS, inference_models

    convert._check_mode(quantize, representative_data)
    inf = inference_models(model)
    data = None
    if representative_data is not None:
        data = convert.as_input_list(model, representative_data)
    import tensorflow as tf

    plan, stages = stepped.build_plan(inf.encoder)
    functions = stepped.signature_functions(stages, plan=plan)
    if STEP_SIGNATURE in functions:
        raise ExportError(f"internal: the encoder plan already has a {STEP_SIGNATURE!r} signature")
    functions[STEP_SIGNATURE] = _step_function(tf, inf.step)
    samples = []
    if quantize in ("int8", "int16x8"):
        rng = np.random.default_rng(seed)
        source, target_in = (np.asarray(d) for d in data)
        samples = convert._calibration_samples(plan, convert._keras_caller(functions), [source],
                                               rng)
        pick = rng.permutation(source.shape[0])[:convert.CALIBRATION_EXAMPLES]
        samples += [(STEP_SIGNATURE, f) for f in
                    _teacher_forced_feeds(inf, source[pick], target_in[pick], rng)]
    flatbuffer = convert._convert_signatures(tf, functions, quantize, samples, per_channel_dense)
    flatbuffer = add_metadata(flatbuffer, stepped.PLAN_METADATA_NAME,
                              json.dumps(plan, sort_keys=True).encode())
    meta = {"version": 1, "step_signature": STEP_SIGNATURE, "state_names": inf.state_names,
            "attention": inf.attention, "bos": BOS, "eos": EOS,
            "max_length": int(model.inputs[1].shape[1]),
            "encoder_outputs": ["memory", "memory_mask", "state"]}
    flatbuffer = add_metadata(flatbuffer, METADATA_NAME, json.dumps(meta, sort_keys=True).encode())
    return flatbuffer, meta


def to_tflite(model, path, quantize="float32", representative_data=None, per_channel_dense=False):
    """Convert a translator to `path` (written atomically) and return an `ExportReport`
    (validate it with `export.translator.agreement`)."""
    report = convert.write_converted(
        path, lambda: convert_bytes(model, quantize, representative_data,
                                    per_channel_dense=per_channel_dense),
        quantize=quantize, recurrent="stepped")
    return report


__all__ = ["to_tflite", "convert_bytes", "STEP_SIGNATURE", "METADATA_NAME"]
