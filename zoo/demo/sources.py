"""Audio sources for the streaming demo: float32 mono blocks at 16 kHz.

    for block in WavSource("talk.wav", block_ms=100):    # streamed from disk
        ...
    for block in MicSource(block_ms=100):                  # needs sounddevice
        ...

`WavSource` reads the file block by block (constant memory, any length) with
the project's one audio reader, `zoo.data.audio` (WAV or FLAC, same rules and
messages as `zoo predict`): more than one channel is averaged to mono and other
sample rates are resampled to 16 kHz, each with an `AudioConversionWarning`
when the source is made. Empty, truncated, corrupt or non-audio files raise a
`ValueError` naming the file and how to convert it, when the source is made.

`MicSource` imports `sounddevice` (PortAudio) only when it is created; without
it, or without an input device, it raises `AudioDeviceError` saying what to
install or to use `--wav FILE` instead.
"""

from __future__ import annotations

import math
import os
import queue
import time
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.audio import SAMPLE_RATE, AudioConversionWarning, StreamResampler

__all__ = ["SAMPLE_RATE", "WavSource", "MicSource", "AudioDeviceError", "AudioConversionWarning",
           "rechunk"]


class AudioDeviceError(RuntimeError):
    """No usable microphone: sounddevice / PortAudio missing, or no input device."""


def _block_samples(block_ms, rate=SAMPLE_RATE):
    if not (isinstance(block_ms, (int, float)) and math.isfinite(block_ms) and block_ms > 0):
        raise ValueError(f"block_ms must be a positive number of milliseconds; got {block_ms!r}")
    return max(1, int(round(rate * block_ms / 1000.0)))


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


class WavSource:
    """Stream a WAV or FLAC file as float32 mono blocks of `block_ms` at 16 kHz.

    The file is checked (`zoo.data.audio.audio_info`) when the source is made;
    samples are read from disk one block at a time while iterating, so memory
    does not grow with the file. `realtime=True` paces the blocks at the speed
    of the audio (a stand-in for a live microphone). Iterating again starts over.

    Attributes: `path`, `block_ms`, `block_size` (samples), `file_rate`,
    `channels`, `bits` (None for codecs other than PCM/float), `frames` (in the
    file), `duration_s` (of the audio).
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, path, block_ms=100, realtime=False):
        self.path = Path(os.fspath(path))
        self.block_ms = block_ms
        self.block_size = _block_samples(block_ms)
        self.realtime = bool(realtime)
        info = audio.audio_info(self.path)
        audio.warn_conversions(info, SAMPLE_RATE, stacklevel=3)
        self.file_rate, self.channels, self.bits = info.rate, info.channels, info.bits
        self.frames, self.duration_s = info.frames, info.duration_s

    def _resampled(self):
        """Mono float32 pieces at 16 kHz, reading about one block of the file at a time."""
        frames_per_read = max(1, int(round(self.file_rate * self.block_size / SAMPLE_RATE)))
        return audio.iter_blocks(self.path, SAMPLE_RATE, frames_per_read)

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
