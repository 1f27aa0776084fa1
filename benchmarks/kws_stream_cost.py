"""Cost of streaming keyword detection per 20 ms of audio: the causal models' one-frame
step files against the window models the demo re-ran every 100 ms.

    python -m benchmarks.kws_stream_cost [--rounds 7] [--frames 500] [--out benchmarks/results]
                                         [--candidate RUN_DIR ...]

One process, one interpreter thread, the files interleaved round by round so
that drift on these noisy machines hits every file alike. For a step file the
cost per 20 ms is one `FrameStream` call (the frame and the state in, the
probabilities and the next state out); for a window model it is one 1-s window
through `export.runtime` divided by 5, since the window demo runs every 100 ms
(five frames of 20 ms). p50 over rounds of the mean per frame; ratios to the
fastest window model of the same run. `--candidate DIR`: the step files in DIR
(e.g. written by `python -m zoo.models.kws.stream_export ... --layout single`)
measured in the same rounds beside the shipped ones. Writes `kws_stream_cost.json`
and `.md`.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.results_io import write_results  # noqa: E402

STREAM = {"kws-stream-att-gru": ("float32", "dynamic", "int8"),
          "kws-stream-gru": ("float32", "dynamic", "int8")}
WINDOW = {"kws-att-bilstm": ("int8",), "kws-att-mh-gru": ("int8",)}
HOP_FRAMES = 5   # the window demo's 100 ms hop = 5 frames of 20 ms


def _runners(frames, candidates=()):
    from pathlib import Path

    import export
    from zoo import registry
    from zoo.models.kws.frames import FrameStream, stream_filename
    from zoo.models.kws.stream_export import file_layout

    rng = np.random.default_rng(0)
    audio = (0.05 * rng.standard_normal(frames * 320)).astype(np.float32)
    window = audio[:16000][None]
    out = {}
    for name, modes in STREAM.items():
        art = registry.find_artifacts(name)
        for mode in modes:
            if art is None or not art.has(stream_filename(name, mode)):
                print(f"skip {name} {mode}: no step file")
                continue
            paths = [("shipped", art.file(stream_filename(name, mode)))] + [
                (str(d), Path(d) / stream_filename(name, mode)) for d in candidates
                if (Path(d) / stream_filename(name, mode)).is_file()]
            for where, path in paths:
                stream = FrameStream.from_file(path)

                def run(stream=stream):
                    stream.reset()
                    start = time.perf_counter()
                    stream.run(audio)
                    return (time.perf_counter() - start) / frames
                out[(name, mode, f"step file ({file_layout(path)} layout, {where}), one "
                                 "step per 20 ms frame")] = run
    for name, modes in WINDOW.items():
        for mode in modes:
            rt = export.runtime.load(registry.require_artifacts(name).file(
                registry.tflite_filename(name, mode)), threads=1)
            reps = max(1, frames // 50)

            def run(rt=rt, reps=reps):
                start = time.perf_counter()
                for _ in range(reps):
                    rt(window)
                return (time.perf_counter() - start) / reps / HOP_FRAMES
            out[(name, mode, "1-s window every 100 ms (per 20 ms: / 5)")] = run
    return out


def measure(rounds=7, frames=500, candidates=()):
    runners = _runners(frames, candidates)
    times = {k: [] for k in runners}
    for _ in range(rounds):
        for key, run in runners.items():
            times[key].append(run())
    rows = []
    for (name, mode, how), t in times.items():
        rows.append({"model": name, "mode": mode, "how": how,
                     "ms_per_20ms_p50": float(np.median(t) * 1e3),
                     "ms_per_20ms_p90": float(np.percentile(t, 90) * 1e3)})
    windows = [r["ms_per_20ms_p50"] for r in rows if "window" in r["how"]]
    base = min(windows) if windows else None
    for r in rows:
        r["ratio_to_fastest_window_model"] = r["ms_per_20ms_p50"] / base if base else None
    return {"rounds": rounds, "frames": frames, "threads": 1, "rows": rows}


def markdown(result):
    lines = ["| model | file | how it streams | ms per 20 ms of audio, p50 (p90) | × fastest "
             "window model |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        ratio = r["ratio_to_fastest_window_model"]
        lines.append(f"| `{r['model']}` | {r['mode']} | {r['how']} | "
                     f"{r['ms_per_20ms_p50']:.3f} ({r['ms_per_20ms_p90']:.3f}) | "
                     f"{'' if ratio is None else f'{ratio:.2f}×'} |")
    lines += ["", f"ai-edge-litert, 1 thread, {result['rounds']} interleaved rounds of "
                  f"{result['frames']} frames; `python -m benchmarks.kws_stream_cost`."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.kws_stream_cost",
                                description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--frames", type=int, default=500)
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--candidate", action="append", default=[],
                   help="a folder of step files to measure beside the shipped ones")
    args = p.parse_args(argv)
    result = measure(args.rounds, args.frames, args.candidate)
    write_results(args.out, "kws_stream_cost", result, markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
