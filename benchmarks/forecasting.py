"""Weekly CO2 forecasting: attention vs no attention vs classical baselines.

    python -m benchmarks.forecasting --runs out/forecast-runs [--seeds 0,1,2] \
        [--out benchmarks/results] [--ship]

For each model (`forecast-att-lstm`, `forecast-lstm`) and seed, the run
folder `RUNS/NAME-sSEED/` is read when it already holds a `results.json`,
otherwise it is trained first (`python -m zoo.models.forecast.train NAME
--seed SEED --out RUNS/NAME-sSEED`, one process at a time, log in
`train.log`). Then the classical baselines (`zoo.models.forecast.baselines`:
seasonal naive, ETS, SARIMA) are scored on the same validation and test
origins, and the table is written to `OUT/forecasting.json` and
`OUT/forecasting.md`: test MASE and sMAPE mean ± std over seeds, int8 MASE,
parameters, file sizes, training time. The best classical baseline is the
one with the lowest *validation* MASE (the test period picks nothing). A
second, baseline-only table scores the same methods on the monthly Airline
series (sktime), as a sanity check of the baselines.

With `--ship`, seed 0 of each model is copied to `zoo/pretrained/NAME/`
(weights re-saved without optimizer state, TFLite files, results.json with
the attention-vs-twin comparison (means over the seeds) and the classical
figures, training.json),
its card is generated with `zoo.cards` and SHA256SUMS written.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results_io import write_results
from benchmarks.seeds import mean_std

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("forecast-att-lstm", "forecast-lstm")
SHIP_FILES = ("results.json", "training.json")


def run_dir(runs, name, seed):
    return Path(runs) / f"{name}-s{seed}"


def train_missing(runs, seeds, extra=()):
    """Train every (model, seed) whose run folder has no results.json, one at a time."""
    for name in MODELS:
        for seed in seeds:
            out = run_dir(runs, name, seed)
            if (out / "results.json").is_file():
                continue
            out.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "zoo.models.forecast.train", name, "--seed", str(seed),
                   "--out", str(out), *extra]
            print(f"training {name} seed {seed} -> {out} (log: {out / 'train.log'})", flush=True)
            start = time.time()
            with open(out / "train.log", "w") as log:
                code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            if code:
                raise SystemExit(f"training {name} seed {seed} failed (exit {code}); see "
                                 f"{out / 'train.log'}")
            print(f"  done in {time.time() - start:.0f} s", flush=True)


def collect(runs, seeds):
    """`{name: [run summary per seed]}` from the run folders."""
    out = {}
    for name in MODELS:
        for seed in seeds:
            d = run_dir(runs, name, seed)
            results = json.loads((d / "results.json").read_text())
            details = json.loads((d / "training.json").read_text())
            exports = results.get("exports", {})
            out.setdefault(name, []).append(dict(
                run=str(d), seed=seed, parameters=results["parameters"],
                mase=results["metrics"]["keras"]["mase"],
                smape=results["metrics"]["keras"]["smape"],
                val_mase=details["validation"]["mase"],
                modes={m: v for m, v in results["metrics"].items() if m != "keras"},
                sizes={m: e["size_bytes"] for m, e in exports.items()},
                latency={m: e.get("p50_ms_1t") for m, e in exports.items()},
                train_seconds=details.get("train_seconds"), epochs_run=details.get("epochs_run"),
                failed=[x for x in results.get("limitations", []) if "not exported" in x]))
    return out


def summarise(runs):
    rows = []
    for name, items in runs.items():
        row = dict(method=name, kind="neural", seeds=[r["seed"] for r in items],
                   parameters=items[0]["parameters"])
        for key in ("mase", "smape", "val_mase", "train_seconds"):
            row[key], row[key + "_std"] = mean_std([r[key] for r in items])
        modes = sorted({m for r in items for m in r["modes"]})
        row["modes"] = {m: dict(zip(("mase", "mase_std"),
                                    mean_std([r["modes"].get(m, {}).get("mase") for r in items])))
                        for m in modes}
        row["sizes"] = items[0]["sizes"]
        row["latency_ms"] = items[0]["latency"]
        row["epochs_run"] = [r["epochs_run"] for r in items]
        row["per_seed"] = [{k: r[k] for k in ("seed", "mase", "smape", "val_mase",
                                              "train_seconds")} for r in items]
        row["not_exported"] = sorted({x for r in items for x in r["failed"]})
        rows.append(row)
    return rows


def classical(values, split, fc, baselines):
    """Baselines on the validation and test origins of the CO2 series."""
    at = {"validation": fc.validation_origins(split, step=fc.STEP),
          "test": fc.test_origins(split)}
    scored = {part: baselines.evaluate_all(values, a, fc.HORIZON, fc.SEASON)
              for part, a in at.items()}
    rows = []
    for method in baselines.METHODS:
        t, v = scored["test"][method], scored["validation"][method]
        rows.append(dict(method=method, kind="classical",
                         description=baselines.DESCRIPTIONS[method],
                         mase=t["mase"], smape=t["smape"], val_mase=v["mase"],
                         seconds=t["seconds"], fitted=t.get("params")))
    return rows


def airline(fc, baselines, horizon=12, test=36, step=3):
    series = fc.load_airline()
    n = len(series.values)
    at = fc.origins(n - test, n, horizon, step)
    scored = baselines.evaluate_all(series.values, at, horizon, series.season)
    return dict(series=series.name, horizon=horizon, season=series.season, origins=len(at),
                test=f"last {test} months, origins every {step} months",
                methods={m: {"mase": s["mase"], "smape": s["smape"]} for m, s in scored.items()})


def _pm(mean, std, spec=".3f"):
    if mean is None:
        return "—"
    return f"{mean:{spec}} ± {std:{spec}}" if std is not None else f"{mean:{spec}}"


def _kib(n):
    return "—" if n is None else f"{n / 1024:.1f} KiB"


def markdown(neural, classic, best, comparisons, air, seeds):
    lines = [
        "# Weekly CO2 forecasting: attention vs no attention vs classical baselines", "",
        "Series: Mauna Loa weekly CO2 (`statsmodels.datasets.co2`, 2,284 weeks 1958-2001, 59 "
        "missing weeks interpolated). Test: rolling origin over the last 208 weeks "
        "(1998-2001), origins every 4 weeks (46), horizon 26 weeks; validation: the 208 "
        "weeks before (1994-1997); training: before 1994. MASE is scaled by the in-sample "
        "seasonal-naive MAE (m = 52) of the history before each origin; sMAPE in percent; "
        "both averaged over origins. Neural models: mean ± std over seeds "
        f"{', '.join(map(str, seeds))} (Keras float); classical methods are deterministic.", "",
        "| method | test MASE | test sMAPE (%) | int8 MASE | validation MASE | parameters | "
        "size (float32 / int8) | train time per run |",
        "|---|---|---|---|---|---|---|---|"]
    for r in neural:
        int8 = r["modes"].get("int8", {})
        lines.append(
            f"| {r['method']} | {_pm(r['mase'], r['mase_std'])} | "
            f"{_pm(r['smape'], r['smape_std'], '.4f')} | "
            f"{_pm(int8.get('mase'), int8.get('mase_std'))} | "
            f"{_pm(r['val_mase'], r['val_mase_std'])} | {r['parameters']:,} | "
            f"{_kib(r['sizes'].get('float32'))} / {_kib(r['sizes'].get('int8'))} | "
            f"{_pm(r['train_seconds'], r['train_seconds_std'], '.0f')} s |")
    for r in classic:
        mark = " (best on validation)" if r["method"] == best["method"] else ""
        lines.append(f"| {r['method']}{mark} | {r['mase']:.3f} | {r['smape']:.4f} | — | "
                     f"{r['val_mase']:.3f} | — | — | {r['seconds']:.1f} s (fit + forecasts) |")
    lines += ["", "## Comparisons (test MASE, lower is better)", ""]
    lines += [f"- {c}" for c in comparisons]
    lines += ["", "## TFLite files (seed 0 run, MASE of each file on the test origins)", "",
              "| model | mode | size | test MASE (mean over seeds) | p50 latency, 1 thread |",
              "|---|---|---|---|---|"]
    for r in neural:
        for mode, m in r["modes"].items():
            lat = r["latency_ms"].get(mode)
            lines.append(f"| {r['method']} | {mode} | {_kib(r['sizes'].get(mode))} | "
                         f"{_pm(m['mase'], m['mase_std'])} | "
                         f"{'—' if lat is None else f'{lat:.1f} ms'} |")
        for x in r["not_exported"]:
            lines.append(f"| {r['method']} | {x.split(':')[0]} | not exported | "
                         f"{x.split(':', 2)[-1].strip()} | |")
    lines += ["", f"## Second series (baselines only): {air['series']}", "",
              f"Monthly, season {air['season']}, horizon {air['horizon']}, {air['test']} "
              f"({air['origins']} origins); the neural models (104-week input) do not apply.", "",
              "| method | MASE | sMAPE (%) |", "|---|---|---|"]
    for method, s in air["methods"].items():
        lines.append(f"| {method} | {s['mase']:.3f} | {s['smape']:.3f} |")
    return "\n".join(lines) + "\n"


def compare(neural, classic, best):
    by = {r["method"]: r for r in neural}
    out = []
    a, b = by.get("forecast-att-lstm"), by.get("forecast-lstm")
    if a and b:
        per = {s["seed"]: s["mase"] for s in b["per_seed"]}
        diffs = [s["mase"] - per[s["seed"]] for s in a["per_seed"] if s["seed"] in per]
        wins = sum(d < 0 for d in diffs)
        out.append(f"forecast-att-lstm vs its twin forecast-lstm: {a['mase']:.3f} vs "
                   f"{b['mase']:.3f} (difference {a['mase'] - b['mase']:+.3f}; attention is "
                   f"better on {wins} of {len(diffs)} seeds, per-seed differences "
                   f"{', '.join(f'{d:+.3f}' for d in diffs)}).")
    for r in neural:
        out.append(f"{r['method']} vs the best classical baseline ({best['method']}, chosen on "
                   f"validation): {r['mase']:.3f} vs {best['mase']:.3f} "
                   f"({'better' if r['mase'] < best['mase'] else 'worse'} by "
                   f"{abs(r['mase'] - best['mase']):.3f}).")
    return out


# ---------------------------------------------------------------------- ship


def ship_extras(neural, classic, best, seeds):
    by = {r["method"]: r for r in neural}
    classical_line = ("Classical baselines on the same test origins (MASE / sMAPE %): "
                      + "; ".join(f"{r['method']} {r['mase']:.3f} / {r['smape']:.4f}"
                                  for r in classic)
                      + f". Best on validation: {best['method']}.")
    extras = {}
    for name, r in by.items():
        s0 = next(s for s in r["per_seed"] if s["seed"] == seeds[0])
        extras[name] = {"limitations": [
            f"Over seeds {', '.join(map(str, seeds))}: test MASE {r['mase']:.3f} ± "
            f"{r['mase_std']:.3f}, sMAPE {r['smape']:.4f} ± {r['smape_std']:.4f} % (this file: "
            f"seed {s0['seed']}, MASE {s0['mase']:.3f}).", classical_line]}
    a, b = by.get("forecast-att-lstm"), by.get("forecast-lstm")
    if a and b:  # means over the seeds: one seed can point either way
        which = f"mean of seeds {', '.join(map(str, seeds))}"
        extras["forecast-att-lstm"]["comparison"] = {
            "metric": "MASE (lower is better)", "split": "test",
            "attention": {"name": f"forecast-att-lstm ({which})", "value": a["mase"],
                          "parameters": a["parameters"]},
            "baseline": {"name": f"forecast-lstm, no attention ({which})",
                         "value": b["mase"], "parameters": b["parameters"]}}
        extras["forecast-att-lstm"]["limitations"].append(
            f"Attention vs no attention over seeds {', '.join(map(str, seeds))}: MASE "
            f"{a['mase']:.3f} ± {a['mase_std']:.3f} vs {b['mase']:.3f} ± {b['mase_std']:.3f} "
            f"(per seed: {', '.join(f'{x:.3f}' for x in (s['mase'] for s in a['per_seed']))} vs "
            f"{', '.join(f'{x:.3f}' for x in (s['mase'] for s in b['per_seed']))}): on this "
            "series attention does not help.")
    return extras


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", required=True, help="folder of the seed runs (NAME-sSEED/)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--no-train", action="store_true", help="fail instead of training missing runs")
    p.add_argument("--ship", action="store_true", help="ship the first seed's runs (see doc)")
    p.add_argument("--train-args", default="", help="extra trainer arguments (space-separated)")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if not args.no_train:
        train_missing(args.runs, seeds, args.train_args.split())

    from zoo.data import forecasting as fc
    from zoo.models.forecast import baselines

    neural = summarise(collect(args.runs, seeds))
    series = fc.load_co2()
    classic = classical(series.values, fc.split(len(series.values)), fc, baselines)
    best = min(classic, key=lambda r: r["val_mase"])
    comparisons = compare(neural, classic, best)
    air = airline(fc, baselines)
    report = dict(series=fc.CO2_NAME, seeds=seeds, window=fc.WINDOW, horizon=fc.HORIZON,
                  test_weeks=fc.TEST_WEEKS, validation_weeks=fc.VALIDATION_WEEKS, step=fc.STEP,
                  season=fc.SEASON, neural=neural, classical=classic,
                  best_classical_on_validation=best["method"], comparisons=comparisons,
                  airline=air,
                  reproduce=f"python -m benchmarks.forecasting --runs {args.runs} "
                            f"--seeds {args.seeds}")
    write_results(args.out, "forecasting", report,
                  markdown(neural, classic, best, comparisons, air, seeds))
    if args.ship:
        extras = ship_extras(neural, classic, best, seeds)
        from zoo import shipping

        for name in MODELS:
            shipping.ship(name, run_dir(args.runs, name, seeds[0]),
                          extra_results=extras.get(name, {}))
            shipping.write_card(name, max_bytes=2_000_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
