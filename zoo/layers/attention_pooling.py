"""Attention pooling: a weighted average of a sequence, `(batch, t, d)` -> `(batch, d)`."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import masked_softmax, shape_error

_NAMED_QUERIES = ("learned", "middle", "last", "first")


@keras.saving.register_keras_serializable(package="zoo")
class AttentionPooling(keras.layers.Layer):
    """Pools a sequence into one vector with attention weights over its steps.

    Two families of query:

    * `query="learned"`: feed-forward attention (Raffel & Ellis, "Feed-Forward
      Networks with Attention Can Solve Some Long-Term Memory Problems",
      ICLR 2016 workshop, eq. 1-3): energies `e_t = v^T tanh(W h_t + b)`, with
      `W` `(d, units)`, `b` `(units,)`, `v` `(units,)`.
    * an index query, `"middle"`, `"last"`, `"first"` or an integer `k`
      (de Andrade et al., "A neural attention model for speech command
      recognition", 2018, section 3): the query is a projection of one step
      of the sequence itself, `q = W_q h_k + b_q` (`W_q` `(d, d)`), and
      `e_t = q . h_t`. The step is counted among each sequence's *real*
      (unmasked) steps, so with padding `"middle"` is step `len // 2` and
      `"last"` step `len - 1` of that sequence's own length `len`; an integer
      `k` is the `k`-th real step (negative counts back from the last real
      step, so `-1` is `"last"`), clipped to the real steps.

    Weights are `softmax_t(e_t)` over unmasked steps (exactly 0 on masked
    steps; all zeros for a sequence with no real step) and the output is
    `sum_t a_t h_t`.

    Args:
        units: hidden size of the learned score; defaults to the feature size
            `d`. Only for `query="learned"` (the index query's projection
            must map to `d` features).
        query: `"learned"`, `"middle"`, `"last"`, `"first"` or an int.
        dropout: rate of dropout on the weights used for the pooled output
            during training (the returned weights are not dropped).

    Call arguments:
        inputs: `(batch, t, d)`.
        mask: optional boolean `(batch, t)`, `True` on real steps; defaults to
            the Keras mask of `inputs` (e.g. from `Embedding(mask_zero=True)`).
        return_attention_scores: also return the weights.
        training: Keras training flag (dropout).

    Returns:
        `pooled` `(batch, d)`, and with `return_attention_scores=True` also
        `weights` `(batch, t)`.
    """

    def __init__(self, units=None, query="learned", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(query, bool) or not (
            isinstance(query, int) or query in _NAMED_QUERIES
        ):
            raise ValueError(
                f"`query` must be one of {_NAMED_QUERIES} or an integer step index; "
                f"got {query!r}."
            )
        if units is not None:
            if query != "learned":
                raise ValueError(
                    "`units` applies only to query='learned' (an index query is "
                    f"projected to the feature size); got units={units} with "
                    f"query={query!r}."
                )
            if int(units) <= 0:
                raise ValueError(f"`units` must be a positive integer; got {units}.")
            units = int(units)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1); got {dropout}.")
        self.units = units
        self.query = query
        self.dropout = float(dropout)
        self.supports_masking = True
        self._dropout_layer = keras.layers.Dropout(self.dropout) if self.dropout else None

    # ------------------------------------------------------------------ shapes
    @staticmethod
    def _check_shapes(inputs_shape, mask_shape=None):
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != 3:
            raise shape_error("inputs", "(batch, t, d)", inputs_shape)
        if mask_shape is not None:
            mask_shape = tuple(mask_shape)
            if len(mask_shape) != 2 or any(
                a is not None and b is not None and a != b
                for a, b in zip(mask_shape, inputs_shape[:2])
            ):
                raise shape_error(
                    "mask", f"(batch, t) = {inputs_shape[:2]} matching `inputs`", mask_shape
                )
        return inputs_shape

    def build(self, inputs_shape):
        inputs_shape = self._check_shapes(inputs_shape)
        d = inputs_shape[-1]
        if d is None:
            raise ValueError(f"The feature size of `inputs` must be known; got {inputs_shape}.")
        self._input_dim = int(d)
        init = keras.initializers.GlorotUniform()
        if self.query == "learned":
            units = self.units or self._input_dim
            self.kernel = self.add_weight(name="kernel", shape=(d, units), initializer=init)
            self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")
            self.v = self.add_weight(name="v", shape=(units,), initializer=init)
        else:
            self.query_kernel = self.add_weight(name="query_kernel", shape=(d, d),
                                                initializer=init)
            self.query_bias = self.add_weight(name="query_bias", shape=(d,),
                                              initializer="zeros")

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None):
        shape = self._check_shapes(inputs.shape, None if mask is None else mask.shape)
        pooled = keras.KerasTensor((shape[0], shape[2]), dtype=self.compute_dtype)
        if not return_attention_scores:
            return pooled
        return pooled, keras.KerasTensor(shape[:2], dtype=self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        # The time axis is pooled away.
        return None

    # -------------------------------------------------------------------- call
    def _query_step(self, valid):
        """One-hot `(batch, t)` of the query step, counted among real steps."""
        valid_f = ops.cast(valid, "int32")
        length = ops.sum(valid_f, axis=1, keepdims=True)  # (b, 1)
        rank = ops.cumsum(valid_f, axis=1) - 1  # position among real steps
        if self.query == "first":
            target = ops.zeros_like(length)
        elif self.query == "last":
            target = length - 1
        elif self.query == "middle":
            target = length // 2
        elif self.query >= 0:
            target = ops.minimum(ops.full_like(length, self.query), length - 1)
        else:
            target = ops.maximum(length + self.query, ops.zeros_like(length))
        return ops.logical_and(valid, ops.equal(rank, target))

    def energies(self, inputs, mask=None):
        """Energies `(batch, t)` before the masked softmax."""
        if self.query == "learned":
            hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
            return ops.sum(hidden * self.v, axis=-1)
        if mask is None:
            valid = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        else:
            valid = ops.cast(mask, "bool")
        chosen = ops.cast(self._query_step(valid), inputs.dtype)  # (b, t)
        h_k = ops.sum(ops.expand_dims(chosen, -1) * inputs, axis=1)  # (b, d)
        q = ops.matmul(h_k, self.query_kernel) + self.query_bias
        return ops.sum(inputs * ops.expand_dims(q, 1), axis=-1)

    def call(self, inputs, mask=None, return_attention_scores=False, training=None):
        self._check_shapes(inputs.shape, None if mask is None else mask.shape)
        energies = self.energies(inputs, mask)
        weights = ops.squeeze(masked_softmax(ops.expand_dims(energies, 1), mask), 1)
        used = weights
        if self._dropout_layer is not None:
            used = self._dropout_layer(weights, training=training)
        pooled = ops.sum(ops.expand_dims(used, -1) * inputs, axis=1)
        if return_attention_scores:
            return pooled, weights
        return pooled

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, query=self.query, dropout=self.dropout)
        return config
