"""Train a causal (streaming) keyword spotter: `kws-stream-att-gru`, `kws-stream-gru`.

    zoo train kws-stream-att-gru --data-dir DATA [--epochs 30] [--seed 0] [--out DIR]

The same run as the other KWS models (`zoo.models.kws.train`: progress bars,
resumable, every TFLite mode exported and measured, results and card), with
what a model that runs on an endless stream needs:

- **Context.** Each training example is 2 s: the labelled 1-s clip at the end,
  after 1 s of *context*: running speech (the `running` pool of the data dir,
  when it has one: TTS sentences without keywords and real non-English speech),
  another training clip of any class, or a silence clip, drawn anew every epoch.
  The GRU so learns its state from what precedes a word in a stream, not from
  zeros only.
- **Speech after the word.** Half of the word clips (keywords and unknown words)
  go on with running speech 50-300 ms after the word ends (found by energy),
  as a keyword inside a sentence does; the label stays the clip's.
- **Running speech says nothing.** Extra `_unknown_` examples are 2-s crops of
  running speech (about a quarter of an epoch).
- **Keywords inside sentences.** With a `kw_sentences` pool in the data dir
  (`python -m zoo.data.speech_commands sentences`: TTS sentences holding one
  keyword each, with its start and end), every sentence gives a 2-s window
  that ends 50-400 ms after its keyword (labelled with the keyword; the
  sentence goes on in the window as it does in a stream), and a sentence whose
  keyword starts late enough gives a window that ends before the keyword
  (`_unknown_`, ending 0.3 s or more before it: the words leading up to a keyword are not it). `--no-sentences`
  leaves them out (the ablation).
- **Hard negatives** (`--hard-negatives SHARE`, with `--init-weights`): the starting
  model scores every training running-speech crop once, before training; the tenth
  it is most sure holds a keyword (`HARD_TOP`) is drawn as SHARE of the
  running-speech negatives, the rest uniformly (training-side data only).
- **Real English** (`--real-english SHARE`): SHARE of the running-speech crops (the
  negatives and the contexts) come from the data dir's `game` pool (`python -m
  zoo.data.speech_commands game`: keyword-free lines of real game dialogue, training
  characters only, with the running-speech augmentation) instead of TTS and foreign speech.
- **Real keywords** (`--real-keywords N`): the game's training lines that say one keyword,
  placed by forced alignment (`D/game/kw_sentences`), join the keyword sentences N
  times each (real voices saying the keywords inside real sentences).
- Validation uses the same recipe on the validation split with a fixed draw;
  test accuracy is on the 1-s test clips (the whole-window model after 50
  frames), comparable with the other KWS models.

After training, the one-frame step file (`NAME.stream.float32.tflite`,
`NAME.stream.int8.tflite`: one invoke per 20 ms, state as inputs/outputs) is
exported next to the whole-window files, calibrated on states met while
streaming training audio.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from zoo import training  # noqa: E402
from zoo.models.kws import train as kws_train  # noqa: E402
from zoo.models.kws.preprocessing import CALIBRATION_CLIPS, SHIPPED_CALIBRATION_CLIPS  # noqa: E402

FAMILY = "kws-stream"
CONTEXT_SAMPLES = 16000
TRAIN_SAMPLES = 32000
RUNNING_SHARE = 0.25     # extra `_unknown_` examples of running speech, per training clip
CONTEXT_MIX = {"running": 0.5, "clip": 0.35, "silence": 0.15}
SPEECH_AFTER = 0.5       # share of word clips continued by running speech after the word
HARD_TOP = 0.1           # --hard-negatives: the hardest tenth of the running crops ...
SENTENCE_AFTER_S = (0.05, 0.4)   # a sentence window ends this long after its keyword ends
BEFORE_MARGIN_S = 0.3            # a pre-keyword window ends at least this long before the keyword (read-alone starts run late)
MIN_BEFORE_S = 0.6               # ... and only where the keyword starts this late in its sentence


def load_real_english(data_dir, n, seed):
    """`(n, 32000)` training crops of the data dir's real-English `game` pool."""
    from zoo.data.speech_commands import running

    game = Path(data_dir) / "game"
    if not (game / "pool.csv").is_file():
        raise SystemExit(f"--real-english needs {game}/pool.csv: build it with "
                         f"`python -m zoo.data.speech_commands game --data-dir {data_dir}`")
    return running.load_running(game, "train", n, seed, seconds=TRAIN_SAMPLES / 16000)


