"""Loading a split of a built set (manifest.csv) or of the real Google Speech
Commands v0.02 corpus (`load`, `is_data_dir`), and `download` of the real corpus."""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.builder import read_manifest
from zoo.data.speech_commands.task import (
    CLIP_SAMPLES, KEYWORDS, LABELS, SAMPLE_RATE, SILENCE, SPEECH_COMMANDS_URL, SPLITS, UNKNOWN,
)
from zoo.files import atomic_path


def _normalize_split(split: str) -> str:
    s = {"val": "validation", "valid": "validation", "dev": "validation", "testing": "test",
         "training": "train"}.get(split, split)
    if s not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return s


def _read_clip(path: Path) -> np.ndarray:
    return audio.fit_length(audio.read_audio(path, SAMPLE_RATE), CLIP_SAMPLES)


def _stack(paths) -> np.ndarray:
    check_not_reserved(paths)
    out = np.zeros((len(paths), CLIP_SAMPLES), np.float32)
    for i, p in enumerate(paths):
        out[i] = _read_clip(p)
    return out


def _is_real_layout(root: Path) -> bool:
    return (root / "testing_list.txt").is_file() or (root / "validation_list.txt").is_file() or any(
        (root / k).is_dir() for k in KEYWORDS)


def is_data_dir(data_dir) -> bool:
    """Whether `load` can read `data_dir`: a built set (manifest.csv) or the real corpus."""
    root = Path(data_dir)
    return (root / "manifest.csv").is_file() or (root.is_dir() and _is_real_layout(root))


def load(data_dir, split: str, *, seed: int = 0, balance_unknown: bool = True):
    """Load one split as (waveforms float32 (n, 16000) in [-1, 1], labels int64 (n,), label names).

    `data_dir` is a folder made by `build` (it has a manifest.csv), or the real
    Google Speech Commands v0.02 corpus (`<word>/*.wav`, `validation_list.txt`,
    `testing_list.txt`, `_background_noise_/`). For the real corpus:

    - clips not in either list are train;
    - words outside the 10 keywords map to `_unknown_`, and with `balance_unknown`
      they are subsampled to about one keyword's count (as in the synthetic set);
    - `_silence_` comes from a `_silence_/` folder if there is one. Otherwise as many
      1 s windows as one keyword has are cut from `_background_noise_/*.wav`, each
      at a random gain. Each noise file is cut in time (the first 80 % for train,
      the next 10 % for validation, the last 10 % for test), so the splits share no
      noise samples.

    Clips shorter than 1 s are zero-padded at the end; longer ones are cut. Samples
    are in a fixed order (sorted paths, then silence), so shuffle before training.
    """
    root = Path(data_dir)
    split = _normalize_split(split)
    names = LABELS
    if (root / "manifest.csv").is_file():
        rows = [r for r in read_manifest(root) if r["split"] == split]
        x = _stack([root / r["path"] for r in rows])
        y = np.array([LABELS.index(r["label"]) for r in rows], np.int64)
        return x, y, names
    if not root.is_dir() or not _is_real_layout(root):
        raise FileNotFoundError(f"{root}: neither a built synthetic set (manifest.csv; run "
                                "`python -m zoo.data.speech_commands build --data-dir ...`) nor the "
                                "Speech Commands layout (<word>/*.wav, validation_list.txt, testing_list.txt)")

    def listed(name):
        p = root / name
        return set(p.read_text().split()) if p.is_file() else set()

    val, test = listed("validation_list.txt"), listed("testing_list.txt")
    items = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name.startswith("_") and d.name not in (SILENCE, UNKNOWN):
            continue   # _background_noise_, caches
        label = d.name if d.name in LABELS else UNKNOWN
        for f in sorted(d.glob("*.wav")):
            rel = f"{d.name}/{f.name}"
            s = "validation" if rel in val else "test" if rel in test else "train"
            if s == split:
                items.append((rel, label))
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    counts = collections.Counter(label for _, label in items)
    present = [counts[k] for k in KEYWORDS if counts[k]]
    per_keyword = int(round(np.mean(present))) if present else 0
    if balance_unknown:
        unk = [i for i, (_, label) in enumerate(items) if label == UNKNOWN]
        if len(unk) > per_keyword:
            keep = set(np.asarray(unk)[rng.choice(len(unk), per_keyword, replace=False)].tolist())
            items = [it for i, it in enumerate(items) if it[1] != UNKNOWN or i in keep]
    x = _stack([root / rel for rel, _ in items])
    y = [LABELS.index(label) for _, label in items]
    if not counts[SILENCE]:
        sil = _background_silence(root / "_background_noise_", split, per_keyword, rng)
        x = np.concatenate([x, sil]) if len(sil) else x
        y += [LABELS.index(SILENCE)] * len(sil)
    return x, np.asarray(y, np.int64), names


def _background_silence(noise_dir: Path, split: str, count: int, rng) -> np.ndarray:
    files = sorted(noise_dir.glob("*.wav")) if noise_dir.is_dir() else []
    check_not_reserved(files)
    if not files or count <= 0:
        return np.zeros((0, CLIP_SAMPLES), np.float32)
    noises = []
    for f in files:
        x = audio.read_audio(f, SAMPLE_RATE)
        lo, hi = {"train": (0.0, 0.8), "validation": (0.8, 0.9), "test": (0.9, 1.0)}[split]
        seg = x[int(lo * len(x)):int(hi * len(x))]
        noises.append(seg)
    out = np.zeros((count, CLIP_SAMPLES), np.float32)
    for i in range(count):
        seg = noises[int(rng.integers(len(noises)))]
        start = int(rng.integers(0, max(1, len(seg) - CLIP_SAMPLES + 1)))
        out[i] = audio.fit_length(seg[start:start + CLIP_SAMPLES], CLIP_SAMPLES) * float(rng.uniform(0, 1))
    return out


def download(dest, *, url: str = SPEECH_COMMANDS_URL, extract: bool = True) -> Path:
    """Download (and extract) the real Google Speech Commands v0.02 corpus into `dest` (~2.3 GB)."""
    import tarfile
    import urllib.request

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / url.rsplit("/", 1)[-1]
    if not archive.is_file():
        with atomic_path(archive) as tmp, urllib.request.urlopen(url) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
    if extract and not (dest / "testing_list.txt").is_file():
        with tarfile.open(archive) as tar:
            kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, **kw)
    return dest
