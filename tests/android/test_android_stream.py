"""android_demo's streaming path (prepare.py --stream, FrameStreamRunner.kt),
checked statically (no Kotlin compiler or device here):

- prepare.py --stream writes the four streaming assets: the step file byte for
  byte, its plan, the initial state (the Python `silence_state`, in plan order)
  and the model's resolved settings; clear errors without them;
- the stream file's inputs and outputs (names and shapes read from the file via
  export.runtime and its plan) match ModelContract.kt's constants (frame of
  FRAME_SAMPLES, state roles and order, NUM_LABELS) and each next state has its
  state input's shape;
- what FrameStreamRunner.kt does (plan inputs [frame, state..], outputs 1.. fed
  back as inputs 1.., state from the asset), replayed in Python on the assets
  with export.runtime, equals the Python FrameStream.

Step files: zoo/pretrained/kws-stream-att-gru/, else $ZOO_STREAM_MODEL_DIR, else
the untrained pilot in /work/shared/pilot/; skipped when none is there.
"""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.android.test_android_demo import KOTLIN, _contract, _kotlin, _strip_kotlin, prepare

STREAM = "kws-stream-att-gru"
MODE = "int8"
ROOT = Path(__file__).resolve().parents[2]


def _stream_dir():
    dirs = [ROOT / "zoo" / "pretrained" / STREAM]
    if os.environ.get("ZOO_STREAM_MODEL_DIR"):
        dirs.insert(0, Path(os.environ["ZOO_STREAM_MODEL_DIR"]))
    dirs.append(Path("/work/shared/pilot"))
    return next((d for d in dirs if (d / f"{STREAM}.stream.{MODE}.tflite").is_file()), None)


STREAM_DIR = _stream_dir()
pytestmark = pytest.mark.skipif(STREAM_DIR is None, reason=f"no {STREAM} step file (trained or "
                                "pilot); set ZOO_STREAM_MODEL_DIR")

SECTION = {"window_ms": 20, "hop_ms": 20, "smoothing_windows": 5, "threshold": {"yes": 0.8, "no": 0.7},
           "refractory_ms": 1000, "max_run_ms": 1000}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from zoo.demo.detector import SETTINGS_PATH

    s = json.loads(SETTINGS_PATH.read_text())
    s.setdefault("models", {}).setdefault(STREAM, SECTION)
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_text(json.dumps(s))
    return path


