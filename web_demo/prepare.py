"""Copy a keyword spotter's files next to the web page.

    python -m web_demo.prepare [--model NAME] [--modes int8 float32]
                               [--model-dir DIR] [--settings FILE]

Without --model: the settings' `default_model` when it is a streaming model
whose step files exist, else kws-att-bilstm.

A window model (kws-att-bilstm: one 1-s window per call):

Writes web_demo/model/: `<model>.<mode>.tflite` (copied from zoo/pretrained),
`<model>.<mode>.plan.json` (the stepped-export plan stored in the file, read
with export.runtime.read_plan), `<model>.<mode>.aliases.json` (signature
outputs that share a tensor, see `output_aliases`), `.passthrough.json`
(outputs that are an input tensor, see `output_passthrough`), labels.json, settings.json (the detector
settings shared with zoo/demo) and, when an edge runtime is installed,
testvec.json: one fixed 1-s window with the Python runtime's output per mode,
which the page uses to check its JavaScript plan loop.

A streaming model (kws-stream-att-gru, kws-stream-gru: one 20 ms frame per
call, its state as inputs and outputs; zoo/models/kws/causal.py) writes
`<model>.stream.<mode>.tflite` (the step file, from the model folder or
--model-dir), its `.plan.json`, `.aliases.json` and `.passthrough.json`, `<model>.state.json`
(the initial state of each state input, in plan order: zeros, and the
log-mel of silence from `zoo.models.kws.frames.silence_state`),
labels.json, settings.json (the settings resolved for the model:
`load_settings(model=...)`, which must give window_ms = hop_ms = 20) and
testvec.json: the first 1.6 s of sentence.wav as 80 frames with the Python
`FrameStream` posteriors after each frame, per mode. manifest.json says
which kind (`window` or `frames`) the page runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "model"
PRETRAINED = ROOT / "zoo" / "pretrained"
SETTINGS = ROOT / "zoo" / "demo" / "settings.json"
SENTENCE = ROOT / "zoo" / "demo_audio" / "sentence.wav"
FRAME = 320  # samples per streaming step (zoo.models.kws.causal.FRAME; checked by the tests)
#: What each state input of a step file holds, in plan order (zoo/models/kws/causal.py);
#: the no-attention twin has the first three only.
STATE_ROLES = ("audio_tail", "mel_tail", "gru_state", "keys", "values")


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


WINDOW_MODEL = "kws-att-bilstm"
STREAM_SECONDS = 1.6  # of sentence.wav in the streaming test vector (80 frames)


def _stream_filename(model, mode):
    return f"{model}.stream.{mode}.tflite"  # zoo.models.kws.frames.stream_filename


def _settings_default_model(settings):
    try:
        return json.loads(Path(settings).read_text(encoding="utf-8")).get("default_model")
    except (OSError, ValueError):
        return None


def default_model(settings=SETTINGS, modes=("int8", "float32")):
    """settings' `default_model` if it is a streaming model with step files, else
    kws-att-bilstm (the page keeps working until the streaming model ships)."""
    name = _settings_default_model(settings)
    if name and all((PRETRAINED / name / _stream_filename(name, m)).is_file() for m in modes):
        return name
    return WINDOW_MODEL


def is_stream_model(model, src):
    """A streaming model: step files in `src`, or a registered model of the
    frame-streaming family (whose files may not be there yet)."""
    if any(Path(src).glob(f"{model}.stream.*.tflite")):
        return True
    try:
        from zoo import registry

        return registry.get(model).has_hook("frame_stream")
    except Exception:  # unknown name: treated as a window model (its file check says more)
        return False


def _labels(src):
    path = Path(src) / "labels.txt"
    if not path.is_file():
        raise SystemExit(f"{path} does not exist")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _write_json(path, obj, indent=None):
    Path(path).write_text(json.dumps(obj, indent=indent) + "\n")


def prepare_stream(model, modes=("int8", "float32"), out=OUT, testvec=True, model_dir=None,
                   settings=SETTINGS):
    """The streaming model's files (see the module doc); returns `out`."""
    from export.runtime import read_plan
    from zoo.demo.detector import load_settings

    src = Path(model_dir) if model_dir is not None else PRETRAINED / model
    missing = [_stream_filename(model, m) for m in modes
               if not (src / _stream_filename(model, m)).is_file()]
    if missing:
        raise SystemExit(f"{model}: no step file {', '.join(missing)} in {src} (a trained "
                         f"streaming model writes them: zoo train {model}, or "
                         f"zoo.models.kws.stream_export; pass --model-dir for another folder)")
    try:
        resolved = load_settings(settings, model=model)
    except ValueError as exc:
        raise SystemExit(f"settings: {exc}") from None
    frame_ms = 1000 * FRAME / 16000
    if not (resolved["window_ms"] == resolved["hop_ms"] == frame_ms
            and resolved["sample_rate"] == 16000):
        raise SystemExit(f"{settings}: no 'models' section for {model!r} with window_ms = hop_ms = "
                         f"{frame_ms:g} (a streaming model takes one {FRAME}-sample frame per "
                         f"call; got window_ms {resolved['window_ms']}, hop_ms "
                         f"{resolved['hop_ms']}). Write it with python -m "
                         f"zoo.models.kws.operating_point {model} --write, or pass --settings.")
    labels = _labels(src)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"model": model, "kind": "frames", "modes": [], "files": {},
                "state": f"{model}.state.json", "frame_samples": FRAME}
    state = None
    for mode in modes:
        path = src / _stream_filename(model, mode)
        data = path.read_bytes()
        plan = read_plan(data)
        if plan is None:
            raise SystemExit(f"{path} has no export plan")
        shapes = [list(s[1:]) for s in plan["input_shapes"]]
        if len(shapes) < 4 or shapes[0] != [FRAME] or len(plan["outputs"]) != len(shapes):
            raise SystemExit(f"{path}: not a one-frame step file (inputs {shapes}, "
                             f"{len(plan['outputs'])} outputs; expected a ({FRAME},) frame, "
                             "the state, and probabilities plus the next state)")
        if state is None:
            state = _initial_state(plan, shapes[1:])
        elif state["shapes"] != shapes[1:]:
            raise SystemExit(f"{path}: state shapes {shapes[1:]} differ from the other "
                             f"mode's {state['shapes']}")
        base = f"{model}.stream.{mode}"
        shutil.copyfile(path, out / path.name)
        _write_json(out / f"{base}.plan.json", plan, indent=1)
        _write_json(out / f"{base}.aliases.json", output_aliases(data))
        _write_json(out / f"{base}.passthrough.json", output_passthrough(data))
        manifest["modes"].append(mode)
        manifest["files"][mode] = base
    _write_json(out / manifest["state"], state)
    _write_json(out / "labels.json", labels)
    _write_json(out / "settings.json", resolved, indent=1)
    (out / "testvec.json").unlink(missing_ok=True)
    if testvec:
        try:
            vector = _stream_test_vector(out, manifest)
        except ImportError as exc:
            print(f"prepare: no test vector ({exc})", file=sys.stderr)
        else:
            _write_json(out / "testvec.json", vector)
    manifest["webgpu"] = measured_webgpu(src, manifest["modes"])
    _write_json(out / "manifest.json", manifest)
    return out


