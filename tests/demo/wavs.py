"""WAV writers for the demo tests (any width / channels / rate)."""

import struct
import wave

import numpy as np


def write_pcm(path, x, rate=16000, bits=16):
    """x: (n,) or (n, channels) float in [-1, 1] -> integer PCM WAV."""
    x = np.asarray(x, np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if bits == 8:
        raw = np.clip(np.rint(x * 128) + 128, 0, 255).astype(np.uint8).tobytes()
    elif bits == 16:
        raw = np.clip(np.rint(x * 32768), -32768, 32767).astype("<i2").tobytes()
    elif bits == 24:
        v = np.clip(np.rint(x * 8388608), -8388608, 8388607).astype("<i4").reshape(-1)
        raw = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], -1).astype(np.uint8).tobytes()
    elif bits == 32:
        raw = np.clip(np.rint(x * 2147483648.0), -2147483648, 2147483647).astype("<i4").tobytes()
    else:
        raise ValueError(bits)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(bits // 8)
        w.setframerate(rate)
        w.writeframes(raw)
    return path


def write_float(path, x, rate=16000):
    data = np.asarray(x, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + \
        struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def tone(seconds, rate=16000, freq=440.0, amp=0.5):
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_extensible(path, x, rate=16000, bits=24):
    """x: (n,) float in [-1, 1] -> integer PCM WAV with a WAVE_FORMAT_EXTENSIBLE header."""
    v = np.clip(np.rint(np.asarray(x, np.float64) * 2 ** (bits - 1)),
                -2 ** (bits - 1), 2 ** (bits - 1) - 1).astype("<i4")
    width = bits // 8
    raw = v.view(np.uint8).reshape(-1, 4)[:, :width].tobytes()
    guid_pcm = struct.pack("<I", 1) + b"\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, rate, rate * width, width, bits, 22, bits, 4) + guid_pcm
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
            + struct.pack("<I", len(raw)) + raw)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
