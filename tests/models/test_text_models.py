"""Text classifiers: architecture, masking, trainer, shipped models (zoo.models.text)."""

import json

import numpy as np
import pytest

import zoo
from zoo.models.text import preprocessing, train
from zoo.models.text.models import SEQUENCE_LENGTH, build_bigru

pytestmark = pytest.mark.tensorflow_only
NAME = "text-att-bigru"


def test_attention_weights_cover_exactly_the_real_tokens(rng):
    model = build_bigru(attention=True, vocab_size=50, return_attention=True)
    ids = np.zeros((3, SEQUENCE_LENGTH), np.int32)
    for row, n in enumerate([1, 7, SEQUENCE_LENGTH]):
        ids[row, :n] = rng.integers(2, 50, n)
    probs, weights = (np.asarray(t) for t in model(ids))
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[0, 1:] == 0) and np.all(weights[1, 7:] == 0)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="needs the attention model"):
        build_bigru(attention=False, return_attention=True)


@pytest.fixture(scope="module")
def tiny_tsv(tmp_path_factory):
    words = {"sport": "ball goal team match run win", "food": "soup bread cake eat cook taste"}
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(w.split(), 5)) + f" {i}\t{label}"
             for i in range(60) for label, w in words.items()]
    path = tmp_path_factory.mktemp("tsv") / "tiny.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_trainer_on_a_user_tsv_writes_measured_results(tiny_tsv, tmp_path):
    out = tmp_path / "run"
    assert train.main(["--tsv", str(tiny_tsv), "--out", str(out), "--epochs", "2",
                       "--modes", "float32,int8"], name="text-bigru") == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["metrics"]) == {"keras", "float32", "int8"}
    assert results["metrics"]["float32"] == pytest.approx(results["metrics"]["keras"], abs=0.01)
    assert any("TF-IDF" in line for line in results["limitations"])
    assert (out / "labels.txt").read_text().split() == ["food", "sport"]
    details = json.loads((out / "training.json").read_text())
    assert details["classical_baselines"][0]["accuracy"] > 0.9  # separable toy data
    # the run's artifacts load through the registry like a shipped model
    from export import runtime
    keras_model = build_bigru(attention=False, **json.loads((out / "config.json").read_text()))
    keras_model.load_weights(out / "model.weights.h5")
    with np.load(out / "calibration.npz") as data:
        tokens = data["tokens"]
    np.testing.assert_allclose(runtime.load(out / "text-bigru.float32.tflite")(tokens),
                               keras_model.predict(tokens, verbose=0), atol=1e-5)


def test_trainer_refuses_labels_missing_from_training(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("only one line\tx\n")
    with pytest.raises(ValueError, match="split"):
        train.main(["--tsv", str(path), "--out", str(tmp_path / "o"), "--epochs", "1"],
                   name="text-bigru")


# ----------------------------------------------------------- shipped models

SENTENCES = ["The compiler crashed, so the programmer rebooted the UNIX machine and lost "
             "the source code of the kernel.",
             "The judge told the lawyer that the court would hear the case."]


def test_shipped_model_reads_topics_and_tflite_agrees():
    assert zoo.predict(NAME, SENTENCES) == ["computers", "law"]
    assert zoo.predict(NAME, SENTENCES, tflite="int8") == ["computers", "law"]
    tokens = preprocessing.representative_data(NAME)
    keras_probs = zoo.load(NAME).predict(tokens, verbose=0)
    np.testing.assert_allclose(zoo.load_tflite(NAME, "float32")(tokens), keras_probs, atol=1e-4)
    agree = np.mean(zoo.load_tflite(NAME, "int8")(tokens).argmax(-1) == keras_probs.argmax(-1))
    assert agree >= 0.9


def test_explain_gives_weights_over_the_sentence_tokens():
    e = zoo.explain(NAME, SENTENCES[0])
    assert e["result"] == "computers" and e["steps"][:4] == ["the", "compiler", "crashed", ","]
    assert len(e["weights"]) == len(e["steps"])
    assert e["weights"].sum() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="no attention weights"):
        zoo.explain("text-bigru", SENTENCES[0])


def test_bad_text_input_names_the_problem():
    with pytest.raises(ValueError, match="text 1 is empty"):
        zoo.predict(NAME, ["fine", "  "])
    with pytest.raises(ValueError, match="takes a list of strings|takes strings"):
        zoo.predict(NAME, [3])


def test_cli_predict_plots_the_attention_over_tokens(tmp_path):
    from typer.testing import CliRunner

    from zoo.cli import app

    png = tmp_path / "att.png"
    result = CliRunner().invoke(app, ["predict", NAME, SENTENCES[1], "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"{SENTENCES[1]}\tlaw"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = CliRunner().invoke(app, ["predict", "text-bigru", SENTENCES[1], "--plot", str(png)])
    assert bad.exit_code != 0 and "no attention weights" in bad.output
