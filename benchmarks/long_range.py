"""Does attention keep long-range context that a plain RNN loses?

    python -m benchmarks.long_range [--quick] [--seeds 3] [--out benchmarks/results]

Task (a), synthetic, with the needed context distance under control: a
sequence of `length` steps of Gaussian noise (8 channels) holds, at one
uniformly random position, a *cue*: a marker channel set to 1 and one of
`CLASSES` one-hot class channels. The label is the cue's class; everything
after the cue is noise, so a model must carry the cue over up to `length`
steps. Two models of equal parameter budget (within 10 %):

* `gru-attention`: GRU (all steps) -> `AttentionPooling(query="learned")` -> softmax;
* `gru-last-state`: the same GRU's last state -> Dense(tanh) of the attention's
  size -> softmax.

Both train on the same examples with the same budget (epochs, batch, Adam)
for each length and seed; test accuracy on fresh examples. Writes
`long_range.json`, `long_range.md` and `long_range.png` (accuracy against
length per model, mean ± std over seeds: the shape of Bahdanau et al. 2014,
Fig. 2). Task (b), translation by source length, is `benchmarks.translation`;
(c), a keyword at a random position in a 1-3 s window, is
`benchmarks.keyword_window` (it needs the speech data set built locally).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHANNELS, CLASSES = 8, 4
MODELS = ("gru-attention", "gru-last-state")
FULL = dict(lengths=(25, 50, 100, 200, 400), train=3000, test=1000, epochs=10, units=32)
QUICK = dict(lengths=(25, 100, 400), train=1200, test=500, epochs=5, units=24)


def make_task(n, length, rng):
    """`(x, y)`: noise with one cue per sequence (module doc); `x` float32 `(n, length, 8)`."""
    x = rng.normal(0.0, 1.0, size=(n, length, CHANNELS)).astype(np.float32)
    x[..., :CLASSES + 1] = 0.0  # cue channels are silent except at the cue
    y = rng.integers(0, CLASSES, n)
    where = rng.integers(0, length, n)
    x[np.arange(n), where, CLASSES] = 1.0  # marker
    x[np.arange(n), where, y] = 1.0  # class
    return x, y


def build(kind, length, units, seed=None):
    import keras

    from zoo.layers import AttentionPooling

    inp = keras.Input((length, CHANNELS))
    attention = kind == "gru-attention"
    h = keras.layers.GRU(units, return_sequences=attention, seed=seed)(inp)
    if attention:
        h = AttentionPooling(query="learned")(h)
    else:
        h = keras.layers.Dense(units, activation="tanh")(h)
    return keras.Model(inp, keras.layers.Dense(CLASSES, activation="softmax")(h), name=kind)


def run_one(kind, length, seed, cfg):
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(1000 * seed + length)
    x, y = make_task(cfg["train"], length, rng)
    xt, yt = make_task(cfg["test"], length, rng)
    model = build(kind, length, cfg["units"], seed)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.time()
    model.fit(x, y, epochs=cfg["epochs"], batch_size=64, verbose=0)
    acc = float((model.predict(xt, verbose=0).argmax(-1) == yt).mean())
    return dict(model=kind, length=length, seed=seed, accuracy=acc,
                parameters=int(model.count_params()), seconds=round(time.time() - start, 1))


def summarise(runs):
    table = {}
    for r in runs:
        table.setdefault((r["model"], r["length"]), []).append(r["accuracy"])
    rows = []
    for (model, length), accs in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        rows.append(dict(model=model, length=length, n=len(accs), mean=statistics.fmean(accs),
                         std=statistics.stdev(accs) if len(accs) > 1 else 0.0))
    return rows


def plot(rows, path, *, models=MODELS, xlabel="sequence length (cue at a uniformly random step)",
         title="Recall a cue across the sequence", chance=1 / CLASSES, log_x=True):
    """Accuracy (%) against length, one error-bar line per model (mean ± std over seeds)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from zoo.files import atomic_path

    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for model in models:
        pts = [r for r in rows if r["model"] == model]
        if pts:
            ax.errorbar([p["length"] for p in pts], [100 * p["mean"] for p in pts],
                        yerr=[100 * p["std"] for p in pts], marker="o", capsize=3, label=model)
    if log_x:
        ax.set_xscale("log")
    lengths = sorted({r["length"] for r in rows})
    ax.set_xticks(lengths, labels=[str(n) for n in lengths])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.axhline(100 * chance, color="grey", linestyle=":", label="chance")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def accuracy_table(rows, lengths, models, heading="length", unit=""):
    """Markdown lines: accuracy mean ± std per length and model, and the first model's gain
    over the second (points)."""
    lines = [f"| {heading} | " + " | ".join(models) + " | gain (points) |",
             "|---|" + "---|" * (len(models) + 1)]
    by = {(r["model"], r["length"]): r for r in rows}
    for length in lengths:
        cells = [by.get((m, length)) for m in models]
        txt = [f"{100 * c['mean']:.1f} ± {100 * c['std']:.1f} %" if c else "–" for c in cells]
        gain = f"{100 * (cells[0]['mean'] - cells[1]['mean']):+.1f}" if all(cells[:2]) else "–"
        lines.append(f"| {length}{unit} | " + " | ".join(txt) + f" | {gain} |")
    return lines


def markdown(result):
    cfg = result["config"]
    lines = ["# Long-range context: attention vs last state", "",
             f"Synthetic cue recall (module doc of `benchmarks/long_range.py`): {cfg['train']} "
             f"training / {cfg['test']} test sequences per length, {cfg['epochs']} epochs, GRU "
             f"units {cfg['units']}; test accuracy, mean ± std over seeds "
             f"{', '.join(map(str, result['seeds']))}. Chance is {100 / CLASSES:.0f} %.", "",
             *accuracy_table(result["rows"], cfg["lengths"], MODELS)]
    params = {r["model"]: r["parameters"] for r in result["runs"]}
    lines += ["", "Parameters: " + ", ".join(f"{m} {params.get(m, 0):,}" for m in MODELS)
              + ".", "", "![accuracy against length](long_range.png)", "",
              "Elsewhere or not measured yet: " + "; ".join(result["not_measured"]) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 lengths, smaller sets (a few minutes)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error("--seeds must be at least 1")
    from tqdm import tqdm

    from benchmarks.results_io import write_results

    cfg = QUICK if args.quick else FULL
    jobs = [(m, n, s) for n in cfg["lengths"] for s in range(args.seeds) for m in MODELS]
    runs = [run_one(m, n, s, cfg) for m, n, s in tqdm(jobs, desc="long_range")]
    result = dict(config=cfg, seeds=list(range(args.seeds)), quick=args.quick, runs=runs,
                  rows=summarise(runs),
                  not_measured=["(b) translation by source length is its own section "
                                "(benchmarks.translation)",
                                "(c) keyword at a random position in a 1-3 s window is its own "
                                "section (benchmarks.keyword_window; needs the speech data set "
                                "built locally, not run in CI)"])
    out = write_results(args.out, "long_range", result, markdown(result))
    plot(result["rows"], out / "long_range.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
