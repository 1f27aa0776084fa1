"""Planning and building the synthetic set: `plan` (the deterministic clip specs),
`build` (render them in worker processes, resumable; manifest and list files),
`read_manifest`, `stats` and `format_stats`."""

from __future__ import annotations

import collections
import csv
import io
import math
import multiprocessing
import time
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.augment import _aug_string, prepare_impulses, render
from zoo.data.speech_commands.engines import (
    EngineUnavailableError, _close_worker, _init_worker, resolve_engines,
)
from zoo.data.speech_commands.task import (
    ALL_ENGINES, ENGINE_SHARE, ESPEAK_ACCENTS, ESPEAK_VARIANTS,
    FESTIVAL_VOICES, FLITE_VOICES, GENERATOR_VERSION, KEYWORDS, LABELS, MANIFEST_FIELDS, MOH_DIR,
    NOISE_KINDS, SAMPLE_RATE, SILENCE, SILENCE_KINDS, SPLITS, TTS_ENGINES, UNKNOWN_WORDS,
    _slug, speaker_id, speaker_split,
)
from zoo.files import atomic_write_bytes, guard_config


def _music_tracks():
    """{split: [(name, seconds)]} of the music-on-hold tracks (3 train, 1 val, 1 test)."""
    tracks = []
    paths = sorted(Path(MOH_DIR).glob("*.wav")) if Path(MOH_DIR).is_dir() else []
    check_not_reserved(paths)
    for p in paths:
        try:
            tracks.append((p.name, audio.audio_info(p).duration_s))
        except ValueError:  # unreadable track: leave it out
            continue
    tracks = [t for t in tracks if t[1] > 5]
    out = {s: [] for s in SPLITS}
    if len(tracks) >= 3:
        out["test"], out["validation"], out["train"] = [tracks[-1]], [tracks[-2]], tracks[:-2]
    else:
        out["train"] = tracks
    return out


def _allocate(n: int, shares: dict) -> list:
    """Exact quotas (largest remainder) as a list of keys, in `shares` order."""
    total = sum(shares.values())
    if n <= 0 or total <= 0:
        return []
    raw = {k: n * v / total for k, v in shares.items()}
    counts = {k: int(math.floor(r)) for k, r in raw.items()}
    left = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), list(shares).index(k)))[:left]:
        counts[k] += 1
    return [k for k in shares for _ in range(counts[k])]


def _clip_seed(seed: int, label_index: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, label_index, index, GENERATOR_VERSION]).generate_state(1)[0])


def _u(rng, lo, hi, nd=2):
    return round(float(rng.uniform(lo, hi)), nd)


def _punctuate(rng, word):
    return word + ["", "", "", ".", "!", "?"][int(rng.integers(6))]


def _draw_tts(engine, rng, text):
    """(voice, variant, pitch, speed, tts_options) for one clip."""
    if engine == "espeak-ng":
        voice = ESPEAK_ACCENTS[int(rng.integers(len(ESPEAK_ACCENTS)))]
        variant = ESPEAK_VARIANTS[int(rng.integers(len(ESPEAK_VARIANTS)))]
        return voice, variant, str(int(rng.integers(15, 86))), str(int(rng.integers(110, 231))), ""
    if engine == "flite":
        voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
        f0 = rng.integers(140, 241) if voice == "slt" else rng.integers(75, 151)
        return voice, "", str(int(f0)), f"{_u(rng, 0.8, 1.35):.2f}", ""
    if engine == "festival":
        # The diphone voices crash festival 2.5 (heap corruption) for f0 <= 80 Hz with
        # Duration_Stretch >= 1.24; f0 >= 85 was safe up to 1.4, so keep a margin.
        voice = FESTIVAL_VOICES[int(rng.integers(len(FESTIVAL_VOICES)))]
        pitch = "" if voice == "cmu_us_slt_arctic_hts" else str(int(rng.integers(90, 151)))
        return voice, "", pitch, f"{_u(rng, 0.8, 1.3):.2f}", ""
    if engine == "piper":
        return "joe", "", "", f"{_u(rng, 0.75, 1.4):.2f}", "tts_noise=0"
    raise ValueError(engine)


