"""The recurrent rewrite behind our TFLite export: a "stepped" program.

Keras 3 `LSTM`/`GRU` convert to a TFLite `WHILE` loop, which full-integer
quantization cannot handle (the converter crashes), and `unroll=True` grows
the file with every time step. So we cut a functional model at its recurrent
layers instead:

* every stretch of non-recurrent layers becomes one TFLite **signature**
  (`seg0`, `seg1`, ...) computing whole tensors at once;
* every recurrent layer becomes a **step signature** (`rnn1_fw`, `rnn1_bw`
  for a `Bidirectional`): its own Keras cell applied to one time step,
  `(x_t, states) -> (y_t, states')`;
* a tiny **plan** (JSON stored in the file's metadata under `zoo_plan`)
  tells a host loop in which order to call them.

The file then holds each weight once, contains only plain builtin ops
(no `WHILE`, so it quantizes to int8/int16x8 and suits GPU delegates), and
its size does not depend on the sequence length. `export.runtime` runs the
plan; the same loop is a few lines in Kotlin or JavaScript and is the
streaming form a phone needs anyway.

Host-side work between signatures is limited to: slicing time step `t`,
stacking step outputs, reversing a sequence, merging the two directions of a
`Bidirectional` (concat/sum/mul/ave), and skipping the steps a Keras mask
marks as padding (the mask travels between signatures as `<tensor>__mask`).
"""

from __future__ import annotations

import dataclasses
import warnings

import keras
from export.errors import ExportError
from export.plan import MASK_SUFFIX, PLAN_METADATA_NAME, PLAN_VERSION, run_plan  # noqa: F401


def is_recurrent(op):
    return isinstance(op, (keras.layers.RNN, keras.layers.Bidirectional))


#: What the stepped rewrite handles, for error messages.
SUPPORTED = ("LSTM, GRU, SimpleRNN, keras.layers.RNN of one LSTMCell/GRUCell/SimpleRNNCell "
             "(or any cell with an integer or flat list-of-integers state_size and (batch, "
             "features) steps), Bidirectional of those, and layers with the memory_arguments "
             "protocol (zoo.layers.AttentionRNN)")


def all_layers(model):
    """Every layer inside `model`, nested models and wrappers included."""
    return list(model._flatten_layers(include_self=False, recursive=True))


def _describe(layer):
    return f"'{layer.name}' ({type(layer).__name__})"


def check_recurrent_supported(op, sequence_shape):
    """`ExportError` naming the layer when the stepped rewrite cannot cut recurrent
    layer `op` into one-step signatures (stacked cells, convolutional LSTMs, ...)."""
    for _, sub in _rnn_directions(op)[0]:
        if not isinstance(sub, keras.layers.RNN) and not attends_to_memory(sub):
            raise ExportError(f"recurrent layer {_describe(op)} wraps {_describe(sub)}, which "
                              f"the TFLite export cannot step; supported: {SUPPORTED}")
        cell = getattr(sub, "cell", None)
        size = getattr(cell, "state_size", None)
        flat = isinstance(size, int) or (isinstance(size, (list, tuple)) and size
                                         and all(isinstance(n, int) for n in size))
        problem = None
        if isinstance(cell, keras.layers.StackedRNNCells):
            problem = "its cell is a StackedRNNCells (stack separate RNN layers instead)"
        elif len(sequence_shape) != 3:
            problem = (f"its input has rank {len(sequence_shape)} (shape "
                       f"{tuple(sequence_shape)}), not (batch, time, features)")
        elif not flat and not attends_to_memory(sub):
            problem = f"its cell {type(cell).__name__} has state_size {size!r}"
        if problem:
            raise ExportError(f"recurrent layer {_describe(op)} cannot be exported: {problem}; "
                              f"supported: {SUPPORTED}")


def check_no_hidden_recurrence(op):
    """`ExportError` naming the layers when a non-recurrent layer of the graph (a nested
    model, `TimeDistributed`, a custom layer) holds a recurrent layer: the rewrite only
    sees the recurrent layers called in the model's own graph, and a hidden one would
    reach the converter as a TFLite WHILE loop (which crashes int8 quantization)."""
    if not hasattr(op, "_flatten_layers"):
        return
    hidden = [layer for layer in op._flatten_layers(include_self=False, recursive=True)
              if is_recurrent(layer)]
    if hidden:
        raise ExportError(
            f"layer {_describe(op)} contains the recurrent layer {_describe(hidden[0])}; the "
            "TFLite export rewrites only recurrent layers called directly in the model's graph: "
            "build the model without nesting (call the inner model's layers on the outer "
            "tensors) or move the recurrent layer out of the wrapper")