def add_real_keywords(sentences, data_dir, labels, times):
    """`sentences` (`load_sentences`' tuple, or None) with the data dir's real keyword
    sentences (`D/game/kw_sentences`, train) appended `times` times each."""
    from zoo.data.speech_commands import keyword_sentences

    game = Path(data_dir) / "game"
    if times < 1 or not keyword_sentences.has_keyword_sentences(game):
        raise SystemExit(f"--real-keywords {times}: needs N >= 1 and {game}/kw_sentences (build it with "
                         f"`python -m zoo.data.speech_commands game --data-dir {data_dir}`, PocketSphinx "
                         "installed)")
    clips, ys, starts, ends = keyword_sentences.load_keyword_sentences(game, "train", labels)
    print(f"real keywords: {len(ys)} aligned game lines, {times}x each", flush=True)
    real = (clips * times, np.tile(ys, times), np.tile(starts, times), np.tile(ends, times))
    if sentences is None:
        return real
    return (list(sentences[0]) + real[0], *(np.concatenate([a, b]) for a, b in zip(sentences[1:], real[1:])))


def limitation(args):
    """The card's sentence on what the model was trained on."""
    real = ["real non-English recordings"]
    if args.real_english:
        real.append("real English game dialogue")
    keywords = " and keywords in real game lines" if args.real_keywords else ""
    return (f"Trained on synthetic keywords (text-to-speech voices{keywords}; running speech also from "
            f"{' and '.join(real)}): accuracy on real microphones will be lower than the test "
            "figure, which is measured on held-out synthetic voices; on real recorded speech see "
            "the README's real-audio table.")


def load_running(data_dir, split, n, seed):
    """`(n, 32000)` crops of the data dir's running-speech pool, or None without one."""
    try:
        from zoo.data.speech_commands import running
    except ImportError:
        return None
    if not (Path(data_dir) / "running").is_dir():
        return None
    return running.load_running(data_dir, split, n, seed, seconds=TRAIN_SAMPLES / 16000)


