"""`export.modes`: each Mode's fields against what the TFLite converter does with
them, `get` errors, and the layering of the export package (nothing from zoo)."""

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import export
from export import modes

ROOT = Path(__file__).resolve().parents[2]

# TFLite schema TensorType values (tensorflow/lite/schema/schema.fbs).
FLOAT32, FLOAT16, INT16, INT8 = 0, 1, 7, 9


def test_the_five_modes_in_order_and_one_list_everywhere():
    from zoo import registry

    assert modes.MODES == tuple("float32 float16 dynamic int8 int16x8".split())
    assert [modes.get(n).name for n in modes.MODES] == list(modes.MODES)
    assert export.MODES is modes.MODES and registry.MODES is modes.MODES
    assert all(modes.get(n).description and "\n" not in modes.get(n).description
               for n in modes.MODES)


@pytest.mark.parametrize("bad", ["int4", "INT8", "", None, 8])
def test_get_names_the_valid_modes(bad):
    with pytest.raises(ValueError, match=r"must be one of float32, float16, dynamic, int8, "
                                         rf"int16x8; got {bad!r}"):
        modes.get(bad)


def test_modes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        modes.get("int8").needs_calibration = False


def test_modes_and_files_load_without_tensorflow_or_keras():
    code = ("import sys, export, export.modes, export.files, export.seq2seq, zoo.registry; "
            "export.MODES; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_export_imports_nothing_from_zoo_or_web_demo():
    files = sorted((ROOT / "export").glob("*.py"))
    assert len(files) > 10
    bad = [(f.name, m) for f in files for m in _imports(f)
           if m.split(".")[0] in ("zoo", "web_demo")]
    assert bad == []


def test_the_layering_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    if True:\n        from zoo.registry import get\n"
                      "    import zoo.files as z\n")
    assert sorted(_imports(sample)) == ["zoo.files", "zoo.registry"]


# ------------------------------------------------- fields vs converter behaviour

def _convert(name, calibrate=True):
    import keras
    import tensorflow as tf

    from export.convert import configure_converter

    keras.utils.set_random_seed(0)
    # 64 x 64 weights: dynamic-range quantization leaves tensors under 1024 values float
    inp = keras.Input((64,), batch_size=1)
    model = keras.Model(inp, keras.layers.Dense(64)(inp))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    rng = np.random.default_rng(0)
    data = [[rng.normal(size=(1, 64)).astype("float32")] for _ in range(16)]
    configure_converter(tf, converter, name, (lambda: iter(data)) if calibrate else None)
    return converter.convert()


def _fully_connected(data):
    """(weight tensor type, output tensor type, all tensor types) of the one
    FULLY_CONNECTED op."""
    from tensorflow.lite.tools import flatbuffer_utils

    fb = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    sg = fb.subgraphs[0]
    (op,) = [op for op in sg.operators
             if flatbuffer_utils.opcode_to_name(fb, op.opcodeIndex) == "FULLY_CONNECTED"]
    return sg.tensors[op.inputs[1]].type, sg.tensors[op.outputs[0]].type, {t.type for t in sg.tensors}


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("name", modes.MODES)
def test_mode_fields_match_what_the_converter_makes(name):
    mode = modes.get(name)
    weights, output, types = _fully_connected(_convert(name))
    # integer_weights: the dense kernel is stored as int8
    assert (weights == INT8) == mode.integer_weights, (weights, output)
    # full_integer: the activations are integers too (int8, or int16 for int16x8)
    if mode.full_integer:
        assert output == (INT16 if "INT16" in mode.supported_ops[0] else INT8)
    else:
        assert output == FLOAT32
    # supported_types float16: the weights travel as float16 constants
    assert (FLOAT16 in types) == ("float16" in mode.supported_types)


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("name", modes.MODES)
def test_needs_calibration_is_what_the_converter_demands(name):
    calibrated = _fully_connected(_convert(name))[:2]
    if modes.get(name).needs_calibration:
        # without data the converter refuses (int8) or quietly leaves the activations
        # float (int16x8): either way not the file the mode promises
        try:
            plain = _convert(name, calibrate=False)
        except Exception as exc:  # noqa: BLE001 - the converter's own error types
            assert "representative" in str(exc).lower()
        else:
            assert _fully_connected(plain)[1] == FLOAT32 != calibrated[1]
    else:  # the data is not used at all
        assert _fully_connected(_convert(name, calibrate=False))[:2] == calibrated


def test_configure_converter_refuses_an_unknown_mode():
    from types import SimpleNamespace

    from export.convert import configure_converter

    with pytest.raises(ValueError, match="must be one of"):
        configure_converter(SimpleNamespace(), SimpleNamespace(), "int4")
