"""Choosing a streaming keyword spotter's operating point on training-side dev streams.

    python -m zoo.models.kws.operating_point kws-stream-att-gru --data-dir DATA \
        [--data-dir MORE] [--mode int8] [--target-fa 2.0] [--write]

The dev streams are the `dev_free` (keyword-free running speech) and
`dev_keywords` (keywords inside sentences) streams of `python -m
zoo.data.speech_commands running`: validation voices and sentences only, never
the recordings reserved for evaluation; and, where a data dir holds it, the
`dev_real_en_free` / `dev_real_other_free` streams of `python -m
zoo.data.speech_commands real-dev` (keyword-free recorded speech, English and other
languages, of speakers no training data holds), counted with the keyword-free
streams and reported apart (`fa_per_hour_real` / `_tts`, and per stream), and the
`dev_real_game_free` / `dev_real_game_keywords` streams of `python -m
zoo.data.speech_commands game` (recorded English dialogue of characters no training data
holds; its keywords inside real sentences give `recall_real`). The posteriors of the model's step
file are computed once per stream (frame by frame, state carried, exactly as
the demo runs), then every combination of smoothing (frames) and threshold is
scored with `zoo.demo.scoring`. The operating point is the one with the most
dev recall whose dev false alarms per hour stay at or below `--target-fa`
(ties: fewer false alarms, then the higher threshold). `--write` stores it in
the model's section of `zoo/demo/settings.json` (what every demo reads), in
`operating_point.json` beside the model (every point of the grid) and in the
`streaming.json` results file its card is made from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from zoo.models.kws.causal import FRAME

SMOOTHING = (1, 3, 5, 10, 15, 25)
# Up to 0.9995: the step files' softmax is float in every mode (`causal.frame_step_model`),
# so an int8 file's probabilities do not stop at 255/256 as an int8 softmax's would.
THRESHOLDS = tuple(np.round(np.concatenate([np.arange(0.30, 0.90, 0.05),
                                            np.arange(0.90, 0.995, 0.01),
                                            [0.995, 0.997, 0.998, 0.999, 0.9995]]), 4))
REFRACTORY_S = 1.0
MAX_RUN_S = 1.0


def frame_times(n):
    """Time of each frame's posterior: the centre of the 20 ms frame (seconds)."""
    return (np.arange(n) + 0.5) * FRAME / 16000


def stream_posteriors(path, audio):
    """Posteriors of step file `path` after every frame of `audio`, from silence."""
    from zoo.models.kws.frames import FrameStream

    stream = FrameStream.from_file(path)
    probs = stream.run(audio)
    return frame_times(len(probs)), probs


def dev_streams(data_dirs, split="dev"):
    """`[(name, audio, meta)]`: the `<split>_free` and `<split>_keywords` streams of each dir,
    plus every other `<split>_*` stream it holds (e.g. `dev_real_en_free`, real speech:
    `python -m zoo.data.speech_commands real-dev`)."""
    from zoo.data.speech_commands import running

    out = []
    for d in data_dirs:
        have = [n for n in running.stream_names(d) if n.startswith(f"{split}_")]
        names = [f"{split}_free", f"{split}_keywords"] + sorted(
            n for n in have if n not in (f"{split}_free", f"{split}_keywords"))
        for name in names:
            audio, meta = running.load_stream(d, name)
            out.append((f"{Path(d).name}/{name}", audio, meta))
    return out


def is_real(name):
    """Whether dev stream `name` is recorded speech (`real_dev`), not text-to-speech."""
    return "_real_" in name.rsplit("/", 1)[-1]


