"""Decision-side ideas for the streaming keyword spotter, on the training-side dev streams:
what recall within X false alarms per hour each buys without retraining (#19).

    python -m benchmarks.kws_dev_decisions --data-dir DATA [--data-dir MORE] \
        --variant "seed 0=kws-stream-att-gru" --variant "seed 1=kws-stream-att-gru:RUN1" \
        [--verifier kws-att-mh-gru] [--mode int8]

The dev streams and their scoring are `zoo.models.kws.operating_point`'s (validation voices
and sentences, recorded speech of speakers no training data holds; never the recordings
reserved for evaluation). Each `--variant LABEL=MODEL[:FOLDER]` is a streaming model's step
file (`benchmarks.kws_dev_streams.step_file`); its posteriors are computed once, frame by
frame. Three ideas, each against the first variant alone:

1. **Ensemble**: the mean of all variants' posteriors, frame by frame (the cost of every
   variant). Best recall within each budget on the usual (smoothing, threshold) grid,
   beside each variant alone.
2. **Verifier**: the first variant fires at a lower threshold `t1` (1 frame); the 1-s window
   model `--verifier` (its float32 file) reads the windows that end `OFFSETS_S` after the
   detection and keeps it if its largest probability of the detected word is at least
   `t2`. Best recall within each budget over (t1, t2).
3. **Per-word thresholds** (settings.json and the three demos take them): chosen on one half
   of every dev stream (by time) to most hits within the budget (an exact knapsack over the
   words' false alarms), scored on the other half; beside one threshold chosen the same way.
   Both halves are used for choosing in turn. A choice that only fits its half shows here.

Writes `<stem>.json` and `.md` to `--out` (default benchmarks/results/; `--stem`, default
kws_dev_decisions).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = (2.0, 5.0, 10.0, 20.0)
OFFSETS_S = (-0.2, 0.0, 0.2, 0.4)
T1 = (0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)
T2 = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)
PER_WORD_SMOOTHING = (1, 3, 5)
IGNORE = ("_silence_", "_unknown_")


def _decide(probs, labels, smoothing, threshold, _cache=None, key=None):
    """Detections of posteriors `probs` (frames, classes) as the demo makes them."""
    from zoo.models.kws import operating_point as op

    return op.detections(op.frame_times(len(probs)), probs, labels, smoothing=smoothing,
                         threshold=threshold, ignore_labels=IGNORE, cache=_cache, key=key)


def score(found, streams, keywords, half=None):
    """`(false alarms on keyword-free streams, their hours, hits, occurrences)` of detections
    `found` ({stream: [Detection]}); `half` 0 / 1: only the first / second half of every
    stream by time (segments by their start, times shifted to the half's start)."""
    from zoo.demo import scoring

    fa = seconds = hits = occ = 0
    for name, _, meta in streams:
        lo, hi = 0.0, meta["duration_s"]
        if half is not None:
            mid = hi / 2
            lo, hi = (lo, mid) if half == 0 else (mid, hi)
        segments = [dict(g, start_s=g["start_s"] - lo, end_s=g["end_s"] - lo)
                    for g in meta["segments"] if lo <= g["start_s"] < hi]
        dets = [d._replace(time_s=d.time_s - lo) for d in found[name] if lo <= d.time_s < hi]
        s = scoring.score(dets, segments, hi - lo, keywords)
        if name.endswith("_free"):
            fa += s["false_alarms"]
            seconds += hi - lo
        else:
            hits += s["hits"]
            occ += s["occurrences"]
    return fa, seconds / 3600, hits, occ


def best_within(points, budget):
    """`{fa_per_hour, recall, ...}` of the point with the most recall within `budget`."""
    ok = [p for p in points if p["fa_per_hour"] <= budget]
    return max(ok, key=lambda p: (p["recall"], -p["fa_per_hour"])) if ok else None


def grid_points(post, streams, labels, smoothing=(1, 3, 5, 10), thresholds=None):
    """Every (smoothing, threshold) of the operating-point grid (>= 0.8) scored on `post`."""
    from zoo.models.kws import operating_point as op

    thresholds = thresholds or [float(t) for t in op.THRESHOLDS if t >= 0.8]
    keywords = [w for w in labels if w not in IGNORE]
    cache, out = {}, []
    for s, t in itertools.product(smoothing, thresholds):
        found = {n: _decide(post[n], labels, s, t, cache, n) for n, _, _ in streams}
        fa, hours, hits, occ = score(found, streams, keywords)
        out.append(dict(smoothing_frames=s, threshold=t, fa_per_hour=fa / hours,
                        recall=hits / occ, hits=hits))
    return out


def knapsack(table, words, thresholds, cap):
    """`{word: threshold}` with the most summed hits whose summed false alarms are at most
    `cap`; `table[(word, threshold)] = (false alarms, hits)`; ties: higher thresholds.
    Every word needs a threshold of no false alarms in `table` (the caller's 1.0, "off")."""
    best = [(0, {}) for _ in range(cap + 1)]  # best[c]: (hits, choice) with false alarms <= c
    for word in words:
        new = [(-1, None)] * (cap + 1)
        for c in range(cap + 1):
            for t in thresholds:
                fa, hits = table[(word, t)]
                if fa > c or best[c - fa][0] < 0:
                    continue
                value = best[c - fa][0] + hits
                if value > new[c][0] or (value == new[c][0] and t > new[c][1][word]):
                    new[c] = (value, {**best[c - fa][1], word: t})
        best = new
    return best[cap][1]


def per_word(post, streams, labels, budgets=BUDGETS, smoothing=PER_WORD_SMOOTHING):
    """Per-word thresholds against one threshold, chosen on one half and scored on the
    other (see the module doc): `{budget: [{chosen_on, single, per_word}, ...]}`."""
    from zoo.models.kws import operating_point as op

    keywords = [w for w in labels if w not in IGNORE]
    thresholds = [float(t) for t in op.THRESHOLDS if t >= 0.8] + [1.0]  # 1.0: the word is off
    cache, table = {}, {}
    for s, w, t in itertools.product(smoothing, keywords, thresholds):
        found = {n: _decide(post[n], labels, s, {w: t}, cache, n) for n, _, _ in streams}
        for half in (0, 1):
            fa, _, hits, _ = score(found, streams, [w], half)
            table[(s, half, w, t)] = (fa, hits)

    def rate(s, threshold, half):
        found = {n: _decide(post[n], labels, s, threshold, cache, n) for n, _, _ in streams}
        fa, hours, hits, occ = score(found, streams, keywords, half)
        return dict(fa_per_hour=fa / hours, recall=hits / occ)

    hours = {h: score({n: [] for n, _, _ in streams}, streams, keywords, h)[1] for h in (0, 1)}
    out = {}
    for budget in budgets:
        rows = []
        for half in (0, 1):
            other = 1 - half
            singles = [(s, t, rate(s, t, half)) for s in smoothing for t in thresholds[:-1]]
            ok = [x for x in singles if x[2]["fa_per_hour"] <= budget]
            s1, t1, inside = max(ok, key=lambda x: (x[2]["recall"], x[1])) if ok else (None,) * 3
            words = []
            for s in smoothing:
                sub = {(w, t): table[(s, half, w, t)] for w in keywords for t in thresholds}
                choice = {w: t for w, t in knapsack(sub, keywords, thresholds,
                                                    int(math.floor(budget * hours[half]))).items()
                          if t < 1.0}
                if choice:
                    words.append((s, choice, rate(s, choice, half)))
            sw, choice, w_inside = max(words, key=lambda x: x[2]["recall"]) if words else (None,) * 3
            rows.append(dict(
                chosen_on=half,
                single=None if s1 is None else dict(smoothing_frames=s1, threshold=t1,
                                                    chosen_half=inside, other_half=rate(s1, t1, other)),
                per_word=None if sw is None else dict(smoothing_frames=sw, thresholds=choice,
                                                      chosen_half=w_inside,
                                                      other_half=rate(sw, choice, other))))
        out[str(budget)] = rows
    return out


def window_probs(path, audio, times, offsets=OFFSETS_S):
    """`(len(times), len(offsets), classes)` probabilities of a 1-s window model on the
    windows of `audio` (16 kHz) ending at `t + offset` (zero padded at the stream ends)."""
    import export

    windows = np.zeros((len(times) * len(offsets), 16000), np.float32)
    for k, (t, d) in enumerate(itertools.product(times, offsets)):
        end = int(round((t + d) * 16000))
        part = audio[max(0, end - 16000):max(0, end)]
        if len(part):  # zero padded before the stream's start / after its end
            if end < 16000:
                windows[k, 16000 - len(part):] = part
            else:
                windows[k, :len(part)] = part
    if not len(windows):
        return np.zeros((0, len(offsets), 0), np.float32)
    probs = np.asarray(export.runtime.load(path, threads=1)(windows), np.float32)
    return probs.reshape(len(times), len(offsets), -1)


def verifier(post, streams, labels, path, t1s=T1, t2s=T2):
    """Points `{t1, t2, fa_per_hour, recall}` of the first variant at `t1` (1 frame) kept
    where the window model at `path` gives the detected word at least `t2` (see the doc)."""
    keywords = [w for w in labels if w not in IGNORE]
    index = {w: i for i, w in enumerate(labels)}
    candidates = {t1: {n: _decide(post[n], labels, 1, t1) for n, _, _ in streams} for t1 in t1s}
    best = {}
    for name, audio, _ in streams:
        times = sorted({d.time_s for t1 in t1s for d in candidates[t1][name]})
        best[name] = dict(zip(times, window_probs(path, audio, times)))
    points = []
    for t1, t2 in itertools.product(t1s, t2s):
        found = {n: [d for d in candidates[t1][n] if best[n][d.time_s][:, index[d.label]].max() >= t2]
                 for n, _, _ in streams}
        fa, hours, hits, occ = score(found, streams, keywords)
        points.append(dict(t1=t1, t2=t2, fa_per_hour=fa / hours, recall=hits / occ))
    return points, sum(len(v) for v in best.values())


def run(variants, data_dirs, mode, verifier_model=None, budgets=BUDGETS):
    from benchmarks.kws_dev_streams import step_file
    from zoo import registry
    from zoo.models.kws import operating_point as op

    streams = op.dev_streams(data_dirs)
    labels = None
    posts, rows = [], []
    for label, model, folder in variants:
        _, path = step_file(model, folder, mode)
        model_labels = list(registry.get(model, task="speech").labels)
        if labels is not None and model_labels != labels:
            raise ValueError(f"--variant {label!r}: labels {model_labels} differ from the first "
                             f"variant's {labels}")
        labels = model_labels
        post = {n: op.stream_posteriors(path, audio)[1] for n, audio, _ in streams}
        posts.append(post)
        points = grid_points(post, streams, labels)
        rows.append(dict(variant=label, model=model, file=str(path),
                         within={str(b): best_within(points, b) for b in budgets}))
        print(f"{label}: done", flush=True)
    result = {"mode": mode, "dev_streams": [n for n, _, _ in streams],
              "free_hours": sum(m["duration_s"] for n, _, m in streams if n.endswith("_free")) / 3600,
              "budgets_fa_per_hour": list(budgets), "variants": rows}
    if len(posts) > 1:
        mean = {n: np.mean([p[n] for p in posts], axis=0) for n, _, _ in streams}
        points = grid_points(mean, streams, labels)
        result["ensemble"] = dict(of=[r["variant"] for r in rows],
                                  within={str(b): best_within(points, b) for b in budgets})
        print("ensemble: done", flush=True)
    if verifier_model:
        path = registry.require_artifacts(verifier_model).file(
            registry.tflite_filename(verifier_model, "float32"))
        points, windows = verifier(posts[0], streams, labels, path)
        result["verifier"] = dict(model=verifier_model, file=str(path), offsets_s=list(OFFSETS_S),
                                  windows=windows,
                                  within={str(b): best_within(points, b) for b in budgets})
        print("verifier: done", flush=True)
    result["per_word"] = per_word(posts[0], streams, labels, budgets)
    return result


def _cell(p):
    return "–" if p is None else f"{100 * p['recall']:.1f} % ({p['fa_per_hour']:.1f})"


def markdown(result):
    budgets = result["budgets_fa_per_hour"]
    first = result["variants"][0]["variant"]
    lines = [f"# Decision-side ideas for the streaming spotter on the dev streams "
             f"({result['mode']} step files)", "",
             f"Dev streams (training side): {', '.join(result['dev_streams'])}; "
             f"{result['free_hours']:.2f} h keyword-free. Cells: most recall within the budget "
             "(its false alarms per hour). See `benchmarks/kws_dev_decisions.py`.", "",
             "| detector | " + " | ".join(f"≤ {b:g} FA/h" for b in budgets) + " |",
             "|---|" + "---|" * len(budgets)]
    for r in result["variants"]:
        lines.append(f"| {r['variant']} | " + " | ".join(_cell(r["within"][str(b)]) for b in budgets) + " |")
    if "ensemble" in result:
        e = result["ensemble"]
        lines.append(f"| mean of {len(e['of'])} ({', '.join(e['of'])}) | "
                     + " | ".join(_cell(e["within"][str(b)]) for b in budgets) + " |")
    if "verifier" in result:
        v = result["verifier"]
        lines.append(f"| {first} at t1 (1 frame) + {v['model']} ≥ t2 on {v['windows']:,} windows "
                     "(t2 = 0: no verifier) | "
                     + " | ".join(_cell(v["within"][str(b)]) for b in budgets) + " |")
    lines += ["", f"**Per-word thresholds** ({first}): chosen on one half of every stream, "
              "scored on the other (recall, FA/h on the other half; in brackets on the half "
              "they were chosen on).", "",
              "| budget | chosen on | one threshold | per word |", "|---|---|---|---|"]
    for b in budgets:
        for row in result["per_word"][str(b)]:
            cells = []
            for key in ("single", "per_word"):
                x = row[key]
                cells.append("–" if x is None else
                             f"{100 * x['other_half']['recall']:.1f} % ({x['other_half']['fa_per_hour']:.1f}) "
                             f"[{100 * x['chosen_half']['recall']:.1f} % ({x['chosen_half']['fa_per_hour']:.1f})]")
            lines.append(f"| {b:g} | half {row['chosen_on'] + 1} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    from benchmarks.kws_dev_streams import parse_variant

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", action="append", required=True)
    p.add_argument("--variant", action="append", required=True, help="LABEL=MODEL[:FOLDER]")
    p.add_argument("--mode", default="int8")
    p.add_argument("--verifier", default=None, help="a 1-s window keyword model (its float32 file)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--stem", default="kws_dev_decisions")
    args = p.parse_args(argv)
    from benchmarks.results_io import write_results

    try:
        variants = [parse_variant(v) for v in args.variant]
    except ValueError as exc:
        p.error(str(exc))
    result = run(variants, args.data_dir, args.mode, args.verifier)
    write_results(Path(args.out), args.stem, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
