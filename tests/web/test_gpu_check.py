"""`python -m web_demo.gpu_check`: shipped files on LiteRT.js WebGPU
(SwiftShader) and wasm in headless Chromium vs Keras and export.runtime,
and the static refusal of a WHILE-based (recurrent="keras") file.

The browser test is skipped, with the reason, when chromium, node or the
pinned web_demo/node_modules are missing (`bash scripts/setup_system.sh`,
`(cd web_demo && npm ci)`).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from web_demo import gpu_check

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.tensorflow_only


def _node_modules():
    if not gpu_check.node_modules_ready():
        if shutil.which("npm") is None:
            pytest.skip("web_demo/node_modules is missing and npm is not installed")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT / "web_demo",
                       check=True, capture_output=True, timeout=300)


needs_browser = [
    pytest.mark.skipif(gpu_check.find_chromium() is None,
                       reason="chromium is not installed (bash scripts/setup_system.sh installs it)"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


@needs_browser[0]
@needs_browser[1]
def test_speech_and_text_models_float16_match_keras_on_webgpu(tmp_path):
    _node_modules()
    out = tmp_path / "gpu.json"
    # --timeout bounds each page, it does not time it: the two models' page takes ~22 s
    # alone and once ran past 60 s on CI with the suite's other work beside it
    proc = subprocess.run([sys.executable, "-m", "web_demo.gpu_check", "--model", "kws-att-bilstm",
                           "text-att-bigru", "--quantize", "float16", "--timeout", "150",
                           "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=480)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("kws-", "text-", "webgpu:"))]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert lines[0].startswith("kws-att-bilstm float16 webgpu ok maxdiff "), lines
    assert " vs keras (wasm " in lines[0], lines
    assert lines[1].startswith("text-att-bigru float16 webgpu ok maxdiff "), lines
    assert lines[-1] == "webgpu: 2/2 models match", lines
    r = json.loads(out.read_text())
    text = r["models"][1]
    assert text["input"] == "first example of the shipped calibration data"  # int32 token ids
    assert text["webgpu"]["vs_keras"] <= 1e-3 and text["wasm"]["vs_keras"] <= 1e-3, text
    m = r["models"][0]
    assert m["status"] == "ok" and m["tolerance"] == gpu_check.TOLERANCE["float16"]
    assert m["webgpu"]["vs_keras"] <= 1e-3 and m["webgpu"]["vs_runtime"] <= 1e-3, m
    assert m["wasm"]["vs_keras"] <= 1e-3, m
    assert "RFFT2D" in m["gpu_undocumented_ops"] and not m["gpu_blocking_ops"]
    assert r["adapter"]["architecture"] == "swiftshader"
    assert "CPU emulation" in r["note"]


def test_while_based_file_is_reported_not_gpu_ready(tmp_path, capsys):
    import keras

    import export

    inp = keras.Input((5, 3), batch_size=1)
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.GRU(4)(inp)))
    path = tmp_path / "tiny-gru.float32.tflite"
    rep = export.to_tflite(model, path, quantize="float32", recurrent="keras", validate=False)
    assert "WHILE" in rep.gpu_blocking_ops and not rep.gpu_compatible

    static = gpu_check.static_gpu_ops(path.read_bytes())
    assert "WHILE" in static["blocking"]
    capsys.readouterr()  # the converter's own output
    # the check refuses it statically: no browser is started for it
    status = gpu_check.main(["--file", str(path), "--json", str(tmp_path / "r.json")])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[0] == ("tiny-gru.float32.tflite float32 webgpu FAIL "
                        "not GPU-ready: blocking op(s) WHILE"), lines
    assert lines[-1] == "webgpu: 0/1 models match"
    entry = json.loads((tmp_path / "r.json").read_text())["models"][0]
    assert entry["status"] == "FAIL" and entry["gpu_blocking_ops"] == ["WHILE"]


@needs_browser[0]
@needs_browser[1]
def test_export_report_gpu_field_is_the_measured_result(tmp_path):
    import keras
    import numpy as np

    import export

    _node_modules()
    inp = keras.Input((12, 3), batch_size=1)
    x = keras.layers.Conv1D(4, 3, activation="relu")(inp)
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(x)))
    data = np.random.default_rng(0).normal(size=(4, 12, 3)).astype("float32")
    plain = export.to_tflite(model, tmp_path / "conv.float32.tflite", representative_data=data)
    assert plain.gpu is None and plain.gpu_compatible is None  # static ops alone prove nothing
    assert dict(plain.table())["GPU (WebGPU, measured)"].startswith("not measured")
    rep = export.to_tflite(model, tmp_path / "conv2.float32.tflite", representative_data=data,
                           gpu_check=gpu_check.measure_file)
    assert rep.gpu["status"] == "ok" and rep.gpu_compatible is True, rep.gpu
    assert rep.gpu["max_abs_diff_vs_runtime"] <= 1e-4
    assert rep.to_dict()["gpu"]["status"] == "ok"
    assert dict(rep.table())["GPU (WebGPU, measured)"].startswith("runs, max |Δ| vs CPU runtime")


@needs_browser[0]
@needs_browser[1]
def test_a_state_output_that_is_an_input_runs_right_in_litertjs(tmp_path):
    """A step whose next state is its input (the streaming spotter's audio tail): LiteRT.js
    computed such a file on an unwritten buffer (wasm off by 1.3, NaN in the stream step);
    the exporter's copy op makes both backends match the Python runtime."""
    import export
    from tests.export.test_single_layout import _carry_model

    _node_modules()
    path = tmp_path / "carry.float32.tflite"
    export.to_tflite(_carry_model(), path, layout="single", validate=False)
    (m,) = gpu_check.check(files=[str(path)], modes=("float32",), timeout=60,
                           log=lambda *a: None)["models"]
    assert m["status"] == "ok", gpu_check.format_line(m)
    assert m["wasm"]["vs_runtime"] <= 1e-5 and m["webgpu"]["vs_runtime"] <= 1e-4, m


@needs_browser[0]
@needs_browser[1]
def test_forecasters_run_on_webgpu_with_their_float_segments_on_wasm(tmp_path):
    """The forecasting family runs its plan's float-only segments (the window normalisation
    and its inverse) on a wasm copy of the file, the LSTM steps on WebGPU."""
    from export import runtime

    _node_modules()
    out = tmp_path / "gpu.json"
    proc = subprocess.run([sys.executable, "-m", "web_demo.gpu_check", "--model", "forecast-lstm",
                           "--quantize", "float32", "--timeout", "120", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    m = json.loads(out.read_text())["models"][0]
    plan = runtime.read_plan(Path(m["file"]).read_bytes())
    float_only = [s["name"] for s in plan["stages"] if s.get("float_only")]
    assert float_only and m["webgpu"]["cpu_signatures"] == float_only
    assert m["status"] == "ok" and m["webgpu"]["vs_keras"] <= 1e-4, m
    assert "on wasm" in proc.stdout


def test_signature_diffs_put_nan_and_the_largest_first_and_the_reason_names_them():
    import math

    page = {"seg0": {"calls": 1, "max_abs_diff": 1e-7, "worst_output": "b", "outputs": {}},
            "rnn1_fw": {"calls": 26, "max_abs_diff": 0.39, "worst_output": "state1_out",
                        "outputs": {}},
            "seg4": {"calls": 1, "max_abs_diff": None, "worst_output": "t9", "outputs": {}}}
    got = gpu_check.signature_diffs(page)
    assert list(got) == ["seg4", "rnn1_fw", "seg0"] and math.isnan(got["seg4"]["max_abs_diff"])
    text = gpu_check.trace_text({"signatures": got, "signatures_apart": ["seg4", "rnn1_fw"]})
    assert text == ("; computed wrong from equal inputs in seg4 (max |webgpu - wasm| nan, output "
                    "t9), rnn1_fw (max |webgpu - wasm| 3.9e-01, output state1_out)")
    assert gpu_check.trace_text({"signatures": got, "signatures_apart": []}).startswith(
        "; from equal inputs every signature within tolerance")
    assert gpu_check.trace_text({}) == ""  # no trace run


@needs_browser[0]
@needs_browser[1]
def test_trace_names_the_signatures_webgpu_computes_wrong(tmp_path):
    """--trace: every signature call of the WebGPU run also on wasm from the same feed.
    The calls per signature equal export.plan.run_plan's on the same input. The shipped
    int8 files of the GRU series model and both LSTM forecasters are right everywhere on
    WebGPU; a small int8 LSTM as the converter writes it (its steps add a rank-1
    projection) is computed wrong there, and the reason names its step signatures; the
    same model as every export writes it (export.flatbuffer.align_broadcast_ranks) is
    right."""
    from collections import Counter

    import keras

    import export
    from export import plan as stepped
    from export import runtime
    from zoo import registry

    _node_modules()
    keras.utils.set_random_seed(0)
    x = keras.Input((12, 3))
    lstm = keras.Model(x, keras.layers.Dense(2)(keras.layers.LSTM(16)(x)))
    calib = np.random.default_rng(0).normal(size=(64, 12, 3)).astype("float32")
    converted = tmp_path / "lstm_converted.int8.tflite"
    converted.write_bytes(export.convert_bytes(lstm, "int8", calib)[0])
    exported = tmp_path / "lstm_exported.int8.tflite"
    export.to_tflite(lstm, exported, "int8", representative_data=calib, validate=False)

    out = tmp_path / "gpu.json"
    proc = subprocess.run([sys.executable, "-m", "web_demo.gpu_check", "--model", "ts-gru",
                           "forecast-lstm", "forecast-att-lstm", "--quantize", "int8", "--file",
                           str(converted), str(exported), "--trace", "--timeout", "150",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    models = {m["model"]: m for m in json.loads(out.read_text())["models"]}
    for name, m in models.items():
        rt = runtime.load(m["file"])
        calls = Counter()

        def call(signature, feed, rt=rt, calls=calls):
            calls[signature] += 1
            return rt._call_signature(signature, feed)

        entry = None if name.endswith(".tflite") else registry.get(name)
        example = gpu_check.fixed_inputs(rt.plan, entry)
        stepped.run_plan(rt.plan, call, example)
        sigs = m["webgpu"]["signatures"]
        assert {k: v["calls"] for k, v in sigs.items()} == dict(calls), name
        assert m["webgpu"]["signatures_apart"] == [
            k for k, v in sigs.items() if not v["max_abs_diff"] <= m["tolerance"]]
        assert m["wasm"]["vs_runtime"] <= m["tolerance"]  # the reference side is right
    for name in ("ts-gru", "forecast-lstm", "forecast-att-lstm", exported.name):
        m = models[name]
        assert m["status"] == "ok" and m["webgpu"]["signatures_apart"] == [], m
        assert m["webgpu"]["vs_runtime"] <= m["tolerance"]
    wrong = models[converted.name]
    assert wrong["status"] == "FAIL", wrong
    assert wrong["webgpu"]["signatures_apart"] == ["rnn0_fw"]  # the LSTM step, only
    assert "computed wrong from equal inputs in rnn0_fw" in wrong["reason"]


@needs_browser[0]
@needs_browser[1]
def test_litertjs_cost_times_the_checked_files_on_wasm_beside_litert(tmp_path):
    """benchmarks.litertjs_cost: the page times `--repeat` more runs of each file on
    wasm after the checked one; ai-edge-litert times the same file; ratios per model."""
    import math

    from benchmarks import litertjs_cost

    _node_modules()
    assert litertjs_cost.main(["--models", "ts-gru", "--modes", "float32,int8", "--repeat", "3",
                               "--timeout", "150", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "litertjs_cost.json").read_text())["rows"]
    assert [(r["model"], r["mode"], r["runs"], r["check"]) for r in rows] == [
        ("ts-gru", "float32", 3, "ok"), ("ts-gru", "int8", 3, "ok")]
    for r in rows:
        assert 0 < r["litertjs_p50"] <= r["litertjs_p90"] and 0 < r["litert_p50"] <= r["litert_p90"]
        assert math.isclose(r["litertjs_vs_litert"], r["litertjs_p50"] / r["litert_p50"])
    assert rows[0]["litertjs_vs_float32"] == 1.0
    assert math.isclose(rows[1]["litert_vs_float32"], rows[1]["litert_p50"] / rows[0]["litert_p50"])
    assert "| ts-gru | int8 |" in (tmp_path / "litertjs_cost.md").read_text()


@pytest.mark.slow
@needs_browser[0]
@needs_browser[1]
def test_every_shipped_model_float16_matches_keras_on_webgpu(tmp_path):
    """The full sweep (`make test-slow`): every model in zoo/pretrained, float16."""
    _node_modules()
    names = gpu_check.shipped_models()
    proc = subprocess.run([sys.executable, "-m", "web_demo.gpu_check", "--quantize", "float16",
                           "--timeout", "300", "--json", str(tmp_path / "all.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.splitlines()[-1] == f"webgpu: {len(names)}/{len(names)} models match"


@pytest.mark.parametrize("where", ["outside a checkout", "without node_modules"])
def test_cli_gpu_check_outside_the_repository_fails_before_writing(where, tmp_path, monkeypatch):
    import keras
    from typer.testing import CliRunner

    from zoo import cli

    inp = keras.Input((5, 3))
    keras.Model(inp, keras.layers.Dense(2)(keras.layers.GRU(4)(inp))).save(tmp_path / "m.keras")
    out = tmp_path / "m.tflite"
    if where == "outside a checkout":
        monkeypatch.setattr(cli, "CHECKOUT", tmp_path / "site-packages")  # no web_demo/ there
        expected = "not installed with the package"
    else:
        monkeypatch.setattr(gpu_check, "node_modules_ready", lambda *a: False)
        expected = "web_demo/node_modules is missing"
    result = CliRunner().invoke(cli.app, ["export", str(tmp_path / "m.keras"), "-o", str(out),
                                          "--gpu-check"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "--gpu-check is a repository-only tool" in text and expected in text, text
    assert "repository checkout" in text and "(cd web_demo && npm ci)" in text, text
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
