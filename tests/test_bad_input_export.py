"""Bad input to the export side, continued from `tests/test_bad_input.py` (issue #22):
recurrent layers the stepped rewrite cannot see or step, outputs that would clobber
inputs or are not regular files, a full disk, scratch folders, degenerate calibration,
tampered `zoo_plan` metadata, interpreter thread counts, tampered user model folders
and a user copy over a shipped model.
"""

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import export
import zoo
from export import runtime
from export.flatbuffer import add_metadata
from tests.test_bad_input import KWS, assert_cli_fails, cli, tiny  # noqa: F401  (fixture)
from zoo import registry

pytestmark = pytest.mark.tensorflow_only


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


# ----------------------------------- 1, 8: recurrent layers the rewrite cannot step


def _nested_sequential():
    import keras

    inner = keras.Sequential([keras.Input((12, 6)), keras.layers.LSTM(4)], name="inner")
    x = keras.Input((12, 6))
    return keras.Model(x, keras.layers.Dense(3, activation="softmax")(inner(x)))


def _nested_functional():
    import keras

    i = keras.Input((12, 6))
    inner = keras.Model(i, keras.layers.GRU(4)(keras.layers.Dense(5)(i)), name="encoder")
    x = keras.Input((12, 6))
    return keras.Model(x, keras.layers.Dense(3, activation="softmax")(inner(x)))


def _time_distributed():
    import keras

    x = keras.Input((3, 12, 6))
    h = keras.layers.TimeDistributed(keras.layers.LSTM(4), name="per_chunk")(x)
    return keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(h)))


def _custom_wrapper():
    import keras

    class Holder(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.rnn = keras.layers.GRU(4)

        def call(self, x):
            return self.rnn(x)

    x = keras.Input((12, 6))
    return keras.Model(x, keras.layers.Dense(3)(Holder(name="holder")(x)))


def _stacked_cells():
    import keras

    x = keras.Input((12, 6))
    cells = keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)])
    return keras.Model(x, keras.layers.Dense(3)(keras.layers.RNN(cells, name="stack")(x)))


def _conv_lstm_1d():
    import keras

    x = keras.Input((5, 8, 2))
    h = keras.layers.ConvLSTM1D(3, 3, name="conv_lstm")(x)
    return keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(h)))


def _conv_lstm_2d():
    import keras

    x = keras.Input((4, 6, 6, 1))
    h = keras.layers.ConvLSTM2D(2, 3, name="conv_lstm2d")(x)
    return keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(h)))


@pytest.mark.parametrize("make, message", [
    (_nested_sequential, r"layer 'inner' \(Sequential\) contains the recurrent layer '\w+' "
                         r"\(LSTM\); .*build the model without nesting"),
    (_nested_functional, r"layer 'encoder' \(Functional\) contains the recurrent layer '\w+' "
                         r"\(GRU\)"),
    (_time_distributed, r"layer 'per_chunk' \(TimeDistributed\) contains the recurrent layer "
                        r"'\w+' \(LSTM\); .*move the recurrent layer out of the wrapper"),
    (_custom_wrapper, r"layer 'holder' \(Holder\) contains the recurrent layer '\w+' \(GRU\)"),
    (_stacked_cells, r"recurrent layer 'stack' \(RNN\) cannot be exported: its cell is a "
                     r"StackedRNNCells .*; supported: LSTM, GRU, SimpleRNN"),
    (_conv_lstm_1d, r"recurrent layer 'conv_lstm' \(ConvLSTM1D\) cannot be exported: its input "
                    r"has rank 4 .*; supported: LSTM, GRU"),
    (_conv_lstm_2d, r"recurrent layer 'conv_lstm2d' \(ConvLSTM2D\) cannot be exported: its "
                    r"input has rank 5"),
], ids=["nested-sequential", "nested-functional", "time-distributed", "custom-layer",
        "stacked-cells", "conv-lstm-1d", "conv-lstm-2d"])
