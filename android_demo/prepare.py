"""Copy the model files the Android demo loads into its assets folder.

    python android_demo/prepare.py            # -> android_demo/app/src/main/assets/
    python android_demo/prepare.py --out DIR  # elsewhere (CI uses a temporary folder)
    python android_demo/prepare.py --stream kws-stream-att-gru [--stream-mode int8|float32|dynamic]
                                   [--stream-dir DIR] [--settings FILE]

Writes, from the registry's shipped artifacts (checked against SHA256SUMS):

- kws.tflite     the shipped kws-att-bilstm int8 file, byte for byte; checked
                 to be a single-layout file (one signature `serving_default`,
                 input `audio` float32 [1, 16000], output `probabilities`
                 float32 [1, labels]), which WindowClassifier.kt runs with the
                 stock Interpreter.runSignature, no plan
- labels.txt     the model's labels.txt, byte for byte
- settings.json  zoo/demo/settings.json byte for byte: the streaming constants
                 (hop, smoothing, threshold, refractory) shared with the
                 Python demo

With --stream NAME (a streaming keyword spotter, one 20 ms frame per call;
needs Keras for the initial state), also:

- kws_stream.tflite        NAME.stream.MODE.tflite, byte for byte (from the
                           model's folder, or --stream-dir)
- kws_stream_plan.json     its plan: inputs [frame, state..], outputs
                           [probabilities, next state..] and its layout; a
                           single-layout file (float32, int8) runs through the
                           stock Interpreter.runSignature (StreamStep.kt), a
                           stepped one (dynamic) through PlanRunner.kt
- kws_stream_state.json    the initial state in plan order (names, roles,
                           shapes, data), from the Python `silence_state`
- kws_stream_settings.json the settings resolved for NAME (its section of
                           settings.json: window_ms = hop_ms = 20, per-word
                           thresholds, max_run_ms)

MainActivity runs the streaming model when kws_stream.tflite is there.

The copies are gitignored (android_demo/.gitignore): the .tflite lives once,
under zoo/pretrained/. A plan.json left by an older prepare.py (the window
model needed one when it was a stepped file) is removed. Needs only the
project's Python package and ai-edge-litert (no TensorFlow): run it from the
repository's virtual environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(ROOT))

MODEL = "kws-att-bilstm"
MODE = "int8"
ASSETS = HERE / "app" / "src" / "main" / "assets"
FILES = ("kws.tflite", "labels.txt", "settings.json")
STALE_FILES = ("plan.json",)  # written by older versions; nothing reads it now
# The window model's interface (ModelContract.kt: SIGNATURE_KEY, INPUT_NAME, ...).
SIGNATURE = "serving_default"
INPUT, OUTPUT = "audio", "probabilities"
WINDOW = 16000  # samples: 1 s at 16 kHz
STREAM_FILES = ("kws_stream.tflite", "kws_stream_plan.json", "kws_stream_state.json",
                "kws_stream_settings.json")
FRAME = 320  # samples per streaming step (zoo.models.kws.causal.FRAME)
STATE_ROLES = ("audio_tail", "mel_tail", "gru_state", "keys", "values")


def check_single_layout(tflite_bytes: bytes, num_labels: int, what="kws.tflite"):
    """SystemExit unless the file is what WindowClassifier.kt runs: exactly one
    signature SIGNATURE, INPUT float32 [1, WINDOW] -> OUTPUT float32 [1, num_labels]
    (read with the stock LiteRT interpreter, as the app does)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    want = (f"exactly one signature {SIGNATURE!r}: {INPUT} float32 [1, {WINDOW}] -> "
            f"{OUTPUT} float32 [1, {num_labels}]")
    fix = ("the Android app runs it with Interpreter.runSignature and no plan; ship the "
           "single-layout file (export.to_tflite(..., layout='single'))")
    try:
        interpreter = Interpreter(model_content=bytes(tflite_bytes))
    except Exception as exc:  # not a TFLite file at all
        raise SystemExit(f"{what}: not a loadable .tflite file ({exc})") from None
    signatures = interpreter.get_signature_list()
    if list(signatures) != [SIGNATURE]:
        raise SystemExit(f"{what} is not a single-layout file: its signatures are "
                         f"{sorted(signatures)}; expected {want}; {fix}")
    io = signatures[SIGNATURE]
    if io != {"inputs": [INPUT], "outputs": [OUTPUT]}:
        raise SystemExit(f"{what}: {SIGNATURE} maps {io['inputs']} -> {io['outputs']}; "
                         f"the app expects {want}")
    runner = interpreter.get_signature_runner(SIGNATURE)
    got = {**runner.get_input_details(), **runner.get_output_details()}
    for name, shape in ((INPUT, [1, WINDOW]), (OUTPUT, [1, num_labels])):
        d = got[name]
        if np.dtype(d["dtype"]) != np.float32 or [int(v) for v in d["shape"]] != shape:
            raise SystemExit(f"{what}: {name} is {np.dtype(d['dtype']).name} "
                             f"{[int(v) for v in d['shape']]}; the app expects {want} "
                             f"({num_labels}: the labels in labels.txt)")


