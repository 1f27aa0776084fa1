"""Audio helpers shared by predict, the streaming demo, the dataset builders and the web demo.

Reading (the one reader of the project; libsndfile through `soundfile`):

- `read_audio(path, sample_rate=16000)`: float32 mono samples at `sample_rate`.
- `read_wav(path)` / `parse_wav_bytes(data, path=...)`: float32 mono samples at the
  file's own rate, and that rate.
- `read_audio_head(path, max_samples)`: the first samples of `read_audio` and the whole
  length, reading only those (predict on a 1-hour file).
- `audio_info(path)`, `warn_conversions(info, sample_rate)` and
  `iter_blocks(path, sample_rate, block_frames)`: the same, block by block in
  constant memory (the demo's `WavSource`).

One set of rules for all of them: WAV (integer PCM 8/16/24/32-bit, 32/64-bit float,
WAVE_FORMAT_EXTENSIBLE, RF64/W64, the other codecs libsndfile decodes inside a WAV)
and FLAC are read; integer PCM is scaled by 2**(bits-1) to [-1, 1). Several channels
are averaged to mono and another sample rate is resampled to the requested one
(polyphase, `scipy.signal.resample_poly`); each with an `AudioConversionWarning`
(a `UserWarning`) naming the file. A missing file raises `FileNotFoundError`;
an empty, corrupt, truncated-header or non-audio file, one without samples, with a
sample rate outside 1 kHz..768 kHz or with NaN/Inf samples raises `ValueError`
naming the file, the problem and how to convert it. A data chunk whose declared
length runs past the end of the file (``espeak-ng --stdout`` writes one; also a
file cut short) is read up to its last whole frame.

Writing and processing (NumPy; `resample` and `StreamResampler` need SciPy):

- `wav_bytes` / `write_wav`: float or int16 mono array to a 16-bit PCM WAV; the
  bytes depend only on the samples and rate, and `write_wav` is atomic.
- `resample` (whole signal) and `StreamResampler` (the same filter, in pieces),
  `fit_length`, `trim_silence`, `split_words`, `rms`, `db_to_gain`, `to_int16`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import warnings
import wave
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np

from zoo.files import atomic_path

SAMPLE_RATE = 16000  # the rate of the speech models
MIN_RATE, MAX_RATE = 1000, 768000  # outside: a corrupt header (resampling from it would need GBs)
FORMATS = ("WAV", "WAVEX", "RF64", "W64", "FLAC")  # libsndfile's names of the containers read
CONVERT = (f"convert it with `ffmpeg -i IN -ac 1 -ar {SAMPLE_RATE} -c:a pcm_s16le OUT.wav` "
           f"(16 kHz mono 16-bit WAV)")
_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32,
         "DOUBLE": 64}


class AudioConversionWarning(UserWarning):
    """The audio was converted on reading: mixed down to mono or resampled."""


class AudioInfo(NamedTuple):
    """What the header of a readable audio file says (see `audio_info`)."""

    name: str        # the path (or the name given for bytes), as used in messages
    rate: int        # samples per second
    channels: int
    frames: int      # samples per channel
    format: str      # libsndfile container name: WAV, WAVEX, RF64, W64, FLAC
    subtype: str     # libsndfile encoding name: PCM_16, PCM_24, FLOAT, ...

    @property
    def bits(self):
        """Bits per sample of PCM / float encodings (None for other codecs)."""
        return _BITS.get(self.subtype)

    @property
    def duration_s(self):
        return self.frames / self.rate


def _bad(name, why):
    return ValueError(f"{name!r} is not a readable audio file ({why}); {CONVERT}")


def _why(exc) -> str:
    """libsndfile's reason, without its "Error opening 'PATH': " prefix."""
    text = str(getattr(exc, "error_string", "") or exc).strip().rstrip(".")
    text = re.sub(r"^error\s*:\s*", "", text, flags=re.IGNORECASE)
    if "Format not recognised" in text:
        return "not a RIFF/WAVE or FLAC file"
    return f"corrupt or truncated: {text[:1].lower() + text[1:]}" if text else "corrupt or truncated"