def test_int8_export_refuses_recurrence_it_cannot_step(make, message, tmp_path, monkeypatch):
    """Refused before the converter runs (an int8 WHILE loop segfaults the quantizer)."""
    import export.convert

    model = make()
    calib = np.random.default_rng(0).normal(size=(8,) + tuple(model.inputs[0].shape[1:]))
    ran = []
    monkeypatch.setattr(export.convert, "_run_converter", lambda *a: ran.append(a))
    with pytest.raises(export.ExportError, match=message):
        export.to_tflite(model, tmp_path / "m.tflite", quantize="int8",
                         representative_data=calib.astype("float32"))
    assert ran == [] and leftovers(tmp_path) == []


def test_keras_native_int8_refuses_a_nested_recurrent_layer(tmp_path):
    model = _nested_sequential()
    calib = np.random.default_rng(0).normal(size=(8, 12, 6)).astype("float32")
    with pytest.raises(export.ExportError, match="segfaults"):
        export.to_tflite(model, tmp_path / "m.tflite", quantize="int8",
                         representative_data=calib, recurrent="keras")
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------- 1: scratch folders


@pytest.mark.parametrize("recurrent", ["stepped", "keras"])
def test_failed_export_leaves_no_temporary_folder(tiny, tmp_path, monkeypatch, recurrent):
    import export.convert

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def broken(converter, quantize):
        raise export.ExportError("the TFLite converter cannot make this file: simulated")

    monkeypatch.setattr(export.convert, "_run_converter", broken)
    with pytest.raises(export.ExportError, match="simulated"):
        export.to_tflite(tiny["model"], tmp_path / "m.tflite", recurrent=recurrent)
    assert leftovers(scratch) == []
    assert tempfile.tempdir == str(scratch)  # restored
    assert not (tmp_path / "m.tflite").exists()


def test_sigterm_during_export_removes_the_scratch_folder(tmp_path):
    child = ("import sys, time\nfrom export.files import scratch_directory\n"
             "with scratch_directory() as d:\n    (d / 'saved_model').mkdir()\n"
             "    print(d, flush=True)\n    time.sleep(60)\n")
    env = dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env=env)
    folder = proc.stdout.readline().strip()
    assert os.path.basename(folder).startswith("zoo-export-") and os.path.isdir(folder)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    assert leftovers(tmp_path) == []


# ------------------------------------------- 2: outputs that clobber inputs or are odd


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.tflite"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("args, fragments", [
    (lambda t, d: ["-o", t["keras"]], ["is the same file as the input", "m.keras"]),
    (lambda t, d: ["-r", t["calib"], "-o", t["calib"]], ["is the same file as the input",
                                                         "calib.npz"]),
    (lambda t, d: ["-o", d / "link.tflite"], ["is the same file as the input", "m.keras"]),
    (lambda t, d: ["-o", d / "out.tflite", "--json", d / "out.tflite"],
     ["--json", "is the same file as the input", "out.tflite"]),
    (lambda t, d: ["-o", d / "out.tflite", "--json", t["keras"]],
     ["--json", "is the same file as the input"]),
    (lambda t, d: ["-o", d / "pipe.tflite"], ["is a FIFO, not a regular file"]),
    (lambda t, d: ["-o", "/dev/null"], ["'/dev/null' is a character device, not a regular file"]),
    (lambda t, d: ["-o", d], ["is a directory; give a file name"]),
], ids=["o-is-keras", "o-is-npz", "o-is-link-to-keras", "json-is-o", "json-is-keras", "o-fifo",
        "o-char-device", "o-directory"])
def test_cli_export_refuses_an_output_that_is_an_input_or_not_a_file(tiny, tmp_path, fifo, args,
                                                                     fragments):
    work = tmp_path / "work"
    shutil.copytree(tiny["dir"], work)
    files = {"keras": work / "m.keras", "calib": work / "calib.npz"}
    (tmp_path / "link.tflite").symlink_to(files["keras"])
    before = {p: digest(p) for p in files.values()}
    extra = args(files, tmp_path)
    if "-r" not in extra:
        extra = ["-r", files["calib"]] + extra
    assert_cli_fails(cli("export", files["keras"], *extra), *fragments)
    assert {p: digest(p) for p in files.values()} == before
    assert fifo.exists() and not fifo.is_file()  # still a FIFO
    assert not (tmp_path / "out.tflite").exists()


