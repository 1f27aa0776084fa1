"""Keras 3 attention layers for recurrent networks.

Every query/values mechanism shares one calling convention, described in
`zoo.layers.base_attention`.
"""

from zoo.layers.base_attention import BaseAttention, masked_softmax
from zoo.layers.bahdanau_attention import BahdanauAttention

__all__ = [
    "BaseAttention",
    "masked_softmax",
    "BahdanauAttention",
]
