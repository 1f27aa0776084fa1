"""The schema a stepped-export plan must meet before it runs (`check_plan`).

A `.tflite` file's plan is data from the file: `export.runtime` checks it here,
field by field, against the file's real signatures before `export.plan`
runs it, so a tampered plan is refused naming the field instead of failing
deep in the loop (or running as an identity model). Kept apart from
`export.plan`, the loop that the Kotlin and JavaScript runners port.
"""

from __future__ import annotations

from export.plan import MASK_SUFFIX

_STAGE_KINDS = ("segment", "recurrent")
_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class PlanError(ValueError):
    """A plan that does not match the schema `check_plan` enforces."""


def _expect(ok, where, what):
    if not ok:
        raise PlanError(f"`{where}` must be {what}")


def _names(value, where, allow_empty=True):
    _expect(isinstance(value, list) and all(isinstance(n, str) and n for n in value)
            and (allow_empty or value), where,
            "a list of tensor names" + ("" if allow_empty else " (not empty)"))
    return value


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_plan(plan, signatures=None):
    """Check a plan against the schema `run_plan` relies on, before it runs: types,
    stage kinds, signature names (against `{signature: (input names, output names)}`
    when given) and data flow (every stage input is a model input or an earlier
    output; every model output is made by a stage). Raises `PlanError` naming the
    field; returns the plan."""
    _expect(isinstance(plan, dict), "plan", "a JSON object")
    inputs = _names(plan.get("inputs"), "inputs", allow_empty=False)
    outputs = _names(plan.get("outputs"), "outputs", allow_empty=False)
    shapes = plan.get("input_shapes")
    _expect(isinstance(shapes, list) and len(shapes) == len(inputs)
            and all(isinstance(s, list) and len(s) >= 1
                    and all(d is None or (_int(d) and 0 < d <= 1 << 24) for d in s)
                    for s in shapes), "input_shapes",
            f"a list of {len(inputs)} shape(s) of positive integers")
    stages = plan.get("stages")
    _expect(isinstance(stages, list) and stages, "stages", "a non-empty list of stages")
    known = set(inputs)
    produced = set()

    def need(names, where):
        for n in names:
            _expect(n in known, where, f"names of tensors made earlier ({n!r} is not)")

    input_shapes = dict(zip(inputs, shapes))

    def signature(key, where, feed=None, outs=None, shapes=None):
        _expect(isinstance(key, str) and key, where, "a signature name")
        if signatures is None:
            return
        _expect(key in signatures, where,
                f"one of the file's signatures {sorted(signatures)} ({key!r} is not)")
        ins, have = signatures[key]
        if feed is not None:
            _expect(sorted(feed) == sorted(ins), where,
                    f"a signature whose inputs are {sorted(feed)} ({key!r} takes {sorted(ins)})")
        for n in outs or ():
            _expect(n in have, where, f"a signature with output {n!r} ({key!r} has "
                                      f"{sorted(have)})")
        for n, tail in (shapes or {}).items():
            got = [int(d) for d in list(ins[n])[1:]] if isinstance(ins, dict) else None
            _expect(got is None or got == [None if d is None else int(d) for d in tail]
                    or None in tail, where,
                    f"a signature whose input {n!r} has shape (1, {', '.join(map(str, tail))}) "
                    f"({key!r} takes {got})")

    for i, stage in enumerate(stages):
        at = f"stages[{i}]"
        _expect(isinstance(stage, dict), at, "a JSON object")
        kind = stage.get("kind")
        _expect(kind in _STAGE_KINDS, f"{at}.kind", f"one of {_STAGE_KINDS} (got {kind!r})")
        stage_in = _names(stage.get("inputs"), f"{at}.inputs", allow_empty=kind == "segment")
        stage_out = _names(stage.get("outputs"), f"{at}.outputs", allow_empty=False)
        need(stage_in, f"{at}.inputs")
        if kind == "segment":
            mask_in = _names(stage.get("mask_inputs", []), f"{at}.mask_inputs")
            mask_out = _names(stage.get("mask_outputs", []), f"{at}.mask_outputs")
            need([n + MASK_SUFFIX for n in mask_in], f"{at}.mask_inputs")
            signature(stage.get("name"), f"{at}.name",
                      feed=stage_in + [n + MASK_SUFFIX for n in mask_in],
                      outs=stage_out + [n + MASK_SUFFIX for n in mask_out],
                      shapes={n: input_shapes[n][1:] for n in stage_in if n in input_shapes})
            known.update(n + MASK_SUFFIX for n in mask_out)
        else:
            _check_recurrent(stage, at, need, signature, input_shapes)
            if stage.get("masked") and stage["return_sequences"]:  # as run_plan passes it on
                count = 2 if stage.get("output_split") is not None else 1
                known.update(n + MASK_SUFFIX for n in stage_out[:count])
        known.update(stage_out)
        produced.update(stage_out)
    for n in outputs:
        _expect(n in produced, "outputs", f"names of tensors made by a stage ({n!r} is not)")
    return plan