def detections(times, probs, labels, *, smoothing, threshold,
               ignore_labels=("_silence_", "_unknown_"), cache=None, key=None):
    """The demo's detections (`zoo.demo.scoring`, this module's refractory period and
    longest run) of posteriors `probs` at `times`; `cache` (a dict) keeps each `key`'s
    smoothed posteriors per smoothing for the next threshold."""
    from zoo.demo import scoring

    slot = (key, int(smoothing))
    if cache is None or slot not in cache:
        ts, sp = scoring._smoothed(times, probs, labels, smoothing)
        value = (ts, sp.argmax(1), sp.max(1))
        if cache is not None:
            cache[slot] = value
    else:
        value = cache[slot]
    return scoring._decide(*value, labels, threshold=threshold, refractory_s=REFRACTORY_S,
                           max_run_s=MAX_RUN_S, ignore_labels=ignore_labels)


def evaluate(posteriors, labels, *, smoothing, threshold, ignore_labels=("_silence_", "_unknown_"),
             _smoothed=None):
    """Summed dev score over streams: free-stream FA/h (all keyword-free streams, and the
    recorded-speech and TTS ones apart), keyword-stream recall and FA."""
    from zoo.demo import scoring

    keywords = [lab for lab in labels if lab not in ignore_labels]
    free_fa = free_s = kw_fa = kw_s = hits = occ = 0
    fa_of, s_of = {"real": 0, "tts": 0}, {"real": 0.0, "tts": 0.0}
    hits_of, occ_of = {"real": 0, "tts": 0}, {"real": 0, "tts": 0}
    by_stream = {}
    for name, (times, probs, meta) in posteriors.items():
        found = detections(times, probs, labels, smoothing=smoothing, threshold=threshold,
                           ignore_labels=ignore_labels, cache=_smoothed, key=name)
        s = scoring.score(found, meta["segments"], meta["duration_s"], keywords)
        kind = "real" if is_real(name) else "tts"
        if name.endswith("_free"):
            free_fa += s["false_alarms"]
            free_s += meta["duration_s"]
            fa_of[kind] += s["false_alarms"]
            s_of[kind] += meta["duration_s"]
            by_stream[name] = {"false_alarms": int(s["false_alarms"]),
                               "hours": meta["duration_s"] / 3600}
        else:
            kw_fa += s["false_alarms"]
            kw_s += meta["duration_s"]
            hits += s["hits"]
            occ += s["occurrences"]
            hits_of[kind] += s["hits"]
            occ_of[kind] += s["occurrences"]
    return dict(smoothing_frames=int(smoothing), threshold=float(threshold),
                fa_per_hour_free=3600.0 * free_fa / free_s if free_s else None,
                false_alarms_free=int(free_fa), free_hours=free_s / 3600,
                recall=hits / occ if occ else None, hits=int(hits), occurrences=int(occ),
                false_alarms_keyword_stream=int(kw_fa),
                **{f"{k}_{kind}": v for kind in ("real", "tts") for k, v in (
                    ("fa_per_hour", 3600.0 * fa_of[kind] / s_of[kind] if s_of[kind] else None),
                    ("false_alarms", int(fa_of[kind])), ("hours", s_of[kind] / 3600),
                    ("recall", hits_of[kind] / occ_of[kind] if occ_of[kind] else None),
                    ("hits", int(hits_of[kind])), ("occurrences", int(occ_of[kind])))},
                free_by_stream=by_stream)


def grid(posteriors, labels, smoothing=SMOOTHING, thresholds=THRESHOLDS):
    """`evaluate` at every (smoothing, threshold); each stream is smoothed once per value."""
    cache = {}
    return [evaluate(posteriors, labels, smoothing=s, threshold=t, _smoothed=cache)
            for s in smoothing for t in thresholds]


def choose(points, target_fa, *, fa="fa_per_hour_free", recall="recall"):
    """The point with the most `recall` whose `fa` (false alarms per hour) is at most
    `target_fa` (ties: fewer false alarms, then the higher threshold); None if none is.
    `fa="fa_per_hour_real", recall="recall_real"`: recorded speech only."""
    ok = [p for p in points if p.get(fa) is not None and p[fa] <= target_fa]
    if not ok:
        return None
    return max(ok, key=lambda p: (p.get(recall) or 0, -p[fa], p["threshold"]))


