"""Audio sources for the streaming demo: float32 mono blocks at 16 kHz.

    for block in WavSource("talk.wav", block_ms=100):    # streamed from disk
        ...
    for block in MicSource(block_ms=100):                  # needs sounddevice
        ...

`WavSource` reads the file block by block (constant memory, any length):
integer PCM of 8, 16, 24 or 32 bits and 32/64-bit float; more than one channel
is averaged to mono and other sample rates are resampled to 16 kHz (both with a
`DemoAudioWarning`). Empty, truncated, corrupt or non-WAV files raise a
`ValueError` naming the file and how to convert it, when the source is made.

`MicSource` imports `sounddevice` (PortAudio) only when it is created; without
it, or without an input device, it raises `AudioDeviceError` saying what to
install or to use `--wav FILE` instead.
"""

from __future__ import annotations

import math
import os
import queue
import struct
import time
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np

from zoo.data.audio import _decode_pcm

__all__ = ["SAMPLE_RATE", "WavSource", "MicSource", "AudioDeviceError", "DemoAudioWarning",
           "StreamResampler", "rechunk"]

SAMPLE_RATE = 16000
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_CONVERT = (f"convert it with `ffmpeg -i IN -ac 1 -ar {SAMPLE_RATE} -c:a pcm_s16le OUT.wav` "
            f"(16 kHz mono 16-bit PCM WAV)")


class DemoAudioWarning(UserWarning):
    """The audio was converted on the fly (mixed down to mono or resampled)."""


class AudioDeviceError(RuntimeError):
    """No usable microphone: sounddevice / PortAudio missing, or no input device."""


def _block_samples(block_ms, rate=SAMPLE_RATE):
    if not (isinstance(block_ms, (int, float)) and math.isfinite(block_ms) and block_ms > 0):
        raise ValueError(f"block_ms must be a positive number of milliseconds; got {block_ms!r}")
    return max(1, int(round(rate * block_ms / 1000.0)))


class StreamResampler:
    """Polyphase resampling of a stream in pieces, equal (to float rounding) to
    `scipy.signal.resample_poly` on the whole signal, in constant memory.

    Output for the input up to `pad` samples back is computed with the same
    FIR filter as `resample_poly` plus `pad` samples of context on both sides,
    so block edges leave no clicks; `flush()` returns the tail."""

    def __init__(self, rate_in, rate_out=SAMPLE_RATE):
        from scipy.signal import resample_poly

        self._resample_poly = resample_poly
        ratio = Fraction(int(rate_out), int(rate_in))
        self.up, self.down = ratio.numerator, ratio.denominator
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


def rechunk(pieces, size):
    """Re-cut an iterable of 1-D arrays into arrays of exactly `size` samples
    (the last one may be shorter)."""
    buf, have = [], 0
    for piece in pieces:
        if len(piece) == 0:
            continue
        buf.append(piece)
        have += len(piece)
        if have >= size:
            joined = np.concatenate(buf)
            cut = len(joined) // size * size
            for i in range(0, cut, size):
                yield joined[i:i + size]
            buf = [joined[cut:]] if cut < len(joined) else []
            have = len(joined) - cut
    if have:
        yield np.concatenate(buf)


MAX_FILE_RATE = 768000  # above: a corrupt header (resampling from it would need GBs)