def mark_float_feeders(stages, inputs, outputs):
    """Mark float-only the segments between the model inputs and a float-only stage:
    their inputs are model inputs (or float-only outputs) and every output feeds
    float-only stages only (e.g. padding or joining raw audio in front of the
    log-mel). Integer files would otherwise round the float stage's input to 8 bits:
    measured on kws-stream-att-gru's int8 window file (validation clips), raw audio
    through an int8 padding segment agreed with Keras on 92.3 % of clips, kept float
    on 97.3 %. A segment without weights fed the same way whose outputs are also model
    outputs (a float state passed through, e.g. a stream step's audio tail) stays float
    too: it has nothing to speed up, and rounded to 8 bits the tail fed back to the
    log-mel cost the int8 stream step file 2.4 points of test accuracy (77.4 -> 75.0 %)."""
    made = {name: s for s in stages for name in s.outputs}
    consumers = {}
    for s in stages:
        for name in s.inputs:
            consumers.setdefault(name, []).append(s)
    for s in stages:
        if s.kind != "segment" or s.float_only:
            continue
        fed = all(name in inputs or made[name].float_only for name in s.inputs)
        to_float = all(all(c.float_only for c in consumers.get(name, ())) for name in s.outputs)
        feeds = to_float and all(name not in outputs and consumers.get(name) for name in s.outputs)
        passes = to_float and not s.model.weights
        s.float_only = fed and (feeds or passes)


def is_float_only(op):
    """Layers that ask to stay float32 in integer files (`export_float = True`),
    e.g. `zoo.layers.LogMelSpectrogram`: they get a signature of their own."""
    return bool(getattr(op, "export_float", False))


# --------------------------------------------------------------------- graph


