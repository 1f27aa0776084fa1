import json
import statistics

from benchmarks import kws_seeds


def write_run(root, model, seed, accuracy, parameters=100):
    d = root / f"{model}-{seed}"
    d.mkdir()
    (d / "results.json").write_text(json.dumps(
        {"model": model, "parameters": parameters, "metrics": {"keras": {"accuracy": accuracy}}}))
    (d / "training.json").write_text(json.dumps({"seed": seed}))
    return str(d)


def test_means_stds_and_gain(tmp_path):
    runs = [write_run(tmp_path, "kws-att-bilstm", s, a) for s, a in [(0, 0.80), (1, 0.82), (2, 0.84)]]
    runs += [write_run(tmp_path, "kws-bilstm", s, a) for s, a in [(0, 0.79), (1, 0.77)]]
    out = tmp_path / "out"
    assert kws_seeds.main([*runs, "--out", str(out)]) == 0
    data = json.loads((out / "kws_attention_vs_baseline.json").read_text())
    att = next(r for r in data["models"] if r["model"] == "kws-att-bilstm")
    assert att["seeds"] == [0, 1, 2]
    assert abs(att["mean"] - 0.82) < 1e-12
    assert abs(att["std"] - statistics.stdev([0.80, 0.82, 0.84])) < 1e-12
    (gain,) = data["gains"]
    assert abs(gain["gain_points"] - 100 * (0.82 - 0.78)) < 1e-9 and gain["seeds"] == [3, 2]
    assert "+4.00" in (out / "kws_attention_vs_baseline.md").read_text()
