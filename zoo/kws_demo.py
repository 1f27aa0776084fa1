"""The main job, end to end and offline: load a pretrained keyword spotter by
name, export it to int8 TFLite, and classify the bundled WAV clips with the
edge runtime, next to the Keras model.

    python -m zoo.kws_demo [--model kws-att-bilstm] [--quantize int8] [--out out/] [WAV ...]

The bundled clips (`zoo/demo_audio/`) are spoken by a voice that is not in
the training data (piper "joe", a test-only voice).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

DEMO_AUDIO = Path(__file__).resolve().parent / "demo_audio"


def bundled_clips():
    expected = json.loads((DEMO_AUDIO / "expected.json").read_text())
    return [(DEMO_AUDIO / name, label) for name, label in sorted(expected.items())]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wavs", nargs="*", help="16 kHz mono WAV files (default: the bundled clips)")
    parser.add_argument("--model", default="kws-att-bilstm")
    parser.add_argument("--quantize", default="int8")
    parser.add_argument("--out", default="out")
    args = parser.parse_args(argv)

    import export
    import zoo
    from zoo.api import read_audio

    start = time.perf_counter()
    model = zoo.load(args.model)  # checksum-verified shipped weights, no network
    labels = zoo.labels(args.model)
    print(f"loaded {args.model}: {model.count_params():,} parameters, labels {labels}")
    entry = zoo.registry.get(args.model)
    calibration = entry.hook("representative_data")()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{args.model}.{args.quantize}.tflite"
    from zoo import file_metadata

    options = file_metadata.export_options(args.model, args.quantize)  # single: one invoke
    report = export.to_tflite(model, path, quantize=args.quantize, representative_data=calibration,
                              **options)
    v = report.validation
    print(f"exported {path} ({options['layout']} layout): {report.size_bytes / 1024:.1f} KiB, ops "
          f"{', '.join(sorted(report.op_histogram))}; on {v['examples']} calibration clips: "
          f"max |tflite - keras| {v['max_abs_error']:.3g}, top-1 agreement "
          f"{100 * v['top1_agreement']:.1f} %")
    rt = export.runtime.load(path, threads=1)

    clips = [(Path(w), None) for w in args.wavs] or bundled_clips()
    audio = np.stack([read_audio(str(p)) for p, _ in clips])
    tflite_probs = rt(audio)
    keras_probs = model.predict(audio, verbose=0)
    print(f"\n{'clip':<14} {'expected':<10} {'tflite ' + args.quantize:<22} keras float32")
    correct = 0
    for (p, want), tp, kp in zip(clips, tflite_probs, keras_probs):
        got, kgot = labels[int(tp.argmax())], labels[int(kp.argmax())]
        correct += got == want
        print(f"{p.name:<14} {want or '?':<10} {got:<10} {tp.max():.2f}       {kgot:<10} {kp.max():.2f}")
    known = sum(w is not None for _, w in clips)
    if known:
        print(f"\n{correct}/{known} clips classified as expected by the {args.quantize} file")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    from zoo import quiet

    sys.exit(quiet.run_quietly(main))  # TensorFlow's native log lines hidden, as `zoo` does