def test_to_tflite_refuses_a_fifo(tiny, fifo):
    with pytest.raises(export.ExportError, match=r"is a FIFO, not a regular file"):
        export.to_tflite(tiny["model"], fifo, validate=False)
    assert fifo.exists() and not fifo.is_file()


def test_check_output_path_refuses_an_input_by_realpath(tmp_path):
    from zoo.files import OutputPathError, check_output_path

    (tmp_path / "a.npz").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(OutputPathError, match="is the same file as the input"):
        check_output_path(tmp_path / "sub" / ".." / "a.npz", [tmp_path / "a.npz"])
    assert check_output_path(tmp_path / "b.npz", [tmp_path / "a.npz"]) == tmp_path / "b.npz"


# ---------------------------------------------------------- 7: disk full, permissions


def _fail_fsync(monkeypatch, error):
    import export.files

    def fsync(fd):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(export.files.os, "fsync", fsync)


@pytest.mark.parametrize("error, reason", [(errno.ENOSPC, "no space left on device"),
                                           (errno.EDQUOT, "disk quota exceeded"),
                                           (errno.EACCES, "permission denied")],
                         ids=["enospc", "edquot", "eacces"])
def test_to_tflite_write_error_is_one_line_and_leaves_nothing(tiny, tmp_path, monkeypatch,
                                                              error, reason):
    _fail_fsync(monkeypatch, error)
    with pytest.raises(OSError, match=rf"cannot write '.*m\.tflite': {reason}; nothing was "
                                      "written") as info:
        export.to_tflite(tiny["model"], tmp_path / "m.tflite", validate=False)
    assert info.value.errno == error and "\n" not in str(info.value)
    assert leftovers(tmp_path) == []


def test_cli_export_disk_full(tiny, tmp_path, monkeypatch):
    _fail_fsync(monkeypatch, errno.ENOSPC)
    out = tmp_path / "out"
    out.mkdir()
    assert_cli_fails(cli("export", tiny["keras"], "-o", out / "m.tflite"),
                     "cannot write", "no space left on device")
    assert leftovers(out) == []


