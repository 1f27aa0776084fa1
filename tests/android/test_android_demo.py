"""CI checks of android_demo/ (the Kotlin/Gradle app is never built here: no
Android SDK platform, Maven or emulator). What runs instead:

(a) prepare.py writes the assets from the registry's artifacts and refuses a
    window model that is not single-layout;
(b) ModelContract.kt's constants equal the single-layout kws.tflite's
    signature list and tensors (read with the stock ai_edge_litert
    Interpreter), WindowClassifier.kt / MainActivity.kt use those constants
    and no plan, and WindowClassifier's algorithm replayed in Python gives
    what `zoo.predict(..., tflite="int8")` gives on the bundled clips;
(c) Detector.kt takes its constants from settings.json (no copies);
(d) the manifest and resources compile and link with Debian's aapt2 against
    framework-res.apk;
(e) PlanRunner.kt (the streaming step files; the app's window model no longer
    uses it) handles the stage kinds, keys and merge modes of the shipped plans.

The Kotlin itself (all but MainActivity.kt) is compiled and run on the desktop
JVM against the Python demo in test_android_jvm.py.
"""

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import wave

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from export import plan as stepped
from export import runtime
from zoo import registry
from zoo.demo import detector as pydetector

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "android_demo"
APP = DEMO / "app"
MAIN = APP / "src" / "main"
KOTLIN = MAIN / "java" / "com" / "example" / "kws"
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
MODEL, MODE = "kws-att-bilstm", "int8"


def _load_prepare():
    spec = importlib.util.spec_from_file_location("android_demo_prepare", DEMO / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prepare = _load_prepare()


def _kotlin(name):
    return (KOTLIN / name).read_text(encoding="utf-8")


def _strip_kotlin(src):
    """Source without comments and string literals (for scanning code tokens)."""
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', src)


def _contract():
    """`const val NAME = literal` and `val NAME = listOf("a", ...)` of ModelContract.kt."""
    src = _kotlin("ModelContract.kt")
    values = {}
    for name, raw in re.findall(r"^\s*const val (\w+)\s*=\s*(.+?)\s*$", src, flags=re.M):
        values[name] = json.loads(raw) if raw.startswith('"') else int(raw.replace("_", ""))
    for name, raw in re.findall(r"^\s*val (\w+)\s*=\s*listOf\((.*)\)\s*$", src, flags=re.M):
        values[name] = re.findall(r'"([^"]*)"', raw)
    return values


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    out = tmp_path_factory.mktemp("android_assets")
    prepare.prepare(out)
    return out


@pytest.fixture(scope="module")
def contract():
    return _contract()


class WindowClassifier:
    """WindowClassifier.kt in Python, on the stock LiteRT Interpreter: the signature
    list must be exactly [SIGNATURE_KEY] with INPUT_NAME float32 [1, INPUT_SAMPLES]
    -> OUTPUT_NAME float32 [1, labels]; one signature call per window, no plan."""

    def __init__(self, model: bytes, num_labels: int, c: dict):
        interpreter = Interpreter(model_content=model, num_threads=1)
        key, self.input, self.output = c["SIGNATURE_KEY"], c["INPUT_NAME"], c["OUTPUT_NAME"]
        assert list(interpreter.get_signature_list()) == [key]
        self.runner = interpreter.get_signature_runner(key)
        ins, outs = self.runner.get_input_details(), self.runner.get_output_details()
        assert list(ins) == [self.input] and list(outs) == [self.output]
        for d, shape in ((ins[self.input], [1, c["INPUT_SAMPLES"]]), (outs[self.output], [1, num_labels])):
            assert np.dtype(d["dtype"]).name == c["INTERFACE_DTYPE"] and list(d["shape"]) == shape
        self.samples = c["INPUT_SAMPLES"]

    def classify(self, window):
        assert window.shape == (self.samples,)
        return self.runner(**{self.input: window[None].astype(np.float32)})[self.output][0]


def _pcm16_window(path):
    """A 1 s mono PCM16 WAV as MainActivity feeds it: sample / 32768 (PCM16_SCALE)."""
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000), path
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return pcm.astype(np.float32) / 32768


# ------------------------------------------------------------------ (a) assets

