"""Shared machinery of the query/values attention layers in `zoo.layers`.

Every mechanism follows one calling convention::

    context = layer(query, values, mask=None)
    context, weights = layer(query, values, mask=None,
                             return_attention_scores=True)

* `query`: `(batch, dq)` (one decoder step) or `(batch, tq, dq)`.
* `values`: `(batch, tv, dv)`, the sequence attended over (encoder states).
* `mask`: `(batch, tv)` boolean, `True` where a value step is real. A Keras
  mask carried by `values` (e.g. from `Embedding(mask_zero=True)`) is used
  when `mask` is not given.
* `context`: `(batch, dv)` or `(batch, tq, dv)`.
* `weights`: `(batch, tv)` or `(batch, tq, tv)`, exactly 0 on masked steps.

A mechanism is split in two so that a decoder can reuse work across steps:
`compute_keys(values)` runs once per sequence, `attend(query, keys, values,
...)` once per decoder step. `AttentionRNNCell` calls them directly.
Mechanisms whose alignment depends on the previous one (location-sensitive,
monotonic) set `needs_previous_alignment = True` and take it as the explicit
`previous_alignment` argument, `(batch, tv)`; with a 3-D query they carry it
from one query step to the next themselves.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["BaseAttention", "masked_softmax", "shape_error"]


def shape_error(argument, expected, got):
    """The `ValueError` every layer raises for a tensor of the wrong shape."""
    return ValueError(f"`{argument}` must have shape {expected}; got shape {tuple(got)}.")


MASK_MARGIN = 20.0


def masked_softmax(energies, mask=None):
    """Softmax over the last axis of `energies` `(batch, tq, tv)`.

    `mask` `(batch, tv)` (or `(batch, tq, tv)`, one per query) marks valid
    steps. Masked steps get weight exactly 0; a row with no valid step gets all
    zeros (not NaN).
    """
    if mask is None:
        return ops.softmax(energies, axis=-1)
    # No large negative constant: masked steps take the row's smallest energy
    # minus MASK_MARGIN (weight <= e^-20 of the largest before zeroing), so every
    # tensor keeps about the range of the energies themselves: an int8 scale
    # fitted to a -1e9 fill would leave no resolution for the real steps. Plain
    # SOFTMAX + SELECT, so int8 files also run on runtimes without an int8 DIV.
    valid = ops.cast(mask, "bool")
    if len(valid.shape) == 2:
        valid = ops.expand_dims(valid, axis=1)
    floor = ops.min(energies, axis=-1, keepdims=True) - MASK_MARGIN
    weights = ops.softmax(ops.where(valid, energies, floor), axis=-1)
    return ops.where(valid, weights, ops.zeros_like(weights))


def _dims(shape):
    return tuple(None if d is None else int(d) for d in shape)


def check_query_values(query_shape, values_shape):
    """Ranks and batch sizes of a query `(batch[, tq], dq)` and values
    `(batch, tv, dv)`; returns both shapes as tuples."""
    query_shape, values_shape = _dims(query_shape), _dims(values_shape)
    if len(query_shape) not in (2, 3):
        raise shape_error("query", "(batch, dq) or (batch, tq, dq)", query_shape)
    if len(values_shape) != 3:
        raise shape_error("values", "(batch, tv, dv)", values_shape)
    qb, vb = query_shape[0], values_shape[0]
    if qb is not None and vb is not None and qb != vb:
        raise ValueError(
            f"`query` and `values` must have the same batch size; got query "
            f"shape {query_shape} and values shape {values_shape}."
        )
    return query_shape, values_shape


def check_per_value_step(name, shape, values_shape):
    """A tensor with one entry per value step, `(batch, tv)` (a mask, an alignment)."""
    if shape is None:
        return
    shape = _dims(shape)
    expected = (values_shape[0], values_shape[1])
    if len(shape) != 2 or any(a is not None and b is not None and a != b
                              for a, b in zip(shape, expected)):
        raise shape_error(name, f"(batch, tv) = ({expected[0]}, {expected[1]}) matching `values`",
                          shape)


def check_built_sizes(query_shape, values_shape, query_dim, values_dim):
    """Feature sizes against the ones a layer was built with."""
    for name, shape, dim in (("query", query_shape, query_dim), ("values", values_shape, values_dim)):
        if shape[-1] is not None and dim is not None and shape[-1] != dim:
            raise ValueError(f"`{name}` must have {dim} features (the size this layer was "
                             f"built with); got shape {shape}.")


class BaseAttention(keras.layers.Layer):
    """Base class of the query/values mechanisms (see the module docstring).

    Subclasses implement `build_mechanism(query_dim, values_dim)` (create
    weights), `compute_keys(values)` (defaults to the values themselves) and
    `score(query, keys, previous_alignment)` returning energies
    `(batch, tq, tv)`; they may override `alignment(...)` when the weights are
    not a masked softmax of the energies.

    Args:
        dropout: rate of dropout on the attention weights used for the
            context during training (the returned weights are not dropped).
    """

    needs_previous_alignment = False
    #: Whether the query feature size must equal the values feature size.
    query_matches_values = False

    def __init__(self, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1); got {dropout}.")
        self.dropout = float(dropout)
        self.supports_masking = True
        self._dropout_layer = keras.layers.Dropout(self.dropout) if self.dropout else None

    # ------------------------------------------------------------------ shapes
    def _check_shapes(self, query_shape, values_shape, mask_shape=None, previous_shape=None):
        query_shape, values_shape = check_query_values(query_shape, values_shape)
        if self.query_matches_values and None not in (query_shape[-1], values_shape[-1]):
            if query_shape[-1] != values_shape[-1]:
                raise ValueError(
                    f"{type(self).__name__} needs the query and values feature sizes "
                    f"to be equal; got query shape {query_shape} and values shape "
                    f"{values_shape}. Use a 'general' or 'concat' score, or project "
                    "one side with a Dense layer."
                )
        check_per_value_step("mask", mask_shape, values_shape)
        check_per_value_step("previous_alignment", previous_shape, values_shape)
        if self.built:
            check_built_sizes(query_shape, values_shape, getattr(self, "_query_dim", None),
                              getattr(self, "_values_dim", None))
        return query_shape, values_shape

    def build(self, query_shape, values_shape):
        query_shape, values_shape = self._check_shapes(query_shape, values_shape)
        self._query_dim, self._values_dim = query_shape[-1], values_shape[-1]
        if self._query_dim is None or self._values_dim is None:
            raise ValueError(
                f"The feature size of `query` and `values` must be known to build "
                f"{type(self).__name__}; got {query_shape} and {values_shape}."
            )
        self.build_mechanism(self._query_dim, self._values_dim)
        self.built = True

    def build_mechanism(self, query_dim, values_dim):
        """Create the mechanism's weights."""

    def compute_output_shape(self, query_shape, values_shape):
        return tuple(query_shape[:-1]) + (values_shape[-1],)

    def compute_output_spec(self, query, values, mask=None, return_attention_scores=False,
                            training=None, previous_alignment=None, values_mask=None):
        self._check_shapes(query.shape, values.shape,
                           None if mask is None else mask.shape,
                           None if previous_alignment is None else previous_alignment.shape)
        context = keras.KerasTensor(
            self.compute_output_shape(query.shape, values.shape), dtype=self.compute_dtype
        )
        if not return_attention_scores:
            return context
        weights = keras.KerasTensor(tuple(query.shape[:-1]) + (values.shape[1],),
                                    dtype=self.compute_dtype)
        return context, weights

    def compute_mask(self, query, mask=None):
        # The output follows the query's time axis; the values mask does not apply.
        return None

    # --------------------------------------------------------------- mechanism
    def compute_keys(self, values):
        """Per-sequence work on `values` `(batch, tv, dv)`, done once."""
        return values

    def score(self, query, keys, previous_alignment=None):
        """Energies `(batch, tq, tv)` for `query` `(batch, tq, dq)`."""
        raise NotImplementedError

    def alignment(self, energies, mask=None, previous_alignment=None, query=None, training=None):
        """Attention weights from energies; a masked softmax by default."""
        return masked_softmax(energies, mask)

    def initial_alignment(self, values, mask=None):
        """The alignment before the first decoder step: all weight on step 0."""
        tv = ops.shape(values)[1]
        first = ops.one_hot(ops.zeros((ops.shape(values)[0],), dtype="int32"), tv)
        return ops.cast(first, values.dtype)

    def attend(self, query, keys, values, mask=None, previous_alignment=None, training=None):
        """One attention step on precomputed `keys`.

        `query` is `(batch, tq, dq)`; returns `(context (batch, tq, dv),
        weights (batch, tq, tv))`.
        """
        energies = self.score(query, keys, previous_alignment=previous_alignment)
        weights = self.alignment(energies, mask=mask, previous_alignment=previous_alignment,
                                 query=query, training=training)
        used = weights
        if self._dropout_layer is not None:
            used = self._dropout_layer(weights, training=training)
        return ops.matmul(used, values), weights

    def call(self, query, values, mask=None, return_attention_scores=False, training=None,
             previous_alignment=None, values_mask=None):
        """See the module docstring; `values_mask` is filled in by Keras."""
        if mask is None:
            mask = values_mask
        self._check_shapes(query.shape, values.shape,
                           None if mask is None else mask.shape,
                           None if previous_alignment is None else previous_alignment.shape)
        single = len(query.shape) == 2
        query3 = ops.expand_dims(query, 1) if single else query
        keys = self.compute_keys(values)
        if self.needs_previous_alignment and previous_alignment is None:
            previous_alignment = self.initial_alignment(values, mask)
        if self.needs_previous_alignment and query3.shape[1] != 1:
            context, weights = self._attend_sequence(query3, keys, values, mask,
                                                     previous_alignment, training)
        else:
            context, weights = self.attend(query3, keys, values, mask,
                                           previous_alignment, training)
        if single:
            context, weights = ops.squeeze(context, 1), ops.squeeze(weights, 1)
        if return_attention_scores:
            return context, weights
        return context

    def next_alignment_state(self, state, weights):
        """The `previous_alignment` for the next step, given this step's
        weights `(batch, tv)`; the weights themselves by default (a
        cumulative mechanism returns the running sum)."""
        return weights

    def presample(self, steps, batch, tv, training=None):
        """Random tensors a sequence of `steps` query steps needs, drawn once
        before the loop (a random op cannot update its seed state inside a JAX
        scan); `None` by default. Its leading axis is the step."""
        return None

    def step_alignment(self, query, keys, mask, state, training=None, sample=None):
        """Weights `(batch, 1, tv)` of one query step `(batch, 1, dq)`."""
        energies = self.score(query, keys, previous_alignment=state)
        return self.alignment(energies, mask=mask, previous_alignment=state, query=query,
                              training=training)

    def _attend_sequence(self, query, keys, values, mask, previous_alignment, training):
        """Query steps one after another, each seeing the previous alignment.

        Only the weights go through the scan; dropout and the context are
        applied to all steps at once afterwards, so no random op runs inside
        the loop and the carried alignment is never dropped out.
        """
        steps, batch, tv = ops.shape(query)[1], ops.shape(query)[0], ops.shape(keys)[1]
        sample = self.presample(steps, batch, tv, training)
        xs = ops.transpose(query, (1, 0, 2))

        def step(state, x):
            query_t, sample_t = x if sample is not None else (x, None)
            weights_t = self.step_alignment(ops.expand_dims(query_t, 1), keys, mask, state,
                                            training, sample_t)
            weights_t = ops.squeeze(weights_t, 1)
            return self.next_alignment_state(state, weights_t), weights_t

        state = ops.cast(previous_alignment, self.compute_dtype)
        _, weights = ops.scan(step, state, xs if sample is None else (xs, sample))
        weights = ops.transpose(weights, (1, 0, 2))
        used = weights
        if self._dropout_layer is not None:
            used = self._dropout_layer(weights, training=training)
        return ops.matmul(used, values), weights

    def get_config(self):
        config = super().get_config()
        config["dropout"] = self.dropout
        return config
