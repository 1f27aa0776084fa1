"""Executing a stepped-export plan (see `export.stepped`), with NumPy only.

Kept free of TensorFlow and Keras so that an edge install (ai-edge-litert or
tflite-runtime alone) can run our files. The loop is small enough to port:
Kotlin and JavaScript versions follow the same steps.
"""

from __future__ import annotations

import numpy as np

from export.errors import ExportError

PLAN_METADATA_NAME = "zoo_plan"
PLAN_VERSION = 1
#: A Keras mask travels beside its tensor `t` as the float tensor `t__mask`.
MASK_SUFFIX = "__mask"


def run_plan(plan, call, inputs, record=None, bind=None):
    """Run a plan for one example (batch 1).

    `call(signature, {name: array}) -> {name: array}` runs one signature (on
    Keras or on a TFLite interpreter). `inputs` are the model inputs in order.
    `record(signature, feed)`, if given, sees every feed (calibration).
    `bind(signature, n_states)`, if given, returns a step function
    `(x, states) -> (y, states)` for a recurrent step signature (or None), bound
    once per loop so that a step passes no dicts (`export.runtime` binds the
    tensors); the results are those of `call`. Ignored with `record`.
    Returns the model outputs in order.
    """
    env = dict(zip(plan["inputs"], inputs))

    def invoke(signature, feed):
        if record:
            record(signature, feed)
        return call(signature, feed)

    for stage in plan["stages"]:
        if stage["kind"] == "segment":
            feed = {n: env[n] for n in stage["inputs"]}
            feed.update({n + MASK_SUFFIX: env[n + MASK_SUFFIX]
                         for n in stage.get("mask_inputs", [])})
            result = invoke(stage["name"], feed)
            env.update({n: result[n] for n in stage["outputs"]})
            env.update({n + MASK_SUFFIX: result[n + MASK_SUFFIX]
                        for n in stage.get("mask_outputs", [])})
            continue
        sequence = env[stage["inputs"][0]]
        mask = env[stage["inputs"][0] + MASK_SUFFIX] if stage.get("masked") else None
        runs = [_run_direction(d, sequence, env, invoke, mask, None if record else bind)
                for d in stage["directions"]]
        env.update(_collect_recurrent_outputs(stage, runs))
        if mask is not None and stage["return_sequences"]:
            count = 2 if stage.get("output_split") is not None else 1
            env.update({n + MASK_SUFFIX: mask for n in stage["outputs"][:count]})
    return [env[n] for n in plan["outputs"]]


def _initial_states(direction, env, batch, invoke):
    init = direction.get("init")
    if init:
        out = invoke(init["signature"], {f"init{i}": env[n] for i, n in enumerate(init["inputs"])})
        return [out[f"state{i}"] for i in range(len(out))]
    if direction.get("initial_states"):
        return [env[n] for n in direction["initial_states"]]
    return [np.zeros((batch, n), np.float32) for n in direction["state_sizes"]]


def _feed_step(invoke, signature, n_states):
    """The step function of `_run_direction` over `invoke` (a feed dict per step)."""
    names = [f"state{i}" for i in range(n_states)]
    outs = [f"state{i}_out" for i in range(n_states)]

    def step(x, states):
        feed = {"x": x}
        feed.update(zip(names, states))
        out = invoke(signature, feed)
        return out["y"], [out[n] for n in outs]

    return step


def _run_direction(direction, sequence, env, invoke, mask=None, bind=None):
    """Loop one step signature over the sequence; returns (outputs in
    processing order (batch, steps, d), final states).

    With a `mask` (batch 1, `(1, steps)`), masked steps are not run: the
    states stay, and the output repeats the previous one (zeros before the
    first step, or always zeros with `zero_output_for_mask`), as Keras does."""
    steps = sequence.shape[1]
    order = range(steps - 1, -1, -1) if direction["go_backwards"] else range(steps)
    states = _initial_states(direction, env, sequence.shape[0], invoke)
    signature = direction["signature"]
    step = bind(signature, len(states)) if bind else None
    step = step or _feed_step(invoke, signature, len(states))
    frames = np.ascontiguousarray(np.swapaxes(sequence, 0, 1))  # frames[t]: (batch, d)
    skip = (np.asarray(mask)[0] < 0.5).tolist() if mask is not None else [False] * steps
    ys, previous = [], None
    for t in order:
        if skip[t]:
            ys.append(None)
            continue
        previous, states = step(frames[t], states)
        ys.append(previous)
    if mask is not None:
        if previous is None:  # every step masked: Keras outputs zeros, states stay
            feed = {"x": np.ascontiguousarray(sequence[:, 0])}
            feed.update({f"state{i}": s for i, s in enumerate(states)})
            previous = invoke(direction["signature"], feed)["y"]
        zero = np.zeros_like(previous)
        last = zero
        for i, y in enumerate(ys):
            if y is None:
                ys[i] = zero if direction.get("zero_output_for_mask") else last
            else:
                last = y
    return np.stack(ys, axis=1), states


def _collect_recurrent_outputs(stage, runs):
    outs = stage["outputs"]
    seqs, lasts, states = [], [], []
    for d, (ys, st) in zip(stage["directions"], runs):
        last = ys[:, -1]
        if len(stage["directions"]) == 2 and d["go_backwards"]:
            ys = ys[:, ::-1]  # Bidirectional re-aligns the backward sequence in time
        seqs.append(ys)
        lasts.append(last)
        states.append(st)
    main = seqs if stage["return_sequences"] else lasts
    main = _merge(main, stage["merge_mode"]) if len(main) == 2 else [main[0]]
    split = stage.get("output_split")
    if split is not None:  # AttentionRNN with alignments: (outputs, alignment history)
        main = [main[0][..., :split], main[0][..., split:]]
    values = list(main)
    if stage["return_state"]:
        for st in states:
            mapping = stage.get("final_states")
            if mapping is None:
                values.extend(st)
            else:
                values.extend(st[i] if stop is None else st[i][..., :stop] for i, stop in mapping)
    if len(values) != len(outs):
        raise ExportError(f"internal: stage {stage['name']} yields {len(values)} tensors "
                          f"for {len(outs)} outputs")
    return {n: np.ascontiguousarray(v, dtype=np.float32) for n, v in zip(outs, values)}


def _merge(pair, mode):
    a, b = pair
    if mode == "concat":
        return [np.concatenate([a, b], axis=-1)]
    if mode == "sum":
        return [a + b]
    if mode == "mul":
        return [a * b]
    if mode == "ave":
        return [(a + b) / 2]
    if mode is None:
        return [a, b]
    raise ExportError(f"unsupported Bidirectional merge_mode {mode!r}")