def _producer(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, None
    return history.operation, history.node_index


def _walk(targets, available, through_float=True):
    """Walk the producers from `targets` back to `available` tensors (dict id -> tensor):
    `(reached, ops, blocker)`: the available tensors reached (`{id: tensor}`), the
    operations passed (`{id: operation}`) and the first `(tensor, operation)` that stops
    the walk (no producer, a recurrent layer, or with `through_float=False` a float-only
    layer), else None."""
    reached, ops, seen, stack = {}, {}, set(), list(targets)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in available:
            reached[id(t)] = t
            continue
        op, node_index = _producer(t)
        if op is None or is_recurrent(op) or (not through_float and is_float_only(op)):
            return reached, ops, (t, op)
        ops[id(op)] = op
        stack.extend(op._inbound_nodes[node_index].input_tensors)
    return reached, ops, None


def _needed_inputs(targets, available):
    """Tensors from `available` (dict id -> tensor) that `targets` depend on."""
    reached, _, blocker = _walk(targets, available)
    if blocker is not None:
        t, op = blocker
        if op is None:
            raise ExportError(f"tensor {t.name} is not reachable from the model inputs")
        raise ExportError(f"internal: recurrent layer '{op.name}' output not yet available")
    return list(reached.values())


def _ops_before(targets, available):
    """`({id: operation}, ok)`: the operations between `available` tensors and `targets`,
    and whether `targets` are computable from them alone (no recurrent or float-only
    operation in between)."""
    _, ops, blocker = _walk(targets, available, through_float=False)
    return ops, blocker is None


def _outputs_made_with(targets, outputs, available):
    """The model `outputs` not yet computed that the segment making `targets` (a
    float-only stage's input) makes too: those computable now that share an operation
    with `targets`, or that need no weights (a state passed through). Otherwise a
    float-only stage at the end (a softmax after a step's head) would leave the step's
    state outputs to a second segment that computes the same body again, and a passed
    through state to a signature of its own."""
    made, _ = _ops_before(targets, available)
    out = []
    for t in outputs:
        ops, ok = _ops_before([t], available)
        shares = made.keys() & ops.keys()
        weightless = not any(getattr(op, "weights", None) for op in ops.values())
        if ok and (shares or weightless) and id(t) not in available \
                and all(t is not x for x in targets + out):
            out.append(t)
    return out


@dataclasses.dataclass
class Stage:
    """One step of the plan: a segment signature or a recurrent layer."""

    kind: str  # "segment" | "recurrent"
    name: str
    inputs: list  # tensor names (plan-level)
    outputs: list
    # segment: the Keras sub-model; recurrent: the layer and its call details
    model: object = None
    float_only: bool = False
    layer: object = None
    directions: list = dataclasses.field(default_factory=list)
    merge_mode: str | None = None
    return_sequences: bool = True
    return_state: bool = False
    memory: list = dataclasses.field(default_factory=list)  # AttentionRNN values (+ mask)
    initial: list = dataclasses.field(default_factory=list)  # initial_state tensors
    masked: bool = False  # the sequence carries a Keras mask (host skips masked steps)
    memory_mask: bool = False  # AttentionRNN memory mask = the Keras mask of `values`


class _Names:
    def __init__(self):
        self._names = {}

    def __call__(self, tensor):
        return self._names.setdefault(id(tensor), f"t{len(self._names)}")


def _rnn_directions(layer):
    if isinstance(layer, keras.layers.Bidirectional):
        return [("fw", layer.forward_layer), ("bw", layer.backward_layer)], layer.merge_mode
    return [("fw", layer)], None


def build_plan(model):
    """Cut `model` (functional, static shapes) into segments and recurrent steps."""
    if not isinstance(model, keras.Model) or not hasattr(model, "operations"):
        raise ExportError("`model` must be a Keras functional or Sequential model")
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError) as exc:
        raise ExportError(
            "`model` must be a built functional/Sequential Keras model with defined "
            f"inputs and outputs (got {type(model).__name__}: {exc})"
        ) from None
    names = _Names()
    available = {id(t): t for t in inputs}
    for t in inputs:
        names(t)
    stages = []

    def add_segment(targets, float_only=False):
        missing = [t for t in targets if id(t) not in available]
        if not missing:
            return
        seg_inputs = _needed_inputs(missing, available)
        sub = keras.Model(seg_inputs, missing, name=f"seg{len(stages)}")
        stages.append(Stage("segment", f"seg{len(stages)}", [names(t) for t in seg_inputs],
                            [names(t) for t in missing], model=sub, float_only=float_only))
        for t in missing:
            available[id(t)] = t

    # Only the calls of each layer that belong to this model's graph: building the
    # segment sub-models adds cloned nodes to the layers (Keras clones a graph whose
    # inputs are not Input tensors), and a layer may also be used in other models.
    own = {id(n) for nodes in model._nodes_by_depth.values() for n in nodes}

    def calls(op):
        return [n for n in op._inbound_nodes if id(n) in own]

    for op in model.operations:
        if is_float_only(op):
            for node in calls(op):
                ins = list(node.input_tensors)
                add_segment(ins + _outputs_made_with(ins, outputs, available))
                add_segment(node.output_tensors, float_only=True)
            continue
        if not is_recurrent(op):
            check_no_hidden_recurrence(op)
            continue
        nodes = calls(op)
        if len(nodes) != 1:
            raise ExportError(f"recurrent layer '{op.name}' is called {len(nodes)} "
                              "times; export supports one call per recurrent layer")
        node = nodes[0]
        args, kwargs = node.arguments.args, node.arguments.kwargs
        # A Keras mask on the sequence (e.g. from Embedding(mask_zero=True)) is not a
        # node of the graph: the segment that makes the sequence emits it as an
        # extra output and the host loop skips masked steps (Keras semantics).
        masked = kwargs.get("mask") is not None or kwargs.get("inputs_mask") is not None
        sequence = args[0]
        check_recurrent_supported(op, tuple(sequence.shape))
        if None in tuple(sequence.shape)[1:]:
            raise ExportError(
                f"recurrent layer '{op.name}' input has shape {tuple(sequence.shape)}; "
                "the time and feature sizes must be fixed (set `shape=` on keras.Input)"
            )
        initial = kwargs.get("initial_state")
        initial = [] if initial is None else list(initial) if isinstance(initial, (list, tuple)) else [initial]
        memory = []
        if attends_to_memory(op):
            values, values_mask = op.memory_arguments(args, kwargs)
            explicit = values_mask is not None and _producer(values_mask)[0] is not None
            memory = [values] + ([values_mask] if explicit else [])
            memory_mask = values_mask is not None and not explicit
            if None in tuple(values.shape)[1:]:
                raise ExportError(f"attention memory of '{op.name}' has shape "
                                  f"{tuple(values.shape)}; its length must be fixed")
        add_segment([sequence] + memory + initial)
        directions, merge_mode = _rnn_directions(op)
        base = directions[0][1]
        stage = Stage("recurrent", f"rnn{len(stages)}",
                      [names(t) for t in [sequence] + memory + initial],
                      [names(t) for t in node.output_tensors], layer=op,
                      directions=directions, merge_mode=merge_mode,
                      return_sequences=base.return_sequences, return_state=base.return_state)
        stage.memory, stage.initial = memory, initial
        stage.masked = masked
        stage.memory_mask = attends_to_memory(op) and memory_mask
        for d, sub in directions:
            if sub.stateful:
                raise ExportError(f"stateful recurrent layer '{sub.name}' is not supported")
        stages.append(stage)
        for t in node.output_tensors:
            available[id(t)] = t
    add_segment(outputs)
    mark_float_feeders(stages, [names(t) for t in inputs], [names(t) for t in outputs])
    # Segments whose outputs are model outputs produced earlier still resolve by name.
    plan = {
        "version": PLAN_VERSION,
        "inputs": [names(t) for t in inputs],
        "outputs": [names(t) for t in outputs],
        "input_shapes": [list(t.shape) for t in inputs],
        "stages": [],
    }
    for s in stages:
        entry = {"kind": s.kind, "name": s.name, "inputs": s.inputs, "outputs": s.outputs}
        if s.float_only:
            entry["float_only"] = True
        if s.kind == "recurrent":
            entry.update(_recurrent_entry(s, names))
        plan["stages"].append(entry)
    return plan, stages


