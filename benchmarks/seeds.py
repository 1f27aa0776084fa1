"""Attention vs no-attention twin vs classical peers, over training seeds.

    python -m benchmarks.seeds RUN_DIR [RUN_DIR ...] --name kws [--title T] [--out benchmarks/results]

Each RUN_DIR is the `--out` of one `zoo train NAME` run (its `results.json`
and `training.json`). Runs are grouped by model; the table gives the test
metric of the Keras model and of its int8 TFLite file, mean ± std over
seeds, and the classical peers the trainer measured on the same test split
(`training.json` "classical_baselines"; deterministic, so one value each).
Pairs are the registered twins (`zoo.registry.baseline_pairs`). Writes
`<name>_attention_vs_baseline.json` and `.md`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from zoo import registry
from benchmarks.results_io import write_results

def collect(run_dirs, metric="accuracy"):
    runs, peers = {}, {}
    for d in map(Path, run_dirs):
        results = json.loads((d / "results.json").read_text())
        details = json.loads((d / "training.json").read_text())
        dataset = details.get("dataset")
        key = results["model"] + (f" ({dataset})" if dataset else "")
        runs.setdefault(key, []).append(
            dict(run=str(d), seed=details.get("seed"), value=results["metrics"]["keras"][metric],
                 int8=(results["metrics"].get("int8") or {}).get(metric),
                 parameters=results["parameters"]))
        for peer in details.get("classical_baselines") or []:
            peers.setdefault(peer["name"] + (f" ({dataset})" if dataset else ""),
                             peer.get(metric))
    return runs, peers


def mean_std(values):
    """`(mean, sample std)` of the values that are not None; `(None, None)` for none, std 0
    for one."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs, pair_map=None):
    pair_map = registry.baseline_pairs() if pair_map is None else pair_map
    rows = []
    for model, items in sorted(runs.items()):
        mean, std = mean_std([r["value"] for r in items])
        int8_mean, int8_std = mean_std([r["int8"] for r in items])
        rows.append(dict(model=model, seeds=sorted(r["seed"] for r in items), n=len(items),
                         mean=mean, std=std, int8_mean=int8_mean, int8_std=int8_std,
                         parameters=items[0]["parameters"]))
    by_model = {r["model"]: r for r in rows}
    gains = []
    for attention, baseline in pair_map.items():
        for key in [k for k in by_model if k.split(" (")[0] == attention]:
            bkey = baseline + key[len(attention):]
            if bkey in by_model:
                a, b = by_model[key], by_model[bkey]
                gains.append(dict(attention=key, baseline=bkey,
                                  gain_points=100 * (a["mean"] - b["mean"]),
                                  seeds=(a["n"], b["n"])))
    return rows, gains


def _pct(mean, std):
    return "–" if mean is None else f"{100 * mean:.2f} ± {100 * std:.2f} %"


def markdown(rows, gains, peers, title, metric):
    lines = [f"# {title}", "",
             f"Test {metric} on the held-out split; networks: mean ± std over training seeds "
             "(Keras float, and the int8 TFLite file). Classical peers are fitted once on the "
             "same training data and scored on the same test split.", "",
             "| model | parameters | seeds | Keras | int8 TFLite |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['parameters']:,} | {', '.join(map(str, r['seeds']))} "
                     f"| {_pct(r['mean'], r['std'])} | {_pct(r['int8_mean'], r['int8_std'])} |")
    for name, value in sorted(peers.items()):
        lines.append(f"| {name} (classical) | – | – | "
                     f"{'–' if value is None else f'{100 * value:.2f} %'} | – |")
    lines += ["", "| attention model | baseline | gain (points) | seeds |", "|---|---|---|---|"]
    for g in gains:
        lines.append(f"| {g['attention']} | {g['baseline']} | {g['gain_points']:+.2f} | "
                     f"{g['seeds'][0]} vs {g['seeds'][1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--name", required=True, help="file stem: <name>_attention_vs_baseline.*")
    p.add_argument("--title", default=None)
    p.add_argument("--metric", default="accuracy")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = p.parse_args(argv)
    runs, peers = collect(args.runs, args.metric)
    rows, gains = summarise(runs)
    text = markdown(rows, gains, peers, args.title or f"{args.name}: attention vs no attention",
                    args.metric)
    write_results(args.out, f"{args.name}_attention_vs_baseline",
                  dict(metric=args.metric, models=rows, gains=gains, classical=peers), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
