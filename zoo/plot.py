"""Plots of attention weights.

Figures are built on matplotlib's Agg canvas directly (no `pyplot`, no
display, no global backend switch), so this works headless and does not
change the backend of a caller who uses `pyplot` interactively. Save with
`fig.savefig("attention.png")`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["attention"]


def _to_numpy(weights):
    if hasattr(weights, "numpy") and not isinstance(weights, np.ndarray):
        try:
            return np.asarray(weights.numpy())
        except Exception:  # noqa: BLE001 - fall back to the array protocol
            pass
    return np.asarray(weights)


def _check_labels(name, labels, size, axis):
    if labels is None:
        return None
    labels = [str(label) for label in labels]
    if len(labels) != size:
        raise ValueError(
            f"`{name}` must have one label per {axis} ({size}); got {len(labels)}."
        )
    return labels


def attention(weights, x_labels=None, y_labels=None, ax=None, title=None, cmap="viridis"):
    """Heat map of attention weights.

    Args:
        weights: `(ty, tx)` (rows: output steps, columns: input steps) or
            `(tx,)` (one row), a NumPy array or a backend tensor.
        x_labels: optional labels of the input steps (columns), `tx` of them.
        y_labels: optional labels of the output steps (rows), `ty` of them.
        ax: optional matplotlib `Axes` to draw into; a new figure otherwise.
        title: optional axes title.
        cmap: matplotlib colour map.

    Returns:
        The matplotlib `Figure` (with a colour bar).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = _to_numpy(weights)
    if data.ndim == 1:
        data = data[None, :]
    if data.ndim != 2:
        raise ValueError(f"`weights` must have shape (ty, tx) or (tx,); got shape {data.shape}.")
    data = data.astype(np.float64)
    ty, tx = data.shape
    x_labels = _check_labels("x_labels", x_labels, tx, "input step (column)")
    y_labels = _check_labels("y_labels", y_labels, ty, "output step (row)")

    if ax is None:
        fig = Figure(figsize=(max(3.0, 0.45 * tx + 1.8), max(2.0, 0.45 * ty + 1.2)))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    image = ax.imshow(data, cmap=cmap, aspect="auto", interpolation="nearest",
                      vmin=0.0, vmax=max(1e-12, float(np.max(data))) if data.size else 1.0)
    ax.set_xlabel("input step")
    ax.set_ylabel("output step")
    if x_labels is not None:
        ax.set_xticks(range(tx), labels=x_labels)
    if y_labels is not None:
        ax.set_yticks(range(ty), labels=y_labels)
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax)
    return fig