def test_cli_export_disk_full_on_the_json_report(tiny, tmp_path, monkeypatch):
    import export.files

    out = tmp_path / "out"
    out.mkdir()
    real = export.files.os.fsync
    calls = []

    def fsync(fd):  # the .tflite is written; the --json report hits a full disk
        calls.append(fd)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(export.files.os, "fsync", fsync)
    result = cli("export", tiny["keras"], "-o", out / "m.tflite", "--json", out / "r.json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: --json: cannot write" in result.output and "no space left" in result.output
    assert leftovers(out) == ["m.tflite"]


def test_cli_predict_plot_disk_full(tmp_path, monkeypatch):
    name = "text-att-bigru"
    if registry.find_artifacts(name) is None:
        pytest.skip(f"{name} is not shipped")
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    import export.files

    def replace(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export.files.os, "replace", replace)
    out = tmp_path / "plots"
    out.mkdir()
    assert_cli_fails(cli("predict", name, "what a great movie", "--plot", out / "a.png"),
                     "--plot: cannot write", "no space left on device")
    assert leftovers(out) == []


# ---------------------------------------------------- 9: calibration and validation


@pytest.mark.parametrize("value", [0.0, 0.5], ids=["zeros", "constant"])
def test_int8_refuses_constant_calibration(tiny, tmp_path, value):
    calib = np.full((16, 12, 6), value, "float32")
    with pytest.raises(export.ExportError, match=r"`representative_data` is constant .*cannot "
                                                 r"calibrate the int8 ranges"):
        export.to_tflite(tiny["model"], tmp_path / "m.tflite", quantize="int8",
                         representative_data=calib)
    assert leftovers(tmp_path) == []


def test_cli_int8_refuses_all_zero_calibration(tiny, tmp_path):
    np.savez(tmp_path / "zeros.npz", x=np.zeros((16, 12, 6), "float32"))
    assert_cli_fails(cli("export", tiny["keras"], "-q", "int8", "-r", tmp_path / "zeros.npz",
                         "-o", tmp_path / "m.tflite"), "`representative_data` is constant")
    assert not (tmp_path / "m.tflite").exists()


def test_repeated_calibration_example_warns(tiny):
    from export.convert import check_calibration

    one = np.random.default_rng(0).normal(size=(1, 12, 6)).astype("float32")
    with pytest.warns(UserWarning, match="holds one example repeated"):
        check_calibration(tiny["model"], [np.repeat(one, 8, axis=0)])


def test_report_says_which_data_validated_the_file(tiny, tmp_path):
    calib = tiny["calib"]
    report = export.to_tflite(tiny["model"], tmp_path / "a.tflite", representative_data=calib)
    assert report.validation["data"] == "calibration data"
    assert ("validated on", "the calibration data (16 examples)") in report.table()
    held_out = np.random.default_rng(9).normal(size=(5, 12, 6)).astype("float32")
    report = export.to_tflite(tiny["model"], tmp_path / "b.tflite", representative_data=calib,
                              validation_data=held_out)
    assert report.validation["data"] == "validation data" and report.validation["examples"] == 5


def test_cli_export_report_says_validated_on_calibration_data(tiny, tmp_path):
    result = cli("export", tiny["keras"], "-r", tiny["dir"] / "calib.npz",
                 "-o", tmp_path / "m.tflite")
    assert result.exit_code == 0, result.output
    assert "the calibration data" in result.output


# ------------------------------------------------------- 10: tampered zoo_plan


def _tamper(plan):
    return json.loads(json.dumps(plan))


def _set(path, value):
    def change(plan):
        target = plan
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return plan
    return change


TAMPERINGS = {
    "not-json": (lambda p: b"{not json", r"corrupt export plan in the file's metadata"),
    "deep-nesting": (lambda p: b"[" * 200000 + b"]" * 200000, r"nested too deeply"),
    "not-an-object": (lambda p: [1, 2], r"`plan` must be a JSON object, got list"),
    "wrong-version": (_set(["version"], 99), r"export plan version 99 is not supported"),
    "empty-stages": (_set(["stages"], []), r"`stages` must be a non-empty list of stages"),
    "stages-wrong-type": (_set(["stages"], "seg0"), r"`stages` must be a non-empty list"),
    "stage-not-object": (_set(["stages", 0], 7), r"`stages\[0\]` must be a JSON object"),
    "unknown-kind": (_set(["stages", 0, "kind"], "loop"),
                     r"`stages\[0\].kind` must be one of \('segment', 'recurrent'\)"),
    "inputs-wrong-type": (_set(["inputs"], 5), r"`inputs` must be a list of tensor names"),
    "missing-signature": (_set(["stages", 0, "name"], "nope"),
                          r"`stages\[0\].name` must be one of the file's signatures"),
    "unknown-tensor": (_set(["stages", 1, "inputs"], ["t99"]),
                       r"`stages\[1\].inputs` must be names of tensors made earlier \('t99'"),
    "unknown-output": (_set(["outputs"], ["t99"]), r"`outputs` must be names of tensors made by "
                                                   r"a stage \('t99'"),
    "identity": (lambda p: {**p, "outputs": list(p["inputs"])},
                 r"`outputs` must be names of tensors made by a stage"),
    "wrong-input-shape": (_set(["input_shapes"], [[1, 99, 6]]),
                          r"`stages\[0\].name` must be a signature whose input 't0' has shape "
                          r"\(1, 99, 6\)"),
    "bad-input-shapes": (_set(["input_shapes"], "big"), r"`input_shapes` must be a list"),
    "wrong-state-size": (_set(["stages", 1, "directions", 0, "state_sizes"], [5]),
                         r"`stages\[1\].directions\[0\].signature` must be a signature whose "
                         r"input 'state0' has shape \(1, 5\)"),
    "state-sizes-wrong-type": (_set(["stages", 1, "directions", 0, "state_sizes"], "4"),
                               r"state_sizes` must be a non-empty list of positive integers"),
    "no-directions": (_set(["stages", 1, "directions"], []),
                      r"`stages\[1\].directions` must be a list of one or two directions"),
    "direction-missing-signature": (_set(["stages", 1, "directions", 0, "signature"], "rnn9_fw"),
                                    r"directions\[0\].signature` must be one of the file's"),
    "bad-merge-mode": (_set(["stages", 1, "merge_mode"], "xor"), r"merge_mode` must be one of"),
    "flag-wrong-type": (_set(["stages", 1, "return_sequences"], "yes"),
                        r"`stages\[1\].return_sequences` must be true or false"),
    "bad-final-states": (_set(["stages", 1, "final_states"], [["a", 1]]),
                         r"final_states` must be null or a list of \[state index"),
}


@pytest.fixture(scope="module")
def tiny_plan(tiny):
    data = tiny["tflite"].read_bytes()
    return data, runtime.read_plan(data)


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampered_plan_is_refused_naming_the_field(tiny_plan, tmp_path, name):
    data, plan = tiny_plan
    assert [s["kind"] for s in plan["stages"]] == ["segment", "recurrent", "segment"]
    change, message = TAMPERINGS[name]
    payload = change(_tamper(plan))
    payload = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    path = tmp_path / "tampered.tflite"
    path.write_bytes(add_metadata(data, "zoo_plan", payload))
    with pytest.raises(export.RuntimeLoadError, match=message):
        runtime.load(path)


def test_tampered_plan_is_refused_with_verify(tiny_plan, tmp_path):
    data, plan = tiny_plan
    path = tmp_path / "tampered.tflite"
    path.write_bytes(add_metadata(data, "zoo_plan", json.dumps({**plan, "stages": []}).encode()))
    with pytest.raises(export.RuntimeLoadError, match=r"corrupt export plan .*`stages`"):
        runtime.load(path, verify=True)


def test_rewritten_but_untampered_plan_still_runs(tiny, tiny_plan, tmp_path):
    data, plan = tiny_plan
    path = tmp_path / "same.tflite"
    path.write_bytes(add_metadata(data, "zoo_plan", json.dumps(plan).encode()))
    x = tiny["calib"][:2]
    np.testing.assert_allclose(runtime.load(path)(x), tiny["rt"](x))


# ------------------------------------------------------------------ threads


@pytest.mark.parametrize("threads, message", [
    (100000, r"`threads` must be <= 256 .*got 100000"),
    (257, r"`threads` must be <= 256"),
    (-3, r"`threads` must be >= 1; got -3"),
    ("4", r"`threads` must be an integer from 1 to 256; got '4'"),
    (2.5, r"`threads` must be an integer from 1 to 256; got 2.5"),
    (True, r"`threads` must be an integer"),
], ids=["huge", "just-over", "negative", "string", "float", "bool"])
def test_runtime_threads_are_bounded(tiny, threads, message):
    with pytest.raises(export.RuntimeLoadError, match=message):
        runtime.load(tiny["tflite"], threads=threads)


def test_runtime_max_threads_loads(tiny):
    assert runtime.load(tiny["tflite"], threads=runtime.MAX_THREADS).signatures


# ------------------------------------------------ a directory where a file is due


def test_runtime_load_directory_is_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"TFLite file '.*' is a directory; give a file"):
        runtime.load(tmp_path)


