"""Copy the model files the Android demo loads into its assets folder.

    python android_demo/prepare.py            # -> android_demo/app/src/main/assets/
    python android_demo/prepare.py --out DIR  # elsewhere (CI uses a temporary folder)

Writes, from the registry's shipped artifacts (checked against SHA256SUMS):

- kws.tflite     the shipped kws-att-bilstm int8 file, byte for byte
- labels.txt     the model's labels.txt, byte for byte
- plan.json      the stepped-export plan stored in the .tflite file (what
                 PlanRunner.kt walks), as JSON
- settings.json  zoo/demo/settings.json byte for byte: the streaming constants
                 (hop, smoothing, threshold, refractory) shared with the
                 Python demo

The copies are gitignored (android_demo/.gitignore): the .tflite lives once,
under zoo/pretrained/. Needs only the project's Python package (no
TensorFlow): run it from the repository's virtual environment.
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
FILES = ("kws.tflite", "plan.json", "labels.txt", "settings.json")


def plan_json(tflite_bytes: bytes) -> bytes:
    from export.runtime import read_plan

    plan = read_plan(tflite_bytes)
    if plan is None:
        raise SystemExit(f"{MODEL}.{MODE}.tflite carries no export plan; re-export it with "
                         "export.to_tflite")
    return (json.dumps(plan, indent=1, sort_keys=True) + "\n").encode("utf-8")


def prepare(out: Path = ASSETS) -> dict:
    """Write the four asset files into `out`; returns {name: path}."""
    from zoo import registry
    from zoo.demo.detector import SETTINGS_PATH, load_settings

    artifacts = registry.require_artifacts(MODEL)
    model = artifacts.file(registry.tflite_filename(MODEL, MODE)).read_bytes()
    labels = artifacts.file("labels.txt").read_bytes()
    load_settings(SETTINGS_PATH)  # refuse to ship settings the Python demo would reject
    contents = {
        "kws.tflite": model,
        "plan.json": plan_json(model),
        "labels.txt": labels,
        "settings.json": SETTINGS_PATH.read_bytes(),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in FILES:
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
    args = parser.parse_args(argv)
    for name, path in prepare(args.out).items():
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
