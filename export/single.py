"""The "single" layout: one signature, one invoke, the recurrence unrolled in-graph.

For models with fixed-length inputs (keyword spotting, fixed windows of a
series) the stepped layout (`export.stepped`) pays a host loop of ~100
signature calls per inference. This layout runs the same stages in one graph:

* segments are the same Keras sub-models as in the stepped plan;
* each recurrent stage is unrolled over its (fixed) time steps, and `LSTM` /
  `GRU` cells (sigmoid gates, tanh) in the **fused form**: the input
  projection `x @ W + b` of every step is hoisted out of the loop (one matmul
  over the whole sequence), the directions of a `Bidirectional` run as one
  block-diagonal matmul per step (`[h_fw, h_bw] @ [[U_fw, 0], [0, U_bw]]`,
  gate columns interleaved so that every gate is one contiguous slice), and
  each weight is one constant tensor shared by every step;
* float-only stages (`export_float = True`, e.g. the log-mel front end) are
  traced under the name scope `FLOAT_SCOPE`, so integer files keep them in
  float (`export.convert` denylists that scope from quantization);
* with `hybrid=True` (what `export.convert` asks for in `int8` unless
  `to_tflite(hybrid=False)`) each fused recurrent step (the recurrent matmul,
  gates and state update) and every stage after the last recurrent one (the
  head) are traced under `HYBRID_SCOPE`: they compute in float, and
  `export.flatbuffer.hybrid_fully_connected` then stores their
  FULLY_CONNECTED weights in int8 with `asymmetric_quantize_inputs`, the
  kernel quantizing its float input at that call's own range (what the
  converter's dynamic-range mode writes). The conv front end and the hoisted
  input projection stay static int8. A state that carries over every step (49
  in the keyword spotters) then never rounds to 8 bits at a range fixed at
  calibration (TFLite's own integer LSTM kernel keeps its cell state in int16
  for a related reason). Gates are cut by slicing there, not SPLIT (a SPLIT
  stays int8 whatever is denylisted).
  Measured on the 4,733 test clips (2026-12-08; shipped weights and
  calibration clips), int8 test accuracy against Keras: kws-gru 81.98 / 82.10 %
  (all-int8 body 81.62), kws-att-mh-gru 84.91 / 85.17 % (84.51),
  kws-att-bilstm 82.76 / 82.78 %, kws-bilstm 80.50 / 80.50 % (the BiLSTMs had
  82.72 / 80.54 % with only their cell state float: the earlier form); top-1
  agreement with Keras up ~1 point. As fast as the all-int8 body on
  ai-edge-litert (XNNPack's dynamically quantized FULLY_CONNECTED) and 3-5 %
  smaller. Tried on the way (kws-gru / kws-att-mh-gru): the steps all float
  (float16 weights) give the same accuracy at 1.4-1.6x the latency; only the
  GRU state update float: no gain (81.15 %); the recurrence hybrid but the head
  int8: 81.81 / 84.62 %. A streaming step file's GRU cell (a float segment of
  its own, not a recurrent stage) made hybrid the same way: in-stream test
  accuracy 78.62 / 78.17 % (kws-stream-att-gru / twin; float cell 78.77 /
  77.94 %), 22 % smaller, no faster per frame (0.123 / 0.084 ms against
  0.120 / 0.090): not done.

Other recurrent cells are unrolled with their own Keras `cell` call per step
(correct, just not fused). Masked sequences and attention decoders need the
stepped layout (their length varies), and are refused here.
"""

from __future__ import annotations

import numpy as np

from export.errors import ExportError

#: Name scope of the float-only stages inside a single-layout graph.
FLOAT_SCOPE = "zoo_float"
#: Name scope of the parts of an int8 graph that compute in float with int8 weights
#: (module doc): it holds `FLOAT_SCOPE`, so the quantizer's denylist keeps it float too.
HYBRID_SCOPE = FLOAT_SCOPE + "_hybrid"


