import numpy as np
import pytest
from typer.testing import CliRunner

from tests.export.conftest import recurrent_model
from zoo.cli import app

pytestmark = pytest.mark.tensorflow_only
runner = CliRunner()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    model = recurrent_model(kind="gru")
    model.save(d / "m.keras")
    np.savez(d / "calib.npz", x=np.random.default_rng(0).normal(size=(32, 12, 6)).astype("float32"))
    return d


def test_export_int8_prints_report(saved):
    out = saved / "m_int8.tflite"
    result = runner.invoke(app, ["export", str(saved / "m.keras"), "-q", "int8",
                                 "-r", str(saved / "calib.npz"), "-o", str(out),
                                 "--json", str(saved / "r.json")])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "FULLY_CONNECTED" in result.output and "int8" in result.output
    import json

    report = json.loads((saved / "r.json").read_text())
    assert report["size_bytes"] == out.stat().st_size
    assert report["validation"]["relative_mean_error"] < 0.02


@pytest.mark.parametrize("args, message", [
    (["-q", "int4"], "--quantize must be one of"),
    (["-q", "int8"], "needs --representative"),
    (["-q", "int8", "-r", "nope.npz"], "does not exist"),
])
def test_bad_arguments_exit_2_with_one_line(saved, args, message):
    result = runner.invoke(app, ["export", str(saved / "m.keras"), *args,
                                 "-o", str(saved / "x.tflite")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (saved / "x.tflite").exists()


def test_missing_model_file(saved):
    result = runner.invoke(app, ["export", str(saved / "none.keras"), "-o", str(saved / "x.tflite")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_wrong_representative_shape(saved):
    np.savez(saved / "bad.npz", x=np.zeros((4, 3, 3), "float32"))
    result = runner.invoke(app, ["export", str(saved / "m.keras"), "-q", "int8",
                                 "-r", str(saved / "bad.npz"), "-o", str(saved / "x.tflite")])
    assert result.exit_code == 2 and "must have shape" in result.output