@contextlib.contextmanager
def _opened(source, name=None):
    """(soundfile.SoundFile, AudioInfo) of a checked path or byte string; closed on exit."""
    import soundfile

    if isinstance(source, (bytes, bytearray, memoryview)):
        name = "<bytes>" if name is None else str(name)
        if not len(source):
            raise _bad(name, "no data (0 bytes)")
        target = io.BytesIO(bytes(source))
    else:
        path = os.fspath(source)
        name = path if name is None else str(name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"audio file {name!r} does not exist")
        if os.path.isdir(path):
            raise ValueError(f"{name!r} is a directory, not an audio file; give a WAV or FLAC file")
        if os.path.getsize(path) == 0:
            raise _bad(name, "the file is empty (0 bytes)")
        target = path
    try:
        f = soundfile.SoundFile(target)
    except soundfile.LibsndfileError as exc:
        raise _bad(name, _why(exc)) from None
    with f:
        info = AudioInfo(name, int(f.samplerate), int(f.channels), int(f.frames), f.format, f.subtype)
        if info.format not in FORMATS:
            raise _bad(name, f"a {f.format_info} file; WAV and FLAC are read")
        if not MIN_RATE <= info.rate <= MAX_RATE:
            raise _bad(name, f"corrupt header: {info.rate} Hz")
        if info.frames <= 0:
            raise ValueError(f"{name!r} holds no audio samples (header: 0 frames); "
                             "expected at least one")
        yield f, info


def audio_info(path, *, name=None) -> AudioInfo:
    """Check that `path` (or a byte string) is readable audio and return its header
    facts; raises like `read_audio`, without reading the samples."""
    with _opened(path, name) as (_, info):
        return info


def warn_conversions(info: AudioInfo, sample_rate=None, *, stacklevel=2):
    """The `AudioConversionWarning`s of reading `info` as mono at `sample_rate`
    (None: at the file's own rate); `stacklevel` as for the caller's own warning."""
    if info.channels > 1:
        warnings.warn(f"{info.name!r} has {info.channels} channels; mixing them down to mono",
                      AudioConversionWarning, stacklevel=stacklevel + 1)
    if sample_rate is not None and info.rate != int(sample_rate):
        warnings.warn(f"{info.name!r} is sampled at {info.rate} Hz; resampling it to "
                      f"{int(sample_rate)} Hz (to skip this, {CONVERT})",
                      AudioConversionWarning, stacklevel=stacklevel + 1)


