"""Location-sensitive attention (Chorowski et al., 2015; Tacotron 2)."""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.bahdanau_attention import BahdanauAttention


@keras.saving.register_keras_serializable(package="zoo")
class LocationSensitiveAttention(BahdanauAttention):
    """Additive attention that also looks at where it attended before.

    Location features are a 1-D convolution of the previous alignment,
    `f_i = F * alpha_{i-1}` (`filters` filters of width `kernel_size`, 'same'
    padding, so `f_ij` is centred on step `j`), and the energies are
    `e_ij = w^T tanh(W s_i + V h_j + U f_ij + b)` (Chorowski, Bahdanau,
    Serdyuk, Cho & Bengio, "Attention-Based Models for Speech Recognition",
    NeurIPS 2015, eq. 8-9). Weights are `softmax_j(e_ij)` over unmasked steps,
    context `sum_j a_ij h_j`. With `normalize=True`, `w` is replaced by
    `g * w / ||w||` (weight normalisation, as in `BahdanauAttention`).

    With `cumulative=True` the convolution reads the running sum of all
    previous alignments instead of the last one (Shen et al., "Natural TTS
    Synthesis by Conditioning WaveNet on Mel Spectrogram Predictions",
    ICASSP 2018 - Tacotron 2), which discourages attending to the same steps
    again. The state carried between decoder steps is still a single
    `(batch, tv)` tensor, and its meaning depends on `cumulative`:

    * `cumulative=False`: `previous_alignment` is the last step's weights
      `alpha_{i-1}`; the next state is the new weights.
    * `cumulative=True`: `previous_alignment` is the sum `alpha_0 + ... +
      alpha_{i-1}`, where `alpha_0 = initial_alignment(...)` (all weight on
      step 0) when no alignment is given. A caller that runs the layer one
      step at a time must carry this sum itself:
      `state = layer.next_alignment_state(state, weights)`. With a 3-D query
      the layer does it internally: the `previous_alignment` passed in is the
      sum before the first query step, and query step `t` sees it plus the
      weights of query steps `0 .. t-1`.

    Args:
        units: size of the hidden layer inside the score.
        filters: number of location filters (`F` has `filters` channels).
        kernel_size: width of the location filters.
        cumulative: condition on the cumulative sum of past alignments.
        normalize: weight-normalise `w`.
        dropout: dropout rate on the weights used for the context (training).

    Call arguments:
        query: `(batch, dq)` or `(batch, tq, dq)`.
        values: `(batch, tv, dv)`.
        mask: optional boolean `(batch, tv)`; defaults to the Keras mask of
            `values`.
        previous_alignment: optional `(batch, tv)`, see above; defaults to
            `initial_alignment(values)`.
        return_attention_scores: also return the weights.
        training: Keras training flag (dropout).

    Returns:
        `context` `(batch[, tq], dv)`, and with `return_attention_scores=True`
        also `weights` `(batch[, tq], tv)`.
    """

    needs_previous_alignment = True

    def __init__(self, units, filters=32, kernel_size=31, cumulative=False, normalize=False,
                 dropout=0.0, **kwargs):
        super().__init__(units, normalize=normalize, dropout=dropout, **kwargs)
        for name, value in (("filters", filters), ("kernel_size", kernel_size)):
            if int(value) <= 0:
                raise ValueError(f"`{name}` must be a positive integer; got {value}.")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.cumulative = bool(cumulative)

    @property
    def uses_bias(self):
        return True  # b of eq. 9

    def build_mechanism(self, query_dim, values_dim):
        super().build_mechanism(query_dim, values_dim)
        init = keras.initializers.GlorotUniform()
        # F of eq. 8, laid out for ops.conv: (width, in_channels=1, filters).
        self.location_filters = self.add_weight(
            name="location_filters", shape=(self.kernel_size, 1, self.filters), initializer=init)
        # U of eq. 9.
        self.location_kernel = self.add_weight(
            name="location_kernel", shape=(self.filters, self.units), initializer=init)

    def location_features(self, previous_alignment):
        """`f = F * previous_alignment`: `(batch, tv)` -> `(batch, tv, filters)`."""
        x = ops.expand_dims(ops.cast(previous_alignment, self.compute_dtype), -1)
        return ops.conv(x, self.location_filters, strides=1, padding="same",
                        data_format="channels_last")

    def score(self, query, keys, previous_alignment=None):
        if previous_alignment is None:
            raise ValueError(
                "LocationSensitiveAttention needs `previous_alignment` (batch, tv); use "
                "`initial_alignment(values)` before the first step."
            )
        location = ops.matmul(self.location_features(previous_alignment),
                              self.location_kernel)  # (b, tv, u)
        return self.additive_energy(query, keys + location)

    def next_alignment_state(self, state, weights):
        """The `previous_alignment` for the next step, given this step's
        `weights` `(batch, tv)`: the running sum when `cumulative`, else the
        weights themselves."""
        return state + weights if self.cumulative else weights

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      cumulative=self.cumulative)
        return config
