"""Log-mel spectrogram of raw audio as a Keras layer (keras.ops only).

Framing is a reshape of the signal into hops plus a concatenation of
consecutive hops; the power spectrum comes from `keras.ops.rfft` (TFLite
builtin RFFT2D, no stored weights: `dft="rfft"`, the default) or from a
windowed real-DFT matrix (`dft="matmul"`: FULLY_CONNECTED ops only, which
GPU delegates take, at the price of storing the DFT matrices, ~0.9 MB for 480
samples); the mel filter bank is a fixed matrix. The export keeps this layer
in float32 even in the integer modes (`export_float = True`): a power
spectrum spans more dynamic range than 8 bits hold; after the log, int8 is
fine.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0)


def mel_filterbank(num_mel_bins, num_bins, sample_rate, lower_hz, upper_hz):
    """Triangular HTK-style mel filters, `(num_bins, num_mel_bins)`."""
    freqs = np.linspace(0.0, sample_rate / 2.0, num_bins)
    edges = mel_to_hz(np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), num_mel_bins + 2))
    bank = np.zeros((num_bins, num_mel_bins))
    for m in range(num_mel_bins):
        lo, centre, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (freqs - lo) / (centre - lo)
        falling = (hi - freqs) / (hi - centre)
        bank[:, m] = np.maximum(0.0, np.minimum(rising, falling))
    return bank.astype(np.float32)


def dft_matrices(frame_length):
    """Hann-windowed real DFT: `(frame_length, bins)` cosine and sine parts."""
    n = np.arange(frame_length)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / frame_length)  # periodic Hann
    bins = frame_length // 2 + 1
    k = np.arange(bins)
    angle = 2.0 * np.pi * np.outer(n, k) / frame_length
    return ((window[:, None] * np.cos(angle)).astype(np.float32),
            (-window[:, None] * np.sin(angle)).astype(np.float32))


@keras.saving.register_keras_serializable(package="zoo")
class LogMelSpectrogram(keras.layers.Layer):
    """`(batch, samples)` audio in [-1, 1] -> `(batch, frames, num_mel_bins)`.

    Args:
        sample_rate: Hz.
        hop_length: samples between frames (160 = 10 ms at 16 kHz).
        frames_per_window: frame length in hops (3 -> 480 samples = 30 ms).
        num_mel_bins, lower_hz, upper_hz: the mel filter bank.
        floor: added to the mel power before the log.
        dft: "rfft" (FFT of the frame zero-padded to a power of two) or
            "matmul" (exact DFT of the frame length as a matrix product).

    `samples` must be a multiple of `hop_length`; frames =
    `samples / hop_length - frames_per_window + 1` (98 for 1 s at 16 kHz).
    """

    export_float = True

    def __init__(self, sample_rate=16000, hop_length=160, frames_per_window=3,
                 num_mel_bins=40, lower_hz=20.0, upper_hz=7600.0, floor=1e-6, dft="rfft",
                 **kwargs):
        super().__init__(**kwargs)
        if dft not in ("rfft", "matmul"):
            raise ValueError(f"`dft` must be 'rfft' or 'matmul'; got {dft!r}")
        self.dft = dft
        if upper_hz > sample_rate / 2 or lower_hz < 0 or lower_hz >= upper_hz:
            raise ValueError(f"need 0 <= lower_hz < upper_hz <= sample_rate / 2; got "
                             f"lower_hz={lower_hz}, upper_hz={upper_hz}, sample_rate={sample_rate}")
        self.sample_rate, self.hop_length = int(sample_rate), int(hop_length)
        self.frames_per_window, self.num_mel_bins = int(frames_per_window), int(num_mel_bins)
        self.lower_hz, self.upper_hz, self.floor = float(lower_hz), float(upper_hz), float(floor)
        frame = self.hop_length * self.frames_per_window
        self.fft_length = frame if dft == "matmul" else 1 << (frame - 1).bit_length()
        n = np.arange(frame)
        self._window = (0.5 - 0.5 * np.cos(2.0 * np.pi * n / frame)).astype(np.float32)
        if dft == "matmul":
            self._cos, self._sin = dft_matrices(frame)
        self._mel = mel_filterbank(self.num_mel_bins, self.fft_length // 2 + 1, self.sample_rate,
                                   self.lower_hz, self.upper_hz)

    def build(self, input_shape):
        samples = input_shape[-1]
        if len(input_shape) != 2:
            raise ValueError(f"`inputs` must have shape (batch, samples); got {tuple(input_shape)}")
        if samples is None or samples % self.hop_length:
            raise ValueError(f"`inputs` must have a fixed number of samples that is a multiple "
                             f"of hop_length={self.hop_length}; got shape {tuple(input_shape)}")
        const = keras.initializers.Constant
        if self.dft == "matmul":
            self.cos = self.add_weight(name="dft_cos", shape=self._cos.shape,
                                       initializer=const(self._cos), trainable=False)
            self.sin = self.add_weight(name="dft_sin", shape=self._sin.shape,
                                       initializer=const(self._sin), trainable=False)
        else:
            self.window = self.add_weight(name="window", shape=self._window.shape,
                                          initializer=const(self._window), trainable=False)
        self.mel = self.add_weight(name="mel", shape=self._mel.shape,
                                   initializer=const(self._mel), trainable=False)

    def frames(self, inputs):
        hops = ops.reshape(inputs, (-1, inputs.shape[-1] // self.hop_length, self.hop_length))
        n = hops.shape[1] - self.frames_per_window + 1
        return ops.concatenate([hops[:, i:i + n] for i in range(self.frames_per_window)], axis=-1)

    def call(self, inputs):
        frames = self.frames(inputs)
        if self.dft == "matmul":
            real, imag = ops.matmul(frames, self.cos), ops.matmul(frames, self.sin)
        else:
            real, imag = ops.rfft(frames * self.window, fft_length=self.fft_length)
        power = real * real + imag * imag
        return ops.log(ops.matmul(power, self.mel) + self.floor)

    def compute_output_shape(self, input_shape):
        n = input_shape[-1] // self.hop_length - self.frames_per_window + 1
        return (input_shape[0], n, self.num_mel_bins)

    def get_config(self):
        config = super().get_config()
        config.update(sample_rate=self.sample_rate, hop_length=self.hop_length,
                      frames_per_window=self.frames_per_window, num_mel_bins=self.num_mel_bins,
                      lower_hz=self.lower_hz, upper_hz=self.upper_hz, floor=self.floor)
        return config