def io_names(model, plan):
    """Signature names of the model inputs and outputs: the Keras names
    (`audio`, `probabilities`), made unique."""
    def unique(names, fallback):
        out = []
        for i, n in enumerate(names):
            n = (n or f"{fallback}{i}").split(":")[0].replace("/", "_")
            out.append(n if n not in out else f"{n}_{i}")
        return out

    ins = unique([getattr(t, "name", None) for t in model.inputs], "input")
    outs = unique(list(getattr(model, "output_names", None) or [])
                  or [None] * len(plan["outputs"]), "output")
    return ins, outs


def check_supported(stages):
    """`ExportError` naming the layer for stages the single layout cannot unroll."""
    for s in stages:
        if s.kind != "recurrent":
            continue
        name = s.layer.name
        if s.masked:
            raise ExportError(f"layout='single' cannot export recurrent layer '{name}': its input "
                              "carries a Keras mask (variable length); use layout='stepped'")
        if s.memory:
            raise ExportError(f"layout='single' cannot export attention decoder '{name}' (it "
                              "steps over a variable-length target); use layout='stepped'")


def fused_kind(cell):
    """"lstm" / "gru" when `cell` computes the standard gates the fused form
    reproduces (sigmoid gates, tanh, biases, GRU with reset_after), else None."""
    import keras

    acts = (getattr(cell, "activation", None), getattr(cell, "recurrent_activation", None))
    standard = acts == (keras.activations.tanh, keras.activations.sigmoid)
    if not standard or not getattr(cell, "use_bias", False):
        return None
    if type(cell) is keras.layers.LSTMCell:
        return "lstm"
    if type(cell) is keras.layers.GRUCell and cell.reset_after:
        return "gru"
    return None


def has_fused(stages):
    """Whether a recurrent stage unrolls in the fused form (whose steps, and the head
    after them, `hybrid=True` makes hybrid)."""
    return any(s.kind == "recurrent" and fused_kind(sub.cell)
               for s in stages for _, sub in (s.directions or []))


def single_function(model, plan, stages, batch_size=1, hybrid=False):
    """The whole model as one `tf.function` (batch `batch_size`), named inputs/outputs;
    `hybrid`: trace the fused recurrent steps and the stages after the last recurrent
    one under `HYBRID_SCOPE` (module doc)."""
    import tensorflow as tf

    check_supported(stages)
    in_names, out_names = io_names(model, plan)
    specs = [tf.TensorSpec((batch_size,) + tuple(t.shape[1:]), t.dtype, name=n)
             for t, n in zip(model.inputs, in_names)]
    last_recurrent = max((i for i, s in enumerate(stages) if s.kind == "recurrent"), default=None)

    def scope(i, s):
        if s.float_only:
            return FLOAT_SCOPE
        if hybrid and last_recurrent is not None and i > last_recurrent:
            return HYBRID_SCOPE
        return s.name

    @tf.function(input_signature=specs)
    def fn(*args):
        env = dict(zip(plan["inputs"], args))
        for i, s in enumerate(stages):
            xs = [env[n] for n in s.inputs]
            if s.kind == "segment":
                with tf.name_scope(scope(i, s)):
                    outs = s.model(xs if len(xs) > 1 else xs[0], training=False)
                outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            else:
                with tf.name_scope(s.name):
                    outs = recurrent_stage(tf, s, xs, hybrid)
            env.update(zip(s.outputs, outs))
        return {name: env[n] for name, n in zip(out_names, plan["outputs"])}

    return fn


# ------------------------------------------------------------------ recurrence