@pytest.fixture(scope="module")
def assets(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("android_stream_assets")
    prepare.prepare(out, stream=STREAM, stream_mode=MODE, stream_dir=STREAM_DIR, settings=settings)
    return out


def test_prepare_writes_the_stream_assets(assets, settings):
    from export import runtime
    from zoo.demo.detector import load_settings
    from zoo.models.kws.frames import silence_state

    assert sorted(p.name for p in assets.iterdir()) == sorted(prepare.FILES + prepare.STREAM_FILES)
    src = (STREAM_DIR / f"{STREAM}.stream.{MODE}.tflite").read_bytes()
    assert (assets / "kws_stream.tflite").read_bytes() == src
    plan = json.loads((assets / "kws_stream_plan.json").read_text())
    assert plan == runtime.read_plan(src)
    state = json.loads((assets / "kws_stream_state.json").read_text())
    assert state["names"] == plan["inputs"][1:]
    assert state["shapes"] == [s[1:] for s in plan["input_shapes"][1:]]
    for got, want in zip(state["data"], silence_state([tuple(s) for s in state["shapes"]]),
                         strict=True):
        np.testing.assert_array_equal(np.float32(got), want.ravel())
    resolved = json.loads((assets / "kws_stream_settings.json").read_text())
    assert resolved == load_settings(settings, model=STREAM)
    ignored = {line.strip() for line in (prepare.HERE / ".gitignore").read_text().splitlines()}
    for name in prepare.STREAM_FILES:
        assert f"/app/src/main/assets/{name}" in ignored


def test_prepare_without_stream_removes_stale_stream_assets(tmp_path):
    for name in prepare.STREAM_FILES:  # the app would prefer them over the window model
        (tmp_path / name).write_text("stale")
    prepare.prepare(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(prepare.FILES)


def test_prepare_stream_errors_are_clear(tmp_path, settings):
    with pytest.raises(SystemExit, match="no step file"):
        prepare.prepare(tmp_path / "a", stream=STREAM, stream_dir=tmp_path, settings=settings)
    from zoo.demo.detector import SETTINGS_PATH

    plain = json.loads(SETTINGS_PATH.read_text())
    plain.pop("models", None)
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    with pytest.raises(SystemExit, match="window_ms = hop_ms = 20"):
        prepare.prepare(tmp_path / "b", stream=STREAM, stream_dir=STREAM_DIR,
                        settings=tmp_path / "plain.json")


def test_stream_file_matches_the_kotlin_contract(assets):
    from export import runtime
    from zoo.models.kws.causal import FRAME, MEL_BINS, MEL_TAIL

    c = _contract()
    assert [c[k] for k in ("STREAM_MODEL_ASSET", "STREAM_PLAN_ASSET", "STREAM_STATE_ASSET",
                           "STREAM_SETTINGS_ASSET")] == list(prepare.STREAM_FILES)
    assert c["FRAME_SAMPLES"] == FRAME == prepare.FRAME
    assert (c["MEL_TAIL_FRAMES"], c["MEL_BINS"]) == (MEL_TAIL, MEL_BINS)
    assert c["STREAM_STATE_ROLES"] == list(prepare.STATE_ROLES)

    rt = runtime.load(assets / "kws_stream.tflite", threads=1)
    plan = rt.plan
    assert plan["version"] == c["PLAN_VERSION"]
    assert {s["kind"] for s in plan["stages"]} <= set(c["STAGE_KINDS"])
    # every tensor's shape from the signatures themselves, not only the plan
    shapes = {}
    for key in rt.signatures:
        ins, outs = rt.signature_details(key)
        for name, d in {**ins, **outs}.items():
            shapes[name] = [int(v) for v in d["shape"]]
            assert np.dtype(d["dtype"]).name == c["INTERFACE_DTYPE"], (key, name)
    inputs, outputs = plan["inputs"], plan["outputs"]
    assert len(inputs) == len(outputs) and len(inputs) - 1 in (3, len(c["STREAM_STATE_ROLES"]))
    assert shapes[inputs[0]] == [1, c["FRAME_SAMPLES"]]
    assert shapes[outputs[0]] == [1, c["NUM_LABELS"]]
    roles = dict(zip(c["STREAM_STATE_ROLES"], inputs[1:]))
    assert shapes[roles["audio_tail"]] == [1, c["FRAME_SAMPLES"]]
    assert shapes[roles["mel_tail"]] == [1, c["MEL_TAIL_FRAMES"], c["MEL_BINS"]]
    assert len(shapes[roles["gru_state"]]) == 2
    for i in range(1, len(inputs)):  # the next state i has state input i's shape
        assert shapes[outputs[i]] == shapes[inputs[i]], (i, outputs[i], inputs[i])
    state = json.loads((assets / "kws_stream_state.json").read_text())
    assert state["roles"] == c["STREAM_STATE_ROLES"][:len(inputs) - 1]


def test_frame_stream_runner_reads_the_state_asset_and_carries_the_state(assets):
    src = _kotlin("FrameStreamRunner.kt")
    code = _strip_kotlin(src)
    state = json.loads((assets / "kws_stream_state.json").read_text())
    plan = json.loads((assets / "kws_stream_plan.json").read_text())
    read = set(re.findall(r'(?:state|plan)\.getJSONArray\("(\w+)"\)', src))
    assert read and read <= set(state) | set(plan), sorted(read - set(state) - set(plan))
    assert {"names", "roles", "data"} <= read and {"inputs", "outputs", "input_shapes"} <= read
    # the Kotlin loop: [frame] + current -> outputs; outputs 1.. become the state
    assert "run(listOf(FloatTensor(intArrayOf(1, frameSamples), frame)) + current)" in code
    assert re.search(r"val next = outs\[i \+ 1\]", code)
    assert "ModelContract.FRAME_SAMPLES" in code and "ModelContract.STREAM_STATE_ROLES" in code
    loader = _kotlin("LoadedModel.kt")
    for name in ("STREAM_MODEL_ASSET", "STREAM_PLAN_ASSET", "STREAM_STATE_ASSET",
                 "STREAM_SETTINGS_ASSET"):
        assert f"ModelContract.{name}" in loader
    assert "stream?.reset()" in loader  # newDetector: each listening session from silence
    det = _kotlin("Detector.kt")
    for key in ("max_run_ms", "threshold"):
        assert re.search(rf'\.(?:get|opt)\w*\("{key}"', det), key


def test_the_kotlin_loop_replayed_in_python_equals_frame_stream(assets):
    """FrameStreamRunner's algorithm on the assets (plan order, state asset, outputs
    1.. fed back) with export.runtime, against the Python FrameStream."""
    from export import runtime
    from zoo.data.audio import SAMPLE_RATE, read_audio
    from zoo.models.kws.frames import FrameStream

    rt = runtime.load(assets / "kws_stream.tflite", threads=1)
    state = json.loads((assets / "kws_stream_state.json").read_text())
    current = [np.float32(d).reshape(1, *s) for d, s in zip(state["data"], state["shapes"])]
    audio = read_audio(ROOT / "zoo" / "demo_audio" / "sentence.wav", SAMPLE_RATE)[:40 * 320]
    frames = np.float32(audio).reshape(-1, 320)
    got = []
    for f in frames:
        outs = rt(f[None], *current)
        got.append(outs[0][0])
        current = [np.asarray(o, np.float32) for o in outs[1:]]
    want = FrameStream.from_file(assets / "kws_stream.tflite")(frames)
    np.testing.assert_allclose(np.array(got), want, atol=1e-6)
