"""Keras 3 attention layers for recurrent networks.

Every query/values mechanism shares one calling convention, described in
`zoo.layers.base_attention`.
"""

from zoo.layers.base_attention import BaseAttention, masked_softmax
from zoo.layers.bahdanau_attention import BahdanauAttention
from zoo.layers.attention_pooling import AttentionPooling
from zoo.layers.attention_rnn_cell import AttentionRNN, AttentionRNNCell
from zoo.layers.local_attention import LocalAttention
from zoo.layers.log_mel_spectrogram import LogMelSpectrogram
from zoo.layers.location_sensitive_attention import LocationSensitiveAttention
from zoo.layers.monotonic_attention import MonotonicAttention
from zoo.layers.luong_attention import LuongAttention
from zoo.layers.multi_head_self_attention import MultiHeadSelfAttention
from zoo.layers.scaled_dot_product_attention import ScaledDotProductAttention
from zoo.layers.spec_augment import SpecAugment

__all__ = [
    "BaseAttention",
    "masked_softmax",
    "BahdanauAttention",
    "AttentionPooling",
    "AttentionRNNCell",
    "AttentionRNN",
    "LocalAttention",
    "LogMelSpectrogram",
    "LocationSensitiveAttention",
    "MonotonicAttention",
    "LuongAttention",
    "MultiHeadSelfAttention",
    "ScaledDotProductAttention",
    "SpecAugment",
]
