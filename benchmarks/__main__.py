"""Run the benchmarks and regenerate their README.

    python -m benchmarks [--quick] [--out DIR]      # or: make bench / make bench-quick

Runs, one after the other (the machine has 2 cores; never two at once):

* `benchmarks.edge_cost`: every shipped model × TFLite mode on ai-edge-litert
  and tflite-runtime (size, latency at 1 and 2 threads, peak RSS, ratios to
  float32 of the same run);
* `benchmarks.long_range`: attention vs last state on a cue-recall task of
  growing length, 3 seeds, with its plot;
* `benchmarks.translation`: the shipped translators on their test splits,
  scores by source length (attention vs none), with its plot (and the
  seed table of the training runs when `translation_seeds.md` is there);
* `benchmarks.translation_everyday`: the shipped en-de translators on 62
  everyday sentences written for the check (as `zoo.translate` returns them);
* without `--quick` also `benchmarks.export_modes` (our stepped export
  against the naive conversion routes);
* not here: `python -m benchmarks.edge_cost --runtime-compare` (old vs bound
  `export.runtime` on the shipped KWS files) and `python -m benchmarks.edge_layouts
  [--kws-data DIR]` (stepped vs single layout), `python -m benchmarks.litertjs_cost` (the
  shipped files in LiteRT.js wasm in headless Chromium beside ai-edge-litert), and
  `python -m benchmarks.kws_dev_streams
  --data-dir DATA --variant LABEL=MODEL[:RUN] ...` (streaming keyword spotters side by side
  on training-side dev streams: the ablation of training changes), `python -m
  benchmarks.translation_no_repeat --data-dir DIR` (n-gram blocking in beam search on the
  en-de validation split: how `zoo.translate`'s default was chosen) and `python -m
  benchmarks.kws_dev_decisions --data-dir DATA --variant ...` (seed ensembles, a window-model
  verifier and per-word thresholds on the same dev streams); their tables are
  included when present;
* with `--kws-data DIR` (a built speech-commands set) also
  `benchmarks.keyword_window`: a keyword at a random position in 1-3 s
  windows, attention vs twin, 3 seeds (about 45 minutes; with `--quick`,
  1 seed of 1 and 3 s on a small budget).
* with `--kws-real-audio` also `benchmarks.kws_real_audio`: false alarms per
  hour and recall of the shipped keyword models (and PocketSphinx) on real
  recorded speech, reserved evaluation data from Debian packages (about 30
  minutes on 2 cores; with `--quick`, a few minutes of audio).

`--quick` (about 5 minutes on 2 cores) keeps float32/int8 in edge_cost and
3 lengths in long_range. JSON results go to `--out` (default
`benchmarks/results/`), with a `README.md` built from every result table
found there; with the default `--out`, `benchmarks/README.md` is rewritten
too. Tables made by training runs (`seeds.py`: `*_attention_vs_baseline.*`,
`forecasting.*`) are included when present; they are not re-run here
(training takes hours on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"
SECTIONS = (  # (file stem, heading) in README order
    ("long_range", "Does attention pay? Long-range context"),
    ("keyword_window", "Does attention pay? A keyword in a longer window"),
    ("translation", "Does attention pay? Translation by source length"),
    ("translation_everyday", "Translation of everyday English"),
    ("translation_no_repeat", "Translation: beam search with and without n-gram blocking"),
    ("translation_int8", "Translation: where int8 files part from Keras greedy"),
    ("translation_int8_per_channel", "Translation: int8 with per-channel dense weights"),
    ("kws_real_audio", "Keyword spotting on real recorded speech"),
    ("kws_real_audio_single_int8", "Keyword spotting on real recorded speech: the single-layout int8 step files"),
    ("kws_real_audio_seed1", "Keyword spotting on real recorded speech: training seed 1"),
    ("kws_real_audio_seed2", "Keyword spotting on real recorded speech: training seed 2"),
    ("kws_stream_cost", "Streaming keyword spotting: cost per 20 ms of audio"),
    ("kws_stream_cost_float_gru", "Streaming keyword spotting: cost of the int8 step file with a float GRU cell"),
    ("kws_stream_cost_float_softmax", "Streaming keyword spotting: cost of a float softmax in the int8 step file"),
    ("kws_stream_cost_single", "Streaming keyword spotting: stepped against single-layout step files"),
    ("kws_stream_cost_single_int8", "Streaming keyword spotting: the int8 step file, stepped against single layout"),
    ("kws_dev_decisions", "Streaming keyword spotting: decision-side ideas on the dev streams (ensemble, verifier, per-word thresholds)"),
    ("kws_dev_streams_int8_seeds3", "Streaming keyword spotting: three seeds, int8 step files (dev streams)"),
    ("kws_dev_streams_game", "Streaming keyword spotting: real English game dialogue (dev streams with recorded keywords in sentences)"),
    ("kws_dev_streams_game_seeds", "Streaming keyword spotting: real English game dialogue, more seeds"),
    ("kws_dev_streams_game_seeds3", "Streaming keyword spotting: real English game dialogue, three seeds"),
    ("kws_dev_streams", "Streaming keyword spotting: what each recipe change buys (dev streams, synthetic and real)"),
    ("kws_dev_streams_hard", "Streaming keyword spotting: hard-negative mining (dev streams)"),
    ("kws_dev_streams_v2_tts", "Streaming keyword spotting: 9,000 keyword sentences (synthetic dev streams only, earlier run)"),
    ("kws_dev_streams_v1", "Streaming keyword spotting: the first recipe changes (dev streams, earlier run)"),
    ("kws_attention_vs_baseline", "Keyword spotting: attention vs twin, seeds"),
    ("kws_gru_attention_vs_baseline", "Keyword spotting, GRU pair: 3 seeds"),
    ("text_attention_vs_baseline", "Text classification: attention vs twin vs TF-IDF"),
    ("series_attention_vs_baseline", "Time-series classification: attention vs twin vs classical"),
    ("forecasting", "Forecasting: attention vs twin vs statistical models"),
    ("edge_cost", "Edge cost of every shipped model"),
    ("edge_runtime", "Edge runtime: bound tensors vs per-call SignatureRunner"),
    ("edge_layouts", "Keyword spotters: stepped vs single layout"),
    ("litertjs_cost", "LiteRT.js (wasm) beside ai-edge-litert"),
    ("export_modes", "Export routes and modes"),
    ("cli_latency", "CLI latency"),
)


def _demote(markdown):
    """Headings one level down, so each result file nests under its section."""
    return "\n".join("#" + line if line.startswith("#") else line
                     for line in markdown.splitlines())


def readme(out_dir, link_prefix=""):
    out_dir = Path(out_dir)
    parts = ["# Benchmarks", "",
             "Generated by `python -m benchmarks` from the JSON/Markdown results in "
             f"`{link_prefix or './'}`; every figure below is measured, none typed in. Timings are "
             "ratios within one run where it matters (these machines are noisy).", ""]
    found = 0
    for stem, heading in SECTIONS:
        md = out_dir / f"{stem}.md"
        if not md.is_file():
            continue
        found += 1
        text = md.read_text()
        if link_prefix:  # plots sit beside their tables
            text = re.sub(r"\]\(([\w.-]+\.png)\)", lambda m: f"]({link_prefix}{m[1]})", text)
        first, _, rest = text.partition("\n")
        parts += [f"## {heading}", "",
                  f"Source: [`{link_prefix}{stem}.json`]({link_prefix}{stem}.json)", "",
                  _demote(rest.strip()), ""]
    if not found:
        parts.append("No results yet: run `python -m benchmarks --quick`.")
    return "\n".join(parts) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the ~5-minute subset")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the JSON results")
    p.add_argument("--kws-data", metavar="DIR",
                   help="a built speech-commands set: also run benchmarks.keyword_window")
    p.add_argument("--kws-real-audio", action="store_true",
                   help="also run benchmarks.kws_real_audio (real recorded speech)")
    args = p.parse_args(argv)
    from zoo.data.speech_commands import is_data_dir

    if args.kws_data and not is_data_dir(args.kws_data):
        p.error(f"--kws-data {args.kws_data}: no speech-commands set there; build one with "
                "`python -m zoo.data.speech_commands build --data-dir DIR`")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from benchmarks import (edge_cost, export_modes, keyword_window, kws_real_audio,
                            kws_stream_cost, long_range, translation, translation_everyday)
    from zoo.files import atomic_write_bytes

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    quick = ["--quick"] if args.quick else []
    common = [*quick, "--out", str(out)]
    steps = [("edge_cost", edge_cost.main, common), ("long_range", long_range.main, common),
             ("translation", translation.main, common),
             ("translation_everyday", translation_everyday.main, ["--out", str(out)])]
    if not args.quick:
        steps.append(("export_modes", export_modes.main, common))
        steps.append(("kws_stream_cost", kws_stream_cost.main, ["--out", str(out)]))
    if args.kws_data:
        steps.append(("keyword_window", keyword_window.main,
                      ["--data-dir", args.kws_data, *common]))
    if args.kws_real_audio:
        steps.append(("kws_real_audio", kws_real_audio.main, common))
    for name, run, argv in steps:
        start = time.time()
        print(f"== benchmarks.{name} {' '.join(quick)}", flush=True)
        code = run(argv)
        if code:
            return code
        print(f"== benchmarks.{name}: {time.time() - start:.0f} s", flush=True)
    atomic_write_bytes(out / "README.md", readme(out).encode())
    if out.resolve() == DEFAULT_OUT.resolve():
        atomic_write_bytes(ROOT / "benchmarks" / "README.md", readme(out, "results/").encode())
    print(f"results in {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
