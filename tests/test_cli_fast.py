"""A fast, quiet `zoo`: registering and listing models loads neither Keras nor
TensorFlow, native log lines are hidden unless --verbose, --version and -h,
plain and JSON `zoo list`, trainer options straight after `zoo train NAME`."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import zoo
from zoo import cli, quiet, registry
from zoo.cli import app

ROOT = Path(__file__).resolve().parents[1]
YES = ROOT / "zoo" / "demo_audio" / "yes.wav"
HEAVY = ("keras", "tensorflow")
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def python(code, *args, timeout=300):
    """Run `code` in a fresh interpreter from the repository root (stdout, stderr, rc)."""
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**_env(), "PYTHONPATH": str(ROOT)})
    return done


def _env():
    import os

    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the test's conftest sets it; the CLI must not need it
    return env


#: Runs `zoo ARGS...` in-process, then prints the heavy modules it imported.
CLI_AND_MODULES = """
import sys
from zoo.cli import app
try:
    app(sys.argv[1:], prog_name="zoo")
except SystemExit as exc:
    code = exc.code
print("\\nHEAVY=" + ",".join(m for m in ("keras", "tensorflow") if m in sys.modules))
print("CODE=" + str(code or 0))
"""


@pytest.fixture
def scoped():
    with registry.temporary_registry(empty=True):
        yield registry


# ------------------------------------------------------------ nothing heavy


def test_registry_lookups_import_neither_keras_nor_tensorflow():
    done = python("import sys, zoo.registry as r\n"
                  "assert len(r.list_models()) >= 15\n"
                  "assert r.get('kws-att-bilstm').name == 'kws-att-bilstm'\n"
                  "assert r.suggestions('kws-att-bilstn')[0] == 'kws-att-bilstm'\n"
                  "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))\n"
                  "import zoo.models.kws.models as k\n"
                  "k.build_bilstm\n"  # the old import path still works, and then loads Keras
                  "print('keras' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]


@pytest.mark.parametrize("args, out", [
    (["list"], "kws-att-bilstm\tspeech\tshipped\t"),
    (["info", "kws-att-bilstm"], "# kws-att-bilstm"),
    (["info", "kws-att-bilstn"], ""),
])
def test_list_and_info_import_neither_keras_nor_tensorflow(args, out):
    done = python(CLI_AND_MODULES, *args)
    assert "HEAVY=\n" in done.stdout, done.stdout[-300:] + done.stderr
    assert out in done.stdout
    if args[-1] == "kws-att-bilstn":
        assert "CODE=2" in done.stdout
        assert "did you mean kws-att-bilstm" in done.stderr
    else:
        assert "CODE=0" in done.stdout, done.stderr


def test_old_import_paths_still_work():
    from zoo.models.forecast.models import WindowNormalization, build_forecaster
    from zoo.models.kws.models import STREAM_FRAME, build_bilstm, build_gru
    from zoo.models.series.models import build_gru as build_series
    from zoo.models.text.models import SEQUENCE_LENGTH, build_bigru
    from zoo.models.translation import architecture
    from zoo.models.translation.models import BOS, FAMILIES, build_translator, inference_models

    assert build_translator is architecture.build_translator
    assert inference_models is architecture.inference_models
    assert (BOS, STREAM_FRAME, SEQUENCE_LENGTH) == (2, 320, 128)
    assert set(FAMILIES) == {"mt-en-de", "mt-numbers-en-de"}
    assert all(callable(f) for f in (WindowNormalization, build_forecaster, build_bilstm,
                                     build_gru, build_series, build_bigru))
    with pytest.raises(ImportError, match="cannot import name 'nothing_here'"):
        from zoo.models.kws.models import nothing_here  # noqa: F401


def test_list_reads_no_file_contents(scoped, tmp_path, monkeypatch):
    """`zoo list` takes the TFLite modes from SHA256SUMS: no file is hashed."""
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    scoped.register_model("toy-a", task="text", input_spec=(4,))(lambda: None)
    (tmp_path / "toy-a").mkdir()
    (tmp_path / "toy-a" / "toy-a.int8.tflite").write_bytes(b"x" * 1000)
    registry.write_checksums(tmp_path / "toy-a")

    def no_hashing(path):
        raise AssertionError(f"zoo list hashed {path}")

    monkeypatch.setattr(registry, "sha256_file", no_hashing)
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[:4] == ["toy-a", "text", "$ZOO_HOME", "int8"]


# ------------------------------------------------------------------ quiet


def test_noise_patterns_match_real_lines_and_nothing_of_ours():
    noise = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1796191314.038665    9289 port.cc:153] oneDNN custom operations are on.",
        "I0000 00:00:1796191314.039143    9289 cudart_stub.cc:31] Could not find cuda drivers",
        "E0000 00:00:1796191485.887373   13396 cuda_platform.cc:52] failed call to cuInit",
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild "
        "TensorFlow with the appropriate compiler flags.",
        "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    ]
    ours = ["error: input file 'x.wav' does not exist",
            "note: no trained artifacts for 'x'",
            "/x/api.py:12: UserWarning: x.wav is 8000 Hz; resampled to 16000 Hz",
            "Traceback (most recent call last):"]
    assert [quiet.is_noise(line) for line in noise] == [True] * len(noise)
    assert [quiet.is_noise(line) for line in ours] == [False] * len(ours)


NOISE_MARKS = ("absl::InitializeLog", "cpu_feature_guard", "cuda drivers", "XNNPACK", "] ")


@pytest.mark.parametrize("extra", [[], ["--tflite", "int8"]], ids=["keras", "tflite"])
def test_native_log_lines_hidden_unless_verbose(extra):
    """Keras loads TensorFlow (absl/oneDNN/CUDA lines); LiteRT prints its XNNPACK line."""
    quiet_run = python(CLI_AND_MODULES, "predict", "kws-att-bilstm", YES, *extra)
    loud_run = python(CLI_AND_MODULES, "--verbose", "predict", "kws-att-bilstm", YES, *extra)
    for done in (quiet_run, loud_run):
        assert f"{YES}\tyes" in done.stdout and "CODE=0" in done.stdout, done.stderr
    marks = ("cuda drivers", "cpu_feature_guard") if not extra else ("XNNPACK delegate",)
    assert all(m in loud_run.stderr for m in marks), loud_run.stderr  # there is noise to hide
    assert not [m for m in NOISE_MARKS if m in quiet_run.stderr], quiet_run.stderr


def test_own_errors_still_print():
    done = python(CLI_AND_MODULES, "predict", "kws-att-bilstm", "missing.wav")
    assert "CODE=2" in done.stdout
    assert done.stderr.strip().splitlines() == ["error: input file 'missing.wav' does not exist"]


# ------------------------------------------------------------- version, -h


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output == f"attention-rnn-zoo {zoo.__version__}\n"


@pytest.mark.parametrize("command", [[], ["list"], ["info"], ["predict"], ["export"],
                                     ["train"], ["demo"]])
def test_dash_h_is_help(command):
    short, long = invoke(*command, "-h"), invoke(*command, "--help")
    assert short.exit_code == long.exit_code == 0, short.output
    assert "Usage" in short.output and short.output == long.output


# ------------------------------------------------------------------- list


def _toys(scoped, home, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(home))
    long = "a description long enough to wrap in a narrow table " * 3
    scoped.register_model("toy-att", task="text", input_spec=(4,), baseline="toy-plain",
                          description=long.strip(), exports=("float32", "int8"))(lambda: None)
    scoped.register_model("toy-plain", task="forecasting", input_spec=(4, 1))(lambda: None)
    (home / "toy-att").mkdir()
    for mode in ("int8", "int16x8"):  # int16x8 is not among its exports: not listed
        (home / "toy-att" / f"toy-att.{mode}.tflite").write_bytes(b"\0")
    registry.write_checksums(home / "toy-att")
    return long.strip()


def test_list_piped_prints_tab_separated_lines(scoped, tmp_path, monkeypatch):
    long = _toys(scoped, tmp_path, monkeypatch)
    result = invoke("list")  # CliRunner's stdout is not a terminal
    assert result.exit_code == 0, result.output
    assert [line.split("\t") for line in result.output.splitlines()] == [
        ["toy-att", "text", "$ZOO_HOME", "int8", long],
        ["toy-plain", "forecasting", "no", "-", ""],
    ]


def test_list_on_a_terminal_prints_the_table(scoped, tmp_path, monkeypatch):
    _toys(scoped, tmp_path, monkeypatch)
    monkeypatch.setattr(cli, "console", Console(force_terminal=True, width=100))
    result = invoke("list")
    assert result.exit_code == 0, result.output
    assert "attention-rnn-zoo models" in result.output and "2 of 2 registered" in result.output
    assert "\t" not in result.output


def test_list_json(scoped, tmp_path, monkeypatch):
    long = _toys(scoped, tmp_path, monkeypatch)
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"name": "toy-att", "task": "text", "family": "text", "trained": "$ZOO_HOME",
         "tflite_modes": ["int8"], "baseline": "toy-plain", "description": long},
        {"name": "toy-plain", "task": "forecasting", "family": "forecasting", "trained": None,
         "tflite_modes": [], "baseline": None, "description": ""},
    ]
    assert json.loads(invoke("list", "--json", "nothing-*").output) == []


def test_list_piped_no_match_notes_on_stderr(scoped, tmp_path, monkeypatch):
    _toys(scoped, tmp_path, monkeypatch)
    result = CliRunner().invoke(app, ["list", "x-*"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No models match 'x-*'; 2 registered" in result.stderr


# ------------------------------------------------------------------ train


def toy_trainer(argv, name):
    parser = argparse.ArgumentParser(prog=f"zoo train {name}",
                                     description="Train a toy model.")
    parser.add_argument("--data-dir", required=True, help="where the toy data is")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the data")
    args = parser.parse_args(argv)
    print(f"toy {name}: data {args.data_dir}, {args.epochs} epochs")
    return 0


def test_train_help_is_the_trainers(scoped):
    scoped.register_model("toy", task="text", input_spec=(4,), trainer=toy_trainer)(
        lambda: None)
    for flag in ("--help", "-h"):
        result = invoke("train", "toy", flag)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("usage: zoo train toy [-h] --data-dir DATA_DIR")
        assert "passes over the data" in result.output and "Train a toy model." in result.output
    own = invoke("train", "--help")  # without a name: the command's own help
    assert own.exit_code == 0 and "Usage" in own.output and "trainer" in own.output


def test_train_options_pass_with_or_without_dashes(scoped, tmp_path):
    scoped.register_model("toy", task="text", input_spec=(4,), trainer=toy_trainer)(
        lambda: None)
    want = f"toy toy: data {tmp_path}, 3 epochs\n"
    for dashes in ([], ["--"]):
        result = invoke("train", "toy", *dashes, "--data-dir", tmp_path, "--epochs", 3)
        assert result.exit_code == 0, result.output
        assert result.output == want
    missing = invoke("train", "toy", "--epochs", "3")  # the trainer's own error, exit 2
    assert missing.exit_code == 2 and "--data-dir" in missing.output
    nothing = invoke("train")
    assert nothing.exit_code == 2 and "give the model to train" in nothing.output
