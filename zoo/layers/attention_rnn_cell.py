"""An RNN cell wrapped with attention over a memory, and the layer that runs it.

`AttentionRNNCell` is the Keras 3 successor of `tfa.seq2seq.AttentionWrapper`
(TensorFlow Addons), restricted to one attention mechanism. Each decoder step
follows Luong et al., "Effective Approaches to Attention-based Neural Machine
Translation", EMNLP 2015 (section 3, eq. 5, and the input-feeding approach of
section 3.3), as `AttentionWrapper` did::

    cell_input        = [x_t ; a_{t-1}]            (input feeding, else x_t)
    h_t, cell_states  = cell(cell_input, cell_states)
    c_t, alignment_t  = attention(h_t, memory, previous_alignment=alignment_{t-1})
    a_t               = activation(W_c [h_t ; c_t])  (attention_layer_size set)
                      = c_t                          (otherwise)
    output_t          = a_t,  or  [a_t ; alignment_t]  (output_alignments)

Keras 3's `RNN` has no `constants`, so the memory travels in the RNN state.
The memory keys (`attention.compute_keys(values)`) are computed once per
sequence, before the loop, by `get_initial_state_from_memory`.

Two ways to run the cell:

* `AttentionRNN(cell)(inputs, values, initial_state=...)`: a layer that
  builds the memory state inside its own `call`. Use it in functional models
  (it saves and loads with `model.save` / `keras.models.load_model`).
* `keras.layers.RNN(cell, return_sequences=True)(inputs,
  initial_state=cell.get_initial_state_from_memory(values, mask))`, in eager
  code or in the `call` of a subclassed model. Do not do this on symbolic
  `keras.Input` tensors: the memory would be computed outside any layer.
"""

from __future__ import annotations

import math
import types

import keras
from keras import ops

from zoo.layers.base_attention import BaseAttention, shape_error

try:  # `keras.layers.RNN` prepares and resets the dropout masks of such cells.
    from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell
except ImportError:  # pragma: no cover - private path moved
    class DropoutRNNCell:  # noqa: D101 - fallback: inner-cell dropout masks not managed
        pass

try:
    from keras.src.backend.common.stateless_scope import get_stateless_scope
except ImportError:  # pragma: no cover - private path moved
    def get_stateless_scope():
        return None

# Seeds of the random ops of step t are `base + [0, t * _SEED_STRIDE]`.
_SEED_STRIDE = 1000