def test_cli_export_keras_directory(tmp_path):
    (tmp_path / "m.keras").mkdir()
    assert_cli_fails(cli("export", tmp_path / "m.keras", "-o", tmp_path / "o.tflite"),
                     "model file", "is a directory")


def test_cli_export_representative_directory(tiny, tmp_path):
    (tmp_path / "r.npz").mkdir()
    assert_cli_fails(cli("export", tiny["keras"], "-r", tmp_path / "r.npz",
                         "-o", tmp_path / "o.tflite"), "--representative file", "is a directory")


def test_cli_predict_input_directory(tmp_path):
    (tmp_path / "clip.wav").mkdir()
    assert_cli_fails(cli("predict", KWS, tmp_path / "clip.wav"), "is a directory")


# --------------------------------------- 11, 12: user model folders in $ZOO_HOME


@pytest.fixture
def user_copy(tmp_path, monkeypatch):
    """kws-att-bilstm trained into $ZOO_HOME (a copy of the shipped files), with an
    empty package folder: the user's folder is the one in use."""
    source = registry.package_dir() / KWS
    if not source.is_dir():
        pytest.skip(f"{KWS} is not shipped")
    home = tmp_path / "home"
    shutil.copytree(source, home / KWS)
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.setattr(registry, "package_dir", lambda: tmp_path / "pretrained")
    return home / KWS