class WavSource:
    """Stream a WAV file as float32 mono blocks of `block_ms` at 16 kHz.

    The header is read (and checked) when the source is made; samples are read
    from disk one block at a time while iterating, so memory does not grow
    with the file. `realtime=True` paces the blocks at the speed of the audio
    (a stand-in for a live microphone). Iterating again starts over.

    Attributes: `path`, `block_ms`, `block_size` (samples), `file_rate`,
    `channels`, `bits`, `frames` (in the file, or None when the header does
    not say), `duration_s` (of the 16 kHz stream; None when unknown).
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, path, block_ms=100, realtime=False):
        self.path = Path(os.fspath(path))
        self.block_ms = block_ms
        self.block_size = _block_samples(block_ms)
        self.realtime = bool(realtime)
        self._read_header()
        notes = []
        if self.channels > 1:
            notes.append(f"{self.channels} channels are mixed down to mono")
        if self.file_rate != SAMPLE_RATE:
            notes.append(f"{self.file_rate} Hz is resampled to {SAMPLE_RATE} Hz")
        if notes:
            warnings.warn(f"{self.path}: {' and '.join(notes)} on the fly; to skip this, "
                          f"{_CONVERT}", DemoAudioWarning, stacklevel=2)

    def _bad(self, why):
        return ValueError(f"{self.path}: {why}; {_CONVERT}")

    def _read_header(self):
        path = self.path
        if not path.exists():
            raise FileNotFoundError(f"audio file {str(path)!r} does not exist")
        if path.is_dir():
            raise ValueError(f"{path}: is a directory, not a WAV file")
        size = path.stat().st_size
        if size == 0:
            raise self._bad("the file is empty (0 bytes), not a WAV file")
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
                raise self._bad("not a RIFF/WAVE file" + (" (truncated header)"
                                                          if len(head) < 12 else ""))
            if head[:4] == b"RIFX":
                raise self._bad("big-endian RIFX WAV files are not supported")
            fmt = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    raise self._bad("truncated header: no data chunk"
                                    + ("" if fmt is not None else " and no fmt chunk"))
                cid, csize = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(csize)
                    if len(fmt) < 16 or len(fmt) < csize:
                        raise self._bad("truncated or corrupt fmt chunk")
                    if csize & 1:
                        f.seek(1, os.SEEK_CUR)
                elif cid == b"data":
                    if fmt is None:
                        raise self._bad("corrupt WAV: data chunk before the fmt chunk")
                    self._data_offset = f.tell()
                    available = size - self._data_offset
                    # streamed WAVs (0 or 0xFFFFFFFF sizes, or a lie): read to the end of file
                    self._data_bytes = min(csize, available) if csize else available
                    break
                else:
                    f.seek(csize + (csize & 1), os.SEEK_CUR)
        tag, channels, rate = struct.unpack("<HHI", fmt[:8])
        bits = struct.unpack("<H", fmt[14:16])[0]
        if tag == _EXTENSIBLE and len(fmt) >= 26:
            tag = struct.unpack("<H", fmt[24:26])[0]
        width = bits // 8
        ok = (tag == _PCM and width in (1, 2, 3, 4)) or (tag == _FLOAT and width in (4, 8))
        if not ok:
            raise self._bad(f"unsupported encoding (format tag {tag}, {bits} bits; "
                            "integer PCM 8/16/24/32-bit or float 32/64-bit is supported)")
        if channels < 1 or not 1000 <= rate <= MAX_FILE_RATE or bits % 8:
            raise self._bad(f"corrupt header ({channels} channels, {rate} Hz, {bits} bits)")
        self._fmt = struct.pack("<HHI", tag, channels, rate) + fmt[8:16]
        self.file_rate, self.channels, self.bits = int(rate), int(channels), int(bits)
        self._frame_bytes = width * channels
        self.frames = self._data_bytes // self._frame_bytes
        if self.frames == 0:
            raise self._bad("the file contains no audio samples")
        self.duration_s = self.frames / self.file_rate

    def _raw_blocks(self):
        """Decoded mono float32 pieces at the file's rate, read one block at a time."""
        frames_per_read = max(1, int(round(self.file_rate * self.block_size / SAMPLE_RATE)))
        left = self.frames * self._frame_bytes
        with open(self.path, "rb") as f:
            f.seek(self._data_offset)
            while left > 0:
                raw = f.read(min(left, frames_per_read * self._frame_bytes))
                raw = raw[:len(raw) - len(raw) % self._frame_bytes]
                if not raw:
                    break  # the file shrank under us
                left -= len(raw)
                x, _ = _decode_pcm(self._fmt, raw, str(self.path))
                yield x

    def _resampled(self):
        if self.file_rate == SAMPLE_RATE:
            yield from self._raw_blocks()
            return
        rs = StreamResampler(self.file_rate, SAMPLE_RATE)
        for x in self._raw_blocks():
            yield rs.push(x)
        yield rs.flush()

    def __iter__(self):
        start = time.monotonic()
        sent = 0
        for block in rechunk(self._resampled(), self.block_size):
            if self.realtime:
                delay = start + sent / SAMPLE_RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            sent += len(block)
            yield np.ascontiguousarray(block, np.float32)

    def __repr__(self):
        return (f"WavSource({str(self.path)!r}, {self.file_rate} Hz, {self.channels} ch, "
                f"{self.bits}-bit, {self.duration_s:.2f} s)")


