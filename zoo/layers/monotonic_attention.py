"""Monotonic attention (Raffel et al., 2017)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.bahdanau_attention import BahdanauAttention

_MODES = ("auto", "parallel", "hard")


def _exclusive(x, fill):
    """Shift the last axis right by one, filling position 0 with `fill`."""
    return ops.concatenate([ops.full_like(x[..., :1], fill), x[..., :-1]], axis=-1)


def expected_alignment(p, previous_alignment):
    """Expected monotonic alignment, in parallel over the memory.

    `p` `(batch, tq, tv)` are the choosing probabilities, `previous_alignment`
    `(batch, tv)` the previous step's alignment. Closed form of the
    recurrence `q_j = (1 - p_{j-1}) q_{j-1} + alpha_prev_j`,
    `alpha_j = p_j q_j`:
    `alpha = p * cumprod_excl(1 - p) * cumsum(alpha_prev / cumprod_excl(1 - p))`.
    The exclusive cumprod is taken in log space with `1 - p` clipped away
    from 0, and the division is clipped to avoid dividing by ~0 (both
    as in the authors' TensorFlow implementation).
    """
    tiny = 1e-30 if "float16" not in str(p.dtype) else 1e-7
    log_keep = ops.log(ops.clip(1.0 - p, tiny, 1.0))
    cumprod = ops.exp(_exclusive(ops.cumsum(log_keep, axis=-1), 0.0))
    previous = ops.expand_dims(previous_alignment, 1)
    return p * cumprod * ops.cumsum(previous / ops.clip(cumprod, 1e-10, 1.0), axis=-1)


def hard_alignment(p, previous_alignment):
    """Hard monotonic alignment: all weight on the first step `j` at or after
    the previously attended one with `p_j >= 0.5`, or none at all.

    The previously attended step is the first one where `previous_alignment`
    `(batch, tv)` is non-zero (its only non-zero step when it is one-hot, as
    produced by this function or `initial_alignment`); if it is all zero,
    nothing is reachable. The result is exactly one-hot or all zero.
    """
    # Steps before the previously attended one cannot be chosen.
    reachable = ops.expand_dims(ops.cumsum(ops.cast(previous_alignment > 0, p.dtype), axis=-1), 1)
    chosen = ops.cast(ops.logical_and(p >= 0.5, reachable > 0), p.dtype)
    # Keep only the first chosen step: [0,1,1,0,1] -> [0,1,0,0,0] (the
    # exclusive cumprod of 1 - chosen, written with a cumsum).
    return chosen * ops.cast(ops.cumsum(chosen, axis=-1) == 1.0, p.dtype)


@keras.saving.register_keras_serializable(package="zoo")
class MonotonicAttention(BahdanauAttention):
    """Online, linear-time monotonic attention.

    At output step `i` the decoder scans the memory left to right from where
    it last attended and, at each memory step `j`, stops there with
    probability `p_ij = sigmoid(e_ij)`; it attends to the step where it
    stopped, or to nothing if it never stops (Raffel, Luong, Liu, Weiss &
    Eck, "Online and Linear-Time Attention by Enforcing Monotonic
    Alignments", ICML 2017). Energies are the weight-normalised Bahdanau
    energies plus a learned scalar bias `r`:
    `e_ij = g v^T/||v|| tanh(W s_i + V h_j + b) + r` (`normalize=False`
    drops the weight normalisation and `b`).

    * Parallel (training): the weights are the *expected* alignment
      `alpha_ij = p_ij sum_{k<=j} alpha_{i-1,k} prod_{l=k}^{j-1} (1 - p_il)`,
      computed in parallel over `j` with cumulative products and sums. In
      training, zero-mean Gaussian noise of standard deviation
      `sigmoid_noise` is added to `e_ij` before the sigmoid, which pushes
      the model towards near-binary `p`.
    * Hard (inference): `p_ij` is binarised at 0.5 and the weights are
      one-hot on the first step at or after the previously attended step
      (the first non-zero step of `previous_alignment`) with `p_ij >= 0.5`,
      or all zero if there is none (then all later query steps attend
      nowhere too, as the expected alignment loses that probability mass). No gradient flows through a binary
      decision, so in hard mode the backward pass uses the gradient of the
      expected alignment (straight-through); the forward values are exactly
      the hard weights.

    The weights sum to at most 1 per query step: the missing mass is the
    probability of attending nowhere (the context is then 0). Masked memory
    steps get `p_ij = 0` (they are skipped) and weight exactly 0.

    `previous_alignment` is the previous output step's weights; it defaults
    to `initial_alignment(values)`, all weight on step 0 (the paper's
    `alpha_{0,j} = delta_j`). With a 3-D query the layer carries it from one
    query step to the next.

    Args:
        units: size of the hidden layer inside the score.
        mode: `"parallel"`, `"hard"`, or `"auto"` (parallel when training,
            hard otherwise).
        sigmoid_noise: standard deviation of the pre-sigmoid noise added in
            training (0 disables it).
        score_bias_init: initial value of `r`; negative values make the
            decoder move on slowly at the start of training.
        normalize: use the weight-normalised energy (the paper's choice).
        dropout: dropout rate on the weights used for the context (training).
        seed: seed of the pre-sigmoid noise.

    Call arguments:
        query: `(batch, dq)` or `(batch, tq, dq)`.
        values: `(batch, tv, dv)`.
        mask: optional boolean `(batch, tv)`; defaults to the Keras mask of
            `values`.
        previous_alignment: optional `(batch, tv)`, see above.
        return_attention_scores: also return the weights.
        training: Keras training flag (mode `"auto"`, noise, dropout).

    Returns:
        `context` `(batch[, tq], dv)`, and with `return_attention_scores=True`
        also `weights` `(batch[, tq], tv)`.
    """

    needs_previous_alignment = True

    def __init__(self, units, mode="auto", sigmoid_noise=1.0, score_bias_init=-4.0,
                 normalize=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(units, normalize=normalize, dropout=dropout, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"`mode` must be one of {_MODES}; got {mode!r}.")
        if float(sigmoid_noise) < 0:
            raise ValueError(f"`sigmoid_noise` must be >= 0; got {sigmoid_noise}.")
        self.mode = mode
        self.sigmoid_noise = float(sigmoid_noise)
        self.score_bias_init = float(score_bias_init)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build_mechanism(self, query_dim, values_dim):
        super().build_mechanism(query_dim, values_dim)
        self.r = self.add_weight(name="r", shape=(),
                                 initializer=keras.initializers.Constant(self.score_bias_init))

    def score(self, query, keys, previous_alignment=None):
        return super().score(query, keys) + self.r

    def uses_hard(self, training=None):
        """Whether this call computes hard (rather than expected) weights."""
        if self.mode == "auto":
            return not training
        return self.mode == "hard"

    def _noise(self, shape, training, dtype):
        if not training or self.sigmoid_noise <= 0:
            return None
        return self.sigmoid_noise * keras.random.normal(shape, dtype=dtype,
                                                        seed=self.seed_generator)

    def alignment(self, energies, mask=None, previous_alignment=None, query=None, training=None):
        noise = self._noise(ops.shape(energies), training, energies.dtype)
        return self._monotonic(energies, mask, previous_alignment, training, noise)

    def choosing_probabilities(self, energies, mask=None, noise=None):
        """`p_ij = sigmoid(e_ij + noise)`, exactly 0 on masked steps."""
        if noise is not None:
            energies = energies + noise
        p = ops.sigmoid(energies)
        if mask is not None:
            valid = ops.expand_dims(ops.cast(mask, "bool"), 1)
            p = ops.where(valid, p, ops.zeros_like(p))
        return p

    def _monotonic(self, energies, mask, previous_alignment, training, noise):
        if previous_alignment is None:
            raise ValueError(
                "MonotonicAttention needs `previous_alignment` (batch, tv); use "
                "`initial_alignment(values)` before the first step."
            )
        previous_alignment = ops.cast(previous_alignment, energies.dtype)
        p = self.choosing_probabilities(energies, mask, noise)
        expected = expected_alignment(p, previous_alignment)
        if not self.uses_hard(training):
            return expected
        hard = ops.stop_gradient(hard_alignment(p, previous_alignment))
        # Straight-through: the value is `hard` exactly (x - x == 0), the
        # gradient is that of the expected alignment.
        return hard + (expected - ops.stop_gradient(expected))

    def presample(self, steps, batch, tv, training=None):
        return self._noise((steps, batch, 1, tv), training, self.compute_dtype)

    def step_alignment(self, query, keys, mask, state, training=None, sample=None):
        return self._monotonic(self.score(query, keys), mask, state, training, sample)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, sigmoid_noise=self.sigmoid_noise,
                      score_bias_init=self.score_bias_init, seed=self.seed)
        return config