def stream_contents(name, mode="int8", model_dir=None, settings=None, labels=None) -> dict:
    """The four streaming assets of model `name` ({asset name: bytes})."""
    import numpy as np

    from export.runtime import read_plan
    from zoo.demo.detector import SETTINGS_PATH, load_settings

    filename = f"{name}.stream.{mode}.tflite"
    if model_dir is not None:
        src = Path(model_dir)
    else:
        from zoo import registry

        try:
            src = registry.require_artifacts(name).path
        except Exception as exc:  # not trained / shipped yet: say so, without a traceback
            raise SystemExit(f"{exc} (or pass --stream-dir with its step file)") from None
    path = src / filename
    if not path.is_file():
        raise SystemExit(f"{name}: no step file {path} (a trained streaming model writes it: "
                         f"zoo train {name}; or pass --stream-dir)")
    if labels is not None and (src / "labels.txt").is_file() \
            and (src / "labels.txt").read_text().split() != labels.split():
        raise SystemExit(f"{src / 'labels.txt'} differs from the window model's labels.txt")
    model = path.read_bytes()
    plan = read_plan(model)
    if plan is None:
        raise SystemExit(f"{path} carries no export plan")
    shapes = [list(s[1:]) for s in plan["input_shapes"]]
    if len(shapes) < 4 or shapes[0] != [FRAME] or len(plan["outputs"]) != len(shapes):
        raise SystemExit(f"{path}: not a one-frame step file (inputs {shapes})")
    settings_path = Path(settings) if settings is not None else SETTINGS_PATH
    try:
        resolved = load_settings(settings_path, model=name)
    except ValueError as exc:
        raise SystemExit(f"settings: {exc}") from None
    frame_ms = 1000 * FRAME / 16000
    if not resolved["window_ms"] == resolved["hop_ms"] == frame_ms:
        raise SystemExit(f"{settings_path}: no 'models' section for {name!r} with window_ms = "
                         f"hop_ms = {frame_ms:g}; write it with python -m "
                         f"zoo.models.kws.operating_point {name} --write, or pass --settings")
    from zoo.models.kws.frames import silence_state

    values = silence_state([tuple(s) for s in shapes[1:]])
    state = {"names": plan["inputs"][1:], "roles": list(STATE_ROLES[:len(values)]),
             "shapes": shapes[1:],
             "data": [np.asarray(v, np.float32).ravel().astype(float).tolist() for v in values]}
    dump = lambda obj, indent=None: (json.dumps(obj, indent=indent, sort_keys=True) + "\n").encode()
    return {"kws_stream.tflite": model, "kws_stream_plan.json": dump(plan, 1),
            "kws_stream_state.json": dump(state), "kws_stream_settings.json": dump(resolved, 1)}


def prepare(out: Path = ASSETS, stream=None, stream_mode="int8", stream_dir=None,
            settings=None) -> dict:
    """Write the three asset files into `out` (and, with `stream` = a streaming model's
    name, its four); returns {name: path}."""
    from zoo import registry
    from zoo.demo.detector import SETTINGS_PATH, load_settings

    artifacts = registry.require_artifacts(MODEL)
    model = artifacts.file(registry.tflite_filename(MODEL, MODE)).read_bytes()
    labels = artifacts.file("labels.txt").read_bytes()
    load_settings(SETTINGS_PATH)  # refuse to ship settings the Python demo would reject
    check_single_layout(model, len(labels.split()),
                        what=f"kws.tflite ({registry.tflite_filename(MODEL, MODE)})")
    contents = {
        "kws.tflite": model,
        "labels.txt": labels,
        "settings.json": SETTINGS_PATH.read_bytes(),
    }
    names = list(FILES)
    if stream:
        contents.update(stream_contents(stream, stream_mode, stream_dir, settings,
                                        labels=labels.decode("utf-8")))
        names += STREAM_FILES
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in STALE_FILES:
        (out / name).unlink(missing_ok=True)
    if not stream:  # a stale streaming model would win over the window model in the app
        for name in STREAM_FILES:
            (out / name).unlink(missing_ok=True)
    written = {}
    for name in names:
        path = out / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(contents[name])
        tmp.replace(path)
        written[name] = path
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ASSETS,
                        help=f"assets folder (default: {ASSETS.relative_to(ROOT)})")
    parser.add_argument("--stream", default=None, metavar="NAME",
                        help="also bundle streaming model NAME (e.g. kws-stream-att-gru); "
                        "the app then runs it")
    parser.add_argument("--stream-mode", default="int8", choices=["int8", "float32", "dynamic"])
    parser.add_argument("--stream-dir", default=None, type=Path,
                        help="folder of NAME.stream.MODE.tflite (default: the model's folder)")
    parser.add_argument("--settings", default=None, type=Path,
                        help="settings file with the model's section (default: zoo/demo/settings.json)")
    args = parser.parse_args(argv)
    for name, path in prepare(args.out, args.stream, args.stream_mode, args.stream_dir,
                              args.settings).items():
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