class ContextExamples:
    """Draws 2-s examples: context + labelled clip, plus running-speech negatives."""

    def __init__(self, x, y, running, silence_label=0, unknown_label=1, sentences=None,
                 running_p=None):
        self.x, self.y, self.running = x, y, running
        self.running_p = running_p      # draw probabilities of the running negatives (None: uniform)
        self.silence_label = silence_label
        self.silence = np.flatnonzero(y == silence_label)
        self.unknown_label = unknown_label
        self.sentences = sentences

    def _window(self, sentence, end, rng):
        """The `TRAIN_SAMPLES` of `sentence` that end at sample `end`: what precedes the
        sentence is running speech (or silence), what follows it silence."""
        out = np.zeros(TRAIN_SAMPLES, np.float32)
        lo = end - TRAIN_SAMPLES
        piece = sentence[max(lo, 0):min(end, len(sentence))]
        out[max(-lo, 0):max(-lo, 0) + len(piece)] = piece
        if lo < 0 and self.running is not None:
            crop = self.running[rng.integers(0, len(self.running))]
            out[:-lo] = np.clip(crop[lo:] * rng.uniform(0.3, 1.2), -1, 1)   # the crop's last -lo samples
        return out

    def sentence_examples(self, rng):
        """`(x, y)`: a window ending just after each sentence's keyword (its label), and
        one ending before the keyword (`_unknown_`) where the keyword starts late enough."""
        if self.sentences is None:
            return np.zeros((0, TRAIN_SAMPLES), np.float32), np.zeros(0, self.y.dtype)
        clips, labels, starts, ends = self.sentences
        xs, ys = [], []
        for clip, label, start, end in zip(clips, labels, starts, ends):
            stop = int((end + rng.uniform(*SENTENCE_AFTER_S)) * 16000)
            xs.append(self._window(clip, stop, rng))
            ys.append(label)
            if start >= MIN_BEFORE_S:
                stop = int(rng.uniform(0.25, start - BEFORE_MARGIN_S) * 16000)
                xs.append(self._window(clip, stop, rng))
                ys.append(self.unknown_label)
        return np.stack(xs), np.array(ys, self.y.dtype)

    def _speech_after(self, rng):
        """The clips, where `SPEECH_AFTER` of the word clips (keywords and unknown words)
        continue with running speech 50-300 ms after the word ends, as a word inside a
        sentence does (the label stays the clip's)."""
        out = self.x.copy()
        words = np.flatnonzero(self.y != self.silence_label)
        for i in words[rng.random(len(words)) < SPEECH_AFTER]:
            end = word_end(out[i]) + int(rng.integers(800, 4800))
            if end >= len(out[i]) - 1600:   # under 0.1 s left: nothing to add
                continue
            crop = self.running[rng.integers(0, len(self.running))]
            start = int(rng.integers(0, crop.shape[0] - (len(out[i]) - end) + 1))
            piece = crop[start:start + len(out[i]) - end]
            level = np.sqrt(np.mean(out[i] ** 2) + 1e-12) / np.sqrt(np.mean(piece ** 2) + 1e-12)
            out[i, end:] = np.clip(piece * min(level * rng.uniform(0.5, 1.5), 4.0), -1, 1)
        return out

    def draw(self, rng, n_running):
        n = len(self.y)
        kinds = list(CONTEXT_MIX)
        p = np.array([CONTEXT_MIX[k] for k in kinds])
        if self.running is None:
            p[kinds.index("running")] = 0
        p = p / p.sum()
        choice = rng.choice(len(kinds), n, p=p)
        ctx = np.empty((n, CONTEXT_SAMPLES), np.float32)
        for i, kind in enumerate(kinds):
            idx = np.flatnonzero(choice == i)
            if not len(idx):
                continue
            if kind == "running":
                rows = rng.integers(0, len(self.running), len(idx))
                starts = rng.integers(0, self.running.shape[1] - CONTEXT_SAMPLES + 1, len(idx))
                ctx[idx] = np.stack([self.running[r, s:s + CONTEXT_SAMPLES]
                                     for r, s in zip(rows, starts)])
            elif kind == "clip":
                ctx[idx] = self.x[rng.integers(0, n, len(idx))]
            else:
                ctx[idx] = self.x[rng.choice(self.silence, len(idx))]
        gain = rng.uniform(0.3, 1.2, (n, 1)).astype(np.float32)
        clips = self._speech_after(rng) if self.running is not None else self.x
        n_extra = n_running if self.running is not None else 0
        rows = extra_gain = None
        if n_extra:
            rows = (rng.integers(0, len(self.running), n_extra) if self.running_p is None
                    else rng.choice(len(self.running), n_extra, p=self.running_p))
            extra_gain = rng.uniform(0.3, 1.2, (n_extra, 1)).astype(np.float32)
        sx, sy = self.sentence_examples(rng)
        # one array filled in place: an epoch of 2-s examples is gigabytes, so no concatenations
        xs = np.empty((n + n_extra + len(sy), TRAIN_SAMPLES), np.float32)
        np.clip(ctx * gain, -1, 1, out=xs[:n, :CONTEXT_SAMPLES])
        xs[:n, CONTEXT_SAMPLES:] = clips
        del ctx, clips
        for k in range(0, n_extra, 1024):      # in blocks: no second copy of the running rows
            block = slice(k, min(k + 1024, n_extra))
            np.clip(self.running[rows[block]] * extra_gain[block], -1, 1, out=xs[n + k:n + block.stop])
        xs[n + n_extra:] = sx
        ys = np.concatenate([self.y, np.full(n_extra, self.unknown_label, self.y.dtype), sy])
        return xs, ys


