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


def luong(query, values, score, mask=None, W=None, Wq=None, Wk=None, v=None, scale=1.0):
    """Luong 2015 eq. 8 (dot, general, concat) and eq. 7, one batch item:
    query (tq, dq), values (tv, dv). For "general" `W` is W_a (dq, dv); for
    "concat" W_a = [Wq; Wk]^T (units, dq + dv) acts on [q; h]."""
    out_ctx, out_w = [], []
    for q in query:
        if score == "dot":
            e = np.array([q @ h for h in values])
        elif score == "general":
            e = np.array([q @ W @ h for h in values])
        elif score == "concat":
            Wa = np.concatenate([Wq, Wk], axis=0).T
            e = np.array([v @ np.tanh(Wa @ np.concatenate([q, h])) for h in values])
        else:
            raise ValueError(score)
        w = softmax(scale * e, mask)
        out_w.append(w)
        out_ctx.append(w @ values)
    return np.array(out_ctx), np.array(out_w)


def scaled_dot_product(query, values, mask=None):
    """Vaswani 2017 eq. 1 with K = V = values, one batch item: query (tq, d),
    values (tv, d)."""
    e = query @ values.T / np.sqrt(query.shape[-1])
    w = softmax(e, mask)
    return w @ values, w


def multi_head(query, values, Wq, Wk, Wv, Wo, bq=None, bk=None, bv=None, bo=None, mask=None,
               causal=False):
    """Vaswani 2017 section 3.2.2, one batch item: query (tq, dq), values
    (tv, dv). Kernels as in keras.layers.MultiHeadAttention: Wq (dq, N, H),
    Wk (dv, N, H), Wv (dv, N, Hv), Wo (N, Hv, d); biases (N, H), (N, H),
    (N, Hv), (d,) or None. Returns context (tq, d), weights (N, tq, tv)."""
    Q = np.einsum("td,dnh->tnh", query, Wq) + (0 if bq is None else bq)
    K = np.einsum("sd,dnh->snh", values, Wk) + (0 if bk is None else bk)
    V = np.einsum("sd,dnh->snh", values, Wv) + (0 if bv is None else bv)
    e = np.einsum("tnh,snh->nts", Q, K) / np.sqrt(Wq.shape[-1])
    valid = np.ones(e.shape[1:], bool)
    if mask is not None:
        valid = valid & np.asarray(mask, bool)[None, :]
    if causal:
        valid = valid & np.tri(*valid.shape, dtype=bool)
    w = softmax(e, valid[None])
    heads = np.einsum("nts,snh->tnh", w, V)
    return np.einsum("tnh,nhd->td", heads, Wo) + (0 if bo is None else bo), w


def conv1d_same(x, filters):
    """Cross-correlation of `x` (tv,) with `filters` (k, n) and 'same' zero
    padding ((k-1)//2 zeros on the left, the rest on the right): (tv, n)."""
    k = filters.shape[0]
    left = (k - 1) // 2
    padded = np.concatenate([np.zeros(left), x, np.zeros(k - 1 - left)])
    return np.array([padded[j:j + k] @ filters for j in range(len(x))])


def location_sensitive(query, values, previous, Wq, Wk, F, U, v, b, mask=None, g=None,
                       cumulative=False):
    """Chorowski 2015 eq. 8-9, one batch item: query (tq, dq), values (tv, dv),
    previous (tv,) the alignment before the first query step (with
    `cumulative`, the sum of all previous alignments); F (k, filters),
    U (filters, units). Loops over the query steps carrying the alignment."""
    if g is not None:
        v = g * v / np.linalg.norm(v)
    state = np.asarray(previous, np.float64)
    out_ctx, out_w = [], []
    for q in query:
        f = conv1d_same(state, F)  # (tv, filters)
        e = np.array([v @ np.tanh(q @ Wq + values[j] @ Wk + f[j] @ U + b)
                      for j in range(len(values))])
        w = softmax(e, mask)
        state = state + w if cumulative else w
        out_w.append(w)
        out_ctx.append(w @ values)
    return np.array(out_ctx), np.array(out_w)


def monotonic_expected(p, previous):
    """Raffel 2017 expected alignment for one output step by the explicit
    recurrence q_j = (1 - p_{j-1}) q_{j-1} + alpha_prev_j, alpha_j = p_j q_j."""
    alpha = np.zeros(len(p))
    q = 0.0
    for j in range(len(p)):
        q = (1.0 - p[j - 1]) * q + previous[j] if j > 0 else previous[0]
        alpha[j] = p[j] * q
    return alpha


def monotonic_hard(p, previous):
    """Raffel 2017 algorithm 1 (deterministic test time): scan from the step
    attended last; attend to the first j with p_j >= 0.5, else to nothing."""
    alpha = np.zeros(len(p))
    if not np.any(previous > 0):
        return alpha  # attended nowhere before: nothing is reachable
    for j in range(int(np.argmax(previous > 0)), len(p)):
        if p[j] >= 0.5:
            alpha[j] = 1.0
            break
    return alpha


def monotonic(query, values, previous, Wq, Wk, v, r, mask=None, g=None, b=None, hard=False):
    """Raffel 2017 monotonic attention, one batch item, no noise: energies
    g v^T/||v|| tanh(W s + V h + b) + r, p = sigmoid(e) (0 on masked steps),
    expected or hard alignment carried over the query steps."""
    if g is not None:
        v = g * v / np.linalg.norm(v)
    valid = np.ones(len(values), bool) if mask is None else np.asarray(mask, bool)
    state = np.asarray(previous, np.float64)
    out_ctx, out_w = [], []
    for q in query:
        hidden = q @ Wq + values @ Wk + (0.0 if b is None else b)
        p = np.where(valid, sigmoid(np.tanh(hidden) @ v + r), 0.0)
        state = monotonic_hard(p, state) if hard else monotonic_expected(p, state)
        out_w.append(state)
        out_ctx.append(state @ values)
    return np.array(out_ctx), np.array(out_w)


def local_p(query, values, window, Wp, vp, score, mask=None, W=None, Wq=None, Wk=None, v=None,
            normalize=False):
    """Luong 2015 local-p attention (eq. 9-10), one batch item: p_t =
    (S - 1) sigmoid(v_p^T tanh(W_p h_t)) with S the number of real steps,
    softmax of the score over |s - p_t| <= D and real steps, times the
    Gaussian exp(-(s - p_t)^2 / (2 (D/2)^2))."""
    valid = np.ones(len(values), bool) if mask is None else np.asarray(mask, bool)
    length = valid.sum()
    positions = np.arange(len(values))
    sigma = window / 2.0
    out_ctx, out_w = [], []
    for q in query:
        p_t = (length - 1) * sigmoid(np.tanh(q @ Wp) @ vp)
        if score == "dot":
            e = values @ q
        elif score == "general":
            e = values @ (q @ W)
        else:
            e = np.tanh(q @ Wq + values @ Wk) @ v
        in_window = valid & (np.abs(positions - p_t) <= window)
        w = softmax(e, in_window) * np.exp(-((positions - p_t) ** 2) / (2 * sigma ** 2))
        if normalize:
            w = w / w.sum()
        out_w.append(w)
        out_ctx.append(w @ values)
    return np.array(out_ctx), np.array(out_w)