def recurrent_stage(tf, stage, xs, hybrid=False):
    """The outputs of recurrent `stage` (Keras order: output, then each direction's
    final states) for inputs `xs` = [sequence, *initial_states]."""
    sequence, initial = xs[0], xs[1:]
    subs = [sub for _, sub in stage.directions]
    per_dir = len(initial) // len(subs) if initial else 0
    inits = [initial[i * per_dir:(i + 1) * per_dir] or None for i in range(len(subs))]
    kinds = {fused_kind(sub.cell) for sub in subs}
    units = {sub.cell.units for sub in subs}
    # A Bidirectional returns its backward sequence in input time order (a lone
    # go_backwards layer in processing order): the steps are stacked in that order.
    flip = [len(subs) > 1 and sub.go_backwards for sub in subs]
    if len(kinds) == 1 and None not in kinds and len(units) == 1:
        seqs, lasts, finals = _fused(tf, kinds.pop(), subs, sequence, inits,
                                     stage.return_sequences, flip, hybrid)
    else:
        seqs, lasts, finals = [], [], []
        for sub, init, rev in zip(subs, inits, flip):
            ys, f = _cell_loop(tf, sub, sequence, init)
            seqs.append(tf.stack(ys[::-1] if rev else ys, axis=1)
                        if stage.return_sequences else None)
            lasts.append(ys[-1])
            finals.append(f)
    outputs = seqs if stage.return_sequences else lasts
    out = _merge(tf, stage.merge_mode, outputs) if len(outputs) > 1 else outputs[0]
    if isinstance(out, list):  # merge_mode=None: a list of the directions' outputs
        result = out
    else:
        result = [out]
    if stage.return_state:
        for f in finals:
            result.extend(f)
    return result


def reverse_time(tf, x):
    """`x` reversed along axis 1, as a GATHER. Not REVERSE_V2: TFLite's int8 kernel
    returned wrong values here (measured with tf.lite.experimental.QuantizationDebugger
    on kws-bilstm, TF 2.21: RMSE 34 quantization steps; the int8 file fell to 25 %
    accuracy). Not UNPACK + PACK in reverse order: as right on CPU runtimes, but
    LiteRT.js' WebGPU delegate returns wrong values for it (max |Δ| 0.75), whereas it
    refuses a GATHER graph outright, which a client can catch and fall back from."""
    return tf.gather(x, list(range(x.shape[1] - 1, -1, -1)), axis=1)


def _merge(tf, mode, outputs):
    a, b = outputs
    if mode == "concat":
        return tf.concat([a, b], axis=-1)
    if mode == "sum":
        return a + b
    if mode == "mul":
        return a * b
    if mode == "ave":
        return (a + b) / 2
    return [a, b]


def _steps(tf, sequence, go_backwards):
    steps = tf.unstack(sequence, axis=1)
    return steps[::-1] if go_backwards else steps


def _cell_loop(tf, sub, sequence, init):
    """Generic unroll: the layer's own cell called once per step."""
    cell = sub.cell
    batch = tf.shape(sequence)[0]
    sizes = [cell.state_size] if isinstance(cell.state_size, int) else list(cell.state_size)
    states = list(init) if init else [tf.zeros((batch, n), sequence.dtype) for n in sizes]
    ys = []
    for x in _steps(tf, sequence, sub.go_backwards):
        y, states = cell(x, states, training=False)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        ys.append(y)
    return ys, states


def _gate_layout(matrices, gates, units):
    """Stack per-direction `(rows_d, gates*units)` matrices into one block-diagonal
    matrix whose columns are ordered gate-major, direction-minor: gate g of direction
    d is columns `(g*D + d)*units ... +units`."""
    d_count = len(matrices)
    rows = sum(m.shape[0] for m in matrices)
    out = np.zeros((rows, gates * d_count * units), np.float32)
    r = 0
    for d, m in enumerate(matrices):
        for g in range(gates):
            cols = slice((g * d_count + d) * units, (g * d_count + d + 1) * units)
            out[r:r + m.shape[0], cols] = m[:, g * units:(g + 1) * units]
        r += m.shape[0]
    return out


def _interleave(vectors, gates, units):
    """Per-direction `(gates*units,)` vectors in the gate-major, direction-minor order."""
    return np.stack([v.reshape(gates, units) for v in vectors], axis=1).reshape(-1)


def _weights(tf, subs):
    """(kernel, recurrent_kernel, bias) of each direction as NumPy (read eagerly)."""
    with tf.init_scope():
        return [tuple(np.asarray(v.numpy(), np.float32) for v in
                      (s.cell.kernel, s.cell.recurrent_kernel, s.cell.bias)) for s in subs]


