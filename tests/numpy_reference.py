"""Independent NumPy re-implementations of the attention equations, written
from the papers, used as references by the layer tests."""

import numpy as np


def softmax(x, mask=None):
    """Softmax over the last axis; masked entries get exactly 0."""
    x = np.asarray(x, dtype=np.float64)
    if mask is not None:
        mask = np.broadcast_to(mask, x.shape)
        x = np.where(mask, x, -np.inf)
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def bahdanau(query, values, Wq, Wk, v, mask=None, g=None, b=None):
    """Bahdanau 2015 eq. 6, one batch item: query (tq, dq), values (tv, dv)."""
    out_ctx, out_w = [], []
    if g is not None:
        v = g * v / np.linalg.norm(v)
    for q in query:
        hidden = q @ Wq + values @ Wk
        if b is not None:
            hidden = hidden + b
        e = np.tanh(hidden) @ v
        w = softmax(e, mask)
        out_w.append(w)
        out_ctx.append(w @ values)
    return np.array(out_ctx), np.array(out_w)