def draw_voice(rng, aug, *, engine, voice, irs, natural_pitch_p, tempo_p, tempo, reverb_max):
    """Pitch (more often for the few natural voices, which need pseudo-speakers), tempo
    and room reverb into `aug`; shared by the clip and the running-speech plans."""
    natural = engine in ("piper", "recording") or voice == "cmu_us_slt_arctic_hts"
    p_pitch, max_cents = (natural_pitch_p, 300) if natural else (0.3, 200)
    if rng.random() < p_pitch:
        aug["pitch"] = int(rng.integers(-max_cents, max_cents + 1))
    if rng.random() < tempo_p:
        aug["tempo"] = _u(rng, *tempo)
    if irs and rng.random() < 0.3:
        aug["reverb"] = f"{irs[int(rng.integers(len(irs)))]}:{_u(rng, 0.15, reverb_max)}"
    return aug


def draw_noise(rng, *, split, music, music_tail_s):
    """A background noise (a synthetic kind, or music-on-hold of the split from a random
    offset, keeping `music_tail_s` before the track's end) at a random SNR."""
    kinds = NOISE_KINDS + (("music",) if music.get(split) else ())
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "music":
        name, seconds = music[split][int(rng.integers(len(music[split])))]
        kind = f"music:{name}@{_u(rng, 0, max(0.0, seconds - music_tail_s))}"
    return f"{kind}:{_u(rng, 5, 30, 1)}dB"


def _draw_augmentation(rng, *, engine, voice, split, music, irs):
    """Augmentation parameters, as an ordered dict (also the manifest string)."""
    aug = draw_voice(rng, {}, engine=engine, voice=voice, irs=irs, natural_pitch_p=0.7,
                     tempo_p=0.3, tempo=(0.85, 1.2), reverb_max=0.6)
    r = rng.random()
    if r < 0.35:
        kind = ["hp", "lp", "bp", "tel"][int(rng.integers(4))]
        if kind == "hp":
            aug["band"] = f"hp{int(rng.integers(80, 301))}"
        elif kind == "lp":
            aug["band"] = f"lp{int(rng.integers(3000, 7001))}"
        elif kind == "bp":
            aug["band"] = f"bp{int(rng.integers(80, 301))}-{int(rng.integers(3000, 7001))}"
        else:
            aug["band"] = "tel"
    if rng.random() < 0.8:
        aug["noise"] = draw_noise(rng, split=split, music=music, music_tail_s=1.2)
    aug["gain"] = _u(rng, -25, -1, 1)
    aug["pos"] = _u(rng, 0, 1, 3)
    return aug


def _draw_silence(rng, *, split, music):
    kinds = SILENCE_KINDS if music.get(split) else SILENCE_KINDS[:-1]
    kind = kinds[int(rng.integers(len(kinds)))]
    aug = {}
    if kind == "music":
        name, seconds = music[split][int(rng.integers(len(music[split])))]
        kind = f"music:{name}@{_u(rng, 0, seconds - 1.2)}"
    aug["noise"] = kind
    aug["level"] = _u(rng, -80, -60, 1) if kind == "quiet" else _u(rng, -60, -18, 1)
    if rng.random() < 0.3:
        second = NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))]
        aug["mix"] = f"{second}:{_u(rng, -20, -6, 1)}dB"
    if rng.random() < 0.3:
        aug["band"] = f"hp{int(rng.integers(80, 301))}" if rng.random() < 0.5 else f"lp{int(rng.integers(3000, 7001))}"
    return aug


