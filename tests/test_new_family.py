"""A new task family is one folder: this test writes one (a toy task the library has
never heard of), drops trained files beside it, and uses it through every entry
point (list, twins, predict, CLI predict / export / train) without editing
anything else. The predictions are checked against NumPy."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import zoo.models
from zoo import api, registry

FAMILY_PY = '''
from zoo.family import Family

FAMILY = Family(
    "toyfam", "toy-task", classifier=True, item_ndim=1, compile_metrics=("accuracy",),
    read_input="zoo.models.toyfam.preprocessing:read",
    preprocess="zoo.models.toyfam.preprocessing:preprocess",
    postprocess="zoo.defaults:class_labels",
    representative_data="zoo.models.toyfam.preprocessing:representative_data",
    trainer="zoo.models.toyfam.train:main",
    description="sign of a sum, the toy task of tests/test_new_family.py")
'''
MODELS_PY = '''
import keras

from zoo.models.toyfam.family import FAMILY
from zoo.registry import register_model

SPEC = {"shape": (6,), "name": "values"}


def build(hidden=0):
    x = keras.Input((6,), name="values")
    h = keras.layers.Dense(hidden, activation="relu")(x) if hidden else x
    return keras.Model(x, keras.layers.Dense(2, activation="softmax", name="probs")(h))


@register_model("toy-wide", family=FAMILY, input_spec=SPEC, labels=["neg", "pos"],
                baseline="toy-plain")
def toy_wide(**config):
    return build(hidden=4, **config)


@register_model("toy-plain", family=FAMILY, input_spec=SPEC, labels=["neg", "pos"])
def toy_plain(**config):
    return build(**config)
'''
PREPROCESSING_PY = '''
import numpy as np


def read(name, arg):
    return [float(v) for v in open(arg).read().split(",")]


def preprocess(name, items):
    return np.asarray(items, np.float32) / 10.0


def representative_data(name):
    return np.random.default_rng(0).normal(size=(32, 6)).astype(np.float32)
'''
TRAIN_PY = '''
def main(argv, name=None):
    print(f"toy trainer: {name} {argv}")
    return 3
'''


@pytest.fixture
def toy_family(tmp_path, monkeypatch):
    folder = tmp_path / "families" / "toyfam"
    folder.mkdir(parents=True)
    for fname, text in (("__init__.py", ""), ("family.py", FAMILY_PY), ("models.py", MODELS_PY),
                        ("preprocessing.py", PREPROCESSING_PY), ("train.py", TRAIN_PY)):
        (folder / fname).write_text(textwrap.dedent(text))
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    with registry.temporary_registry():  # the shipped families, as they were
        monkeypatch.setattr(zoo.models, "__path__", [*zoo.models.__path__, str(folder.parent)])
        registry.discover()
        yield tmp_path
        monkeypatch.undo()
    for module in [m for m in sys.modules if m.startswith("zoo.models.toyfam")]:
        del sys.modules[module]


def ship(name, home):
    """Trained files of `name` where `zoo train` writes them: weights, labels, checksums."""
    model = registry.get(name).build()
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    out = home / "home" / name
    out.mkdir(parents=True)
    model.save_weights(out / "model.weights.h5")
    (out / "labels.txt").write_text("neg\npos\n")
    registry.write_checksums(out)
    return model


def numpy_reference(model, x):
    h = x
    for layer in model.layers[1:]:
        w, b = (np.asarray(v) for v in layer.weights)
        h = h @ w + b
        h = np.maximum(h, 0) if layer.activation.__name__ == "relu" else h
    return h.argmax(-1)


def test_a_new_family_folder_is_found_and_serves_every_entry_point(toy_family):
    assert registry.list_models("toy-*") == ["toy-plain", "toy-wide"]
    assert "toy-task" in registry.known_tasks()
    assert registry.list_models(task="toy-task") == ["toy-plain", "toy-wide"]
    assert registry.baseline_pairs()["toy-wide"] == "toy-plain"
    entry = registry.get("toy-wide")
    assert entry.family.name == "toyfam" and entry.headline_metric == "accuracy"

    model = ship("toy-wide", toy_family)
    values = np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32) * 10
    want = [["neg", "pos"][i] for i in numpy_reference(model, values / 10.0)]
    assert api.predict("toy-wide", list(values)) == want
    assert api.predict("toy-wide", values[0]) == want[0]

    from zoo.cli import app

    runner = CliRunner()
    arg = toy_family / "x.txt"
    arg.write_text(",".join(str(v) for v in values[0]))
    result = runner.invoke(app, ["predict", "toy-wide", str(arg)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().split("\t") == [str(arg), want[0]]

    result = runner.invoke(app, ["list", "--task", "toy-task"])
    assert result.exit_code == 0 and "toy-wide" in result.output and "$ZOO_HOME" in result.output

    out = toy_family / "toy.int8.tflite"
    result = runner.invoke(app, ["export", "toy-wide", "-q", "int8", "-o", str(out)])
    assert result.exit_code == 0, result.output
    from export import runtime

    probs = runtime.load(out)(values / 10.0)
    assert np.mean(np.asarray(probs).argmax(-1) == numpy_reference(model, values / 10.0)) >= 0.8

    result = runner.invoke(app, ["train", "toy-plain", "--", "--epochs", "1"])
    assert result.exit_code == 3, result.output
    assert "toy trainer: toy-plain ['--epochs', '1']" in result.output


def test_the_toy_family_leaves_nothing_behind():
    assert not registry.list_models("toy-*")
    assert "toy-task" not in registry.known_tasks()
