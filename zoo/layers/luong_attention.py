"""Multiplicative / global attention (Luong, Pham & Manning, 2015)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import BaseAttention

SCORES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="zoo")
class LuongAttention(BaseAttention):
    """Global attention with the dot, general or concat score of Luong et al.

    Energies between a query `q` (the decoder state `h_t`) and a value step
    `h_j` (an encoder state `h̄_s`), from Luong, Pham & Manning, "Effective
    Approaches to Attention-based Neural Machine Translation", EMNLP 2015,
    eq. 8:

    * `"dot"`: `e_ij = q_i^T h_j` (needs `dq == dv`);
    * `"general"`: `e_ij = q_i^T W_a h_j`, `W_a` of shape `(dq, dv)`;
    * `"concat"`: `e_ij = v_a^T tanh(W_a [q_i; h_j])`, `W_a` of shape
      `(units, dq + dv)`, stored split in its query part `query_kernel`
      `(dq, units)` and values part `key_kernel` `(dv, units)` so that the
      values part is computed once per sequence.

    With `scaled=True` the `"dot"` and `"general"` energies are divided by
    `sqrt(d)`, `d` the width the dot product runs over (`dq`), as in scaled
    dot-product attention (Vaswani et al. 2017): at initialisation their spread
    no longer grows with the layer widths, so the softmax starts soft. Measured on
    `mt-en-de-luong` (`dq` 192): unscaled, its attention collapsed during
    training onto the first source step for every target step (weight 1.00, the
    backward encoder's summary of the sentence), a no-attention model in effect.
    With `use_scale=True` the energies are multiplied by a learned scalar
    `scale` initialised to 1 (as `keras.layers.Attention(use_scale=True)`).
    Weights are `softmax_j(e_ij)` over unmasked steps (eq. 7), context
    `sum_j a_ij h_j`.

    Args:
        score: `"dot"`, `"general"` or `"concat"`.
        units: size of the hidden layer of the `"concat"` score (required for
            it, not accepted by the others).
        scaled: divide the `"dot"` / `"general"` energies by `sqrt(dq)`.
        use_scale: learn a scalar multiplier of the energies.
        dropout: dropout rate on the weights used for the context (training).

    Call arguments:
        query: `(batch, dq)` or `(batch, tq, dq)`.
        values: `(batch, tv, dv)`.
        mask: optional boolean `(batch, tv)`; defaults to the Keras mask of
            `values`.
        return_attention_scores: also return the weights.
        training: Keras training flag (dropout).

    Returns:
        `context` `(batch[, tq], dv)`, and with `return_attention_scores=True`
        also `weights` `(batch[, tq], tv)`.
    """

    def __init__(self, score="dot", units=None, use_scale=False, dropout=0.0, scaled=False,
                 **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if score not in SCORES:
            raise ValueError(
                f"`score` must be one of {', '.join(repr(s) for s in SCORES)}; got {score!r}."
            )
        if score == "concat":
            if units is None:
                raise ValueError("`units` is required with score='concat' (the size of W_a).")
            if int(units) <= 0:
                raise ValueError(f"`units` must be a positive integer; got {units}.")
            units = int(units)
        elif units is not None:
            raise ValueError(
                f"`units` is only used by score='concat'; got units={units} with "
                f"score={score!r}."
            )
        if scaled and score == "concat":
            raise ValueError("`scaled=True` divides dot-product energies by sqrt(dq); the "
                             "'concat' score has no dot product (use score='dot' or 'general')")
        self.score_mode = score
        self.scaled = bool(scaled)
        self.units = units
        self.use_scale = bool(use_scale)
        # Only the dot score compares query and values features directly.
        self.query_matches_values = score == "dot"

    def build_mechanism(self, query_dim, values_dim):
        init = keras.initializers.GlorotUniform()
        if self.score_mode == "general":
            self.kernel = self.add_weight(name="kernel", shape=(query_dim, values_dim),
                                          initializer=init)
        elif self.score_mode == "concat":
            self.query_kernel = self.add_weight(name="query_kernel",
                                                shape=(query_dim, self.units), initializer=init)
            self.key_kernel = self.add_weight(name="key_kernel", shape=(values_dim, self.units),
                                              initializer=init)
            self.v = self.add_weight(name="v", shape=(self.units,), initializer=init)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")

    def compute_keys(self, values):
        if self.score_mode == "general":
            # W_a h_j for every step: (b, tv, dq).
            return ops.matmul(values, ops.transpose(self.kernel))
        if self.score_mode == "concat":
            return ops.matmul(values, self.key_kernel)  # (b, tv, units)
        return values

    def score(self, query, keys, previous_alignment=None):
        if self.score_mode == "concat":
            processed = ops.matmul(query, self.query_kernel)  # (b, tq, u)
            hidden = ops.expand_dims(processed, 2) + ops.expand_dims(keys, 1)  # (b, tq, tv, u)
            energies = ops.sum(ops.tanh(hidden) * self.v, axis=-1)
        else:
            energies = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))
            if self.scaled:
                energies = energies / ops.sqrt(ops.cast(ops.shape(query)[-1], energies.dtype))
        if self.use_scale:
            energies = energies * self.scale
        return energies

    def get_config(self):
        config = super().get_config()
        config.update(score=self.score_mode, units=self.units, use_scale=self.use_scale,
                      scaled=self.scaled)
        return config