def attends_to_memory(layer):
    """Whether a recurrent layer attends to a memory, by its step protocol (e.g.
    `zoo.layers.AttentionRNN`): the layer has `memory_arguments(args, kwargs) ->
    (values, values_mask)`, and its `cell` has `get_initial_state_from_memory(values,
    mask=, cell_states=)`, `output_split` (width of the attention output at the
    front of a step output, or None) and `final_state_layout` (the `return_state`
    states as `[(state index, width or None)]`)."""
    return callable(getattr(layer, "memory_arguments", None))


def _recurrent_entry(s, names):
    """The plan entry of a recurrent stage (see `export.plan.run_plan`)."""
    entry = dict(merge_mode=s.merge_mode, return_sequences=bool(s.return_sequences),
                 return_state=bool(s.return_state), output_split=None, final_states=None,
                 masked=bool(s.masked))
    n_dir = len(s.directions)
    initial = [names(t) for t in s.initial]
    per_dir = len(initial) // n_dir if initial else 0
    directions = []
    for i, (d, sub) in enumerate(s.directions):
        direction = {"signature": f"{s.name}_{d}", "go_backwards": bool(sub.go_backwards),
                     "zero_output_for_mask": bool(getattr(sub, "zero_output_for_mask", False)),
                     "state_sizes": None, "init": None, "initial_states": None}
        if s.memory:
            inputs = [names(t) for t in s.memory] + initial
            if s.memory_mask:
                inputs.insert(1, names(s.memory[0]) + MASK_SUFFIX)
            direction["init"] = {"signature": f"{s.name}_init", "inputs": inputs}
        elif initial:
            direction["initial_states"] = initial[i * per_dir:(i + 1) * per_dir]
        else:
            direction["state_sizes"] = _state_sizes(sub.cell)
        directions.append(direction)
    entry["directions"] = directions
    if s.memory:
        cell = s.layer.cell
        entry["output_split"] = cell.output_split
        entry["final_states"] = [[index, width] for index, width in cell.final_state_layout]
    return entry


def _state_sizes(cell):
    size = cell.state_size
    return [size] if isinstance(size, int) else list(size)


# ----------------------------------------------------------------- signatures


