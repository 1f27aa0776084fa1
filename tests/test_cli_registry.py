"""`zoo list / info / export NAME / predict / train` through typer's CliRunner."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.test_api import LABELS, TINY, expected, register_tiny, tiny_home
from zoo import cards, registry
from zoo.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_fails(result, message):
    assert result.exit_code == 2, result.output
    assert message in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1


@pytest.fixture
def scoped():
    with registry.temporary_registry(empty=True):
        yield registry


@pytest.fixture
def tiny(tmp_path_factory, monkeypatch, scoped):
    home = tiny_home(tmp_path_factory)
    monkeypatch.setenv("ZOO_HOME", str(home))
    register_tiny()
    return home


@pytest.mark.parametrize("command", ["list", "info", "export", "predict", "train"])
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


# ---------------------------------------------------------------------- list


def test_list_empty_registry(scoped, monkeypatch):
    from rich.console import Console

    from zoo import cli

    scoped._REGISTRY.clear()
    result = invoke("list")  # piped (CliRunner): no table, the note on stderr
    assert result.exit_code == 0 and result.stdout == ""
    assert "No models registered yet" in result.stderr
    monkeypatch.setattr(cli, "console", Console(force_terminal=True, width=100))
    result = invoke("list")  # on a terminal: the table
    assert result.exit_code == 0
    assert "name" in result.output and "task" in result.output  # the table header
    assert "No models registered yet" in result.output


@pytest.mark.tensorflow_only
def test_list_shows_trained_models(tiny):
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert TINY in result.output and "series-classification" in result.output
    assert "$ZOO_HOME" in result.output and "float32" in result.output and "int8" in result.output
    assert TINY in invoke("list", "tiny-*").output
    assert TINY in invoke("list", "--task", "series-classification").output
    result = invoke("list", "kws-*", "--task", "speech")
    assert result.exit_code == 0 and "No models match 'kws-*' with task 'speech'" in result.output


def test_list_untrained_and_bad_task(scoped, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    scoped.register_model("arch-only", task="forecasting", input_spec=(24, 1))(lambda: None)
    result = invoke("list", "arch-*")
    assert result.exit_code == 0 and "arch-only" in result.output and "no" in result.output
    assert_fails(invoke("list", "--task", "vision"), "--task must be one of speech")


# ---------------------------------------------------------------------- info


@pytest.mark.tensorflow_only
def test_info_prints_card_markdown(tiny):
    result = invoke("info", TINY)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("---\n")  # the front matter, then the Markdown
    assert cards.split_front_matter(result.output)[1].startswith(f"# {TINY}\n")
    assert (tiny / TINY / "card.md").read_text().strip() == result.output.strip()


def test_info_without_artifacts(scoped, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    scoped.register_model("arch-only", task="forecasting", input_spec=(24, 1))(lambda: None)
    result = invoke("info", "arch-only")
    assert result.exit_code == 0, result.output
    assert "# arch-only" in result.output and "not measured" in result.output
    assert "no trained artifacts" in result.output


@pytest.mark.tensorflow_only
def test_info_unknown_and_tampered(tiny, tmp_path, monkeypatch):
    assert_fails(invoke("info", "tiny-gur"), "unknown model 'tiny-gur'; did you mean tiny-gru?")
    import shutil

    shutil.copytree(tiny / TINY, tmp_path / TINY)
    (tmp_path / TINY / "card.md").write_text("# edited\n")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    assert_fails(invoke("info", TINY), "card.md does not match")


# -------------------------------------------------------------------- export


@pytest.mark.tensorflow_only
def test_export_registered_name(tiny, tmp_path):
    out = tmp_path / "tiny.int8.tflite"
    result = invoke("export", TINY, "-q", "int8", "-o", out, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert out.is_file() and "FULLY_CONNECTED" in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["quantize"] == "int8" and report["validation"]["top1_agreement"] >= 0.9


def test_export_registered_name_errors(scoped, tmp_path):
    scoped.register_model("no-calib", task="forecasting", input_spec=(24, 1))(lambda: None)
    scoped.register_model("float-only", task="forecasting", input_spec=(24, 1),
                          exports=("float32",))(lambda: None)
    out = tmp_path / "x.tflite"
    assert_fails(invoke("export", "no-calib", "-q", "int8", "-o", out),
                 "'no-calib' registers no representative_data; pass --representative")
    assert_fails(invoke("export", "float-only", "-q", "int8", "-o", out),
                 "does not support --quantize int8; its export modes are float32")
    assert_fails(invoke("export", "no-calib-x", "-o", out), "unknown model 'no-calib-x'")
    assert_fails(invoke("export", "no-calib", "-q", "int4", "-o", out), "--quantize must be one of")
    assert not out.exists()


# ------------------------------------------------------------------- predict


@pytest.mark.tensorflow_only
def test_predict_prints_labels(tiny, tmp_path):
    ref = expected()
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"x{i}.npy")
        np.save(paths[-1], ref["x"][i])
    np.savetxt(tmp_path / "x3.csv", ref["x"][3], delimiter=",")
    paths.append(tmp_path / "x3.csv")
    want = [LABELS[i] for i in ref["probs"][:4].argmax(-1)]
    for extra in ([], ["--tflite", "float32"]):
        result = invoke("predict", TINY, *paths, *extra)
        assert result.exit_code == 0, result.output
        lines = result.output.strip().splitlines()
        assert lines == [f"{p}\t{w}" for p, w in zip(paths, want)]


@pytest.mark.tensorflow_only
def test_predict_errors(tiny, tmp_path):
    good = tmp_path / "x.npy"
    np.save(good, expected()["x"][0])
    np.save(tmp_path / "bad.npy", np.zeros((5, 3)))
    (tmp_path / "x.txt").write_text("1,2,3")
    assert_fails(invoke("predict", TINY, tmp_path / "none.npy"), "does not exist")
    assert_fails(invoke("predict", TINY, tmp_path / "bad.npy"), "takes arrays of shape (12, 3)")
    assert_fails(invoke("predict", TINY, tmp_path / "x.txt"), "take .npy or .csv files")
    assert_fails(invoke("predict", "tiny-gr", good), "did you mean tiny-gru")
    assert_fails(invoke("predict", TINY, good, "--tflite", "float16"),
                 "shipped modes: float32, int8")


def test_predict_translator_decoding_options():
    """`--beam` / `--no-repeat-ngram` reach the translator; refused where they cannot apply."""
    numbers = "mt-numbers-en-de-bahdanau"
    if registry.find_artifacts(numbers) is None:
        pytest.skip(f"{numbers} not shipped")
    for extra in ([], ["--beam", "1"], ["--beam", "2", "--no-repeat-ngram", "0"]):
        result = invoke("predict", numbers, "forty-two", "March 3, 2001", *extra)
        assert result.exit_code == 0, result.output
        assert result.output.strip().splitlines() == ["forty-two\tzweiundvierzig",
                                                      "March 3, 2001\t3. März 2001"]
    assert_fails(invoke("predict", numbers, "forty-two", "--no-repeat-ngram", "1"),
                 "no_repeat_ngram=1 would forbid every token")
    assert_fails(invoke("predict", numbers, "forty-two", "--beam", "0"),
                 "beam must be a whole number of hypotheses, at least 1")
    assert_fails(invoke("predict", numbers, "forty-two", "--beam", "2", "--plot", "a.png"),
                 "--plot draws the default decoding: leave out --beam with --plot")
    assert_fails(invoke("predict", "kws-gru", "x.wav", "--beam", "2"),
                 "--beam: decoding options of translators; kws-gru is a speech model")


def test_predict_without_artifacts(scoped, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    scoped.register_model("arch-only", task="text", input_spec=(None,))(lambda: None)
    assert_fails(invoke("predict", "arch-only", "hello"), "no trained artifacts for 'arch-only'")


# --------------------------------------------------------------------- train


def test_train_delegates_to_trainer(scoped):
    calls = []

    def trainer(argv, name):
        assert name == "trainable"
        calls.append(argv)
        return 3 if "--fail" in argv else None

    scoped.register_model("trainable", task="speech", input_spec=(16000,),
                          trainer=trainer)(lambda: None)
    result = invoke("train", "trainable", "--epochs", "2", "--lr=0.1")
    assert result.exit_code == 0, result.output
    assert calls == [["--epochs", "2", "--lr=0.1"]]
    assert invoke("train", "trainable", "--fail").exit_code == 3
    invoke("train", "trainable", "--", "--help")
    assert calls[-1] == ["--help"]


def test_train_errors(scoped):
    scoped.register_model("untrainable", task="speech", input_spec=(16000,))(lambda: None)
    scoped.register_model("broken", task="speech", input_spec=(16000,),
                          trainer="no_such_module.train:main")(lambda: None)
    assert_fails(invoke("train", "untrainable"), "'untrainable' has no trainer registered")
    assert_fails(invoke("train", "broken"), "cannot import 'no_such_module.train'")
    assert_fails(invoke("train", "untrainabel"), "did you mean untrainable")