def _initial_state(plan, state_shapes):
    """`{names, roles, shapes, data}`: the state inputs in plan order and their
    initial values (flattened), from the Python `silence_state`."""
    from zoo.models.kws.frames import silence_state

    values = silence_state([tuple(s) for s in state_shapes])
    roles = list(STATE_ROLES[:len(values)])
    return {"names": plan["inputs"][1:], "roles": roles, "shapes": state_shapes,
            "data": [np.asarray(v, np.float32).ravel().astype(float).tolist() for v in values]}


def _stream_test_vector(out, manifest):
    from zoo.data.audio import SAMPLE_RATE, read_audio
    from zoo.models.kws.frames import FrameStream

    audio = read_audio(SENTENCE, SAMPLE_RATE)
    n = int(round(STREAM_SECONDS * SAMPLE_RATE)) // FRAME
    frames = np.asarray(audio[:n * FRAME], np.float32)
    expected = {}
    for mode in manifest["modes"]:
        stream = FrameStream.from_file(out / f"{manifest['files'][mode]}.tflite", threads=1)
        expected[mode] = stream.run(frames).astype(float).tolist()
    return {"source": f"sentence.wav[0 : {STREAM_SECONDS} s], {n} frames of {FRAME}",
            "kind": "frames", "frames": n, "input": frames.astype(float).tolist(),
            "expected": expected}