def signature_functions(stages, batch_size=1, plan=None):
    """`{signature_key: tf.function}` for every stage (TensorFlow backend).

    Keras masks travel between stages as extra float tensors named
    `<tensor>__mask`; with `plan` given, its stages get the `mask_inputs` /
    `mask_outputs` that tracing found."""
    import tensorflow as tf

    functions, masked = {}, set()
    entries = {e["name"]: e for e in plan["stages"]} if plan else {}
    for s in stages:
        if s.kind == "segment":
            mask_inputs = [n for n in s.inputs if n in masked]
            specs = [tf.TensorSpec((batch_size,) + tuple(t.shape[1:]), t.dtype, name=n)
                     for t, n in zip(s.model.inputs, s.inputs)]
            specs += [tf.TensorSpec((batch_size,) + tuple(t.shape[1:2]), "float32",
                                    name=n + MASK_SUFFIX)
                      for t, n in zip(s.model.inputs, s.inputs) if n in mask_inputs]
            fn = _segment_function(tf, s.model, specs, s.inputs, mask_inputs, s.outputs)
            functions[s.name] = fn
            produced = [k[:-len(MASK_SUFFIX)] for k in fn.get_concrete_function().structured_outputs
                        if k.endswith(MASK_SUFFIX)]
            masked.update(produced)
            if s.name in entries:
                entries[s.name]["mask_inputs"] = mask_inputs
                entries[s.name]["mask_outputs"] = sorted(produced)
            continue
        if s.masked and s.inputs[0] not in masked:
            raise ExportError(f"internal: the mask of recurrent stage {s.name}'s input was not "
                              "produced by any segment")
        if s.masked and s.return_sequences:
            masked.update(s.outputs[:2 if (s.memory and s.layer.cell.output_split) else 1])
        seq_shape = s.layer._inbound_nodes[0].arguments.args[0].shape
        x_spec = tf.TensorSpec((batch_size, seq_shape[-1]), "float32", name="x")
        if s.memory:
            init = _init_function(tf, s.layer.cell, s, batch_size)
            functions[f"{s.name}_init"] = init
            shapes = [o.shape for o in sorted_outputs(init)]
            state_specs = [tf.TensorSpec(shape, "float32", name=f"state{i}")
                           for i, shape in enumerate(shapes)]
            functions[f"{s.name}_fw"] = _step_function(tf, s.layer.cell, [x_spec] + state_specs)
            continue
        for i, (d, sub) in enumerate(s.directions):
            if s.initial:
                per_dir = len(s.initial) // len(s.directions)
                shapes = [(batch_size,) + tuple(t.shape[1:])
                          for t in s.initial[i * per_dir:(i + 1) * per_dir]]
            else:
                shapes = [(batch_size, n) for n in _state_sizes(sub.cell)]
            specs = [x_spec] + [tf.TensorSpec(shape, "float32", name=f"state{k}")
                                for k, shape in enumerate(shapes)]
            functions[f"{s.name}_{d}"] = _step_function(tf, sub.cell, specs)
    return functions


def sorted_outputs(fn):
    """Output specs of a `state{i}` function in state order."""
    outs = fn.get_concrete_function().structured_outputs
    return [outs[f"state{i}"] for i in range(len(outs))]


def _init_function(tf, cell, stage, batch_size):
    shapes = [tuple(t.shape[1:]) for t in stage.memory]
    if stage.memory_mask:  # the Keras mask of `values`, fed by the host
        shapes.insert(1, tuple(stage.memory[0].shape[1:2]))
    n_memory = len(shapes)
    shapes += [tuple(t.shape[1:]) for t in stage.initial]
    specs = [tf.TensorSpec((batch_size,) + shape, "float32", name=f"init{i}")
             for i, shape in enumerate(shapes)]
    has_mask = n_memory > 1

    @tf.function(input_signature=specs)
    def fn(*args):
        values = args[0]
        mask = tf.cast(args[1], "bool") if has_mask else None
        cell_states = list(args[n_memory:]) or None
        states = cell.get_initial_state_from_memory(values, mask=mask, cell_states=cell_states)
        return {f"state{i}": st for i, st in enumerate(states)}

    return fn


def _segment_function(tf, sub_model, specs, in_names, mask_inputs, out_names):
    n = len(in_names)

    @tf.function(input_signature=specs)
    def fn(*args):
        values, fed = list(args[:n]), dict(zip(mask_inputs, args[n:]))
        kwargs = {}
        if fed:
            kwargs["mask"] = [tf.cast(fed[name], "bool") if name in fed else None
                              for name in in_names]
        with warnings.catch_warnings():  # the sub-model's own output mask is read below
            warnings.filterwarnings("ignore", message=".*does not support masking.*")
            outs = sub_model(values if n > 1 else values[0], training=False, **kwargs)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        result = {name: o for name, o in zip(out_names, outs)}
        for name, o in zip(out_names, outs):
            mask = getattr(o, "_keras_mask", None)
            if mask is not None:
                result[name + MASK_SUFFIX] = tf.cast(mask, "float32")
        return result

    return fn


def _step_function(tf, cell, specs):
    @tf.function(input_signature=specs)
    def fn(x, *states):
        y, new_states = cell(x, list(states), training=False)
        new_states = new_states if isinstance(new_states, (list, tuple)) else [new_states]
        out = {"y": y}
        out.update({f"state{i}_out": s for i, s in enumerate(new_states)})
        return out

    return fn