def plan(clips_per_keyword: int = 2000, seed: int = 0, engines=ALL_ENGINES, *,
         impulses=(), music=None) -> list[dict]:
    """The deterministic list of clip specs (manifest rows) of a build; no audio."""
    engines = tuple(engines)
    bad = [e for e in engines if e not in TTS_ENGINES]
    if bad:
        resolve_engines(bad)   # raises: reserved for evaluation, or unknown
    n = int(clips_per_keyword)
    if n < 1:
        raise ValueError("clips_per_keyword must be >= 1")
    music = {s: [] for s in SPLITS} if music is None else music
    shares = {e: ENGINE_SHARE[e] for e in TTS_ENGINES if e in engines}
    impulses = tuple(impulses)
    specs, split_counts = [], collections.Counter()

    def finish(label, li, i, d):
        d.setdefault("variant", "")
        d.setdefault("source", "")
        d["speaker"] = speaker_id(d["engine"], d["voice"], d["variant"])
        d["split"] = speaker_split(d["engine"], d["voice"], d["variant"])
        d["path"] = f"{label}/{_slug(d['speaker'])}_nohash_{i:05d}.wav"
        d["label"] = label
        return d

    for li, label in enumerate(LABELS):
        if label == SILENCE:
            continue
        lrng = np.random.default_rng([seed, li, 0x5EED])
        sources = _allocate(n, dict(shares))
        lrng.shuffle(sources)
        for i, engine in enumerate(sources):
            cs = _clip_seed(seed, li, i)
            rng = np.random.default_rng(cs)
            d = {"engine": engine, "seed": str(cs), "pitch": "", "speed": ""}
            word = label if label in KEYWORDS else UNKNOWN_WORDS[int(rng.integers(len(UNKNOWN_WORDS)))]
            text = _punctuate(rng, word)
            voice, variant, pitch, speed, extra = _draw_tts(engine, rng, text)
            d.update(voice=voice, variant=variant, pitch=pitch, speed=speed, text=text)
            d = finish(label, li, i, d)
            aug = _draw_augmentation(rng, engine=engine, voice=d["voice"], split=d["split"],
                                     music=music, irs=impulses)
            d["augmentation"] = (extra + ";" if extra else "") + _aug_string(aug)
            specs.append(d)
            if label in KEYWORDS:
                split_counts[d["split"]] += 1

    # `_silence_`: no speaker; split quotas follow the keyword clips.
    li = LABELS.index(SILENCE)
    lrng = np.random.default_rng([seed, li, 0x5EED])
    splits = _allocate(n, {s: split_counts[s] for s in SPLITS} if split_counts else {"train": 1})
    lrng.shuffle(splits)
    for i, split in enumerate(splits):
        cs = _clip_seed(seed, li, i)
        rng = np.random.default_rng(cs)
        aug = _draw_silence(rng, split=split, music=music)
        kind = aug["noise"].split(":")[0]
        specs.append({"path": f"{SILENCE}/noise-{kind}_nohash_{i:05d}.wav", "label": SILENCE, "split": split,
                      "engine": "noise", "voice": kind, "variant": "", "pitch": "", "speed": "",
                      "augmentation": _aug_string(aug), "seed": str(cs), "speaker": "", "text": "",
                      "source": ""})
    return [{k: d[k] for k in MANIFEST_FIELDS} for d in specs]


def _work(job):
    root, spec = job
    path = Path(root) / spec["path"]
    try:
        y = render(spec)
    except EngineUnavailableError:
        raise
    except Exception as e:
        raise RuntimeError(f"{spec['path']} ({spec['speaker'] or spec['engine']}, {spec['text']!r}): {e}") from e
    audio.write_wav(path, y, SAMPLE_RATE)
    return spec["path"]


