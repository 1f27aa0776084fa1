"""Task (c) of the long-range benchmark: a keyword at a random position in a longer window.

    python -m benchmarks.keyword_window --data-dir DATA [--seconds 1 2 3] [--seeds 3] [--out DIR]

Each example is a window of `seconds` s of 16 kHz audio: a background bed made
of `_silence_` clips of the same split (each at a random gain in [0.1, 1]) with
one 1 s clip of the speech-commands set added at a uniformly random offset
(any sample from 0 to `seconds - 1` s). The label is that clip's label (one of
the 12, `_silence_` and `_unknown_` included), so a model must find one second
of evidence in up to three and keep it to the end. At 1 s the window is the
ordinary clip plus a bed.

The two models are the shipped keyword-spotting pair of equal parameters
(within 1 %), built for the longer input (`build_gru(samples=...)`):
`kws-att-mh-gru` (BiGRU -> multi-head attention) and `kws-gru` (the BiGRU's
final states -> MLP). Both are trained from scratch with the same budget for
every length and seed: `epochs` passes over `train_windows` windows, freshly
composed each epoch (new beds and offsets), Adam 2e-3, batch 64. The test set
is the whole test split, each clip placed once per length by a fixed random
generator, the same for every model and seed; accuracy is also reported by
where the keyword sits (first, middle, last third of the possible offsets).

Writes `keyword_window.json`, `.md` and `.png` (accuracy against window length).
The data set is built locally (`python -m zoo.data.speech_commands build`); a
full run (3 lengths x 2 models x 3 seeds) takes about 40 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("kws-att-mh-gru", "kws-gru")
FULL = dict(seconds=(1, 2, 3), train_windows=4000, epochs=10, batch=64, learning_rate=2e-3)
RUN_DEFAULTS = dict(seeds=3, max_test=None)  # how many runs and test clips (not in `config`)
QUICK = dict(FULL, seconds=(1, 3), train_windows=1000, epochs=2, seeds=1, max_test=600)
TEST_SEED = 12345
THIRDS = ("first", "middle", "last")


def compose(clips, beds, seconds, rng, gains=(0.1, 1.0)):
    """Windows `(n, seconds * 16000)`: a bed of `seconds` random rows of `beds`, each at a
    random gain, plus each row of `clips` at a random offset. Returns `(windows, offsets)`
    with the offsets in samples."""
    n, clip = clips.shape
    if clips.ndim != 2 or beds.ndim != 2 or beds.shape[1] != clip:
        raise ValueError(f"clips {clips.shape} and beds {beds.shape} must both be (n, {clip})")
    if len(beds) == 0:
        raise ValueError("no `_silence_` clips to make background beds from")
    pick = rng.integers(0, len(beds), (n, seconds))
    gain = rng.uniform(*gains, (n, seconds, 1)).astype(np.float32)
    windows = (beds[pick] * gain).reshape(n, seconds * clip)
    offsets = rng.integers(0, (seconds - 1) * clip + 1, n)
    for i, start in enumerate(offsets):
        windows[i, start:start + clip] += clips[i]
    return np.clip(windows, -1.0, 1.0), offsets


def third_of(offsets, seconds, clip):
    """0/1/2: which third of the possible offsets `[0, (seconds - 1) * clip]` each one is in."""
    span = (seconds - 1) * clip + 1
    return np.minimum(3 * np.asarray(offsets) // span, 2)


def _dataset(clips, labels, beds, seconds, windows, batch, seed):
    """A `keras.utils.PyDataset` that composes `windows` fresh windows every epoch."""
    import keras

    class Windows(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = 0
            self._draw()

        def _draw(self):
            rng = np.random.default_rng([seed, seconds, self.epoch])
            idx = rng.integers(0, len(clips), windows)
            self.x, _ = compose(clips[idx], beds, seconds, rng)
            self.y = labels[idx]

        def __len__(self):
            return -(-windows // batch)

        def __getitem__(self, i):
            return self.x[i * batch:(i + 1) * batch], self.y[i * batch:(i + 1) * batch]

        def on_epoch_end(self):
            self.epoch += 1
            self._draw()

    return Windows()


def build(name, seconds, seed):
    from zoo.data.speech_commands import CLIP_SAMPLES
    from zoo.models.kws.models import build_gru

    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    return build_gru(attention=name == "kws-att-mh-gru", seed=seed, samples=seconds * CLIP_SAMPLES)


def run_one(name, seconds, seed, data, test, cfg):
    import keras

    clips, labels, beds = data
    keras.utils.set_random_seed(seed)
    model = build(name, seconds, seed)
    model.compile(optimizer=keras.optimizers.Adam(cfg["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.time()
    model.fit(_dataset(clips, labels, beds, seconds, cfg["train_windows"], cfg["batch"], seed),
              epochs=cfg["epochs"], verbose=0)
    seconds_trained = time.time() - start
    x, y, where = test
    hit = model.predict(x, batch_size=256, verbose=0).argmax(-1) == y
    return dict(model=name, length=seconds, seed=seed, accuracy=float(hit.mean()),
                by_third={t: float(hit[where == i].mean()) for i, t in enumerate(THIRDS)
                          if (where == i).any()},
                parameters=int(model.count_params()), seconds=round(seconds_trained, 1))


def test_windows(x_test, y_test, beds, seconds):
    """The fixed test set of one length: every test clip once, same draw for all runs."""
    from zoo.data.speech_commands import CLIP_SAMPLES

    rng = np.random.default_rng([TEST_SEED, seconds])
    x, offsets = compose(x_test, beds, seconds, rng)
    return x, y_test, third_of(offsets, seconds, CLIP_SAMPLES)


def load(data_dir, max_test=None, seed=0):
    """`(train clips, labels, train beds)`, `(test clips, labels, test beds)` of a built set
    (all training clips; at most `max_test` test clips)."""
    from zoo import training
    from zoo.data import speech_commands

    sil = speech_commands.LABELS.index(speech_commands.SILENCE)
    out = []
    for split, cap in (("train", None), ("test", max_test)):
        x, y, _ = speech_commands.load(data_dir, split)
        beds = x[y == sil]
        x, y = training.subset(x, y, cap, seed)
        out.append((x, y, beds))
    return out


def by_third_rows(runs, length):
    """Mean accuracy per model and keyword third at one length (over seeds)."""
    rows = []
    for model in MODELS:
        got = [r["by_third"] for r in runs if r["model"] == model and r["length"] == length]
        if got:
            rows.append(dict(model=model, **{t: statistics.fmean(g[t] for g in got)
                                             for t in THIRDS if all(t in g for g in got)}))
    return rows


def markdown(result):
    from benchmarks import long_range

    cfg = result["config"]
    lines = ["# Keyword at a random position in a longer window", "",
             f"Module doc of `benchmarks/keyword_window.py`: a 1 s speech-commands clip added at "
             f"a uniformly random offset to a noise bed of 1–{max(cfg['seconds'])} s; "
             f"{cfg['epochs']} epochs of {cfg['train_windows']} fresh windows per run; test: the "
             f"{result['test_clips']} clips of the test split once per length. 12 classes "
             f"(chance {100 / 12:.1f} %); mean ± std over seeds "
             f"{', '.join(map(str, result['seeds']))}.", "",
             *long_range.accuracy_table(result["rows"], cfg["seconds"], MODELS, "window", " s")]
    longest = max(cfg["seconds"])
    thirds = by_third_rows(result["runs"], longest)
    if longest > 1 and thirds:
        lines += ["", f"By where the keyword starts in the {longest} s window (mean over seeds):",
                  "", "| model | " + " | ".join(f"{t} third" for t in THIRDS) + " |",
                  "|---|" + "---|" * len(THIRDS)]
        lines += [f"| {r['model']} | " + " | ".join(
            f"{100 * r[t]:.1f} %" if t in r else "–" for t in THIRDS) + " |" for r in thirds]
    params = {r["model"]: r["parameters"] for r in result["runs"]}
    minutes = sum(r["seconds"] for r in result["runs"]) / 60
    lines += ["", "Parameters: " + ", ".join(f"{m} {params.get(m, 0):,}" for m in MODELS)
              + f". Training time of all runs: {minutes:.0f} min.", "",
              "![accuracy against window length](keyword_window.png)"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True,
                   help="a built speech-commands set (python -m zoo.data.speech_commands build)")
    p.add_argument("--quick", action="store_true",
                   help="1 seed of 1 and 3 s windows on a small budget (a few minutes)")
    p.add_argument("--seconds", type=int, nargs="+", help=f"default {FULL['seconds']}")
    p.add_argument("--seeds", type=int, help=f"default {RUN_DEFAULTS['seeds']}")
    p.add_argument("--epochs", type=int, help=f"default {FULL['epochs']}")
    p.add_argument("--train-windows", type=int, help=f"default {FULL['train_windows']}")
    p.add_argument("--max-test", type=int, help="cap on test clips (default all)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    base = QUICK if args.quick else dict(FULL, **RUN_DEFAULTS)
    for key in ("seconds", "seeds", "epochs", "train_windows", "max_test"):
        if getattr(args, key) is None:
            setattr(args, key, base[key])
    if args.seeds < 1 or args.epochs < 1 or args.train_windows < 1:
        p.error("--seeds, --epochs and --train-windows must be at least 1")
    if any(s < 1 or s > 10 for s in args.seconds):
        p.error("--seconds must be whole seconds from 1 to 10")
    from tqdm import tqdm

    from benchmarks import long_range
    from benchmarks.results_io import write_results
    from zoo.files import atomic_write_bytes

    cfg = dict(FULL, seconds=sorted(set(args.seconds)), epochs=args.epochs,
               train_windows=args.train_windows)
    try:
        train, (x_test, y_test, test_beds) = load(args.data_dir, max_test=args.max_test)
    except FileNotFoundError as e:
        p.error(str(e))
    # Finished runs are kept in a side file, so a stopped benchmark resumes where it was.
    partial = Path(args.out) / "keyword_window.partial.json"
    key = dict(cfg, test_clips=int(len(y_test)))
    done = json.loads(partial.read_text()) if partial.is_file() else {}
    runs = done.get("runs", []) if done.get("key") == key else []
    have = {(r["model"], r["length"], r["seed"]) for r in runs}
    jobs = [(n, s, m) for n in cfg["seconds"] for s in range(args.seeds) for m in MODELS
            if (m, n, s) not in have]
    test = None
    for n, s, m in tqdm(jobs, desc="keyword_window"):
        if test is None or test[0].shape[1] != n * x_test.shape[1]:
            test = test_windows(x_test, y_test, test_beds, n)
        runs.append(run_one(m, n, s, train, test, cfg))
        partial.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(partial, json.dumps(dict(key=key, runs=runs)).encode())
    runs = [r for r in runs if r["seed"] < args.seeds]
    result = dict(config=cfg, seeds=list(range(args.seeds)), test_clips=int(len(y_test)),
                  runs=runs, rows=long_range.summarise(runs))
    out = write_results(args.out, "keyword_window", result, markdown(result))
    long_range.plot(result["rows"], out / "keyword_window.png", models=MODELS,
                    xlabel="window (s), keyword at a uniformly random offset",
                    title="Keyword in a longer window", chance=1 / 12, log_x=False)
    partial.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