@pytest.mark.parametrize("content, message", [
    (b"[64, 2]", r"config.json must be a JSON object of builder keyword arguments .*got a list"),
    (b'"units"', r"config.json must be a JSON object .*got a str"),
    (b"{units: 64", r"config.json is not valid JSON"),
    (b"\xff\xfe{\x00}\x00", r"config.json is UTF-16 text; save it as UTF-8"),
    (b'{"units": "\xe9"}', r"config.json is not UTF-8 text \(bad byte at offset 11\)"),
], ids=["list", "string", "bad-json", "utf16", "bad-bytes"])
def test_user_config_json_tampered(user_copy, content, message):
    (user_copy / "config.json").write_bytes(content)
    registry.write_checksums(user_copy)
    with pytest.raises(registry.ChecksumError, match=message) as info:
        zoo.load(KWS)
    assert str(user_copy / "config.json") in str(info.value)
    assert f"zoo train {KWS}" in str(info.value)


@pytest.mark.parametrize("content, message", [
    ("yes\nno\n".encode("utf-16"), r"labels.txt is UTF-16 text; save it as UTF-8"),
    (b"yes\n\xffno\n", r"labels.txt is not UTF-8 text \(bad byte at offset 4\)"),
], ids=["utf16", "bad-bytes"])
def test_user_labels_tampered(user_copy, content, message):
    (user_copy / "labels.txt").write_bytes(content)
    registry.write_checksums(user_copy)
    with pytest.raises(registry.ChecksumError, match=message) as info:
        zoo.labels(KWS)
    assert str(user_copy / "labels.txt") in str(info.value)


def test_user_labels_with_bom_are_read(user_copy):
    labels = (user_copy / "labels.txt").read_text().splitlines()
    (user_copy / "labels.txt").write_bytes(b"\xef\xbb\xbf" + "\n".join(labels).encode())
    registry.write_checksums(user_copy)
    assert zoo.labels(KWS) == labels


def test_user_checksums_with_bad_bytes(user_copy):
    (user_copy / "SHA256SUMS").write_bytes(b"\xff\xfe garbage\n")
    with pytest.raises(registry.ChecksumError, match=r"SHA256SUMS is not UTF-8 text \(bad byte "
                                                     r"at offset 0\).*fix: retrain it"):
        zoo.labels(KWS)


def test_user_copy_wins_over_shipped_in_load_list_and_labels(tmp_path, monkeypatch):
    """`zoo train kws-att-bilstm` wrote to $ZOO_HOME: zoo.labels / zoo list use it."""
    source = registry.package_dir() / KWS
    if not source.is_dir():
        pytest.skip(f"{KWS} is not shipped")
    home = tmp_path / "home"
    shutil.copytree(source, home / KWS)
    labels = (home / KWS / "labels.txt").read_text().splitlines()
    (home / KWS / "labels.txt").write_text("\n".join(reversed(labels)) + "\n")
    registry.write_checksums(home / KWS)
    monkeypatch.setenv("ZOO_HOME", str(home))
    monkeypatch.setattr(registry, "_warned_shadows", set())
    with pytest.warns(UserWarning, match=rf"using your trained copy {home / KWS}, which takes "
                                         rf"the place of the shipped model {source}"):
        assert zoo.labels(KWS) == list(reversed(labels))
    result = cli("list", KWS)
    assert result.exit_code == 0 and "$ZOO_HOME (over shipped)" in result.output.replace("\n", "")


def test_cli_export_registered_name_refuses_to_overwrite_its_weights(user_copy):
    weights = user_copy / registry.WEIGHTS_FILE
    before = digest(weights)
    assert_cli_fails(cli("export", KWS, "-o", weights), "-o/--output",
                     "is the same file as the input")
    assert digest(weights) == before


def test_cli_demo_plot_fifo_is_refused(tmp_path):
    from zoo.demo import __file__ as demo_init  # noqa: F401  (the demo package is installed)

    os.mkfifo(tmp_path / "plot.png")
    wav = os.path.join(os.path.dirname(zoo.__file__), "demo_audio", "go.wav")
    assert_cli_fails(cli("demo", "--wav", wav, "--plot", tmp_path / "plot.png"),
                     "--plot", "is a FIFO, not a regular file")