def output_passthrough(data: bytes):
    """`{signature: {output name: input name}}` for signature outputs that ARE an
    input tensor (`export.flatbuffer.input_outputs`: files exported before the exporter
    gave such outputs a copy op of their own). LiteRT.js (2.5.3) returns garbage for such
    an output (it is never written), so the page takes the input it fed instead."""
    from export.flatbuffer import input_outputs

    out = {}
    for sig, output, inp, _ in input_outputs(data):
        out.setdefault(sig, {})[output] = inp
    return out


def prepare(model=None, modes=("int8", "float32"), out=OUT, testvec=True, model_dir=None,
            settings=SETTINGS):
    """Write the page's model folder `out` for `model` (None: `default_model`)."""
    if model is None:
        model = default_model(settings, modes)
    src = Path(model_dir) if model_dir is not None else PRETRAINED / model
    if is_stream_model(model, src):
        return prepare_stream(model, modes, out, testvec, model_dir, settings)
    from export.runtime import read_plan
    from zoo.demo.detector import load_settings

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"model": model, "kind": "window", "modes": [], "files": {}}
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
        _write_json(out / f"{model}.{mode}.passthrough.json", output_passthrough(data))
        manifest["modes"].append(mode)
        manifest["files"][mode] = f"{model}.{mode}"
    labels = _labels(src)
    (out / "labels.json").write_text(json.dumps(labels) + "\n")
    try:  # the settings resolved for this model (its section of settings.json, if any)
        resolved = load_settings(settings, model=model)
    except ValueError as exc:
        raise SystemExit(f"settings: {exc}") from None
    _write_json(out / "settings.json", resolved, indent=1)
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
    manifest["webgpu"] = measured_webgpu(src, manifest["modes"])
    (out / "manifest.json").write_text(json.dumps(manifest) + "\n")
    return out


def measured_webgpu(src, modes):
    """`{mode: {"status", "reason"}}` of the model's measured LiteRT.js WebGPU runs
    (`webgpu.json`, written by `python -m web_demo.gpu_check` through scripts/ship.py):
    the page refuses WebGPU for a file measured wrong there (kws.js chooseAccelerator)."""
    path = Path(src) / "webgpu.json"
    if not path.is_file():
        return {}
    exports = json.loads(path.read_text()).get("exports") or {}
    out = {}
    for mode in modes:
        gpu = (exports.get(mode) or {}).get("webgpu") or {}
        if gpu.get("status"):
            out[mode] = {"status": gpu["status"], "reason": gpu.get("reason")}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: the settings' default_model "
                        f"when it is a streaming model with step files, else {WINDOW_MODEL}")
    parser.add_argument("--modes", nargs="+", default=["int8", "float32"])
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--model-dir", default=None, help="folder of the model's files "
                        "(default: zoo/pretrained/MODEL)")
    parser.add_argument("--settings", default=str(SETTINGS), help="detector settings file")
    parser.add_argument("--no-testvec", action="store_true")
    args = parser.parse_args(argv)
    out = prepare(args.model, args.modes, args.out, testvec=not args.no_testvec,
                  model_dir=args.model_dir, settings=args.settings)
    print(f"prepared {out}: {', '.join(sorted(p.name for p in out.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
