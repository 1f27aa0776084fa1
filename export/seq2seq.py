"""Encoder-decoder models to one `.tflite` file: the encoder and a one-step decoder.

    report = export.seq2seq.to_tflite(encoder, step, "mt.int8.tflite", ["state"],
                                      bos=2, eos=3, max_length=30, quantize="int8",
                                      representative_data=[source_ids, target_in_ids])

(`zoo.models.translation.export.to_tflite(model, path, ...)` makes both models
from a trained translator and calls this.) The two Keras models follow one
contract:

* `encoder`: `source (n, S)` -> `[memory, memory_mask, state]`;
* `step`: the inputs `token (n, 1)` int32, the fed-back states
  (`state_names`, e.g. `state`, `attention_vector`), `memory`, `memory_mask`
  -> a dict with `logits (n, V)`, the new states under the same names and,
  with attention, `alignment`. Token id 0 is padding.

The file holds

* the **encoder** as the stepped plan of `export.stepped` (its signatures
  `seg*` and `rnn*_fw` / `rnn*_bw`: a bidirectional GRU without a `WHILE`
  loop, so it quantizes fully); `export.runtime.load(path)(source)` runs it
  and returns `[memory, memory_mask, state]`;
* the **one-step decoder**, signature `decode_step`; loop-free, one call per
  generated token.

The host runs the loop (greedy or beam search): `zoo.models.translation.tflite`
is the Python reference of it on `export.runtime`, with no TensorFlow. The
metadata entry `zoo_seq2seq` (JSON) says which step inputs are fed back
(`state_names`), the BOS/EOS ids and the maximum target length; the fed-back
states start as `initial_states` makes them.

Calibration (`int8`, `int16x8`): the encoder signatures on the recorded
stepped runs of `representative_data[0]`; `decode_step` on the inputs it
sees when the float Keras decoder replays the reference targets
`representative_data[1]` (teacher forcing, the states of real sentences).

Importing this module loads neither TensorFlow nor Keras (the host loop
needs `METADATA_NAME` and `initial_states` on an edge install).
"""

from __future__ import annotations

import json

import numpy as np

from export.errors import ExportError

METADATA_NAME = "zoo_seq2seq"
STEP_SIGNATURE = "decode_step"
STEP_SAMPLES = 1000
ENCODER_OUTPUTS = ["memory", "memory_mask", "state"]


def initial_states(state, state_sizes):
    """The fed-back step inputs before the first step: the encoder's `state` and,
    with attention, a zero `attention_vector` (`state_sizes`: `{name: width}`)."""
    state = np.asarray(state, np.float32)
    return {k: state if k == "state" else np.zeros((len(state), n), np.float32)
            for k, n in state_sizes.items()}


def _input_name(tensor):
    return tensor.name.split(":")[0]


def _state_sizes(step, state_names):
    """`{name: width}` of the fed-back states, read from the step model."""
    inputs = {_input_name(t): t for t in step.inputs}
    outputs = step.output if isinstance(step.output, dict) else {}
    missing = [n for n in list(state_names) + ["token", "memory", "memory_mask"]
               if n not in inputs]
    if missing or "logits" not in outputs or any(n not in outputs for n in state_names):
        raise ExportError(
            f"`step` must be a Keras model with inputs token, {', '.join(state_names)}, memory, "
            f"memory_mask and dict outputs logits, {', '.join(state_names)}; got inputs "
            f"{sorted(inputs)} and outputs {sorted(outputs)}")
    return {n: int(inputs[n].shape[-1]) for n in state_names}


def _step_function(tf, step_model):
    specs = [tf.TensorSpec((1,) + tuple(t.shape[1:]), t.dtype, name=_input_name(t))
             for t in step_model.inputs]
    names = [s.name for s in specs]

    @tf.function(input_signature=specs)
    def fn(*args):
        return dict(step_model(dict(zip(names, args)), training=False))

    return fn


def _teacher_forced_feeds(encoder, step, state_names, state_sizes, source, target_in, rng,
                          limit=STEP_SAMPLES):
    """Step inputs `{name: (1, ...)}` of the float decoder replaying `target_in`."""
    memory, mask, state = (np.asarray(a) for a in encoder(source, training=False))
    states = initial_states(state, state_sizes)
    feeds = []
    for t in range(target_in.shape[1]):
        token = target_in[:, t:t + 1]
        live = np.flatnonzero(token[:, 0] != 0)
        feed = {"token": token.astype(np.int32), "memory": memory, "memory_mask": mask, **states}
        feeds.extend({k: v[i:i + 1] for k, v in feed.items()} for i in live)
        out = step(feed, training=False)
        states = {k: np.asarray(out[k]) for k in state_names}
    if len(feeds) > limit:
        feeds = [feeds[i] for i in sorted(rng.choice(len(feeds), limit, replace=False))]
    return feeds


