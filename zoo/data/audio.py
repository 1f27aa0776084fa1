"""Small, dependency-light audio helpers shared by the dataset builders.

- `parse_wav_bytes` / `read_wav`: RIFF/WAVE PCM (8/16/24/32-bit integer, 32/64-bit
  float, WAVE_FORMAT_EXTENSIBLE) to a float32 mono array in [-1, 1]. Headers with a
  bogus data length (``espeak-ng --stdout`` writes one) are tolerated.
- `wav_bytes` / `write_wav`: float or int16 mono array to a 16-bit PCM WAV; the
  bytes depend only on the samples and rate, and `write_wav` is atomic.
- `resample` (SciPy polyphase), `fit_length`, `trim_silence`, `split_words`,
  `rms`, `db_to_gain`, `to_int16`.

Only NumPy is needed except for `resample`, which needs SciPy (the `speech` or
`dev` extra: ``pip install -e '.[speech]'``).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

from zoo.files import atomic_path

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def parse_wav_bytes(data: bytes, *, path: str = "<bytes>") -> tuple[np.ndarray, int]:
    """Decode a RIFF/WAVE byte string into (float32 mono samples, sample rate).

    Multi-channel audio is averaged to mono. Integer PCM is scaled to [-1, 1).
    A data chunk whose declared size runs past the end of the buffer (streamed
    WAVs, e.g. ``espeak-ng --stdout``) is read up to the end of the buffer.
    """
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    if data[:4] == b"RIFX":
        raise ValueError(f"{path}: big-endian RIFX WAVs are not supported")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = data[body:body + size]
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"{path}: data chunk before fmt chunk")
            end = min(body + size, len(data))
            return _decode_pcm(fmt, data[body:end], path)
        pos = body + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def _decode_pcm(fmt: bytes, raw: bytes, path: str) -> tuple[np.ndarray, int]:
    tag, channels, rate = struct.unpack("<HHI", fmt[:8])
    bits = struct.unpack("<H", fmt[14:16])[0]
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]  # first 2 bytes of the sub-format GUID
    width = bits // 8
    if channels < 1 or width < 1:
        raise ValueError(f"{path}: bad WAV header (channels={channels}, bits={bits})")
    frame = width * channels
    raw = raw[: len(raw) - len(raw) % frame]
    if tag == _PCM and width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _PCM and width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif tag == _PCM and width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float32) / float(1 << 23)
    elif tag == _PCM and width == 4:
        x = (np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif tag == _FLOAT and width in (4, 8):
        x = np.frombuffer(raw, "<f4" if width == 4 else "<f8").astype(np.float32)
    else:
        raise ValueError(f"{path}: unsupported WAV encoding (format tag {tag}, {bits} bits)")
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(x, dtype=np.float32), int(rate)


def read_wav(path) -> tuple[np.ndarray, int]:
    """Read a WAV file as (float32 mono samples in [-1, 1], sample rate)."""
    path = Path(path)
    return parse_wav_bytes(path.read_bytes(), path=str(path))


def to_int16(x: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16 (clipped, rounded half to even)."""
    x = np.asarray(x)
    if x.dtype == np.int16:
        return x
    return np.clip(np.rint(np.asarray(x, np.float64) * 32767.0), -32768, 32767).astype(np.int16)


def wav_bytes(x: np.ndarray, rate: int = 16000) -> bytes:
    """Encode mono samples (float in [-1, 1] or int16) as a 16-bit PCM WAV."""
    pcm = to_int16(x)
    if pcm.ndim != 1:
        raise ValueError(f"expected mono 1-D samples, got shape {pcm.shape}")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm.astype("<i2").tobytes())
    return buf.getvalue()


def write_wav(path, x: np.ndarray, rate: int = 16000) -> Path:
    """Atomically write mono samples as a 16-bit PCM WAV (temp file + rename)."""
    data = wav_bytes(x, rate)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (scipy.signal.resample_poly); deterministic."""
    if int(rate_in) == int(rate_out):
        return np.asarray(x, np.float32)
    try:
        from scipy.signal import resample_poly
    except ImportError as e:  # pragma: no cover - scipy is in the dev/speech extras
        raise ImportError("resampling needs SciPy: pip install -e '.[speech]'") from e
    ratio = Fraction(int(rate_out), int(rate_in))
    y = resample_poly(np.asarray(x, np.float64), ratio.numerator, ratio.denominator)
    return y.astype(np.float32)


def fit_length(x: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    """Place `x` at `offset` in a zero array of length `n` (cropping what overflows)."""
    out = np.zeros(n, np.float32)
    x = np.asarray(x, np.float32)
    if offset < 0:
        x, offset = x[-offset:], 0
    m = max(0, min(len(x), n - offset))
    out[offset:offset + m] = x[:m]
    return out


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _frame_energy_db(x: np.ndarray, rate: int, frame_s: float) -> tuple[np.ndarray, int]:
    hop = max(1, int(round(rate * frame_s)))
    n = len(x) // hop
    if n == 0:
        return np.full(1, -120.0), hop
    fr = np.asarray(x[: n * hop], np.float64).reshape(n, hop)
    e = np.sqrt(np.mean(fr * fr, axis=1))
    return 20.0 * np.log10(np.maximum(e, 1e-7)), hop


def trim_silence(x: np.ndarray, rate: int, *, threshold_db: float = -40.0,
                 frame_s: float = 0.01, margin_s: float = 0.02) -> np.ndarray:
    """Cut leading and trailing frames quieter than `threshold_db` below the loudest frame."""
    x = np.asarray(x, np.float32)
    db, hop = _frame_energy_db(x, rate, frame_s)
    active = np.flatnonzero(db > db.max() + threshold_db)
    if db.max() <= -100.0 or active.size == 0:
        return x[:0]
    margin = int(round(margin_s * rate))
    start = max(0, active[0] * hop - margin)
    stop = min(len(x), (active[-1] + 1) * hop + margin)
    return x[start:stop]


def split_words(x: np.ndarray, rate: int, *, threshold_db: float = -30.0,
                frame_s: float = 0.02) -> list[tuple[int, int]]:
    """Split a short recording of two words at its longest internal pause.

    Returns [(start, stop), (start, stop)] sample ranges of the first and second
    part (a single range when there is no pause between active frames).
    """
    db, hop = _frame_energy_db(x, rate, frame_s)
    active = db > db.max() + threshold_db
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return []
    first, last = int(idx[0]), int(idx[-1])
    best, best_len, run_start = None, 0, None
    for i in range(first, last + 1):
        if not active[i]:
            run_start = i if run_start is None else run_start
        elif run_start is not None:
            if i - run_start > best_len:
                best, best_len = (run_start, i), i - run_start
            run_start = None
    if best is None:
        return [(first * hop, min(len(x), (last + 1) * hop))]
    return [(first * hop, best[0] * hop), (best[1] * hop, min(len(x), (last + 1) * hop))]


def peak(x: np.ndarray) -> float:
    return float(np.max(np.abs(x))) if len(x) else 0.0


def normalize_peak(x: np.ndarray, level_db: float = -1.0) -> np.ndarray:
    p = peak(x)
    if p <= 0 or not math.isfinite(p):
        return np.asarray(x, np.float32)
    return (np.asarray(x, np.float64) * (db_to_gain(level_db) / p)).astype(np.float32)