_NO_PORTAUDIO = ("microphone input needs the `sounddevice` package and the PortAudio library "
                 "(pip install sounddevice; on Debian/Ubuntu also apt-get install libportaudio2)"
                 "; or stream a file instead with --wav FILE")


def _import_sounddevice():
    try:
        import sounddevice
    except ImportError as exc:
        raise AudioDeviceError(f"{_NO_PORTAUDIO} [{exc}]") from None
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise AudioDeviceError(f"{_NO_PORTAUDIO} [{exc}]") from None
    return sounddevice


class MicSource:
    """Live microphone blocks (float32 mono, 16 kHz, `block_ms` each) via sounddevice.

    `device` is a sounddevice device index or name substring (None: the
    default input). If the device cannot record at 16 kHz it records at its
    default rate and the stream is resampled. Iterate to get blocks; the stream
    is opened on the first iteration and closed when the loop ends (or on
    `close()`). `max_blocks` stops after that many blocks (None: forever).
    """

    sample_rate = SAMPLE_RATE
    duration_s = None

    def __init__(self, block_ms=100, device=None, max_blocks=None, timeout_s=5.0):
        self.block_ms = block_ms
        self.block_size = _block_samples(block_ms)
        self.device = device
        self.max_blocks = max_blocks
        self.timeout_s = timeout_s
        self.overflows = 0
        self._stop = False
        sd = self._sd = _import_sounddevice()
        try:
            info = sd.query_devices(device, "input")
        except Exception as exc:  # PortAudioError, ValueError for a bad name/index
            raise AudioDeviceError(
                f"no usable audio input device{'' if device is None else f' {device!r}'} "
                f"({type(exc).__name__}: {exc}); plug in a microphone, pick one with "
                "--device (python -m sounddevice lists them), or use --wav FILE") from None
        self.device_name = info.get("name", str(device)) if isinstance(info, dict) else str(info)
        self.rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=device, channels=1, dtype="float32",
                                    samplerate=SAMPLE_RATE)
        except Exception:  # noqa: BLE001 - the device does not do 16 kHz: resample
            self.rate = int(round(float(info.get("default_samplerate", SAMPLE_RATE))))

    def close(self):
        self._stop = True

    def _pieces(self):
        q = queue.Queue()

        def callback(indata, frames, time_info, status):
            if status:
                self.overflows += 1
            q.put(np.array(indata, dtype=np.float32, copy=True).reshape(len(indata), -1)
                  .mean(axis=1))

        blocksize = max(1, int(round(self.rate * self.block_size / SAMPLE_RATE)))
        try:
            stream = self._sd.InputStream(samplerate=self.rate, blocksize=blocksize,
                                          device=self.device, channels=1, dtype="float32",
                                          callback=callback)
        except Exception as exc:  # noqa: BLE001 - PortAudioError and friends
            raise AudioDeviceError(f"cannot open the microphone {self.device_name!r} "
                                   f"({type(exc).__name__}: {exc}); use --wav FILE") from None
        resampler = StreamResampler(self.rate) if self.rate != SAMPLE_RATE else None
        with stream:
            while not self._stop:
                try:
                    x = q.get(timeout=self.timeout_s)
                except queue.Empty:
                    raise AudioDeviceError(f"the microphone {self.device_name!r} delivered "
                                           f"no audio for {self.timeout_s:g} s") from None
                yield resampler.push(x) if resampler is not None else x

    def __iter__(self):
        self._stop = False
        if self.max_blocks is not None and self.max_blocks <= 0:
            return
        for i, block in enumerate(rechunk(self._pieces(), self.block_size), 1):
            yield block
            if self.max_blocks is not None and i >= self.max_blocks:
                break
