"""A smoke run of the keyword-spotting trainer on a tiny synthetic build:
artifacts, results schema, checksums and a card come out; an interrupted
run resumes."""

import json

import numpy as np
import pytest

from zoo import registry
from zoo.data import speech_commands as sc
from zoo.data.speech_commands import engines as sc_engines

pytestmark = pytest.mark.tensorflow_only
ENGINES = ("espeak-ng", "flite")


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    if sc_engines._tools_missing_reason() or any(sc.engine_missing_reason(e) for e in ENGINES):
        pytest.skip(f"needs espeak-ng, flite and sox ({sc.SETUP_COMMAND})")
    root = tmp_path_factory.mktemp("kws-data")
    sc.build(root, clips_per_keyword=8, seed=1, workers=2, engines=ENGINES, reverb="synthetic",
             progress=False)
    return root


def test_train_export_measure_and_card(tiny_data, tmp_path):
    from zoo import cards
    from zoo.models.kws import train

    out = tmp_path / "kws-att-bilstm"
    code = train.main(["--data-dir", str(tiny_data), "--out", str(out), "--epochs", "1",
                       "--batch-size", "16", "--modes", "float32,int8"], name="kws-att-bilstm")
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert results["schema"] == cards.RESULTS_SCHEMA and results["data"]["synthetic"] is True
    for mode in ("float32", "int8"):
        file = out / registry.tflite_filename("kws-att-bilstm", mode)
        assert results["exports"][mode]["size_bytes"] == file.stat().st_size
        assert 0.0 <= results["metrics"][mode]["accuracy"] <= 1.0
    # float32 TFLite and Keras agree on the test clips
    assert abs(results["metrics"]["float32"]["accuracy"]
               - results["metrics"]["keras"]["accuracy"]) < 1e-9
    training = json.loads((out / "training.json").read_text())
    confusion = np.array(training["confusion_matrix"])
    assert confusion.shape == (12, 12) and confusion.sum() == results["data"]["splits"]["test"]
    sums = registry.read_checksums(out)
    assert {"model.weights.h5", "labels.txt", "calibration.npz", "results.json"} <= set(sums)
    with np.load(out / "calibration.npz") as calib:
        assert calib["audio"].shape[1:] == (16000,) and calib["audio"].dtype == np.int16
    assert cards.main(["kws-att-bilstm", "--results", str(out / "results.json"),
                       "--out", str(out)]) in (0, None)
    card = json.loads((out / "card.json").read_text())
    assert card["metrics"]["keras"]["accuracy"] == results["metrics"]["keras"]["accuracy"]


def test_causal_trainer_writes_the_step_files_and_their_measurements(tiny_data, tmp_path):
    from zoo.models.kws import train_causal
    from zoo.models.kws.frames import FrameStream, stream_filename

    name = "kws-stream-gru"
    out = tmp_path / name
    code = train_causal.main(["--data-dir", str(tiny_data), "--out", str(out), "--epochs", "1",
                              "--batch-size", "16", "--modes", "float32"], name=name)
    assert code == 0
    streaming = json.loads((out / "streaming.json").read_text())
    assert streaming["model"] == name and streaming["schema"] == "attention-rnn-zoo/results/1"
    files = streaming["streaming"]["files"]
    sums = registry.read_checksums(out)
    results = json.loads((out / "results.json").read_text())
    for mode in ("float32", "dynamic", "int8"):
        f = files[mode]
        assert f["file"] == stream_filename(name, mode) and f["file"] in sums
        assert f["size_bytes"] == (out / f["file"]).stat().st_size
        assert f["test_clips"] == results["data"]["splits"]["test"]
        assert 0.0 <= f["test_accuracy_streamed"] <= 1.0
    # the float32 step file streamed over each test clip is the Keras model on that clip
    assert files["float32"]["test_accuracy_streamed"] == pytest.approx(
        results["metrics"]["keras"]["accuracy"], abs=1e-9)
    assert files["float32"]["streamed_vs_keras"]["top1_agreement"] == 1.0
    # ... and over each clip after 1 s of silence it is the Keras model on that 2-s audio
    lead = streaming["streaming"]["test_in_stream"]
    assert lead["clips"] == results["data"]["splits"]["test"] and lead["lead_s"] == 1.0
    assert files["float32"]["test_accuracy_in_stream"] == pytest.approx(
        lead["keras_accuracy"], abs=1e-9)
    probs = FrameStream.from_file(out / files["dynamic"]["file"]).run(np.zeros(3200, np.float32))
    assert probs.shape == (10, 12)

    # --measure-only: the step files stay as they are, their accuracies are measured again
    from zoo.models.kws import stream_export

    before = {mode: (out / f["file"]).read_bytes() for mode, f in files.items()}
    assert stream_export.main([name, "--run", str(out), "--data-dir", str(tiny_data),
                               "--measure-only"]) == 0
    again = json.loads((out / "streaming.json").read_text())["streaming"]["files"]
    for mode, f in files.items():
        assert (out / f["file"]).read_bytes() == before[mode]
        assert again[mode]["ms_per_frame_p50_1t"] == f["ms_per_frame_p50_1t"]
        assert again[mode]["test_accuracy_in_stream"] == pytest.approx(
            f["test_accuracy_in_stream"], abs=1e-9)


def test_init_weights_fine_tunes_from_a_file_and_refuses_unknown_names(tiny_data, tmp_path):
    """`--init-weights` starts training from a weights file: with a zero learning rate the
    trained weights are the file's; a name that is neither a file nor a model is refused."""
    import keras

    from zoo import training
    from zoo.models.kws import train_causal

    name = "kws-stream-gru"
    entry = registry.get(name)
    start = entry.build(seed=5)
    init = tmp_path / "init.weights.h5"
    start.save_weights(str(init))
    out = tmp_path / "tuned"
    code = train_causal.main(["--data-dir", str(tiny_data), "--out", str(out), "--epochs", "1",
                              "--batch-size", "16", "--modes", "", "--learning-rate", "0",
                              "--init-weights", str(init)], name=name)
    assert code == 0
    tuned = entry.build(seed=0)
    tuned.load_weights(str(out / "model.weights.h5"))
    for a, b in zip(start.trainable_weights, tuned.trainable_weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert "--init-weights" in json.loads((out / "results.json").read_text())["reproduce"]["train"]
    with pytest.raises(ValueError, match="neither a weights file nor a model name"):
        training.init_weights_path("no-such-model")
