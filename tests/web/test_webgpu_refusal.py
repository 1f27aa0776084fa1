"""The browser demo refuses WebGPU for a file measured wrong there (web_demo/gpu_check.py
-> the model's webgpu.json -> prepare's manifest -> kws.js chooseAccelerator)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from web_demo import prepare

ROOT = Path(__file__).resolve().parents[2]
PRETRAINED = ROOT / "zoo" / "pretrained"


def test_manifest_carries_the_measured_webgpu_status():
    measured = json.loads((PRETRAINED / "kws-att-bilstm" / "webgpu.json").read_text())["exports"]
    got = prepare.measured_webgpu(PRETRAINED / "kws-att-bilstm", ["float32", "int8"])
    assert set(got) == {"float32", "int8"}
    for mode, entry in got.items():
        assert entry == {"status": measured[mode]["webgpu"]["status"],
                         "reason": measured[mode]["webgpu"]["reason"]}
    assert prepare.measured_webgpu(ROOT / "tests", ["int8"]) == {}  # nothing measured


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_choose_accelerator_falls_back_to_wasm_with_the_reason():
    manifest = {"webgpu": {"int8": {"status": "FAIL", "reason": "max |webgpu - keras| 1"},
                           "float32": {"status": "ok", "reason": None}}}
    script = (f"const k = await import({json.dumps((ROOT / 'web_demo' / 'kws.js').as_uri())});"
              f"const m = {json.dumps(manifest)};"
              "console.log(JSON.stringify([['int8', 'webgpu'], ['float32', 'webgpu'],"
              " ['int8', 'wasm'], ['float16', 'webgpu']].map(([mode, acc]) =>"
              " k.chooseAccelerator(m, mode, acc))));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    int8, float32, wasm, unmeasured = json.loads(out)
    assert int8["accelerator"] == "wasm" and "max |webgpu - keras| 1" in int8["refused"]
    assert float32 == {"accelerator": "webgpu", "refused": None}
    assert wasm == {"accelerator": "wasm", "refused": None}
    assert unmeasured == {"accelerator": "webgpu", "refused": None}
