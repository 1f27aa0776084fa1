"""The shipped single-layout keyword-spotting files run in a stock LiteRT interpreter
(default signature, nothing of ours) and give zoo.predict's answers on held-out clips."""

import numpy as np
import pytest

import zoo
from zoo import registry

pytestmark = pytest.mark.tensorflow_only

SINGLE = sorted((p.parent.name, mode) for p in registry.package_dir().glob("kws-*/SHA256SUMS")
                for mode, layout in registry.get(p.parent.name).family.layouts.items()
                if layout == "single"
                and (p.parent / registry.tflite_filename(p.parent.name, mode)).is_file())


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """Clips of the test voices (held out of training), built by our own builder."""
    from zoo.data import speech_commands as sc

    root = tmp_path_factory.mktemp("kws")
    sc.build(root, clips_per_keyword=25, seed=0, workers=2, engines="available",
             reverb="synthetic", progress=False)
    x, y, _ = sc.load(root, "test")
    assert len(y) >= 40
    return x, y


def _stock_top1(path, x):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    assert list(interpreter.get_signature_list()) == ["serving_default"]
    runner = interpreter.get_signature_runner()
    assert list(runner.get_input_details()) == ["audio"]
    assert list(runner.get_output_details()) == ["probabilities"]
    return np.array([runner(audio=clip[None])["probabilities"][0].argmax() for clip in x])


def test_every_whole_window_kws_model_ships_single_files():
    assert {n for n, _ in SINGLE} >= {"kws-att-bilstm", "kws-bilstm", "kws-att-mh-gru", "kws-gru"}
    for name, mode in SINGLE:
        card = zoo.model_card(name)
        assert card["exports"][mode]["layout"] == "single", (name, mode)


@pytest.mark.parametrize("name,mode", SINGLE)
def test_stock_interpreter_gives_zoo_predict_answers(name, mode, held_out):
    x, y = held_out
    labels = list(registry.get(name).labels)
    path = registry.package_dir() / name / registry.tflite_filename(name, mode)
    stock = _stock_top1(path, x)
    ours = [labels.index(p) for p in zoo.predict(name, x, tflite=mode)]
    assert np.array_equal(stock, ours)  # same file, nothing of ours in between
    keras = np.array([labels.index(p) for p in zoo.predict(name, x)])
    agreement = np.mean(stock == keras)
    twin = name in registry.baseline_pairs().values()
    assert np.mean(stock == y) > (1 / len(labels) if twin else 0.5)
    if mode != "int8":
        assert agreement >= 0.99, agreement
    elif twin:  # a twin near chance flips on small changes: its accuracy must hold
        assert abs(np.mean(stock == y) - np.mean(keras == y)) <= 0.1
    else:  # measured on the 4,733 test clips: 98.0-98.5 % (benchmarks/results/edge_layouts.md)
        assert agreement >= 0.85, agreement


@pytest.mark.parametrize("name,mode", SINGLE)
def test_shipped_single_files_carry_standard_metadata(name, mode):
    from export import metadata

    data = (registry.package_dir() / name / registry.tflite_filename(name, mode)).read_bytes()
    md = metadata.read(data)
    assert md["name"] == name and md["license"] and md["version"] == zoo.__version__
    (audio,) = md["inputs"]
    assert (audio["kind"], audio["sample_rate"], audio["channels"]) == ("audio", 16000, 1)
    (out,) = md["outputs"]
    labels = metadata.read_associated(data)[out["labels_file"]].decode().split()
    assert labels == list(registry.get(name).labels)
    from zoo import file_metadata  # what an export today writes: the shipped file is current

    assert md == metadata.parse(file_metadata.for_model(name)[0])


@pytest.mark.timeout(300)
def test_mediapipe_audio_classifier_runs_the_shipped_int8_files(held_out):
    """MediaPipe Tasks' stock AudioClassifier (the API Android and the web use), no code of
    ours: same top-1 as zoo.predict with the same file on every held-out clip."""
    pytest.importorskip("mediapipe")
    from mediapipe.tasks import python as mp
    from mediapipe.tasks.python import audio
    from mediapipe.tasks.python.components.containers import audio_data

    x, _ = held_out
    names = [n for n, mode in SINGLE if mode == "int8"]
    assert names
    for name in names:
        path = registry.package_dir() / name / registry.tflite_filename(name, "int8")
        options = audio.AudioClassifierOptions(
            base_options=mp.BaseOptions(model_asset_path=str(path)), max_results=1)
        with audio.AudioClassifier.create_from_options(options) as classifier:
            got = [classifier.classify(audio_data.AudioData.create_from_array(clip, 16000))[0]
                   .classifications[0].categories[0].category_name for clip in x]
        assert got == list(zoo.predict(name, x, tflite="int8")), name


TFLITE_RUNTIME = registry.package_dir().parents[1] / ".venv-tflite-runtime" / "bin" / "python"
CHILD = """
import sys, numpy as np
from export import runtime
rt = runtime.load(sys.argv[1], backend="tflite_runtime")
np.save(sys.argv[3], rt(np.load(sys.argv[2])))
"""


@pytest.mark.skipif(not TFLITE_RUNTIME.exists(),
                    reason="run `make venv-tflite-runtime` (make test does)")
@pytest.mark.parametrize("name,mode", SINGLE)
def test_tflite_runtime_2_14_computes_what_ai_edge_litert_does(name, mode, held_out, tmp_path):
    """tflite-runtime 2.14 (2023, builtin kernels) on the shipped single files: the int8
    files' hybrid FULLY_CONNECTED ops included (its per-channel hybrid kernel computed
    wrong values for inputs of several rows; the exporter writes one scale per tensor)."""
    import subprocess

    from export import runtime

    x = held_out[0][:24]
    path = registry.package_dir() / name / registry.tflite_filename(name, mode)
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run([str(TFLITE_RUNTIME), "-c", CHILD, str(path), str(tmp_path / "x.npy"),
                           str(tmp_path / "y.npy")], cwd=registry.package_dir().parents[1],
                          capture_output=True, text=True,
                          env={"PYTHONPATH": str(registry.package_dir().parents[1]),
                               "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    got, litert = np.load(tmp_path / "y.npy"), runtime.load(path)(x)
    # XNNPack (ai-edge-litert) and the builtin kernels quantize a hybrid op's input their
    # own way (up to ~0.08 apart on an unsure clip): each is held to Keras, the reference
    # (the per-channel fault gave ~1/12 for every class)
    keras = zoo.load(name).predict(x, verbose=0)
    error, litert_error = np.abs(got - keras).mean(), np.abs(litert - keras).mean()
    assert error <= 2 * litert_error + 1e-3, (error, litert_error)
    agreement = [np.mean(p.argmax(-1) == keras.argmax(-1)) for p in (got, litert)]
    assert agreement[0] >= agreement[1] - 0.1, agreement
