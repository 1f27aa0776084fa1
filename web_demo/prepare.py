"""Copy the shipped kws-att-bilstm files next to the web page.

    python -m web_demo.prepare [--model kws-att-bilstm] [--modes int8 float32]

Writes web_demo/model/: `<model>.<mode>.tflite` (copied from zoo/pretrained),
`<model>.<mode>.plan.json` (the stepped-export plan stored in the file, read
with export.runtime.read_plan), `<model>.<mode>.aliases.json` (signature
outputs that share a tensor, see `output_aliases`), labels.json, settings.json (the detector
settings shared with zoo/demo) and, when an edge runtime is installed,
testvec.json: one fixed 1-s window with the Python runtime's output per mode,
which the page uses to check its JavaScript plan loop.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "model"
PRETRAINED = ROOT / "zoo" / "pretrained"
SETTINGS = ROOT / "zoo" / "demo" / "settings.json"
SENTENCE = ROOT / "zoo" / "demo_audio" / "sentence.wav"


def _test_vector():
    """Samples 0.05 s .. 1.05 s of sentence.wav (contains 'yes'), float32 in [-1, 1]."""
    from zoo.data.audio import SAMPLE_RATE, read_audio

    audio = read_audio(SENTENCE, SAMPLE_RATE)
    start = int(0.05 * SAMPLE_RATE)
    return audio[start:start + SAMPLE_RATE]


def output_aliases(data: bytes):
    """`{signature: [[output names sharing one tensor], ...]}` from the file's
    SignatureDefs. LiteRT.js (2.5.3) lists one name per output tensor, so of
    aliased outputs (our LSTM step signatures return `y` and `state0_out` as
    the same tensor) only one appears; the page maps the others onto it."""
    from export.flatbuffer import _model

    out = {}
    # SignatureDef { inputs:0, outputs:1, signature_key:2, ... }, TensorMap { name:0, tensor_index:1 }
    for sig in _model(data).tables(7):
        by_index = {}
        for tm in sig.tables(1):
            by_index.setdefault(tm.scalar(1, "I"), []).append(tm.string(0))
        groups = [sorted(names) for names in by_index.values() if len(names) > 1]
        if groups:
            out[sig.string(2)] = sorted(groups)
    return out


def prepare(model="kws-att-bilstm", modes=("int8", "float32"), out=OUT, testvec=True):
    from export.runtime import read_plan

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    src = PRETRAINED / model
    manifest = {"model": model, "modes": []}
    for mode in modes:
        path = src / f"{model}.{mode}.tflite"
        if not path.is_file():
            raise SystemExit(f"{path} does not exist")
        data = path.read_bytes()
        plan = read_plan(data)
        if plan is None:
            raise SystemExit(f"{path} has no export plan")
        shutil.copyfile(path, out / path.name)
        (out / f"{model}.{mode}.plan.json").write_text(json.dumps(plan, indent=1) + "\n")
        (out / f"{model}.{mode}.aliases.json").write_text(json.dumps(output_aliases(data)) + "\n")
        manifest["modes"].append(mode)
    labels = [line.strip() for line in (src / "labels.txt").read_text().splitlines() if line.strip()]
    (out / "labels.json").write_text(json.dumps(labels) + "\n")
    shutil.copyfile(SETTINGS, out / "settings.json")
    if testvec:
        try:
            from export import runtime
            x = _test_vector()
            expected = {mode: runtime.load(out / f"{model}.{mode}.tflite", threads=1)(x[None])[0]
                        .astype(float).tolist() for mode in modes}
        except ImportError as exc:  # no edge runtime: the page skips its check
            print(f"prepare: no test vector ({exc})", file=sys.stderr)
        else:
            (out / "testvec.json").write_text(json.dumps(
                {"source": "sentence.wav[0.05 s : 1.05 s]", "input": x.astype(float).tolist(),
                 "expected": expected}) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest) + "\n")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="kws-att-bilstm")
    parser.add_argument("--modes", nargs="+", default=["int8", "float32"])
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--no-testvec", action="store_true")
    args = parser.parse_args(argv)
    out = prepare(args.model, args.modes, args.out, testvec=not args.no_testvec)
    print(f"prepared {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
