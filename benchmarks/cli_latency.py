"""Wall time of the quick `zoo` commands: `zoo list`, `zoo info NAME`, `zoo info TYPO`.

    python -m benchmarks.cli_latency [--runs 5] [--before DIR] [--out DIR]

Each command runs `--runs` times in a fresh interpreter (`python -m zoo.cli ...`,
as the `zoo` script does), from this checkout and, with `--before DIR`, from
another checkout of the repository (e.g. the commit before a change:
`git archive COMMIT | tar -x -C DIR`), alternately, so that both see the same
machine load. Writes `cli_latency.json` and `cli_latency.md` (median, min and
max per command) to `--out` (default `benchmarks/results/`). Not part of
`python -m benchmarks`' default list.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results_io import write_results

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results"
COMMANDS = {"zoo list": ["list"], "zoo info kws-att-bilstm": ["info", "kws-att-bilstm"],
            "zoo info kws-att-bilstn (typo)": ["info", "kws-att-bilstn"]}
TARGET_S = 1.0


def run_once(tree, args):
    """Seconds of one `python -m zoo.cli ARGS` from the checkout `tree` (stdout a pipe)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "zoo.cli", *args], cwd=tree, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    expected = 2 if args[-1].endswith("bilstn") else 0
    if done.returncode != expected:
        raise RuntimeError(f"`zoo {' '.join(args)}` in {tree} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace')[-500:]}")
    return seconds


def measure(trees, runs):
    """`{tree label: {command: [seconds, ...]}}`, the trees alternating run by run."""
    times = {label: {c: [] for c in COMMANDS} for label in trees}
    for _ in range(runs):
        for command, args in COMMANDS.items():
            for label, tree in trees.items():
                times[label][command].append(round(run_once(tree, args), 3))
    return times


def markdown(result):
    labels = list(result["times"])
    lines = ["# CLI latency", "",
             f"Wall time of one `python -m zoo.cli ...` in a fresh interpreter, median (min-max) "
             f"of {result['runs']} runs, stdout piped; target under {TARGET_S:g} s. "
             f"{result['machine']}.", "",
             "| command | " + " | ".join(labels) + " |",
             "|---|" + "---|" * len(labels)]
    for command in COMMANDS:
        cells = []
        for label in labels:
            t = result["times"][label][command]
            cells.append(f"{statistics.median(t):.2f} s ({min(t):.2f}-{max(t):.2f})")
        lines.append(f"| `{command}` | " + " | ".join(cells) + " |")
    if "before" in result["trees"]:
        lines += ["", f"before: {result['trees']['before']}; after: this checkout."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_latency",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout to time alongside this one")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    trees = {}
    if args.before is not None:
        if not (args.before / "zoo" / "cli.py").is_file():
            parser.error(f"--before {str(args.before)!r} is not a checkout (no zoo/cli.py)")
        trees["before"] = args.before.resolve()
    trees["after" if args.before is not None else "this checkout"] = ROOT
    times = measure(trees, args.runs)
    result = {"runs": args.runs, "target_s": TARGET_S,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                         f"{platform.python_version()}",
              "trees": {label: str(tree) for label, tree in trees.items()},
              "times": times,
              "median_s": {label: {c: statistics.median(t) for c, t in per.items()}
                           for label, per in times.items()}}
    write_results(args.out, "cli_latency", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