def _cut(tf, z, sizes, by_slicing):
    """`z` cut along its last axis into parts of `sizes`: one SPLIT, or strided slices
    (`by_slicing`: a SPLIT stays int8 in a quantized file whatever is denylisted)."""
    if not by_slicing:
        return tf.split(z, sizes, axis=-1)
    starts = np.cumsum([0] + list(sizes))
    return [z[:, a:b] for a, b in zip(starts[:-1], starts[1:])]


def _fused(tf, kind, subs, sequence, inits, return_sequences, flip, hybrid=False):
    """Fused unroll of LSTM/GRU directions (see module doc). Returns per direction:
    the output sequence (None unless `return_sequences`; its steps stacked in reverse
    where `flip[d]`), the last output and the final states."""
    gates = 4 if kind == "lstm" else 3
    u = subs[0].cell.units
    d_count = len(subs)
    width = d_count * u
    weights = _weights(tf, subs)
    x_parts = []
    for sub, (kernel, _, bias) in zip(subs, weights):  # hoisted input projection
        b_in = bias[0] if kind == "gru" else bias
        proj = tf.einsum("btf,fg->btg", sequence, tf.constant(kernel)) + tf.constant(b_in)
        if sub.go_backwards:
            proj = reverse_time(tf, proj)
        steps = proj.shape[1]
        x_parts.append(tf.reshape(proj, (-1, steps, gates, u)))
    x_all = tf.reshape(tf.stack(x_parts, axis=3), (-1, steps, gates * width))
    rec = tf.constant(_gate_layout([w[1] for w in weights], gates, u))
    batch = tf.shape(sequence)[0]

    def start(index):
        if inits[0] is None:
            return tf.zeros((batch, width), sequence.dtype)
        return tf.concat([init[index] for init in inits], axis=-1)

    h = start(0)
    c = start(1) if kind == "lstm" else None
    if kind == "gru":
        b_rec = tf.constant(_interleave([w[2][1] for w in weights], gates, u))
    hs = []
    for t, x_t in enumerate(tf.unstack(x_all, axis=1)):  # one UNPACK, not a slice per step
        # Each step under its own name scope: the same op names in every step (readable
        # per-step statistics in tf.lite.experimental.QuantizationDebugger). Measured on
        # the validation clips: giving a role one int8 range over all steps (as a stepped
        # file does) agrees with Keras less often than each step's own range (kws-att-bilstm
        # 88.4 % vs 94.8 %, kws-bilstm 91.8 % vs 93.5 %), so each step keeps its own.
        with tf.name_scope(f"t{t}"), tf.name_scope(HYBRID_SCOPE if hybrid else "step"):
            if kind == "lstm":
                z = x_t + tf.matmul(h, rec)
                i, f, g, o = _cut(tf, z, [width] * 4, hybrid)
                i, f, o, g = tf.sigmoid(i), tf.sigmoid(f), tf.sigmoid(o), tf.tanh(g)
                c = f * c + i * g
                h = o * tf.tanh(c)
            else:  # z and r gates share one ADD and one LOGISTIC
                inner = tf.matmul(h, rec) + b_rec
                x_zr, x_h = _cut(tf, x_t, [2 * width, width], hybrid)
                i_zr, i_h = _cut(tf, inner, [2 * width, width], hybrid)
                z, r = _cut(tf, tf.sigmoid(x_zr + i_zr), [width, width], hybrid)
                candidate = tf.tanh(x_h + r * i_h)
                h = candidate + z * (h - candidate)
        hs.append(h)
    stacked = {}  # in step order / reversed (a second PACK of the same steps: no
    # reversal op on the sequence, see reverse_time)
    seqs, lasts, finals = [], [], []
    for d in range(d_count):
        cols = slice(d * u, (d + 1) * u)
        if return_sequences and flip[d] not in stacked:
            stacked[flip[d]] = tf.stack(hs[::-1] if flip[d] else hs, axis=1)
        seqs.append(stacked[flip[d]][:, :, cols] if return_sequences else None)
        lasts.append(h[:, cols])
        finals.append([h[:, cols], c[:, cols]] if kind == "lstm" else [h[:, cols]])
    return seqs, lasts, finals

