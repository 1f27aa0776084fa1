"""Keywords spoken inside sentences, with their times: ``D/kw_sentences/``.

A streaming spotter trained on isolated words (and on keyword-free running
speech) learns to stay quiet, but not to hear "left" inside "turn left at the
church": the coarticulated keyword sounds unlike the word read alone. This
module synthesises, per training-side split, sentences that each hold exactly
one keyword, and records where that keyword starts and ends:

- **texts**: fortunes sentences of the split with exactly one keyword (up to
  half of each keyword's share), the rest *carriers*: 0-6 words cut from a
  keyword-free sentence of the split, the keyword, then 0-5 words from another
  ("Of the rain go the little white", "Left is what they want"), so every
  keyword gets the same number of sentences at every position;
- **voices and augmentation**: the split's own voices and the running-speech
  pool's augmentation (`running._draw_voice`, `running._draw_aug`: pitch,
  tempo, reverb, telephone band, mu-law/GSM, small speaker, noise and per-split
  music), so nothing crosses the speaker split;
- **times**: `running.render_marked` reads the words before the keyword and the
  words through it alone with the same voice; their spoken lengths, carried
  through the tempo change and padding, are the keyword's start and end in
  the rendered sentence (`start_s`, `end_s`). A prefix read alone ends with a
  final lengthening, so both are late by some tens of milliseconds; trainers
  leave a margin.

Only `train` and `validation` are built (the test side of keyword spotting is
the reserved real recordings, `benchmarks/kws_real_audio.py`, and the test
streams of `running`). Layout::

    D/kw_sentences/config.json              settings guard (a resume must match)
    D/kw_sentences/<split>/<speaker>_NNNNN.wav (+ .json: its times)
    D/kw_sentences/items.csv                path,split,keyword,text,start_s,end_s,speaker,augmentation,seed

    python -m zoo.data.speech_commands sentences --data-dir D [--per-keyword 300] [--seed 0]

    x, labels, start_s, end_s = load_keyword_sentences(D, "train", LABELS)
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands import running
from zoo.data.speech_commands.augment import prepare_impulses
from zoo.data.speech_commands.builder import _music_tracks, run_jobs
from zoo.data.speech_commands.engines import resolve_engines
from zoo.data.speech_commands.task import KEYWORDS, SAMPLE_RATE, speaker_id
from zoo.files import atomic_write_bytes, guard_config

VERSION = 1
SPLITS = ("train", "validation")
VALIDATION_SHARE = 1 / 6         # validation sentences per keyword, of the train count
FIELDS = ("path", "split", "keyword", "text", "start_s", "end_s", "speaker", "augmentation", "seed")
_WORDS = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def keyword_span(text: str, keyword: str) -> tuple[str, str]:
    """`(before, through)`: the text before `keyword` and the text through it, for the
    one whole-word occurrence of it ("Turn left now.", "left" -> ("Turn", "Turn left"))."""
    hits = [m for m in re.finditer(r"[^\W\d_]+(?:'[^\W\d_]+)*", text) if m.group().lower() == keyword]
    if len(hits) != 1:
        raise ValueError(f"{text!r} holds {keyword!r} {len(hits)} times as a word; need exactly once")
    m = hits[0]
    return text[:m.start()].rstrip(" ,;:-\"'"), text[:m.end()]


def _span(sentences, rng, n):
    if n == 0:
        return []
    for _ in range(100):
        words = _WORDS.findall(sentences[int(rng.integers(len(sentences)))])
        if len(words) >= n:
            s = int(rng.integers(0, len(words) - n + 1))
            return words[s:s + n]
    return []


def carrier(keyword: str, free: list, rng) -> str:
    """One carrier sentence: a few words of a keyword-free sentence, the keyword, a few
    words of another (either side may be empty)."""
    for _ in range(100):
        left = _span(free, rng, 0 if rng.random() < 0.15 else int(rng.integers(1, 7)))
        right = _span(free, rng, 0 if rng.random() < 0.3 else int(rng.integers(1, 6)))
        words = left + [keyword] + right
        text = " ".join(words)
        if running.keywords_in(text) == [keyword]:
            return text[0].upper() + text[1:] + "."
    raise RuntimeError(f"no carrier for {keyword!r} without another keyword")


def texts(split: str, per_keyword: int, seed: int = 0, text=None) -> list[tuple[str, str]]:
    """`[(sentence, keyword)]` of a split: `per_keyword` sentences for each keyword (half
    at most from fortunes sentences holding it once, the rest carriers)."""
    text = running.sentences() if text is None else text
    rng = np.random.default_rng([seed, running.SPLITS.index(split), 0x5E27])
    pool = text[split]
    free = [s for s in pool if not running.keywords_in(s)]
    out = []
    for k in KEYWORDS:
        own = [s for s in pool if running.keywords_in(s) == [k]]
        take = [own[i] for i in rng.permutation(len(own))[: per_keyword // 2]]
        out += [(s, k) for s in take]
        out += [(carrier(k, free, rng), k) for _ in range(per_keyword - len(take))]
    return out


def plan(per_keyword: int = 300, seed: int = 0, engines=("espeak-ng", "flite", "festival"), *,
         music=None, irs=(), text=None) -> list[dict]:
    """The deterministic item specs (no audio) of both splits."""
    text = running.sentences() if text is None else text
    music = {s: [] for s in running.SPLITS} if music is None else music
    items = []
    for split in SPLITS:
        n = per_keyword if split == "train" else max(1, int(round(per_keyword * VALIDATION_SHARE)))
        rng = np.random.default_rng([seed, running.SPLITS.index(split), 0x4B57])
        for i, (sent, kw) in enumerate(texts(split, n, seed, text)):
            cs = int(rng.integers(2**63))
            r = np.random.default_rng(cs)
            engine, voice, variant, pitch, speed = running._draw_voice(r, split, engines, sent)
            spk = speaker_id(engine, voice, variant)
            aug = running._draw_aug(r, split=split, music=music, irs=tuple(irs), engine=engine,
                                    voice=voice, stream=False)
            items.append(dict(
                source=engine, engine=engine, voice=voice, variant=variant, pitch=pitch, speed=speed,
                speaker=spk, text=sent, recording="", keyword=kw, split=split, seed=str(cs),
                augmentation=";".join(f"{k}={v}" for k, v in aug.items()),
                path=f"{split}/{re.sub(r'[^A-Za-z0-9]+', '-', spk).strip('-')}_{i:05d}.wav"))
    return items


def _work(job):
    root, spec = job
    before, through = keyword_span(spec["text"], spec["keyword"])
    try:
        y, (start, end) = running.render_marked(spec, (before, through))
    except Exception as e:
        raise RuntimeError(f"{spec['path']} ({spec['speaker']}, {spec['text'][:60]!r}): {e}") from e
    wav = Path(root) / spec["path"]
    audio.write_wav(wav, y, SAMPLE_RATE)
    atomic_write_bytes(wav.with_suffix(".json"), json.dumps(
        {"start_s": round(start, 4), "end_s": round(end, 4)}).encode())
    return spec["path"]


def build(data_dir, per_keyword: int = 300, seed: int = 0, workers: int = 2, *, engines="available",
          reverb: str = "auto", progress: bool = True) -> dict:
    """Build ``<data_dir>/kw_sentences`` (resumable: a re-run renders only what is missing)."""
    t0 = time.monotonic()
    if int(per_keyword) != per_keyword or per_keyword < 1:
        raise ValueError(f"per_keyword must be a count >= 1, not {per_keyword!r} (e.g. --per-keyword 300)")
    data_dir = running.check_build_dir(data_dir, workers)
    chosen = resolve_engines(engines)
    text = running.sentences()
    root = data_dir / "kw_sentences"
    root.mkdir(parents=True, exist_ok=True)
    ir_source, irs = prepare_impulses(data_dir, reverb)
    music = _music_tracks()
    config = {"version": VERSION, "seed": int(seed), "per_keyword": int(per_keyword), "engines": list(chosen),
              "impulses": {"source": ir_source, "names": list(irs)},
              "music": {s: [t[0] for t in music[s]] for s in running.SPLITS}}
    guard_config(root / "config.json", config, f"delete {root} or use the same settings")
    items = plan(int(per_keyword), seed, chosen, music=music, irs=irs, text=text)
    for split in SPLITS:
        (root / split).mkdir(exist_ok=True)
    for stale in root.rglob(".*.part"):
        stale.unlink(missing_ok=True)
    todo = [it for it in items if not ((root / it["path"]).is_file()
                                       and (root / it["path"]).with_suffix(".json").is_file())]
    run_jobs(_work, [(str(root), it) for it in todo], total=len(items), cache=str(data_dir / "_cache"),
             workers=workers, desc="keyword sentences", progress=progress, chunksize=2)
    rows = []
    for it in items:
        times = json.loads((root / it["path"]).with_suffix(".json").read_text())
        rows.append(dict(it, **times))
    atomic_write_bytes(root / "items.csv", running._csv_bytes(rows, FIELDS))
    return {"root": str(root), "items": len(items), "generated": len(todo),
            "per_split": {s: sum(r["split"] == s for r in rows) for s in SPLITS},
            "engines": list(chosen), "seconds": round(time.monotonic() - t0, 1)}


def has_keyword_sentences(data_dir) -> bool:
    return (Path(data_dir) / "kw_sentences" / "items.csv").is_file()


def build_command(data_dir) -> str:
    """The `sentences` command that built the data dir's keyword sentences (its seed and
    count per keyword, from their config.json), with the data dir written `DATA`."""
    config = json.loads((Path(data_dir) / "kw_sentences" / "config.json").read_text())
    return (f"python -m zoo.data.speech_commands sentences --data-dir DATA "
            f"--per-keyword {config['per_keyword']} --seed {config['seed']}")


def load_keyword_sentences(data_dir, split: str, labels):
    """`(audio, label ids, start_s, end_s)` of a split: a list of float32 16 kHz arrays,
    the keyword's index in `labels`, and where the keyword starts and ends (s)."""
    root = Path(data_dir) / "kw_sentences"
    if not (root / "items.csv").is_file():
        raise FileNotFoundError(f"{data_dir} has no keyword sentences (kw_sentences/items.csv): build them "
                                f"with `python -m zoo.data.speech_commands sentences --data-dir {data_dir}`")
    split = running._split_name(split)
    with open(root / "items.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    paths = [root / r["path"] for r in rows]
    check_not_reserved(paths)
    labels = list(labels)
    missing = sorted({r["keyword"] for r in rows} - set(labels))
    if missing:
        raise ValueError(f"keywords {missing} are not among the model's labels {labels}")
    return ([audio.read_audio(p, SAMPLE_RATE) for p in paths],
            np.array([labels.index(r["keyword"]) for r in rows], np.int64),
            np.array([float(r["start_s"]) for r in rows]), np.array([float(r["end_s"]) for r in rows]))


__all__ = ["build", "carrier", "has_keyword_sentences", "keyword_span", "load_keyword_sentences", "plan", "texts"]