def _calibration_data(encoder, representative_data):
    """`(source (n, S), target_in (n, T))` from `representative_data`, checked."""
    from export.inputs import as_input_list

    if not isinstance(representative_data, (list, tuple)) or len(representative_data) != 2:
        raise ExportError("`representative_data` must be [source_ids (n, S), target_in_ids "
                          "(n, T)]: sources and their BOS-prefixed reference targets")
    (source,) = as_input_list(encoder, representative_data[0], "representative_data[0]")
    target_in = np.asarray(representative_data[1])
    integral = (target_in.dtype.kind in "iu" or target_in.dtype.kind == "f"
                and bool(np.all(np.isfinite(target_in)) and np.all(target_in == np.round(target_in))))
    if target_in.ndim != 2 or target_in.shape[0] != source.shape[0] or not integral:
        raise ExportError(f"`representative_data[1]` must be integer token ids (n, T) with "
                          f"n = {source.shape[0]} (one row per source); got "
                          f"{target_in.dtype} {target_in.shape}")
    return source, target_in.astype(np.int32)


def convert_bytes(encoder, step, state_names, *, bos, eos, max_length, attention=None,
                  quantize="float32", representative_data=None, seed=0, per_channel_dense=False):
    """`(tflite_bytes, metadata)` of an encoder and its one-step decoder (see the
    module docstring). `attention` is a label stored in the metadata (e.g.
    "bahdanau"; None without attention)."""
    from export import convert, stepped
    from export.flatbuffer import add_metadata

    mode = convert.check_mode(quantize, representative_data)
    state_names = list(state_names)
    state_sizes = _state_sizes(step, state_names)
    data = None if representative_data is None else _calibration_data(encoder,
                                                                       representative_data)
    import tensorflow as tf

    plan, stages = stepped.build_plan(encoder)
    functions = stepped.signature_functions(stages, plan=plan)
    if STEP_SIGNATURE in functions:
        raise ExportError(f"internal: the encoder plan already has a {STEP_SIGNATURE!r} signature")
    functions[STEP_SIGNATURE] = _step_function(tf, step)
    samples = []
    if mode.needs_calibration:
        rng = np.random.default_rng(seed)
        source, target_in = data
        samples = convert._calibration_samples(plan, convert._keras_caller(functions), [source],
                                               rng)
        pick = rng.permutation(source.shape[0])[:convert.CALIBRATION_EXAMPLES]
        samples += [(STEP_SIGNATURE, f) for f in
                    _teacher_forced_feeds(encoder, step, state_names, state_sizes, source[pick],
                                          target_in[pick], rng)]
    flatbuffer = convert._convert_signatures(tf, functions, quantize, samples, per_channel_dense)
    flatbuffer = add_metadata(flatbuffer, stepped.PLAN_METADATA_NAME,
                              json.dumps(plan, sort_keys=True).encode())
    meta = {"version": 1, "step_signature": STEP_SIGNATURE, "state_names": state_names,
            "attention": attention, "bos": int(bos), "eos": int(eos),
            "max_length": int(max_length), "encoder_outputs": list(ENCODER_OUTPUTS)}
    flatbuffer = add_metadata(flatbuffer, METADATA_NAME, json.dumps(meta, sort_keys=True).encode())
    return flatbuffer, meta


def to_tflite(encoder, step, path, state_names, *, bos, eos, max_length, attention=None,
              quantize="float32", representative_data=None, per_channel_dense=False,
              metadata=None):
    """Convert an encoder and its one-step decoder to `path` (written atomically) and
    return an `ExportReport`; `metadata` as `export.to_tflite` takes it."""
    from export import convert

    return convert.write_converted(
        path, lambda: convert_bytes(encoder, step, state_names, bos=bos, eos=eos,
                                    max_length=max_length, attention=attention,
                                    quantize=quantize, representative_data=representative_data,
                                    per_channel_dense=per_channel_dense),
        quantize=quantize, recurrent="stepped", metadata=metadata)


__all__ = ["to_tflite", "convert_bytes", "initial_states", "STEP_SIGNATURE", "METADATA_NAME"]
