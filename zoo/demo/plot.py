"""The streaming demo figure: waveform envelope on top, smoothed keyword
posteriors below, threshold and detections marked.

Built on matplotlib's Agg canvas directly (no pyplot), like `zoo.plot`, so it
works headless. Needs a `Detector` made with `record=True`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["detections_figure"]


def detections_figure(detector, title=None, min_prob=0.2):
    """A matplotlib `Figure` of a finished `Detector(record=True)` run.
    Keywords whose smoothed posterior never reaches `min_prob` are left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not getattr(detector, "record", False):
        raise ValueError("detections_figure needs a Detector made with record=True")
    env = np.asarray(detector.envelope, np.float32).reshape(-1, 2)
    step = detector._env_step / detector.rate
    t_env = np.arange(len(env)) * step
    t = np.asarray(detector.history_t, np.float64)
    p = np.asarray(detector.history_p, np.float32).reshape(len(t), len(detector.labels))
    duration = max(detector.audio_s, 1e-3)

    fig = Figure(figsize=(max(6.0, min(16.0, 1.2 * duration + 3)), 4.8))
    FigureCanvasAgg(fig)
    ax_w, ax_p = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.4]})
    if len(env):
        ax_w.fill_between(t_env, env[:, 0], env[:, 1], color="0.35", linewidth=0, step="post")
    ax_w.set_ylim(-1.05, 1.05)
    ax_w.set_ylabel("waveform")
    if title:
        ax_w.set_title(title)
    cmap = fig.colormaps["tab10"] if hasattr(fig, "colormaps") else None
    if cmap is None:
        import matplotlib

        cmap = matplotlib.colormaps["tab10"]
    shown = 0
    for i, label in enumerate(detector.labels):
        if not detector.keyword[i] or not len(p) or p[:, i].max() < min_prob:
            continue
        ax_p.plot(t, p[:, i], label=label, color=cmap(shown % 10), linewidth=1.5)
        shown += 1
    ax_p.axhline(detector.threshold, color="k", linestyle="--", linewidth=0.8,
                 label=f"threshold {detector.threshold:g}")
    for d in detector.detections:
        for ax in (ax_w, ax_p):
            ax.axvline(d.time_s, color="tab:red", linewidth=1.0, alpha=0.7)
        ax_w.annotate(f"{d.label} {d.prob:.2f}", (d.time_s, 1.0), xytext=(3, -12),
                      textcoords="offset points", color="tab:red", fontsize=9)
    ax_p.set_ylim(0, 1.02)
    ax_p.set_xlim(0, duration)
    ax_p.set_xlabel("time (s)")
    ax_p.set_ylabel("smoothed posterior")
    ax_p.legend(loc="upper right", fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