def compact(point):
    """`point` with its per-stream false alarms as {stream: count} (the hours are the same
    for every point of a grid)."""
    out = {k: v for k, v in point.items() if k != "free_by_stream"}
    out["false_alarms_by_stream"] = {n: v["false_alarms"] for n, v in point["free_by_stream"].items()}
    return out


def fa_per_hour_by_stream(point):
    """{keyword-free stream: false alarms per hour} of an `evaluate` point."""
    return {n: v["false_alarms"] / v["hours"] for n, v in point["free_by_stream"].items() if v["hours"]}


def settings_entry(point, mode):
    """The model's section of settings.json for operating point `point`."""
    calibration = {k: point[k] for k in ("fa_per_hour_free", "false_alarms_free", "free_hours",
                                         "fa_per_hour_real", "hours_real", "fa_per_hour_tts",
                                         "recall", "hits", "occurrences", "recall_real", "hits_real",
                                         "occurrences_real") if point.get(k) is not None}
    if point.get("hours_real"):
        calibration["fa_per_hour_by_stream"] = {k: round(v, 2) for k, v in fa_per_hour_by_stream(point).items()}
    return {"window_ms": FRAME / 16, "hop_ms": FRAME / 16,
            "smoothing_windows": point["smoothing_frames"], "threshold": point["threshold"],
            "refractory_ms": REFRACTORY_S * 1000, "max_run_ms": MAX_RUN_S * 1000,
            "file_mode": mode, "calibration": calibration}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m zoo.models.kws.operating_point",
                                description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--data-dir", action="append", required=True,
                   help="a data dir with running-speech dev streams (repeatable)")
    p.add_argument("--model-dir", default=None, help="folder of the step files (default: "
                   "the model's user or shipped folder)")
    p.add_argument("--mode", default="int8")
    p.add_argument("--target-fa", type=float, default=2.0,
                   help="false alarms per hour allowed on the keyword-free dev streams")
    p.add_argument("--write", action="store_true")
    args = p.parse_args(argv)
    from zoo import registry
    from zoo.files import atomic_write_bytes
    from zoo.models.kws.frames import stream_filename

    entry = registry.get(args.model, task="speech")
    if args.model_dir:
        folder = Path(args.model_dir)
        path = folder / stream_filename(args.model, args.mode)
    else:
        artifacts = registry.require_artifacts(args.model)
        folder, path = artifacts.path, artifacts.file(stream_filename(args.model, args.mode))
    labels = list(entry.labels)
    posteriors = {}
    for name, audio, meta in dev_streams(args.data_dir):
        times, probs = stream_posteriors(path, audio)
        posteriors[name] = (times, probs, meta)
        print(f"{name}: {meta['duration_s'] / 60:.1f} min", flush=True)
    points = grid(posteriors, labels)
    best = choose(points, args.target_fa)
    if best is None:
        print(f"no operating point reaches {args.target_fa} false alarms per hour on the dev "
              "streams", file=sys.stderr)
        return 1
    print(json.dumps(best, indent=1))
    result = {"model": args.model, "mode": args.mode, "target_fa_per_hour": args.target_fa,
              "dev_streams": list(posteriors), "chosen": best,
              "free_stream_hours": {n: v["hours"] for n, v in best["free_by_stream"].items()},
              "points": [compact(p) for p in points]}
    if args.write:
        from zoo.models.kws import stream_export

        atomic_write_bytes(folder / "operating_point.json", json.dumps(result, indent=1).encode())
        section = stream_export.read_streaming(folder)
        section["operating_point"] = settings_entry(best, args.mode)
        stream_export.write_streaming(args.model, folder, section)
        from zoo.demo.detector import SETTINGS_PATH

        settings = json.loads(SETTINGS_PATH.read_text())
        settings.setdefault("models", {})[args.model] = settings_entry(best, args.mode)
        atomic_write_bytes(SETTINGS_PATH, (json.dumps(settings, indent=2) + "\n").encode())
        print(f"wrote {folder / 'operating_point.json'} and {SETTINGS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
