"""Attention vs no-attention keyword spotting over training seeds.

    python -m benchmarks.kws_seeds RUN_DIR [RUN_DIR ...] [--out benchmarks/results]

Each RUN_DIR is the `--out` of one `zoo train kws-...` run (its
`results.json` and `training.json`). Runs are grouped by model; the table
gives test accuracy (Keras float) mean ± std over seeds, the seeds, and the
attention-minus-baseline difference of the means. Writes
`kws_attention_vs_baseline.json` and `.md`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from zoo.files import atomic_write_bytes

PAIRS = {"kws-att-bilstm": "kws-bilstm", "kws-att-mh-gru": "kws-gru"}


def collect(run_dirs):
    runs = {}
    for d in map(Path, run_dirs):
        results = json.loads((d / "results.json").read_text())
        seed = json.loads((d / "training.json").read_text()).get("seed")
        runs.setdefault(results["model"], []).append(
            dict(run=str(d), seed=seed, accuracy=results["metrics"]["keras"]["accuracy"],
                 parameters=results["parameters"]))
    return runs


def summarise(runs):
    rows = []
    for model, items in sorted(runs.items()):
        accs = [r["accuracy"] for r in items]
        rows.append(dict(model=model, seeds=sorted(r["seed"] for r in items), n=len(accs),
                         mean=statistics.fmean(accs),
                         std=statistics.stdev(accs) if len(accs) > 1 else 0.0,
                         parameters=items[0]["parameters"]))
    by_model = {r["model"]: r for r in rows}
    gains = []
    for attention, baseline in PAIRS.items():
        if attention in by_model and baseline in by_model:
            a, b = by_model[attention], by_model[baseline]
            gains.append(dict(attention=attention, baseline=baseline,
                              gain_points=100 * (a["mean"] - b["mean"]),
                              seeds=(a["n"], b["n"])))
    return rows, gains


def markdown(rows, gains):
    lines = ["# Keyword spotting: attention vs no attention", "",
             "Test accuracy (Keras float) on the held-out voices of the synthetic Speech "
             "Commands set; mean ± std over training seeds.", "",
             "| model | parameters | seeds | test accuracy |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['parameters']:,} | {', '.join(map(str, r['seeds']))} | "
                     f"{100 * r['mean']:.2f} ± {100 * r['std']:.2f} % |")
    lines += ["", "| attention model | baseline | gain (points) | seeds |", "|---|---|---|---|"]
    for g in gains:
        lines.append(f"| {g['attention']} | {g['baseline']} | {g['gain_points']:+.2f} | "
                     f"{g['seeds'][0]} vs {g['seeds'][1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = p.parse_args(argv)
    rows, gains = summarise(collect(args.runs))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "kws_attention_vs_baseline.json",
                       json.dumps(dict(models=rows, gains=gains), indent=2).encode())
    text = markdown(rows, gains)
    atomic_write_bytes(out / "kws_attention_vs_baseline.md", text.encode())
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
