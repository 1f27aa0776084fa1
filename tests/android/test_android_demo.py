"""CI checks of android_demo/ (the Kotlin/Gradle app is never built here: no
Android SDK platform, Maven or emulator). What runs instead:

(a) prepare.py writes the assets from the registry's artifacts;
(b) ModelContract.kt's constants equal the .tflite file's signatures and plan;
(c) Detector.kt takes its constants from settings.json (no copies);
(d) the manifest and resources compile and link with Debian's aapt2 against
    framework-res.apk;
(e) the plan PlanRunner.kt walks (stage kinds, keys, merge modes) is the one
    stored in the file.
"""

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
def model(assets):
    return runtime.load(assets / "kws.tflite", threads=1)


@pytest.fixture(scope="module")
def contract():
    return _contract()


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
    plan = json.loads((assets / "plan.json").read_text(encoding="utf-8"))
    assert plan == runtime.read_plan(shipped.read_bytes())


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
    assert [contract[k] for k in ("MODEL_ASSET", "PLAN_ASSET", "LABELS_ASSET", "SETTINGS_ASSET")] \
        == list(prepare.FILES)


# -------------------------------------------------------- (b) model interface

def _plan_signature_order(plan):
    """The signature keys in the order PlanRunner.signatureKeys() lists them."""
    keys = []
    for stage in plan["stages"]:
        if stage["kind"] == "segment":
            keys.append(stage["name"])
        else:
            for d in stage["directions"]:
                if d.get("init"):
                    keys.append(d["init"]["signature"])
                keys.append(d["signature"])
    return keys


def test_contract_matches_the_tflite_file(model, contract):
    plan = model.plan
    assert contract["PLAN_VERSION"] == plan["version"] == stepped.PLAN_VERSION
    assert sorted(contract["SIGNATURES"]) == model.signatures
    assert contract["SIGNATURES"] == _plan_signature_order(plan)
    assert plan["inputs"] == [contract["INPUT_NAME"]]
    assert plan["outputs"] == [contract["OUTPUT_NAME"]]
    assert plan["input_shapes"] == [[None, contract["INPUT_SAMPLES"]]]

    first = plan["stages"][0]
    ins, _ = model.signature_details(first["name"])
    assert list(ins[contract["INPUT_NAME"]]["shape"]) == [1, contract["INPUT_SAMPLES"]]
    last = plan["stages"][-1]
    _, outs = model.signature_details(last["name"])
    assert list(outs[contract["OUTPUT_NAME"]]["shape"]) == [1, contract["NUM_LABELS"]]

    for key in model.signatures:
        ins, outs = model.signature_details(key)
        for name, d in {**ins, **outs}.items():
            assert np.dtype(d["dtype"]).name == contract["INTERFACE_DTYPE"], (key, name)


def test_step_signatures_follow_the_contract(model, contract):
    p, suffix = contract["STATE_PREFIX"], contract["STATE_OUT_SUFFIX"]
    steps = [s for s in model.plan["stages"] if s["kind"] == "recurrent"]
    assert steps, "the kws model has a recurrent stage"
    for stage in steps:
        for d in stage["directions"]:
            ins, outs = model.signature_details(d["signature"])
            sizes = d["state_sizes"]
            assert set(ins) == {contract["STEP_INPUT"]} | {f"{p}{i}" for i in range(len(sizes))}
            assert set(outs) == {contract["STEP_OUTPUT"]} | {f"{p}{i}{suffix}" for i in range(len(sizes))}
            for i, n in enumerate(sizes):
                assert list(ins[f"{p}{i}"]["shape"]) == [1, n]
                assert list(outs[f"{p}{i}{suffix}"]["shape"]) == [1, n]


def test_labels_and_window_agree_with_the_contract(assets, model, contract):
    labels = (assets / "labels.txt").read_text().split()
    assert len(labels) == contract["NUM_LABELS"]
    s = pydetector.load_settings(assets / "settings.json")
    # MainActivity checks the Detector's window (from settings.json) against INPUT_SAMPLES.
    assert round(s["sample_rate"] * s["window_ms"] / 1000) == contract["INPUT_SAMPLES"]
    probs = model(np.zeros((1, contract["INPUT_SAMPLES"]), np.float32))
    assert probs.shape == (1, contract["NUM_LABELS"])
    assert np.isclose(probs.sum(), 1.0, atol=1e-2)  # int8 softmax: steps of 1/256


# ------------------------------------------------------ (c) detector settings

def test_detector_reads_every_setting_from_settings_json(assets):
    assert (assets / "settings.json").read_bytes() == pydetector.SETTINGS_PATH.read_bytes()
    src = _kotlin("Detector.kt")
    for key in pydetector._KEYS:
        assert re.search(rf'\.get\w*\("{key}"\)', src), f"Detector.kt does not read {key!r}"


def test_no_hard_coded_copies_of_the_settings():
    s = pydetector.load_settings()
    code = {n: _strip_kotlin(_kotlin(n)) for n in ("Detector.kt", "MainActivity.kt")}
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
    for name in ("Detector.kt", "MainActivity.kt", "PlanRunner.kt", "ModelContract.kt"):
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


# --------------------------------------------------- (e) the plan PlanRunner walks

def _plan_keys(node, keys):
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(k)
            _plan_keys(v, keys)
    elif isinstance(node, list):
        for v in node:
            _plan_keys(v, keys)
    return keys


def test_plan_runner_handles_the_stored_plan(assets, contract):
    plan = json.loads((assets / "plan.json").read_text(encoding="utf-8"))
    src = _kotlin("PlanRunner.kt")
    kinds = {s["kind"] for s in plan["stages"]}
    assert kinds <= set(contract["STAGE_KINDS"])
    for kind in contract["STAGE_KINDS"]:
        assert src.count(f'"{kind}" ->') >= 2, f"PlanRunner.kt does not dispatch {kind!r}"
    for stage in plan["stages"]:
        if stage["kind"] == "recurrent" and len(stage["directions"]) == 2:
            mode = stage["merge_mode"]
            assert (f'"{mode}" ->' in src) if mode else ("null, JSONObject.NULL ->" in src)
            assert [d["go_backwards"] for d in stage["directions"]] == [False, True]
    # Keys PlanRunner.kt reads with get*() (required) exist in the plan; opt*() ones may be null.
    required = set(re.findall(r'\.get(?:String|Int|Boolean|JSONArray|JSONObject|Double)\("(\w+)"\)', src))
    optional = set(re.findall(r'\.(?:opt\w*|isNull)\("(\w+)"[,)]', src))
    optional |= set(re.findall(r'optStrings\(\w+, "(\w+)"\)', src))
    present = _plan_keys(plan, set())
    assert required and required <= present, sorted(required - present)
    # Every key the Python runner (export/plan.py) reads is handled by the Kotlin port too.
    python_keys = set(re.findall(r'\[\s*"(\w+)"\s*\]|\.get\("(\w+)"[,)]',
                                 Path(stepped.__file__).read_text()))
    python_keys = {a or b for a, b in python_keys} - {"y"}
    assert python_keys <= required | optional, sorted(python_keys - required - optional)
