"""Multi-head (self-)attention on the zoo's calling convention.

A thin wrapper of `keras.layers.MultiHeadAttention` (Vaswani et al., 2017)
that speaks the query/values convention of `zoo.layers.base_attention`:
a 2-D query is one decoder step, `mask` is a `(batch, tv)` mask of value
steps, and `values=None` means self-attention over the query.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import (
    _dims,
    check_built_sizes,
    check_per_value_step,
    check_query_values,
    shape_error,
)

try:  # The Keras mask of a tensor has no public accessor in Keras 3.
    from keras.src.backend import get_keras_mask as _get_keras_mask
except ImportError:  # pragma: no cover - fallback for other Keras layouts
    def _get_keras_mask(x):
        return getattr(x, "_keras_mask", None)


@keras.saving.register_keras_serializable(package="zoo")
class MultiHeadSelfAttention(keras.layers.Layer):
    """Multi-head attention (self-attention when `values` is omitted).

    For each head `n`: `Q = q W_n^Q`, `K = h W_n^K`, `V = h W_n^V`, weights
    `A_n = softmax(Q K^T / sqrt(key_dim))` over unmasked value steps, head
    output `A_n V`; the heads are concatenated and projected by `W^O`
    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, section 3.2.2
    and eq. 1). The computation is `keras.layers.MultiHeadAttention` (the
    `mha` attribute), whose kernels hold the projections.

    Args:
        num_heads: number of heads.
        key_dim: size of each head's query and key projection.
        value_dim: size of each head's value projection (defaults to
            `key_dim`).
        dropout: dropout rate on the weights used for the context (training);
            the returned weights are not dropped.
        use_bias: use biases in the projections.
        output_dim: size of the context (defaults to the query feature size).

    Call arguments:
        query: `(batch, dq)` (one query step) or `(batch, tq, dq)`.
        values: `(batch, tv, dv)`, or `None` for self-attention over `query`
            (which must then be 3-D).
        mask: optional boolean `(batch, tv)`, `True` on real value steps;
            defaults to the Keras mask of `values` (of `query` for
            self-attention). Masked steps get weight exactly 0; a row with no
            valid step gets all-zero weights.
        return_attention_scores: also return the weights.
        training: Keras training flag (dropout).
        use_causal_mask: also hide value steps after the query step (query
            step `i` sees value steps `j <= i`); needs a 3-D query.

    Returns:
        `context` `(batch[, tq], d)` with `d = output_dim or dq`, and with
        `return_attention_scores=True` also `weights`
        `(batch, num_heads[, tq], tv)`. A 3-D context carries the Keras mask
        of `query`, if any.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_dim=None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim),
                            ("value_dim", value_dim), ("output_dim", output_dim)):
            if value is None and name in ("value_dim", "output_dim"):
                continue
            if int(value) != value or int(value) <= 0:
                raise ValueError(f"`{name}` must be a positive integer; got {value}.")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1); got {dropout}.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = None if value_dim is None else int(value_dim)
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.output_dim = None if output_dim is None else int(output_dim)
        self.supports_masking = True
        self.mha = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
            dropout=self.dropout, use_bias=self.use_bias, output_shape=self.output_dim,
            dtype=self.dtype_policy, name="mha",
        )

    # ------------------------------------------------------------------ shapes
    def _check_shapes(self, query_shape, values_shape=None, mask_shape=None):
        query_shape = _dims(query_shape)
        if values_shape is None:
            if len(query_shape) != 3:
                raise shape_error("query", "(batch, t, d) for self-attention (values=None)",
                                  query_shape)
            values_shape = query_shape
        query_shape, values_shape = check_query_values(query_shape, values_shape)
        check_per_value_step("mask", mask_shape, values_shape)
        if self.built:
            check_built_sizes(query_shape, values_shape, self._query_dim, self._values_dim)
        return query_shape, values_shape

    def build(self, query_shape, values_shape=None):
        query_shape, values_shape = self._check_shapes(query_shape, values_shape)
        if query_shape[-1] is None or values_shape[-1] is None:
            raise ValueError(
                f"The feature size of `query` and `values` must be known to build "
                f"{type(self).__name__}; got {query_shape} and {values_shape}."
            )
        self._query_dim, self._values_dim = query_shape[-1], values_shape[-1]
        self.mha.build((None, None, self._query_dim), (None, None, self._values_dim))
        self.built = True

    def compute_output_shape(self, query_shape, values_shape=None):
        return tuple(query_shape[:-1]) + (self.output_dim or query_shape[-1],)

    def compute_output_spec(self, query, values=None, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False, values_mask=None):
        _, values_shape = self._check_shapes(query.shape, None if values is None else values.shape,
                                             None if mask is None else mask.shape)
        context = keras.KerasTensor(self.compute_output_shape(query.shape),
                                    dtype=self.compute_dtype)
        if not return_attention_scores:
            return context
        lead = (query.shape[0], self.num_heads) + tuple(query.shape[1:-1])
        weights = keras.KerasTensor(lead + (values_shape[1],), dtype=self.compute_dtype)
        return context, weights

    def compute_mask(self, query, mask=None):
        # The context follows the query's time axis: it keeps the query's mask.
        if len(query.shape) != 3:
            return None
        return _get_keras_mask(query)

    # -------------------------------------------------------------------- call
    def call(self, query, values=None, mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, values_mask=None):
        """See the class docstring; `values_mask` is filled in by Keras."""
        if mask is None:
            mask = values_mask
        self._check_shapes(query.shape, None if values is None else values.shape,
                           None if mask is None else mask.shape)
        single = len(query.shape) == 2
        if single and use_causal_mask:
            raise ValueError("`use_causal_mask=True` needs a 3-D `query` (batch, tq, dq); got "
                             f"shape {tuple(query.shape)}.")
        # Fresh tensors: MultiHeadAttention reads (and deletes) the Keras masks of
        # its inputs, and would also mask query rows; only `mask` applies here.
        query3 = ops.expand_dims(query, 1) if single else ops.copy(query)
        values = query3 if values is None else ops.copy(values)
        attention_mask = None
        if mask is not None:
            attention_mask = ops.expand_dims(ops.cast(mask, "bool"), 1)  # (b, 1, tv)
        # Scores are always requested: Keras then takes the explicit softmax
        # path, which gives all-zero weights to a fully masked row, so the
        # context agrees with the returned weights.
        context, weights = self.mha(query3, values, attention_mask=attention_mask,
                                    return_attention_scores=True, training=training,
                                    use_causal_mask=use_causal_mask)
        if single:
            context, weights = ops.squeeze(context, 1), ops.squeeze(weights, 2)
        if return_attention_scores:
            return context, weights
        return context

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
                      dropout=self.dropout, use_bias=self.use_bias, output_dim=self.output_dim)
        return config
