"""Local attention with predicted position, local-p (Luong et al., 2015)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.base_attention import masked_softmax
from zoo.layers.luong_attention import LuongAttention


@keras.saving.register_keras_serializable(package="zoo")
class LocalAttention(LuongAttention):
    """Luong's local-p attention: a Gaussian-weighted window around a
    predicted source position.

    From Luong, Pham & Manning, "Effective Approaches to Attention-based
    Neural Machine Translation", EMNLP 2015, section 3.2. For each query
    `h_t` the layer predicts a position (eq. 9)

        p_t = (S - 1) * sigmoid(v_p^T tanh(W_p h_t)),

    where `S` is the real length of the sequence (the number of unmasked
    steps; `tv` without a mask), so that `p_t` lies in `[0, S - 1]`, the
    range of 0-based indices of the real steps. (The paper writes
    `S * sigmoid(...)`, `p_t` in `[0, S]`, with 1-based positions; the mask
    is assumed to mark right-padding, i.e. the real steps are `0 .. S-1`.)
    The weights are (eq. 10)

        a_t(s) = align(h_t, h_s) * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2,

    where `align` is the softmax of the Luong score (`"dot"`, `"general"` or
    `"concat"`, as in `LuongAttention`) taken only over the window
    `|s - p_t| <= D` (`p_t` is real-valued, the window is not rounded) and
    the unmasked steps; outside it the weight is exactly 0. As in the paper
    the weights then sum to at most 1 (the Gaussian is <= 1); with
    `normalize=True` they are renormalised to sum to 1.

    Args:
        window: the half-width `D` of the window (a positive integer).
        score: `"dot"`, `"general"` or `"concat"`.
        units: size of the hidden layer of the `"concat"` score (required for
            it, not accepted by the others).
        position_units: size of the hidden layer `W_p` of the position
            predictor; defaults to the query feature size.
        normalize: renormalise the weights to sum to 1.
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

    def __init__(self, window, score="general", units=None, position_units=None,
                 normalize=False, use_scale=False, dropout=0.0, **kwargs):
        super().__init__(score=score, units=units, use_scale=use_scale, dropout=dropout,
                         **kwargs)
        if int(window) != window or int(window) <= 0:
            raise ValueError(f"`window` must be a positive integer; got {window}.")
        if position_units is not None and int(position_units) <= 0:
            raise ValueError(f"`position_units` must be a positive integer; got {position_units}.")
        self.window = int(window)
        self.position_units = None if position_units is None else int(position_units)
        self.normalize = bool(normalize)

    def build_mechanism(self, query_dim, values_dim):
        super().build_mechanism(query_dim, values_dim)
        units = self.position_units or query_dim
        init = keras.initializers.GlorotUniform()
        self.position_kernel = self.add_weight(name="position_kernel", shape=(query_dim, units),
                                               initializer=init)  # W_p
        self.position_v = self.add_weight(name="position_v", shape=(units,),
                                          initializer=init)  # v_p

    def predict_position(self, query, mask=None, length=None):
        """`p_t` `(batch, tq)` for `query` `(batch, tq, dq)`; `length` is `tv`,
        used when there is no mask."""
        hidden = ops.tanh(ops.matmul(query, self.position_kernel))
        fraction = ops.sigmoid(ops.sum(hidden * self.position_v, axis=-1))  # (b, tq)
        if mask is None:
            last = ops.cast(length - 1, fraction.dtype)
        else:
            real = ops.sum(ops.cast(ops.cast(mask, "bool"), fraction.dtype), axis=-1)
            last = ops.expand_dims(ops.maximum(real - 1.0, 0.0), -1)  # (b, 1)
        return last * fraction

    def alignment(self, energies, mask=None, previous_alignment=None, query=None, training=None):
        if query is None:
            raise ValueError("LocalAttention needs the `query` to predict the window position.")
        dtype = energies.dtype
        tv = ops.shape(energies)[-1]
        position = ops.expand_dims(self.predict_position(query, mask, tv), -1)  # (b, tq, 1)
        distance = ops.arange(tv, dtype=dtype) - position  # (b, tq, tv)
        valid = ops.abs(distance) <= float(self.window)
        if mask is not None:
            valid = ops.logical_and(valid, ops.expand_dims(ops.cast(mask, "bool"), 1))
        align = masked_softmax(energies, valid)  # no -1e9 fill: int8 keeps its resolution
        sigma = self.window / 2.0
        weights = align * ops.exp(-ops.square(distance) / (2.0 * sigma * sigma))
        if self.normalize:
            total = ops.sum(weights, axis=-1, keepdims=True)
            weights = weights / ops.where(total > 0, total, ops.ones_like(total))
        return weights

    def get_config(self):
        config = super().get_config()
        config.update(window=self.window, position_units=self.position_units,
                      normalize=self.normalize)
        return config