def _check_recurrent(stage, at, need, signature, input_shapes):
    _expect(isinstance(stage.get("name"), str), f"{at}.name", "a string")
    for key in ("return_sequences", "return_state"):
        _expect(isinstance(stage.get(key), bool), f"{at}.{key}", "true or false")
    for key in ("masked",):
        _expect(isinstance(stage.get(key, False), bool), f"{at}.{key}", "true or false")
    _expect(stage.get("merge_mode") in _MERGE_MODES, f"{at}.merge_mode", f"one of {_MERGE_MODES}")
    split = stage.get("output_split")
    _expect(split is None or (_int(split) and split > 0), f"{at}.output_split",
            "null or a positive integer")
    final = stage.get("final_states")
    _expect(final is None or (isinstance(final, list) and all(
        isinstance(f, list) and len(f) == 2 and _int(f[0]) and f[0] >= 0
        and (f[1] is None or (_int(f[1]) and f[1] > 0)) for f in final)),
        f"{at}.final_states", "null or a list of [state index, width or null]")
    if stage.get("masked"):
        need([stage["inputs"][0] + MASK_SUFFIX], f"{at}.masked")
    directions = stage.get("directions")
    _expect(isinstance(directions, list) and len(directions) in (1, 2), f"{at}.directions",
            "a list of one or two directions")
    for j, d in enumerate(directions):
        where = f"{at}.directions[{j}]"
        _expect(isinstance(d, dict), where, "a JSON object")
        _expect(isinstance(d.get("go_backwards"), bool), f"{where}.go_backwards", "true or false")
        sizes, init, initial = d.get("state_sizes"), d.get("init"), d.get("initial_states")
        _expect(sum(x is not None for x in (sizes, init, initial)) == 1, where,
                "an object with exactly one of state_sizes, init, initial_states")
        n_states = None
        if sizes is not None:
            _expect(isinstance(sizes, list) and sizes and all(
                _int(n) and 0 < n <= 1 << 20 for n in sizes), f"{where}.state_sizes",
                "a non-empty list of positive integers")
            n_states = len(sizes)
        elif initial is not None:
            n_states = len(_names(initial, f"{where}.initial_states", allow_empty=False))
            need(initial, f"{where}.initial_states")
        else:
            _expect(isinstance(init, dict), f"{where}.init", "a JSON object")
            init_in = _names(init.get("inputs"), f"{where}.init.inputs", allow_empty=False)
            need(init_in, f"{where}.init.inputs")
            signature(init.get("signature"), f"{where}.init.signature",
                      feed=[f"init{i}" for i in range(len(init_in))])
        feed = None if n_states is None else ["x"] + [f"state{i}" for i in range(n_states)]
        outs = ["y"] + ([] if n_states is None else [f"state{i}_out" for i in range(n_states)])
        shapes = {f"state{i}": [n] for i, n in enumerate(sizes or [])}
        sequence = stage["inputs"][0] if stage["inputs"] else None
        if sequence in input_shapes and len(input_shapes[sequence]) == 3:
            shapes["x"] = input_shapes[sequence][2:]
        signature(d.get("signature"), f"{where}.signature", feed=feed, outs=outs, shapes=shapes)
