"""Streaming keyword spotters side by side on the training-side dev streams: the ablation
table of the real-audio issue (#19), and the attention-vs-twin figure off the reserved data.

    python -m benchmarks.kws_dev_streams --data-dir DATA [--data-dir MORE] \
        --variant "shipped=kws-stream-att-gru" \
        --variant "+ keyword sentences=kws-stream-att-gru:/work/runs/ksent" [--mode dynamic]

Each `--variant LABEL=MODEL[:FOLDER]` is a trained streaming model (its step file
`MODEL.stream.<mode>.tflite` in FOLDER, default the shipped one). Its posteriors are
computed frame by frame on the `dev_free` / `dev_keywords` streams of every data dir
(`python -m zoo.data.speech_commands running`: validation voices and sentences only,
never the recordings reserved for evaluation), and on its recorded-speech dev streams
where it has them (`dev_real_en_free`, `dev_real_other_free`: `python -m
zoo.data.speech_commands real-dev`), exactly as `zoo.models.kws.operating_point`
does, the same (smoothing, threshold) grid is scored, and the table gives, per variant,
the most dev recall within 5, 20 and 100 false alarms per hour of keyword-free speech, the
synthetic test accuracy of its card (`results.json`, 1-s clips of held-out voices from the
initial state), its in-stream test accuracy where its `streaming.json` has one (each clip
after 1 s of silence, `zoo.models.kws.stream_export.in_stream`) and its training recipe. All
variants run in one process on the same streams. A second table gives each variant's
recall and false alarms per hour on every keyword-free stream at one common decision
(`--at SMOOTHING:THRESHOLD`, default the shipped 25:0.995).

Writes `<stem>.json` and `.md` to `--out` (default benchmarks/results/; `--stem`, default
kws_dev_streams).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = (5.0, 20.0, 100.0)


def parse_variant(text):
    """`"LABEL=MODEL[:FOLDER]"` -> (label, model, folder or None)."""
    if "=" not in text:
        raise ValueError(f"--variant {text!r}: write LABEL=MODEL or LABEL=MODEL:FOLDER")
    label, rest = text.split("=", 1)
    model, _, folder = rest.partition(":")
    if not label.strip() or not model.strip():
        raise ValueError(f"--variant {text!r}: both LABEL and MODEL are needed")
    return label.strip(), model.strip(), (folder.strip() or None)


def step_file(model, folder, mode):
    from zoo import registry
    from zoo.models.kws.frames import stream_filename

    name = stream_filename(model, mode)
    if folder is None:
        artifacts = registry.require_artifacts(model)
        return artifacts.path, artifacts.file(name)
    path = Path(folder) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: train the model into {folder} "
                                f"(zoo train {model} --out {folder}) or pick another --mode")
    return Path(folder), path


def best_within(points, budget, real=False):
    """The most dev recall within `budget` false alarms per hour of keyword-free speech
    (`real`: recall on recorded keyword sentences within `budget` on recorded speech)."""
    from zoo.models.kws.operating_point import choose

    p = (choose(points, budget, fa="fa_per_hour_real", recall="recall_real") if real
         else choose(points, budget))
    return None if p is None else {k: p.get(k) for k in ("recall", "hits", "occurrences", "fa_per_hour_free",
                                                        "fa_per_hour_real", "fa_per_hour_tts",
                                                        "recall_real", "hits_real", "occurrences_real",
                                                        "smoothing_frames", "threshold")}


def at_point(points, smoothing, threshold):
    """Recall and false alarms per hour on each keyword-free stream at one decision."""
    from zoo.models.kws.operating_point import fa_per_hour_by_stream

    found = [q for q in points if q["smoothing_frames"] == smoothing and abs(q["threshold"] - threshold) < 1e-9]
    if not found:
        raise ValueError(f"--at {smoothing}:{threshold:g} is not on the grid: smoothing one of "
                         f"{sorted({q['smoothing_frames'] for q in points})}, threshold one of "
                         f"{sorted({q['threshold'] for q in points})}")
    return {"smoothing_frames": smoothing, "threshold": threshold, "recall": found[0]["recall"],
            "recall_real": found[0].get("recall_real"),
            "fa_per_hour": fa_per_hour_by_stream(found[0])}


def run(variants, data_dirs, mode, at=(25, 0.995)):
    from zoo import registry
    from zoo.models.kws import operating_point as op
    from zoo.models.kws.stream_export import read_streaming

    streams = op.dev_streams(data_dirs)
    rows, occ, occ_real = [], 0, None
    for label, model, folder in variants:
        folder, path = step_file(model, folder, mode)
        labels = list(registry.get(model, task="speech").labels)
        post = {name: (*op.stream_posteriors(path, audio), meta) for name, audio, meta in streams}
        points = op.grid(post, labels)
        occ = points[0]["occurrences"]      # as scored: once per segment and word
        occ_real = points[0].get("occurrences_real")
        res = json.loads((folder / "results.json").read_text()) if (folder / "results.json").is_file() else {}
        acc = res.get("metrics", {}).get(mode, res.get("metrics", {}).get("keras", {})).get("accuracy")
        in_stream = read_streaming(folder).get("files", {}).get(mode, {}).get("test_accuracy_in_stream")
        rows.append({"variant": label, "model": model, "folder": str(folder), "mode": mode,
                     "test_accuracy": acc, "test_accuracy_in_stream": in_stream,
                     "recipe": res.get("reproduce", {}).get("train"),
                     "within": {str(b): best_within(points, b) for b in BUDGETS},
                     "within_real": ({str(b): best_within(points, b, real=True) for b in BUDGETS}
                                     if points[0].get("occurrences_real") else None),
                     "at": at_point(points, *at)})
        print(f"{label}: done", flush=True)
    free = {n: m["duration_s"] / 3600 for n, _, m in streams if n.endswith("_free")}
    return {"mode": mode, "dev_streams": [n for n, _, _ in streams], "free_hours": sum(free.values()),
            "free_stream_hours": free, "at": {"smoothing_frames": at[0], "threshold": at[1]},
            "keyword_occurrences": occ, "real_keyword_occurrences": occ_real,
            "budgets_fa_per_hour": list(BUDGETS), "variants": rows}


def markdown(result):
    head = " | ".join(f"recall ≤ {b:g} FA/h" for b in result["budgets_fa_per_hour"])
    lines = [f"# Streaming keyword spotters on the dev streams ({result['mode']} step files)", "",
             f"Dev streams (training side: validation voices and sentences): {', '.join(result['dev_streams'])}; "
             f"{result['free_hours']:.2f} h keyword-free, {result['keyword_occurrences']} keywords in sentences. "
             "Recall = most dev recall over the smoothing x threshold grid whose false alarms per hour on the "
             "keyword-free streams stay within the budget (its FA/h in brackets). Test accuracy: 1-s clips of "
             "held-out synthetic voices (the card's figure), from the initial state and in stream (each clip "
             f"after 1 s of silence, the {result['mode']} step file).", "",
             f"| variant | model | {head} | test accuracy | in stream |",
             "|---|---|" + "---|" * len(result["budgets_fa_per_hour"]) + "---|---|"]
    for r in result["variants"]:
        cells = []
        for b in result["budgets_fa_per_hour"]:
            p = r["within"][str(b)]
            cells.append("—" if p is None else f"{100 * p['recall']:.1f} % ({p['fa_per_hour_free']:.1f})")
        acc, lead = ("—" if v is None else f"{100 * v:.2f} %"
                     for v in (r["test_accuracy"], r.get("test_accuracy_in_stream")))
        lines.append(f"| {r['variant']} | {r['model']} | " + " | ".join(cells) + f" | {acc} | {lead} |")
    real = [r for r in result["variants"] if r.get("within_real")]
    if real:
        lines += ["", "Recorded speech only: the most recall on the recorded keyword sentences "
                  f"({result.get('real_keyword_occurrences')} "
                  "keywords, `dev_real_*_keywords`) whose false alarms per hour on the recorded keyword-free "
                  "streams (`dev_real_*_free`) stay within the budget (their FA/h in brackets): the dev "
                  "figure nearest to what the reserved real-audio benchmark measures.", "",
                  "| variant | " + " | ".join(f"real recall ≤ {b:g} FA/h real" for b in result["budgets_fa_per_hour"])
                  + " |", "|---|" + "---|" * len(result["budgets_fa_per_hour"])]
        for r in real:
            cells = ["—" if (p := r["within_real"][str(b)]) is None else
                     f"{100 * p['recall_real']:.1f} % ({p['fa_per_hour_real']:.1f})"
                     for b in result["budgets_fa_per_hour"]]
            lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    at, free = result.get("at"), result.get("free_stream_hours") or {}
    if at and free:
        names = list(free)
        lines += ["", f"False alarms per hour on each keyword-free dev stream at one decision for all "
                  f"({at['smoothing_frames']} frames of smoothing, threshold {at['threshold']}; the shipped "
                  "operating point), hours in brackets. `dev_real_*`: recorded speech "
                  "(`python -m zoo.data.speech_commands real-dev`), English and other languages; the "
                  "rest text-to-speech.", "",
                  "| variant | recall | real recall | " + " | ".join(f"{n} ({free[n]:.2f} h)" for n in names) + " |",
                  "|---|---|---|" + "---|" * len(names)]
        for r in result["variants"]:
            a = r["at"]
            rr = "—" if a.get("recall_real") is None else f"{100 * a['recall_real']:.1f} %"
            lines.append(f"| {r['variant']} | {100 * a['recall']:.1f} % | {rr} | "
                         + " | ".join(f"{a['fa_per_hour'].get(n, float('nan')):.1f}" for n in names) + " |")
    lines += ["", "Recipes:", ""] + [f"- {r['variant']}: `{r['recipe']}` ({r['folder']})" for r in result["variants"]]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.kws_dev_streams", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", action="append", required=True, help="a data dir with dev streams (repeatable)")
    p.add_argument("--variant", action="append", required=True, help="LABEL=MODEL[:FOLDER] (repeatable)")
    p.add_argument("--mode", default="dynamic")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--stem", default="kws_dev_streams", help="file name of the results (no suffix)")
    p.add_argument("--at", default="25:0.995", help="SMOOTHING:THRESHOLD of the per-stream table "
                   "(default: the shipped operating point)")
    args = p.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in args.variant]
        sm, _, th = args.at.partition(":")
        try:
            at = (int(sm), float(th))
        except ValueError:
            raise ValueError(f"--at {args.at!r}: write SMOOTHING:THRESHOLD, e.g. 25:0.995") from None
        result = run(variants, args.data_dir, args.mode, at)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from benchmarks.results_io import write_results

    write_results(args.out, args.stem, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