def _csv_bytes(rows, fields=MANIFEST_FIELDS) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def read_manifest(data_dir) -> list[dict]:
    path = Path(data_dir) / "manifest.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: build the data dir first "
                                "(python -m zoo.data.speech_commands build --data-dir ...)")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build(data_dir, clips_per_keyword: int = 2000, seed: int = 0, workers: int = 2, engines="all", *,
          reverb: str = "auto", progress: bool = True) -> dict:
    """Synthesise the 12-class task into `data_dir` (resumable; see the module docstring).

    Args:
      data_dir: output folder, created if needed.
      clips_per_keyword: clips per keyword; `_unknown_` and `_silence_` get as many.
      seed: everything (speakers, words, prosody, augmentation, noise) follows from it.
      workers: processes (1 renders in this process).
      engines: "all" (default: the four TTS engines; a missing engine is an
        `EngineUnavailableError`), "available" (skip the missing ones with a warning) or
        names from `ALL_ENGINES`. "asterisk" and "alsa" are refused: those recordings are
        reserved for evaluation (`zoo.data.reserved`).
      reverb: "auto", "piper" or "synthetic" impulse responses (see `prepare_impulses`).
      progress: show a tqdm bar.

    Returns a dict: manifest path, clips, generated, skipped, seconds, engines.
    """
    t0 = time.monotonic()
    data_dir = Path(data_dir)
    chosen = resolve_engines(engines)
    data_dir.mkdir(parents=True, exist_ok=True)
    ir_source, irs = prepare_impulses(data_dir, reverb)
    music = _music_tracks()
    config = {
        "generator_version": GENERATOR_VERSION, "seed": int(seed), "clips_per_keyword": int(clips_per_keyword),
        "engines": list(chosen), "impulses": {"source": ir_source, "names": list(irs)},
        "music": {s: [t[0] for t in music[s]] for s in SPLITS},
        "asterisk_files": "",   # kept (always empty) so older data dirs still resume
        "labels": list(LABELS),
    }
    guard_config(data_dir / "build_config.json", config, "use a new data dir or delete this one")

    specs = plan(clips_per_keyword, seed, chosen, impulses=irs, music=music)
    for label in LABELS:
        d = data_dir / label
        d.mkdir(exist_ok=True)
        for stale in d.glob(".*.part"):   # left by a killed run
            stale.unlink(missing_ok=True)
    todo = [s for s in specs if not (data_dir / s["path"]).is_file()]
    jobs = [(str(data_dir), s) for s in todo]
    cache = str(data_dir / "_cache")
    if workers > 1:  # interleave the engines so both workers get a mix
        jobs.sort(key=lambda j: int(j[1]["seed"]))
    run_jobs(_work, jobs, total=len(specs), cache=cache, workers=workers,
             desc="speech_commands", progress=progress, chunksize=8)

    atomic_write_bytes(data_dir / "manifest.csv", _csv_bytes(specs))
    for split, name in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        lines = "".join(s["path"] + "\n" for s in specs if s["split"] == split)
        atomic_write_bytes(data_dir / name, lines.encode())
    return {"manifest": str(data_dir / "manifest.csv"), "clips": len(specs), "generated": len(todo),
            "skipped": len(specs) - len(todo), "seconds": round(time.monotonic() - t0, 2), "engines": list(chosen)}


def run_jobs(work, jobs, *, total, cache, workers, desc, progress, chunksize):
    """`work(job)` for every job, in this process (`workers` <= 1) or a spawn pool whose
    workers load the TTS engines once (`_init_worker(cache)`), with a tqdm bar that
    starts at the `total - len(jobs)` items already done."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=total - len(jobs), unit="clip", desc=desc,
               disable=not progress, smoothing=0.05)
    try:
        if workers <= 1 or len(jobs) <= 1:
            _init_worker(cache)
            try:
                for job in jobs:
                    work(job)
                    bar.update()
            finally:
                _close_worker()
        else:
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(int(workers), initializer=_init_worker, initargs=(cache,)) as pool:
                for _ in pool.imap_unordered(work, jobs, chunksize=chunksize):
                    bar.update()
    finally:
        bar.close()


def stats(data_dir) -> dict:
    """Counts from the manifest: per split, label, engine and speaker."""
    rows = read_manifest(data_dir)
    out = {"clips": len(rows), "split": collections.Counter(), "split_label": collections.Counter(),
           "split_engine": collections.Counter(), "speakers": collections.defaultdict(set)}
    for r in rows:
        out["split"][r["split"]] += 1
        out["split_label"][(r["split"], r["label"])] += 1
        out["split_engine"][(r["split"], r["engine"])] += 1
        if r["speaker"]:
            out["speakers"][r["split"]].add(r["speaker"])
    out["speakers"] = {s: len(v) for s, v in out["speakers"].items()}
    return out


def format_stats(st: dict) -> str:
    lines = [f"{st['clips']} clips"]
    engines = sorted({e for _, e in st["split_engine"]})
    head = f"{'':12s}" + "".join(f"{s:>12s}" for s in SPLITS) + f"{'total':>12s}"
    lines += ["", "per split:", head,
              f"{'clips':12s}" + "".join(f"{st['split'][s]:12d}" for s in SPLITS) + f"{st['clips']:12d}",
              f"{'speakers':12s}" + "".join(f"{st['speakers'].get(s, 0):12d}" for s in SPLITS)]
    lines += ["", "per label:", head]
    for label in LABELS:
        c = [st["split_label"][(s, label)] for s in SPLITS]
        lines.append(f"{label:12s}" + "".join(f"{v:12d}" for v in c) + f"{sum(c):12d}")
    lines += ["", "per engine:", head]
    for e in engines:
        c = [st["split_engine"][(s, e)] for s in SPLITS]
        lines.append(f"{e:12s}" + "".join(f"{v:12d}" for v in c) + f"{sum(c):12d}")
    return "\n".join(lines)