def _read_frames(f, info, frames, done):
    """`frames` frames (-1: the rest) of an open file as float32 mono, checked."""
    import soundfile

    try:
        x = f.read(frames, dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as exc:
        raise _bad(info.name, _why(exc)) from None
    x = x[:, 0] if info.channels == 1 else x.mean(axis=1, dtype=np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        raise _bad(info.name, f"{int(bad.sum())} NaN or Inf sample(s) from frame "
                              f"{done + int(np.argmax(bad))} on")
    return np.ascontiguousarray(x)


def _decode(source, name):
    with _opened(source, name) as (f, info):
        warn_conversions(info, stacklevel=4)  # the caller of read_wav / parse_wav_bytes
        return _read_frames(f, info, -1, 0), info.rate


def read_wav(path) -> tuple[np.ndarray, int]:
    """A WAV or FLAC file as (float32 mono samples in [-1, 1], its sample rate)."""
    return _decode(path, None)


def parse_wav_bytes(data: bytes, *, path: str = "<bytes>") -> tuple[np.ndarray, int]:
    """`read_wav` of a file's bytes; `path` names it in messages."""
    return _decode(bytes(data), path)


def read_audio(path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A WAV or FLAC file as float32 mono samples at `sample_rate` (resampled with
    a warning when the file has another rate)."""
    with _opened(path) as (f, info):
        warn_conversions(info, sample_rate, stacklevel=3)
        x = _read_frames(f, info, -1, 0)
    return resample(x, info.rate, sample_rate)


def resampled_length(frames: int, rate_in: int, rate_out: int) -> int:
    """Samples of `frames` file frames at `rate_in` once resampled to `rate_out` (as
    `resample` gives them)."""
    up, down = _ratio(rate_in, rate_out)
    return -(-int(frames) * up // down)


def read_audio_head(path, max_samples: int, sample_rate: int = SAMPLE_RATE):
    """`(samples, total)`: the first `max_samples` samples of `read_audio(path,
    sample_rate)` (to float rounding when resampling) and the length the whole
    would have; only about `max_samples` are read, so a 1-hour file costs what
    a 1-second one does. Warns and raises like `read_audio`."""
    with _opened(path) as (_, info):
        warn_conversions(info, sample_rate, stacklevel=3)
    total = resampled_length(info.frames, info.rate, sample_rate)
    if total <= max_samples:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AudioConversionWarning)  # warned above
            return read_audio(path, sample_rate), total
    pieces, got = [], 0
    for piece in iter_blocks(path, sample_rate, block_frames=16384):
        pieces.append(piece)
        got += len(piece)
        if got >= max_samples:
            break
    x = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return x[:max_samples], total


def iter_blocks(path, sample_rate: int = SAMPLE_RATE, block_frames: int = 4096):
    """Float32 mono pieces of `path` at `sample_rate`, reading `block_frames` file
    frames at a time (constant memory). The file is checked on the first `next()`;
    no warnings (`audio_info` + `warn_conversions` first, as `WavSource` does).
    The joined pieces equal `read_audio` (to float rounding when resampling)."""
    with _opened(path) as (f, info):
        rs = StreamResampler(info.rate, sample_rate) if info.rate != int(sample_rate) else None
        done = 0
        while done < info.frames:
            x = _read_frames(f, info, int(block_frames), done)
            if not len(x):
                break  # the file shrank under us
            done += len(x)
            yield rs.push(x) if rs is not None else x
        if rs is not None:
            yield rs.flush()


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


def _ratio(rate_in, rate_out):
    """(up, down) of `resample_poly`, in lowest terms."""
    ratio = Fraction(int(rate_out), int(rate_in))
    return ratio.numerator, ratio.denominator


def _resample_poly():
    from scipy.signal import resample_poly

    return resample_poly


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling of a whole signal (`scipy.signal.resample_poly`, its
    default Kaiser window); deterministic. `StreamResampler` is the same in pieces."""
    if int(rate_in) == int(rate_out):
        return np.asarray(x, np.float32)
    up, down = _ratio(rate_in, rate_out)
    return _resample_poly()(np.asarray(x, np.float64), up, down).astype(np.float32)


class StreamResampler:
    """`resample` of a stream given in pieces, equal (to float rounding) to
    `resample` of the whole signal, in constant memory.

    Output for the input up to `pad` samples back is computed with the same
    FIR filter as `resample_poly` plus `pad` samples of context on both sides,
    so block edges leave no clicks; `flush()` returns the tail."""

    def __init__(self, rate_in, rate_out=SAMPLE_RATE):
        self._resample_poly = _resample_poly()
        self.up, self.down = _ratio(rate_in, rate_out)
        half = 10 * max(self.up, self.down)  # resample_poly's half filter length (upsampled)
        context = math.ceil(half / self.up) + 1  # in input samples
        self.pad = math.ceil(context / self.down) * self.down
        self._history = np.zeros(self.pad, np.float64)
        self._pending = np.zeros(0, np.float64)
        self._seen = 0
        self._emitted = 0

    def _run(self, seg, n):
        y = self._resample_poly(seg, self.up, self.down)
        start = self.pad * self.up // self.down
        return y[start:start + n * self.up // self.down]

    def push(self, x):
        x = np.asarray(x, np.float64)
        self._seen += len(x)
        self._pending = np.concatenate([self._pending, x])
        n = (len(self._pending) - self.pad) // self.down * self.down
        if n <= 0:
            return np.zeros(0, np.float32)
        seg = np.concatenate([self._history, self._pending[:n + self.pad]])
        out = self._run(seg, n)
        self._history = np.concatenate([self._history, self._pending[:n]])[-self.pad:]
        self._pending = self._pending[n:]
        self._emitted += len(out)
        return out.astype(np.float32)

    def flush(self):
        total = math.ceil(self._seen * self.up / self.down)
        n = math.ceil(len(self._pending) / self.down) * self.down
        tail = np.zeros(n + self.pad, np.float64)
        tail[:len(self._pending)] = self._pending
        out = self._run(np.concatenate([self._history, tail]), n)
        out = out[:max(0, total - self._emitted)]
        self._pending = np.zeros(0, np.float64)
        self._emitted += len(out)
        return out.astype(np.float32)


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


def trim_bounds(x: np.ndarray, rate: int, *, threshold_db: float = -40.0,
                frame_s: float = 0.01, margin_s: float = 0.02) -> tuple[int, int]:
    """`(start, stop)` samples of `x` without its leading and trailing frames quieter than
    `threshold_db` below the loudest frame (`(0, 0)` for silence)."""
    x = np.asarray(x, np.float32)
    db, hop = _frame_energy_db(x, rate, frame_s)
    active = np.flatnonzero(db > db.max() + threshold_db)
    if db.max() <= -100.0 or active.size == 0:
        return 0, 0
    margin = int(round(margin_s * rate))
    return max(0, active[0] * hop - margin), min(len(x), (active[-1] + 1) * hop + margin)


def trim_silence(x: np.ndarray, rate: int, *, threshold_db: float = -40.0,
                 frame_s: float = 0.01, margin_s: float = 0.02) -> np.ndarray:
    """Cut leading and trailing frames quieter than `threshold_db` below the loudest frame."""
    start, stop = trim_bounds(x, rate, threshold_db=threshold_db, frame_s=frame_s, margin_s=margin_s)
    return np.asarray(x, np.float32)[start:stop]


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