def test_prepare_writes_the_registry_artifacts(assets):
    artifacts = registry.require_artifacts(MODEL)
    shipped = artifacts.file(registry.tflite_filename(MODEL, MODE))
    sums = registry.read_checksums(artifacts.path)
    assert sorted(p.name for p in assets.iterdir()) == sorted(prepare.FILES)
    assert _sha256(assets / "kws.tflite") == _sha256(shipped) == sums[shipped.name]
    assert (assets / "labels.txt").read_bytes() == artifacts.file("labels.txt").read_bytes()
    from zoo import api

    labels = [s.strip() for s in (assets / "labels.txt").read_text().splitlines() if s.strip()]
    assert labels == api.labels(MODEL)
    # The stored plan of the shipped file is one segment: nothing for the app to walk.
    plan = runtime.read_plan(shipped.read_bytes())
    assert plan["layout"] == "single"
    assert [(s["kind"], s["name"]) for s in plan["stages"]] == [("segment", prepare.SIGNATURE)]


def test_prepare_removes_a_stale_plan_json(tmp_path):
    (tmp_path / "plan.json").write_text("{}")  # an older prepare.py wrote the window plan
    prepare.prepare(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(prepare.FILES)


def test_prepare_refuses_a_window_model_that_is_not_single_layout(tmp_path, monkeypatch):
    # The stepped export of the same model (dynamic range: five signatures and a plan).
    monkeypatch.setattr(prepare, "MODE", "dynamic")
    with pytest.raises(SystemExit, match=r"kws-att-bilstm\.dynamic\.tflite\) is not a single-layout "
                       r"file: its signatures are \['rnn2_bw', 'rnn2_fw', 'seg0', 'seg1', 'seg3'\]; "
                       r"expected exactly one signature 'serving_default'"):
        prepare.prepare(tmp_path)
    assert not (tmp_path / "kws.tflite").exists()
    shipped = registry.require_artifacts(MODEL).file(registry.tflite_filename(MODEL, MODE))
    with pytest.raises(SystemExit, match=r"probabilities is float32 \[1, 12\]; the app expects .*"
                       r"probabilities float32 \[1, 11\]"):
        prepare.check_single_layout(shipped.read_bytes(), 11)
    with pytest.raises(SystemExit, match="not a loadable .tflite file"):
        prepare.check_single_layout(b"not a model", 12)


def test_prepare_cli_and_gitignore(tmp_path):
    out = tmp_path / "assets"
    done = subprocess.run([sys.executable, str(DEMO / "prepare.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(prepare.FILES)
    # The copies are never committed: android_demo/.gitignore lists each one.
    ignored = {line.strip() for line in (DEMO / ".gitignore").read_text().splitlines()}
    for name in prepare.FILES:
        assert f"/app/src/main/assets/{name}" in ignored
    assert prepare.ASSETS == MAIN / "assets"


def test_asset_names_match_the_kotlin_contract(contract):
    assert [contract[k] for k in ("MODEL_ASSET", "LABELS_ASSET", "SETTINGS_ASSET")] \
        == list(prepare.FILES)
    assert "PLAN_ASSET" not in contract


# -------------------------------------------------------- (b) model interface

def test_contract_matches_the_tflite_file(assets, contract):
    interpreter = Interpreter(model_path=str(assets / "kws.tflite"))
    key, name_in, name_out = contract["SIGNATURE_KEY"], contract["INPUT_NAME"], contract["OUTPUT_NAME"]
    assert interpreter.get_signature_list() == {key: {"inputs": [name_in], "outputs": [name_out]}}
    runner = interpreter.get_signature_runner(key)
    (got_in, d_in), = runner.get_input_details().items()
    (got_out, d_out), = runner.get_output_details().items()
    assert (got_in, list(d_in["shape"])) == (name_in, [1, contract["INPUT_SAMPLES"]])
    assert (got_out, list(d_out["shape"])) == (name_out, [1, contract["NUM_LABELS"]])
    for d in (d_in, d_out):
        assert np.dtype(d["dtype"]).name == contract["INTERFACE_DTYPE"]
    # prepare.py checks the same interface before copying the file
    assert (prepare.SIGNATURE, prepare.INPUT, prepare.OUTPUT, prepare.WINDOW) \
        == (key, name_in, name_out, contract["INPUT_SAMPLES"])


def test_window_classifier_runs_the_contract_with_the_stock_api():
    """WindowClassifier.kt: Interpreter.runSignature on ModelContract's names, checked
    at load; MainActivity runs the window model through it, with no plan."""
    code = _strip_kotlin(_kotlin("WindowClassifier.kt"))
    assert "Interpreter(model," in code
    assert "val keys = interpreter.signatureKeys.toList()" in code
    assert "require(keys == listOf(ModelContract.SIGNATURE_KEY))" in code
    for call, name in (("getSignatureInputs", "SIGNATURE_KEY"), ("getSignatureOutputs", "SIGNATURE_KEY"),
                       ("getInputTensorFromSignature", "INPUT_NAME"),
                       ("getOutputTensorFromSignature", "OUTPUT_NAME")):
        assert f"interpreter.{call}(ModelContract.{name}" in code, call
    assert "ins == listOf(ModelContract.INPUT_NAME) && outs == listOf(ModelContract.OUTPUT_NAME)" in code
    assert "intArrayOf(1, ModelContract.INPUT_SAMPLES)" in code and "intArrayOf(1, numLabels)" in code
    assert "DataType.FLOAT32" in code
    run = re.search(r"interpreter\.runSignature\((.*?)\)\s*return", code, flags=re.S)
    assert run and re.sub(r"\s+", " ", run.group(1)).strip() == (
        "mapOf<String, Any>(ModelContract.INPUT_NAME to arrayOf(window)), "
        "mapOf<String, Any>(ModelContract.OUTPUT_NAME to output), ModelContract.SIGNATURE_KEY,")
    assert not re.search(r"plan", code, flags=re.I)

    loader = _strip_kotlin(_kotlin("LoadedModel.kt"))
    window = loader[loader.index("private fun loadWindow("):]
    assert "WindowClassifier(modelBuffer(asset(ModelContract.MODEL_ASSET)), names.size)" in window
    assert "LoadedModel(s, names, c::classify, null, \"\", listOf(c))" in window  # "WindowClassifier"
    assert "PlanRunner" not in window and "PLAN" not in window
    # The names live in ModelContract.kt only.
    for path in KOTLIN.glob("*.kt"):
        if path.name != "ModelContract.kt":
            for value in ('"serving_default"', '"audio"', '"probabilities"'):
                assert value not in path.read_text(), (path.name, value)


def test_labels_and_window_agree_with_the_contract(assets, contract):
    labels = (assets / "labels.txt").read_text().split()
    assert len(labels) == contract["NUM_LABELS"]
    s = pydetector.load_settings(assets / "settings.json")
    # MainActivity checks the Detector's window (from settings.json) against INPUT_SAMPLES.
    assert round(s["sample_rate"] * s["window_ms"] / 1000) == contract["INPUT_SAMPLES"]
    model = WindowClassifier((assets / "kws.tflite").read_bytes(), len(labels), contract)
    probs = model.classify(np.zeros(contract["INPUT_SAMPLES"], np.float32))
    assert probs.shape == (contract["NUM_LABELS"],)
    assert np.isclose(probs.sum(), 1.0, atol=1e-2)  # int8 softmax: steps of 1/256


def test_window_classifier_gives_what_zoo_predict_gives(assets, contract):
    """The app's window path (PCM16 / 32768, one serving_default call on kws.tflite)
    against zoo.predict(MODEL, wav, tflite="int8") on the bundled clips."""
    import zoo
    from zoo.kws_demo import bundled_clips

    labels = (assets / "labels.txt").read_text().split()
    model = WindowClassifier((assets / "kws.tflite").read_bytes(), len(labels), contract)
    clips = [path for path, _ in bundled_clips()]
    assert len(clips) >= 5
    want = zoo.predict(MODEL, [str(p) for p in clips], tflite=MODE, top_k=len(labels))
    got = []
    for path, ranked in zip(clips, want, strict=True):
        probs = model.classify(_pcm16_window(path))
        got.append(labels[int(np.argmax(probs))])
        assert got[-1] == ranked[0][0], path.name
        np.testing.assert_allclose(probs, [dict(ranked)[label] for label in labels], atol=1e-6,
                                   err_msg=path.name)
    assert len(set(got)) >= 4  # distinct words, not one class for every clip


# ------------------------------------------------------ (c) detector settings

def test_detector_reads_every_setting_from_settings_json(assets):
    assert (assets / "settings.json").read_bytes() == pydetector.SETTINGS_PATH.read_bytes()
    src = _kotlin("Detector.kt")
    for key in pydetector._KEYS:
        assert re.search(rf'\.get\w*\("{key}"\)', src), f"Detector.kt does not read {key!r}"


def test_no_hard_coded_copies_of_the_settings():
    s = pydetector.load_settings()
    code = {n: _strip_kotlin(_kotlin(n)) for n in ("Detector.kt", "MainActivity.kt", "LoadedModel.kt")}
    number = r"(?<![\w.])(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)[fFL]?(?![\w.])"
    literals = {n: [float(x.replace("_", "")) for x in re.findall(number, c)] for n, c in code.items()}
    # Values that only settings.json may hold. window_ms (1000) is left out: the
    # code needs the ms-per-second factor, which Detector.kt declares once (MS_PER_S).
    forbidden = {s["sample_rate"], s["hop_ms"], s["threshold"], s["refractory_ms"]}
    for name, values in literals.items():
        assert not forbidden & set(values), f"{name} hard-codes {forbidden & set(values)}"
    assert s["smoothing_windows"] not in literals["Detector.kt"]
    assert literals["Detector.kt"].count(1000) == 1
    assert re.search(r"const val MS_PER_S = 1000\b", code["Detector.kt"])
    for name in ("Detector.kt", "MainActivity.kt", "PlanRunner.kt", "ModelContract.kt",
                 "WindowClassifier.kt", "LoadedModel.kt", "FrameStreamRunner.kt"):
        for label in s["ignore_labels"]:
            assert label not in _kotlin(name), f"{name} hard-codes ignore label {label!r}"


# ------------------------------------------------- (d) manifest and resources

def _gradle_value(key):
    m = re.search(rf'\b{key}\s*=\s*("?)([\w.]+)\1', (APP / "build.gradle.kts").read_text())
    assert m, f"app/build.gradle.kts has no {key}"
    return m.group(2)


def test_litert_dependency_is_pinned():
    deps = re.findall(r'"com\.google\.ai\.edge\.litert:litert:([^"]+)"', (APP / "build.gradle.kts").read_text())
    assert len(deps) == 1 and re.fullmatch(r"\d+\.\d+\.\d+", deps[0]), deps


def test_resources_compile_and_link_with_aapt2(tmp_path):
    aapt2 = shutil.which("aapt2")
    if aapt2 is None or not FRAMEWORK_RES.is_file():
        pytest.skip("needs Debian's android-sdk-build-tools (aapt2) and android-framework-res "
                    "(bash scripts/setup_system.sh)")
    manifest = (MAIN / "AndroidManifest.xml").read_text(encoding="utf-8")
    assert 'android.permission.RECORD_AUDIO' in manifest
    assert "package=" not in manifest  # AGP 8 takes it from `namespace`
    # What the Android Gradle plugin's manifest merger adds: package (namespace) and uses-sdk.
    namespace = _gradle_value("namespace")
    merged = tmp_path / "AndroidManifest.xml"
    merged.write_text(manifest.replace("<manifest ", f'<manifest package="{namespace}" ', 1),
                      encoding="utf-8")

    def run(*args):
        done = subprocess.run([aapt2, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"aapt2 {args[0]} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    run("compile", "--dir", str(MAIN / "res"), "-o", str(tmp_path / "res.zip"))
    run("link", "-I", str(FRAMEWORK_RES), "--manifest", str(merged),
        "--min-sdk-version", _gradle_value("minSdk"), "--target-sdk-version", _gradle_value("targetSdk"),
        "-o", str(tmp_path / "base.apk"), str(tmp_path / "res.zip"))
    badging = run("dump", "badging", str(tmp_path / "base.apk"))
    assert f"package: name='{namespace}'" in badging
    assert "uses-permission: name='android.permission.RECORD_AUDIO'" in badging
    assert f"launchable-activity: name='{namespace}.MainActivity'" in badging

    # Every R.<type>.<name> the Kotlin code uses exists in the linked resources.
    table = run("dump", "resources", str(tmp_path / "base.apk"))
    defined = set(re.findall(r"resource 0x[0-9a-f]+ (\w+/\w+)", table))
    used = set()
    for path in KOTLIN.glob("*.kt"):
        used |= {f"{t}/{n}" for t, n in re.findall(r"(?<![\w.])R\.(\w+)\.(\w+)", path.read_text())}
    assert used and used <= defined, sorted(used - defined)


# ------------------------------------------------ (e) the plans PlanRunner walks
#
# PlanRunner.kt runs the streaming step files (NAME.stream.MODE.tflite, segments
# only). Its recurrent stages serve stepped files, which the app bundles no more:
# they are checked against the shipped stepped export of the window model
# (kws-att-bilstm.dynamic), so the Kotlin port stays a port of export/plan.py.

STEPPED = "dynamic"


def _stepped_file():
    return registry.require_artifacts(MODEL).file(registry.tflite_filename(MODEL, STEPPED))


def _plan_runner_plans():
    """{file name: stored plan} of the shipped step files and the stepped window export."""
    paths = sorted((ROOT / "zoo" / "pretrained").glob("kws-stream-*/*.stream.*.tflite"))
    assert paths, "no shipped streaming step file"
    return {p.name: runtime.read_plan(p.read_bytes()) for p in [*paths, _stepped_file()]}


def _plan_keys(node, keys):
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(k)
            _plan_keys(v, keys)
    elif isinstance(node, list):
        for v in node:
            _plan_keys(v, keys)
    return keys


def test_plan_runner_handles_the_shipped_plans(contract):
    plans = _plan_runner_plans()
    src = _kotlin("PlanRunner.kt")
    for kind in contract["STAGE_KINDS"]:
        assert src.count(f'"{kind}" ->') >= 2, f"PlanRunner.kt does not dispatch {kind!r}"
    for name, plan in plans.items():
        assert plan["version"] == contract["PLAN_VERSION"] == stepped.PLAN_VERSION, name
        assert {s["kind"] for s in plan["stages"]} <= set(contract["STAGE_KINDS"]), name
        if ".stream." in name:  # what the app bundles: segments only
            assert {s["kind"] for s in plan["stages"]} == {"segment"}, name
    recurrent = [s for plan in plans.values() for s in plan["stages"] if s["kind"] == "recurrent"]
    assert recurrent, f"{_stepped_file().name} has a recurrent stage"
    for stage in recurrent:
        if len(stage["directions"]) == 2:
            mode = stage["merge_mode"]
            assert (f'"{mode}" ->' in src) if mode else ("null, JSONObject.NULL ->" in src)
            assert [d["go_backwards"] for d in stage["directions"]] == [False, True]
    # Keys PlanRunner.kt reads with get*() (required) exist in the plans; opt*() ones may be null.
    required = set(re.findall(r'\.get(?:String|Int|Boolean|JSONArray|JSONObject|Double)\("(\w+)"\)', src))
    optional = set(re.findall(r'\.(?:opt\w*|isNull)\("(\w+)"[,)]', src))
    optional |= set(re.findall(r'optStrings\(\w+, "(\w+)"\)', src))
    present = _plan_keys(list(plans.values()), set())
    assert required and required <= present, sorted(required - present)
    # Every key the Python runner (export/plan.py) reads is handled by the Kotlin port too.
    python_keys = set(re.findall(r'\[\s*"(\w+)"\s*\]|\.get\("(\w+)"[,)]',
                                 Path(stepped.__file__).read_text()))
    python_keys = {a or b for a, b in python_keys} - {"y"}
    assert python_keys <= required | optional, sorted(python_keys - required - optional)


def test_step_signatures_follow_the_contract(contract):
    """The recurrent step signatures' tensor names (x, state0.. -> y, state0_out..) that
    PlanRunner.kt builds from ModelContract.kt, in the shipped stepped file."""
    model = runtime.load(_stepped_file(), threads=1)
    p, suffix = contract["STATE_PREFIX"], contract["STATE_OUT_SUFFIX"]
    steps = [s for s in model.plan["stages"] if s["kind"] == "recurrent"]
    assert steps, f"{_stepped_file().name} has a recurrent stage"
    for stage in steps:
        for d in stage["directions"]:
            ins, outs = model.signature_details(d["signature"])
            sizes = d["state_sizes"]
            assert set(ins) == {contract["STEP_INPUT"]} | {f"{p}{i}" for i in range(len(sizes))}
            assert set(outs) == {contract["STEP_OUTPUT"]} | {f"{p}{i}{suffix}" for i in range(len(sizes))}
            for i, n in enumerate(sizes):
                assert list(ins[f"{p}{i}"]["shape"]) == [1, n]
                assert list(outs[f"{p}{i}{suffix}"]["shape"]) == [1, n]
