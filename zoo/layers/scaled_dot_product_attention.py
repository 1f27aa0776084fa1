"""Scaled dot-product attention (Vaswani et al., 2017)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import BaseAttention


@keras.saving.register_keras_serializable(package="zoo")
class ScaledDotProductAttention(BaseAttention):
    """Scaled dot-product attention, without projections.

    Weights `softmax_j(q_i . k_j / sqrt(d))` with keys `k_j = h_j` (the
    values themselves) and `d` the feature size, context `sum_j a_ij h_j`
    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, eq. 1). The
    query and values feature sizes must be equal. The layer has no weights;
    project the query or values with a `Dense` layer to learn a score (or use
    `LuongAttention(score="general")`, `MultiHeadSelfAttention`).

    Args:
        dropout: dropout rate on the weights used for the context (training).

    Call arguments:
        query: `(batch, d)` or `(batch, tq, d)`.
        values: `(batch, tv, d)`.
        mask: optional boolean `(batch, tv)`; defaults to the Keras mask of
            `values`.
        return_attention_scores: also return the weights.
        training: Keras training flag (dropout).

    Returns:
        `context` `(batch[, tq], d)`, and with `return_attention_scores=True`
        also `weights` `(batch[, tq], tv)`.
    """

    query_matches_values = True

    def score(self, query, keys, previous_alignment=None):
        depth = ops.cast(ops.shape(query)[-1], query.dtype)
        energies = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))
        return energies / ops.sqrt(depth)
