"""Additive attention (Bahdanau et al., 2015), optionally weight-normalised."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import BaseAttention


@keras.saving.register_keras_serializable(package="zoo")
class BahdanauAttention(BaseAttention):
    """Additive (Bahdanau) attention.

    Energies `e_ij = v^T tanh(W_q q_i + W_k h_j)` (Bahdanau, Cho & Bengio,
    "Neural Machine Translation by Jointly Learning to Align and Translate",
    ICLR 2015, eq. 6 and appendix A.1.2). With `normalize=True`, `v` is
    replaced by `g * v / ||v||` and a bias `b` is added inside the `tanh`
    (Raffel et al., "Online and Linear-Time Attention by Enforcing Monotonic
    Alignments", ICML 2017, section 2.3), which keeps energies well scaled.
    Weights are `softmax_j(e_ij)` over unmasked steps, context `sum_j a_ij h_j`.

    Args:
        units: size of the hidden layer inside the score (`W_q`, `W_k` map to
            `units`).
        normalize: use the weight-normalised form of the score.
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

    def __init__(self, units, normalize=False, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if int(units) <= 0:
            raise ValueError(f"`units` must be a positive integer; got {units}.")
        self.units = int(units)
        self.normalize = bool(normalize)

    @property
    def uses_bias(self):
        """Whether a bias `b` is added inside the tanh (the normalised form;
        subclasses such as location-sensitive attention always use one)."""
        return self.normalize

    def build_mechanism(self, query_dim, values_dim):
        init = keras.initializers.GlorotUniform()
        self.query_kernel = self.add_weight(name="query_kernel", shape=(query_dim, self.units),
                                            initializer=init)
        self.key_kernel = self.add_weight(name="key_kernel", shape=(values_dim, self.units),
                                          initializer=init)
        self.v = self.add_weight(name="v", shape=(self.units,), initializer=init)
        if self.normalize:
            self.g = self.add_weight(name="g", shape=(),
                                     initializer=keras.initializers.Constant((1.0 / self.units) ** 0.5))
        if self.uses_bias:
            self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def compute_keys(self, values):
        return ops.matmul(values, self.key_kernel)

    def additive_energy(self, query, memory_term):
        """`v^T tanh(W_q q_i + m_j [+ b])` for query `(b, tq, dq)` and a
        per-step memory term `(b, tv, units)` (the keys, plus any extra term)."""
        processed = ops.matmul(query, self.query_kernel)  # (b, tq, u)
        hidden = ops.expand_dims(processed, 2) + ops.expand_dims(memory_term, 1)  # (b, tq, tv, u)
        if self.uses_bias:
            hidden = hidden + self.b
        v = self.v
        if self.normalize:
            v = self.g * v / ops.sqrt(ops.sum(ops.square(v)))
        return ops.sum(ops.tanh(hidden) * v, axis=-1)

    def score(self, query, keys, previous_alignment=None):
        return self.additive_energy(query, keys)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, normalize=self.normalize)
        return config
