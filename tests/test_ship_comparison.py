"""`scripts/ship.py`'s attention-vs-baseline comparison: the mean and spread over seed runs,
read from each run's results.json, or from its streaming.json for the in-stream accuracy."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ship():
    spec = importlib.util.spec_from_file_location("ship_script", ROOT / "scripts" / "ship.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(folder, clip, in_stream, parameters):
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(
        {"metrics": {"keras": {"accuracy": clip}}, "parameters": parameters}))
    (folder / "streaming.json").write_text(json.dumps(
        {"streaming": {"files": {}, "test_in_stream": {"keras_accuracy": in_stream}}}))
    return folder


@pytest.mark.parametrize("metric", ["accuracy", "accuracy_in_stream"])
def test_comparison_means_each_side_over_its_seed_runs(ship, tmp_path, metric):
    clip = {"a": [0.70, 0.72, 0.74], "b": [0.20, 0.25, 0.15]}
    lead = {"a": [0.80, 0.81, 0.79], "b": [0.78, 0.82, 0.80]}
    runs = {name: [_run(tmp_path / f"{name}{k}", clip[name][k], lead[name][k], 100 + len(name))
                   for k in range(3)] for name in ("a", "b")}
    doc = ship.comparison("a", "b", runs, metric)
    values = clip if metric == "accuracy" else lead
    side = doc["comparison"]
    assert side["metric"] == metric and side["attention"]["name"] == "a"
    assert side["attention"]["value"] == pytest.approx(np.mean(values["a"]))
    assert side["baseline"]["value"] == pytest.approx(np.mean(values["b"]))
    text = doc["limitations"][0]
    assert f"{100 * np.std(values['b'], ddof=1):.2f}" in text and "3 / 3 training seeds" in text
    if metric == "accuracy_in_stream":
        assert "after 1 s of silence" in text


def test_shipping_a_run_again_keeps_the_named_results_keys(tmp_path, monkeypatch):
    """`ship(..., keep_results=("data", "limitations"))`: the shipped results.json's
    descriptive keys survive re-shipping a run whose results.json predates them; the
    measured keys come from the run; without it the run's results.json is shipped as is."""
    import shutil

    from zoo import registry, shipping

    name = "kws-stream-gru"
    src = registry.package_dir() / name
    run = tmp_path / "run"
    run.mkdir()
    for f in ("config.json", "model.weights.h5", "labels.txt"):
        shutil.copy(src / f, run / f)
    measured = {"metrics": {"keras": {"accuracy": 0.5}}, "data": {"source": "old"},
                "limitations": ["old"]}
    (run / "results.json").write_text(json.dumps(measured))
    registry.write_checksums(run)
    shipped = {"metrics": {"keras": {"accuracy": 0.1}}, "data": {"source": "new"},
               "limitations": ["new"]}
    folders = {}

    def fake_dir(n):
        return folders.setdefault(n, tmp_path / "pretrained" / n)

    monkeypatch.setattr(shipping, "pretrained_dir", fake_dir)
    for keep, want in (((), measured), (("data", "limitations"),
                                        {**measured, "data": shipped["data"],
                                         "limitations": shipped["limitations"]})):
        fake_dir(name).mkdir(parents=True, exist_ok=True)
        (fake_dir(name) / "results.json").write_text(json.dumps(shipped))
        dest = shipping.ship(name, run, keep_results=keep)
        assert json.loads((dest / "results.json").read_text()) == want
        assert (dest / "model.weights.h5").is_file() and (dest / "labels.txt").is_file()
    # with dropped modes, their limitation line is added once, also to a kept list holding it
    for _ in range(2):
        dest = shipping.ship(name, run, drop_modes=["dynamic"], keep_results=["limitations"])
    limitations = json.loads((dest / "results.json").read_text())["limitations"]
    assert limitations[0] == "new" and len(limitations) == 2, limitations
    assert limitations[1].startswith("Measured in training but not shipped") and "dynamic" in limitations[1]