__all__ = ["AttentionRNNCell", "AttentionRNN"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _flatten_memory(x):
    """`(batch, tv, ...)` -> `(batch, tv * ...)` so `keras.layers.RNN`'s
    per-step masking (rank-2 broadcasting on JAX) applies to it."""
    tail = x.shape[1:]
    if all(d is not None for d in tail):
        return ops.reshape(x, (-1, math.prod(tail)))
    return ops.reshape(x, (ops.shape(x)[0], -1))


class _SeededStep:
    """Inside a stateless scope (the JAX RNN loop is a `lax.scan`), a
    `SeedGenerator` that advances would leak a traced value out of the loop.
    For the duration of one step, give each generator of the mechanism the
    seed `base + [0, step * _SEED_STRIDE]`, then put back the value it had
    outside the loop. Outside a stateless scope (TensorFlow) generators
    advance normally and this does nothing."""

    def __init__(self, plan, step):
        self.plan, self.step = plan, step
        self.scope = get_stateless_scope() if plan else None

    def __enter__(self):
        if self.scope is not None:
            counter = ops.cast(ops.max(self.step), "uint32") * _SEED_STRIDE
            for generator, base, _ in self.plan:
                offset = ops.stack([ops.zeros_like(counter), counter])
                self.scope.add_update((generator.state, base + ops.cast(offset, base.dtype)))
        return self

    def __exit__(self, *exc):
        if self.scope is not None:
            for generator, _, outside in self.plan:
                self.scope.add_update((generator.state, outside))
        return False


@keras.saving.register_keras_serializable(package="zoo")
class AttentionRNNCell(keras.layers.Layer, DropoutRNNCell):
    """An RNN cell with attention over a memory (see the module docstring).

    State layout (the list `keras.layers.RNN` carries)::

        [previous output, *cell states, alignment state (batch, tv),
         values (batch, tv * dv), keys (batch, tv * dk), memory mask (batch, tv),
         step counter (batch, 1)]

    * The memory tensors are flattened to rank 2: the JAX backend of `RNN`
      masks states with a `(batch, 1)` condition, which only broadcasts
      against rank-2 states.
    * The previous output comes first: the JAX backend of `RNN` repeats
      `states[0]` as the output of masked decoder steps.
    * The alignment state is what the mechanism reads as
      `previous_alignment` next step: the weights, or what its
      `next_alignment_state(state, weights)` makes of them (e.g. a running
      sum for cumulative location-sensitive attention).
    * The step counter seeds the mechanism's random ops (attention dropout,
      monotonic noise) when the loop runs in a stateless scope (JAX's
      `lax.scan`, where a `SeedGenerator` cannot advance).

    `state_size` gives the true sizes where they are known at construction
    (the previous output once the attention size is known, the cell states,
    the memory states when `memory_length` is set, the counter) and `1` for
    the others, whose sizes depend on the memory given at call time. Keras'
    `RNN` only counts these entries (its static `return_state` shapes use
    them); `AttentionRNN` computes its real output shapes itself.

    Args:
        cell: a Keras RNN cell (e.g. `keras.layers.GRUCell`), the decoder.
        attention: a `zoo.layers.BaseAttention` mechanism. Mechanisms with
            `needs_previous_alignment` get the previous step's alignment
            (`attention.initial_alignment` before the first step).
        attention_layer_size: if set, the attention vector is
            `attention_activation(W_c [h_t ; c_t])` (`W_c` without bias) of
            this size (Luong eq. 5); if `None` it is the context `c_t`
            (size `dv`).
        input_feeding: concatenate the previous attention vector to the
            step input (Luong section 3.3).
        output_alignments: output `[a_t ; alignment_t]` instead of `a_t`, so
            that the alignment history comes out of the RNN; recover both with
            `split_alignments`. `AttentionRNN` splits it for you.
        memory_length: the memory length `tv`. Needed only for a static
            `output_size` with `output_alignments=True` (plain `keras.layers.RNN`
            on symbolic tensors); when set, the memory must have this length.
        attention_activation: activation of the attention layer.

    Call arguments:
        inputs: `(batch, d_in)`, one decoder step.
        states: the state list above.
        training: Keras training flag.

    Returns:
        `(output (batch, output_size), new_states)`.
    """

    def __init__(self, cell, attention, attention_layer_size=None, input_feeding=True,
                 output_alignments=False, memory_length=None,
                 attention_activation="tanh", **kwargs):
        super().__init__(**kwargs)
        if not hasattr(cell, "state_size") or not callable(cell):
            raise ValueError(f"`cell` must be a Keras RNN cell (with `state_size`); got {cell!r}.")
        if not isinstance(attention, BaseAttention):
            raise ValueError(
                "`attention` must be a zoo.layers.BaseAttention mechanism (it needs "
                f"`compute_keys` and `attend`); got {attention!r}."
            )
        if attention_layer_size is not None:
            if int(attention_layer_size) <= 0:
                raise ValueError("`attention_layer_size` must be a positive integer; got "
                                 f"{attention_layer_size}.")
            attention_layer_size = int(attention_layer_size)
        if memory_length is not None:
            if int(memory_length) <= 0:
                raise ValueError(f"`memory_length` must be a positive integer; got {memory_length}.")
            memory_length = int(memory_length)
        sizes = _as_list(cell.state_size)
        if not all(isinstance(s, int) for s in sizes):
            raise ValueError(
                "`cell` must have an int or flat list of ints `state_size` (stacked "
                f"cells are not supported); got {cell.state_size!r}."
            )
        self.cell = cell
        self.attention = attention
        self.attention_layer_size = attention_layer_size
        self.input_feeding = bool(input_feeding)
        self.output_alignments = bool(output_alignments)
        self.memory_length = memory_length
        self.attention_activation = keras.activations.get(attention_activation)
        self.attention_layer = (
            keras.layers.Dense(attention_layer_size, use_bias=False, name="attention_layer")
            if attention_layer_size else None
        )
        self._cell_state_sizes = sizes
        self._query_dim = int(getattr(cell, "output_size", None) or sizes[0])
        self._values_dim = None
        self._keys_tail = None
        self._step_input_shape = None
        # Per-call bookkeeping, out of Keras' state tracking.
        self._memory_info = types.SimpleNamespace(seed_plan=[])

    # ------------------------------------------------------------------ sizes
    @property
    def attention_size(self):
        """Size of the attention vector `a_t`; `None` until the memory is seen
        when `attention_layer_size` is not set."""
        return self.attention_layer_size or self._values_dim

    @property
    def output_size(self):
        size = self.attention_size
        if size is None:
            raise ValueError(
                "The output size of AttentionRNNCell is the memory feature size until "
                "the memory is seen: set `attention_layer_size`, or build the state "
                "with `get_initial_state_from_memory(values)` first."
            )
        if self.output_alignments:
            if self.memory_length is None:
                raise ValueError(
                    "A static output size with `output_alignments=True` needs "
                    "`memory_length` (the memory length tv); set `memory_length`, or "
                    "use AttentionRNN, which needs no static size."
                )
            size += self.memory_length
        return size

    @property
    def state_size(self):
        tv = self.memory_length
        unknown = 1
        if self.attention_size is not None and (not self.output_alignments or tv):
            out = self.output_size
        else:
            out = unknown
        keys = None
        if tv and self._values_dim and self._keys_tail is not None:
            keys = tv * math.prod(self._keys_tail)
        return [out, *self._cell_state_sizes, tv or unknown,
                tv * self._values_dim if tv and self._values_dim else unknown,
                keys or unknown, tv or unknown, 1]

    @property
    def n_cell_states(self):
        """How many state tensors the wrapped cell carries (1 for a GRU, 2 for an
        LSTM); they are entries `1 .. n_cell_states` of the state list."""
        return len(self._cell_state_sizes)

    # ------------------------------------------------ step protocol (export)
    # What a host loop that runs this cell one step at a time (`export.stepped`)
    # needs besides `get_initial_state_from_memory` and `call`.
    @property
    def output_split(self):
        """With `output_alignments`, the width of `a_t` at the front of each step
        output (the alignment follows); `None` when the output is `a_t` alone."""
        return int(self.attention_size) if self.output_alignments else None

    @property
    def final_state_layout(self):
        """How the final states `AttentionRNN(return_state=True)` returns are cut
        from the state list: `[(index, width or None), ...]`, `states[index]`
        (its first `width` features) for the cell states, the attention vector
        and the alignment state, in that order."""
        n = self.n_cell_states
        return ([(i, None) for i in range(1, 1 + n)] + [(0, int(self.attention_size))]
                + [(1 + n, None)])

    # ------------------------------------------------------------------ build
    def build_memory(self, values_shape):
        """Create the attention weights for a memory of shape `values_shape`."""
        values_shape = tuple(values_shape)
        if len(values_shape) != 3:
            raise shape_error("values", "(batch, tv, dv)", values_shape)
        dv = values_shape[-1]
        if dv is None:
            raise ValueError(f"The feature size of `values` must be known; got {values_shape}.")
        dv = int(dv)
        if self._values_dim is not None and dv != self._values_dim:
            raise ValueError(
                f"`values` must have {self._values_dim} features (the size this cell "
                f"was built with); got shape {values_shape}."
            )
        if not self.attention.built:
            self.attention.build((None, self._query_dim), (None, None, dv))
        if self.attention_layer is not None and not self.attention_layer.built:
            self.attention_layer.build((None, self._query_dim + dv))
        self._values_dim = dv

    def build(self, input_shape):
        if self._values_dim is None:
            raise ValueError(
                "AttentionRNNCell is built from the memory: call "
                "`cell.get_initial_state_from_memory(values)` before running it in "
                "`keras.layers.RNN`, or use `zoo.layers.AttentionRNN`."
            )
        input_shape = tuple(input_shape)
        cell_in = input_shape[-1] + (self.attention_size if self.input_feeding else 0)
        if not self.cell.built:
            self.cell.build((input_shape[0], cell_in))
        self._step_input_shape = input_shape

    def get_build_config(self):
        if self._step_input_shape is None or self._values_dim is None:
            return None
        return {"input_shape": self._step_input_shape, "values_dim": self._values_dim}

    def build_from_config(self, config):
        if config:
            self.build_memory((None, None, config["values_dim"]))
            self.build(config["input_shape"])

    # ------------------------------------------------------------------ state
    def get_initial_state(self, batch_size=None):
        raise ValueError(
            "AttentionRNNCell needs its memory in the initial state: call "
            "`keras.layers.RNN(cell)(inputs, initial_state="
            "cell.get_initial_state_from_memory(values, mask=None, cell_states=None))`, "
            "or use `zoo.layers.AttentionRNN(cell)(inputs, values)`."
        )

    def get_initial_state_from_memory(self, values, mask=None, cell_states=None):
        """The full initial state list for a memory `values` `(batch, tv, dv)`.

        Computes the keys once (`attention.compute_keys`) and builds the
        attention weights on first use.

        Args:
            values: the memory (e.g. encoder outputs), `(batch, tv, dv)`.
            mask: optional boolean `(batch, tv)`, `True` on real memory steps.
            cell_states: the wrapped cell's initial state(s) (e.g. the
                encoder's final state), or the `[*cell states, attention
                vector, alignment]` list that `AttentionRNN(return_state=True)`
                returns, to continue decoding. Defaults to the cell's own
                initial state (zeros).
        """
        if not hasattr(values, "shape") or len(values.shape) != 3:
            raise shape_error("values", "(batch, tv, dv)", getattr(values, "shape", ()))
        values = ops.convert_to_tensor(values, dtype=self.compute_dtype)
        tv = values.shape[1]
        if self.memory_length is not None and tv is not None and tv != self.memory_length:
            raise ValueError(
                f"`values` has {tv} steps but the cell was created with "
                f"`memory_length={self.memory_length}`; got values shape {tuple(values.shape)}."
            )
        if mask is not None:
            mshape = tuple(mask.shape)
            if len(mshape) != 2 or any(
                a is not None and b is not None and a != b
                for a, b in zip(mshape, values.shape[:2])
            ):
                raise shape_error("mask", f"(batch, tv) = {tuple(values.shape[:2])} "
                                  "matching `values`", mshape)
        self.build_memory(values.shape)
        keys = self.attention.compute_keys(values)
        self._keys_tail = tuple(int(d) for d in keys.shape[2:])
        # One fresh seed per generator of the mechanism and per sequence,
        # drawn outside the loop (see `_seeded_steps`).
        plan = self._memory_info.seed_plan = []
        for layer in self.attention._flatten_layers(include_self=True, recursive=True):
            for generator in layer._seed_generators:
                base = generator.next()
                plan.append((generator, base, generator.state.value))

        batch = ops.shape(values)[0]
        dtype = values.dtype
        if mask is None:
            mask_f = ops.ones(ops.shape(values)[:2], dtype=dtype)
        else:
            mask_f = ops.cast(mask, dtype)
        n = self.n_cell_states
        attention_vector = alignment = None
        if cell_states is None:
            if hasattr(self.cell, "get_initial_state"):
                cell_states = _as_list(self.cell.get_initial_state(batch_size=batch))
            else:
                cell_states = [ops.zeros((batch, s), dtype=dtype) for s in self._cell_state_sizes]
        else:
            cell_states = _as_list(cell_states)
            if len(cell_states) == n + 2:
                cell_states, attention_vector, alignment = (
                    cell_states[:n], cell_states[n], cell_states[n + 1])
            elif len(cell_states) != n:
                raise ValueError(
                    f"`cell_states` must be the cell's {n} state tensor(s), or those "
                    f"followed by the attention vector and the alignment ({n + 2}); "
                    f"got {len(cell_states)}."
                )
        cell_states = [ops.cast(s, dtype) for s in cell_states]
        if attention_vector is None:
            attention_vector = ops.zeros((batch, self.attention_size), dtype=dtype)
        if alignment is None:
            alignment = self.attention.initial_alignment(values, None if mask is None else mask)
        attention_vector, alignment = ops.cast(attention_vector, dtype), ops.cast(alignment, dtype)
        output = attention_vector
        if self.output_alignments:
            output = ops.concatenate([attention_vector, alignment], axis=-1)
        return [output, *cell_states, alignment, _flatten_memory(values),
                _flatten_memory(keys), mask_f, ops.zeros((batch, 1), dtype=dtype)]

    def split_alignments(self, outputs):
        """Split the outputs of a cell with `output_alignments=True` into
        `(attention outputs (..., attention_size), alignments (..., tv))`;
        for a sequence `(batch, tq, ...)` the second is the alignment history
        `(batch, tq, tv)`."""
        if not self.output_alignments:
            raise ValueError("`split_alignments` needs a cell with `output_alignments=True`.")
        size = self.attention_size
        return outputs[..., :size], outputs[..., size:]

    # ------------------------------------------------------------------- step
    def call(self, inputs, states, training=None):
        states = _as_list(states)
        n = self.n_cell_states
        if len(states) != n + 6:
            raise ValueError(
                f"AttentionRNNCell expects {n + 6} state tensors (see "
                f"`get_initial_state_from_memory`); got {len(states)}."
            )
        previous_output, cell_states = states[0], states[1:1 + n]
        previous_alignment, values_flat, keys_flat, mask_f, step = states[1 + n:]
        tv = previous_alignment.shape[1]
        if tv is None:
            tv = ops.shape(previous_alignment)[1]
        values = ops.reshape(values_flat, (-1, tv, self._values_dim))
        keys = ops.reshape(keys_flat, (-1, tv, *self._keys_tail))

        size = self.attention_size
        cell_input = inputs
        if self.input_feeding:
            cell_input = ops.concatenate([inputs, previous_output[:, :size]], axis=-1)
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training_arg", False) else {}
        cell_output, new_cell_states = self.cell(cell_input, list(cell_states), **kwargs)
        new_cell_states = _as_list(new_cell_states)

        previous = previous_alignment if self.attention.needs_previous_alignment else None
        with _SeededStep(self._memory_info.seed_plan, step):
            context, weights = self.attention.attend(
                ops.expand_dims(cell_output, 1), keys, values, mask=ops.cast(mask_f, "bool"),
                previous_alignment=previous, training=training)
        context, alignment = context[:, 0], weights[:, 0]
        if self.attention_layer is not None:
            attention_vector = self.attention_activation(
                self.attention_layer(ops.concatenate([cell_output, context], axis=-1)))
        else:
            attention_vector = context
        output = attention_vector
        if self.output_alignments:
            output = ops.concatenate([attention_vector, alignment], axis=-1)
        # What the mechanism reads as `previous_alignment` next step (e.g. the
        # running sum for cumulative location-sensitive attention).
        alignment_state = self.attention.next_alignment_state(previous_alignment, alignment)
        return output, [output, *new_cell_states, alignment_state, values_flat, keys_flat,
                        mask_f, step + 1]

    # ------------------------------------------------- dropout of the inner cell
    # `keras.layers.RNN` prepares the dropout masks of a `DropoutRNNCell` before
    # its loop (needed on JAX) and resets them after; forward to the inner cell.
    def get_dropout_mask(self, step_input):
        if not isinstance(self.cell, DropoutRNNCell):
            return None
        if self.input_feeding:
            batch = ops.shape(step_input)[0]
            step_input = ops.concatenate(
                [step_input, ops.zeros((batch, self.attention_size), dtype=step_input.dtype)],
                axis=-1)
        return self.cell.get_dropout_mask(step_input)

    def get_recurrent_dropout_mask(self, step_input):
        if not isinstance(self.cell, DropoutRNNCell):
            return None
        state = ops.zeros((ops.shape(step_input)[0], self._cell_state_sizes[0]),
                          dtype=step_input.dtype)
        return self.cell.get_recurrent_dropout_mask(state)

    def reset_dropout_mask(self):
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        if isinstance(self.cell, DropoutRNNCell):
            self.cell.reset_recurrent_dropout_mask()

    # ----------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            cell=keras.saving.serialize_keras_object(self.cell),
            attention=keras.saving.serialize_keras_object(self.attention),
            attention_layer_size=self.attention_layer_size,
            input_feeding=self.input_feeding,
            output_alignments=self.output_alignments,
            memory_length=self.memory_length,
            attention_activation=keras.activations.serialize(self.attention_activation),
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(
            config["cell"], custom_objects=custom_objects)
        config["attention"] = keras.saving.deserialize_keras_object(
            config["attention"], custom_objects=custom_objects)
        return cls(**config)


@keras.saving.register_keras_serializable(package="zoo")
class AttentionRNN(keras.layers.RNN):
    """Runs an `AttentionRNNCell` over a decoder sequence, attending to `values`.

    The memory state (values, keys computed once, mask) is built inside this
    layer's `call`, so the layer can be used on `keras.Input` tensors and the
    model saves and loads (`model.save("m.keras")`,
    `keras.models.load_model(..., safe_mode=True)`).

    Args:
        cell: an `AttentionRNNCell`.
        return_sequences: return the output of every step (default `True`,
            unlike `keras.layers.RNN`: this is a decoder) or only the last.
        return_state: also return the final decoder state
            `[*cell states, attention vector, alignment state]` (the alignment
            state is the last weights, or e.g. their running sum for a
            cumulative mechanism), which `initial_state` accepts back to
            continue decoding step by step.
        go_backwards, unroll, zero_output_for_mask: as in `keras.layers.RNN`.
            (`stateful` is not supported: the memory changes per batch.)

    Call arguments:
        inputs: decoder inputs `(batch, tq, d_in)`.
        values: the memory `(batch, tv, dv)`, e.g. the encoder outputs.
        mask: optional boolean `(batch, tq)` decoder-side mask; defaults to
            the Keras mask of `inputs`. Masked steps leave the state unchanged.
        values_mask: optional boolean `(batch, tv)` memory mask; defaults to
            the Keras mask of `values`.
        initial_state: the wrapped cell's initial state(s) (e.g. the encoder's
            final state), or a state returned with `return_state=True`;
            defaults to the cell's zero state.
        training: Keras training flag.
        inputs_mask: filled in by Keras with the mask of `inputs` (Keras only
            fills `<argument>_mask` arguments for layers with several inputs);
            `mask` takes precedence.

    Returns:
        The outputs `(batch, tq, attention_size)` (`(batch, attention_size)`
        without `return_sequences`); with the cell's `output_alignments=True`
        the tuple `(outputs, alignment_history (batch, tq, tv))` (the last
        alignment `(batch, tv)` without `return_sequences`); with
        `return_state` the final state tensors follow.
    """

    def __init__(self, cell, return_sequences=True, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if not isinstance(cell, AttentionRNNCell):
            raise ValueError(f"`cell` must be an AttentionRNNCell; got {cell!r}.")
        if stateful:
            raise ValueError("AttentionRNN does not support `stateful=True`: its memory "
                             "is new for every batch.")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=False, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, **kwargs)

    @staticmethod
    def _check_shapes(inputs_shape, values_shape, mask_shape=None, values_mask_shape=None):
        inputs_shape, values_shape = tuple(inputs_shape), tuple(values_shape)
        if len(inputs_shape) != 3:
            raise shape_error("inputs", "(batch, tq, d_in)", inputs_shape)
        if len(values_shape) != 3:
            raise shape_error("values", "(batch, tv, dv)", values_shape)
        for name, shape, ref, what in (("mask", mask_shape, inputs_shape, "inputs"),
                                       ("values_mask", values_mask_shape, values_shape, "values")):
            if shape is None:
                continue
            shape = tuple(shape)
            if len(shape) != 2 or any(a is not None and b is not None and a != b
                                      for a, b in zip(shape, ref[:2])):
                raise shape_error(name, f"{ref[:2]} matching `{what}`", shape)

    def memory_arguments(self, args, kwargs):
        """`(values, values_mask)` of one call of this layer, from its positional
        and keyword arguments as Keras records them in a node (`values_mask`
        None when not given). Part of the step protocol of `export.stepped`: a
        layer with this method attends to a memory, which the host feeds to
        `cell.get_initial_state_from_memory` before stepping `cell`."""
        values = args[1] if len(args) > 1 else kwargs.get("values")
        return values, kwargs.get("values_mask")

    def build(self, inputs_shape, values_shape):
        self._check_shapes(inputs_shape, values_shape)
        self.cell.build_memory(values_shape)
        super().build(inputs_shape)

    def call(self, inputs, values, mask=None, values_mask=None, initial_state=None,
             training=False, inputs_mask=None):
        if mask is None:
            mask = inputs_mask
        self._check_shapes(inputs.shape, values.shape,
                           None if mask is None else mask.shape,
                           None if values_mask is None else values_mask.shape)
        state = self.cell.get_initial_state_from_memory(values, mask=values_mask,
                                                        cell_states=initial_state)
        result = super().call(inputs, initial_state=state, mask=mask, training=training)
        outputs, states = (result[0], list(result[1:])) if self.return_state else (result, None)
        outputs = self.cell.split_alignments(outputs) if self.cell.output_alignments else (outputs,)
        if not self.return_state:
            return outputs if len(outputs) > 1 else outputs[0]
        final = [states[i] if width is None else states[i][..., :width]
                 for i, width in self.cell.final_state_layout]
        return (*outputs, *final)

    def compute_output_shape(self, inputs_shape, values_shape, initial_state_shape=None):
        batch, tq = inputs_shape[0], inputs_shape[1]
        tv = values_shape[1]
        size = self.cell.attention_layer_size or values_shape[-1]
        lead = (batch, tq) if self.return_sequences else (batch,)
        shapes = [lead + (size,)]
        if self.cell.output_alignments:
            shapes.append(lead + (tv,))
        if self.return_state:
            shapes += [(batch, s) for s in self.cell._cell_state_sizes]
            shapes += [(batch, size), (batch, tv)]
        return tuple(shapes) if len(shapes) > 1 else shapes[0]

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        masks = [output_mask]
        if self.cell.output_alignments:
            masks.append(output_mask)
        if self.return_state:
            masks += [None] * (self.cell.n_cell_states + 2)
        return masks if len(masks) > 1 else output_mask