def keyword_scores(model, crops, labels, batch_size=256):
    """The highest keyword probability `model` gives each crop (at its end)."""
    keywords = [i for i, lab in enumerate(labels) if lab not in ("_silence_", "_unknown_")]
    scores = np.empty(len(crops), np.float32)
    for k in range(0, len(crops), 4096):        # in blocks: predict keeps its outputs only
        probs = model.predict(crops[k:k + 4096], batch_size=batch_size, verbose=0)
        scores[k:k + 4096] = probs[:, keywords].max(1)
    return scores


def hard_negative_p(scores, share, top=HARD_TOP):
    """Draw probabilities over the running crops: the `top` fraction with the highest
    keyword scores (the hardest negatives) get `share` of the draws, the rest the others."""
    n = len(scores)
    k = max(1, int(round(top * n)))
    if not 0 < share < 1 or k >= n:
        raise ValueError(f"hard-negative share must be in (0, 1) with some crops left over, "
                         f"not {share!r} of {n} crops")
    hard = np.argsort(-scores, kind="stable")[:k]
    p = np.full(n, (1 - share) / (n - k))
    p[hard] = share / k
    return p / p.sum()


def word_end(clip, frame=320, rel=0.1):
    """Sample index just after the last 20 ms frame whose RMS reaches `rel` of the
    clip's loudest frame (the end of the spoken word; 0 for silence)."""
    n = len(clip) // frame
    rms = np.sqrt(np.mean(clip[:n * frame].reshape(n, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms >= rel * rms.max()) if rms.max() > 0 else []
    return int((loud[-1] + 1) * frame) if len(loud) else 0


def _dataset(examples, batch_size, seed, n_running):
    import keras

    class Epochs(keras.utils.PyDataset):
        """A fresh draw of contexts every epoch."""

        def __init__(self):
            super().__init__()
            self.epoch = 0
            self._draw()

        def _draw(self):
            self.xs = None          # the last epoch's examples go before the next are drawn
            rng = np.random.default_rng([seed, self.epoch])
            self.xs, self.ys = examples.draw(rng, n_running)
            self.order = rng.permutation(len(self.ys))   # batches index it: no shuffled copy

        def __len__(self):
            return int(np.ceil(len(self.ys) / batch_size))

        def __getitem__(self, i):
            rows = self.order[i * batch_size:(i + 1) * batch_size]
            return self.xs[rows], self.ys[rows]

        def on_epoch_end(self):
            self.epoch += 1
            self._draw()

    return Epochs()


def load_sentences(data_dir, split, labels):
    """The data dir's keyword sentences of `split` (`keyword_sentences.load_keyword_sentences`),
    or None without them."""
    from zoo.data.speech_commands import keyword_sentences

    if not keyword_sentences.has_keyword_sentences(data_dir):
        return None
    return keyword_sentences.load_keyword_sentences(data_dir, split, labels)


def _extra_args(p):
    p.add_argument("--no-sentences", action="store_true",
                   help="leave out the keyword-in-sentence examples even when the data dir has them")
    p.add_argument("--hard-negatives", type=float, default=0.0, metavar="SHARE",
                   help="hard-negative mining: score the training running-speech crops with the "
                        "starting model (--init-weights) and give the tenth it is most sure hold "
                        "a keyword SHARE of the running-speech negatives (e.g. 0.5; 0: uniform)")
    p.add_argument("--real-keywords", type=int, default=0, metavar="N",
                   help="add the game dialogue's aligned keyword sentences (`python -m "
                        "zoo.data.speech_commands game`) N times each to the keyword sentences")
    p.add_argument("--real-english", type=float, default=0.0, metavar="SHARE",
                   help="draw SHARE of the running-speech crops (negatives and contexts) from the "
                        "data dir's real English game dialogue (`python -m zoo.data.speech_commands "
                        "game`; e.g. 0.5; 0: none)")


def main(argv=None, name=None):
    args = kws_train.parse(sys.argv[1:] if argv is None else argv, name, FAMILY,
                          "zoo.models.kws.train_causal", extra=_extra_args)
    if args.hard_negatives and not (0 < args.hard_negatives < 1 and args.init_weights):
        raise SystemExit(f"--hard-negatives {args.hard_negatives:g}: give a share between 0 and 1 "
                         "(e.g. 0.5) and --init-weights (the model that mines)")
    if args.real_keywords < 0:
        raise SystemExit(f"--real-keywords {args.real_keywords}: give a count >= 0 (e.g. 3)")
    if not 0 <= args.real_english < 1:
        raise SystemExit(f"--real-english {args.real_english:g}: give a share in [0, 1) (e.g. 0.5)")
    entry, out = training.start_run(args)
    labels = list(entry.labels)
    (x_train, y_train, x_val, y_val, x_test, y_test), split_sizes = \
        kws_train.load_splits(args, labels)
    n_running = int(RUNNING_SHARE * len(y_train))
    run_train = load_running(args.data_dir, "train", max(2 * n_running, 4000), args.seed)
    run_val = load_running(args.data_dir, "validation", max(len(y_val) // 4, 200), args.seed + 1)
    if args.real_english:
        if run_train is None:
            raise SystemExit("--real-english mixes into the running-speech pool: build it first "
                             "(python -m zoo.data.speech_commands running --data-dir ...)")
        k = int(round(args.real_english * len(run_train)))
        run_train[:k] = load_real_english(args.data_dir, k, args.seed)
        print(f"real English: {k} of {len(run_train)} running crops from the game dialogue pool", flush=True)
    if run_train is None:
        print("no running-speech pool in the data dir (python -m zoo.data.speech_commands "
              "running --data-dir ...): contexts are other clips only", flush=True)
    sent_train = sent_val = None
    if not args.no_sentences:
        sent_train = load_sentences(args.data_dir, "train", labels)
        sent_val = load_sentences(args.data_dir, "validation", labels)
        if args.real_keywords:
            sent_train = add_real_keywords(sent_train, args.data_dir, labels, args.real_keywords)
        if sent_train is None:
            print("no keyword sentences in the data dir (python -m zoo.data.speech_commands "
                  "sentences --data-dir ...): keywords are isolated clips only", flush=True)
    print(f"clips: train {len(y_train)} (+{n_running if run_train is not None else 0} running "
          f"speech, +{len(sent_train[1]) if sent_train else 0} keyword sentences per epoch), "
          f"validation {len(y_val)}, test {len(y_test)}", flush=True)
    running_p, mined = None, None
    if args.hard_negatives:
        if run_train is None:
            raise SystemExit("--hard-negatives needs a running-speech pool in the data dir "
                             "(python -m zoo.data.speech_commands running --data-dir ...)")
        miner = entry.build(seed=args.seed, samples=TRAIN_SAMPLES)
        miner.load_weights(training.init_weights_path(args.init_weights))
        scores = keyword_scores(miner, run_train, labels)
        running_p = hard_negative_p(scores, args.hard_negatives)
        cut = np.sort(scores)[::-1][max(1, int(round(HARD_TOP * len(scores)))) - 1]
        mined = {"share": args.hard_negatives, "top": HARD_TOP, "crops": int(len(scores)),
                 "score_cut": float(cut), "median_score": float(np.median(scores))}
        print(f"hard negatives: the top {HARD_TOP:.0%} of {len(scores)} running crops (keyword "
              f"probability >= {cut:.3f}; median {np.median(scores):.3f}) get "
              f"{args.hard_negatives:.0%} of the running negatives", flush=True)
        del miner
    train_set = _dataset(ContextExamples(x_train, y_train, run_train, sentences=sent_train,
                                         running_p=running_p),
                         args.batch_size, args.seed, n_running)
    val = ContextExamples(x_val, y_val, run_val, sentences=sent_val).draw(
        np.random.default_rng(args.seed + 7), len(run_val) if run_val is not None else 0)

    shipped = training.subset(x_train, y_train, SHIPPED_CALIBRATION_CLIPS, args.seed + 2)[0]
    data = kws_train.data_description(args.data_dir, split_sizes)
    data["source"] += "".join(f"; {loader}" for loader, used in (
        ("zoo.data.speech_commands.running", run_train is not None),
        ("zoo.data.speech_commands.game_dialogue", args.real_english or args.real_keywords)) if used)
    data["description"] += (" Training examples are 2 s: 1 s of context (running speech, "
                            "another clip or silence) before each clip, plus running-speech "
                            "crops as `_unknown_`.")
    if args.real_english:
        data["description"] += (f" {args.real_english:.0%} of the running-speech crops are real "
                                "English game dialogue (Flight of the Amazon Queen, training "
                                "characters, keyword-free lines, augmented).")
    if args.real_keywords:
        data["description"] += (f" Plus the game's training lines that say one keyword ({args.real_keywords}x "
                                "each; keyword times from PocketSphinx forced alignment).")
    if mined is not None:
        data["description"] += (f" Hard negatives: the {mined['top']:.0%} of the running crops the "
                                f"starting model scored highest for a keyword (>= "
                                f"{mined['score_cut']:.3f}) make {mined['share']:.0%} of the "
                                "running-speech negatives.")
    if sent_train is not None:
        data["description"] += (f" Plus {len(sent_train[1])} TTS sentences holding one keyword "
                                "each (windows ending just after the keyword, labelled with it, "
                                "and before it, as `_unknown_`).")
    from zoo.data.speech_commands import keyword_sentences

    status = training.classifier_run(
        entry, args, out, (x_train, y_train, val[0], val[1], x_test, y_test), labels,
        config={"seed": args.seed}, train_config={"samples": TRAIN_SAMPLES},
        train_data=train_set, export_validation=x_val,
        calibration=training.subset(x_train, y_train, CALIBRATION_CLIPS, args.seed + 1)[0],
        shipped_calibration={"audio": np.round(shipped * 32767).astype(np.int16)},
        data_section=data,
        limitations=[limitation(args)],
        reproduce={"train": f"zoo train {args.model} --data-dir DATA --epochs {args.epochs} "
                            f"--seed {args.seed} --learning-rate {args.learning_rate:g}"
                            + training.schedule_option(args)
                            + (" --no-sentences" if args.no_sentences else "")
                            + (f" --hard-negatives {args.hard_negatives:g}" if args.hard_negatives else "")
                            + (f" --real-english {args.real_english:g}" if args.real_english else "")
                            + (f" --real-keywords {args.real_keywords}" if args.real_keywords else "")
                            + (f" --init-weights {args.init_weights}" if args.init_weights else ""),
                   "data": "python -m zoo.data.speech_commands build --data-dir DATA && "
                           "python -m zoo.data.speech_commands running --data-dir DATA"
                           + (" && python -m zoo.data.speech_commands game --data-dir DATA"
                              if args.real_english or args.real_keywords else "")
                           + (" && " + keyword_sentences.build_command(args.data_dir)
                              if sent_train is not None else "")},
        metric_keys=("accuracy",), validation_examples=100)
    if status == 0 and not args.evaluate_only:
        from zoo.models.kws import stream_export

        stream_export.export_step_files(entry, out, x_train, seed=args.seed,
                                        test=(x_test, y_test))
    return status


if __name__ == "__main__":
    sys.exit(main())
