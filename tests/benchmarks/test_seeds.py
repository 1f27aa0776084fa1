import json
import statistics

from benchmarks import seeds


def write_run(root, model, seed, accuracy, parameters=100, int8=None, peers=None):
    d = root / f"{model}-{seed}"
    d.mkdir()
    metrics = {"keras": {"accuracy": accuracy}}
    if int8 is not None:
        metrics["int8"] = {"accuracy": int8}
    (d / "results.json").write_text(json.dumps(
        {"model": model, "parameters": parameters, "metrics": metrics}))
    (d / "training.json").write_text(json.dumps({"seed": seed, "classical_baselines": peers}))
    return str(d)


def test_means_stds_and_gain(tmp_path):
    runs = [write_run(tmp_path, "kws-att-bilstm", s, a) for s, a in [(0, 0.80), (1, 0.82), (2, 0.84)]]
    runs += [write_run(tmp_path, "kws-bilstm", s, a) for s, a in [(0, 0.79), (1, 0.77)]]
    out = tmp_path / "out"
    assert seeds.main([*runs, "--name", "kws", "--out", str(out)]) == 0
    data = json.loads((out / "kws_attention_vs_baseline.json").read_text())
    att = next(r for r in data["models"] if r["model"] == "kws-att-bilstm")
    assert att["seeds"] == [0, 1, 2]
    assert abs(att["mean"] - 0.82) < 1e-12
    assert abs(att["std"] - statistics.stdev([0.80, 0.82, 0.84])) < 1e-12
    (gain,) = data["gains"]
    assert abs(gain["gain_points"] - 100 * (0.82 - 0.78)) < 1e-9 and gain["seeds"] == [3, 2]
    assert "+4.00" in (out / "kws_attention_vs_baseline.md").read_text()


def test_int8_column_and_classical_peers(tmp_path):
    peer = [{"name": "TF-IDF + LR", "accuracy": 0.67}]
    runs = [write_run(tmp_path, "text-att-bigru", s, a, int8=a - 0.01, peers=peer)
            for s, a in [(0, 0.60), (1, 0.70)]]
    runs += [write_run(tmp_path, "text-bigru", 0, 0.55, peers=peer)]
    out = tmp_path / "out"
    assert seeds.main([*runs, "--name", "text", "--out", str(out)]) == 0
    data = json.loads((out / "text_attention_vs_baseline.json").read_text())
    att = next(r for r in data["models"] if r["model"] == "text-att-bigru")
    assert abs(att["int8_mean"] - 0.64) < 1e-12
    assert data["classical"] == {"TF-IDF + LR": 0.67}
    assert abs(data["gains"][0]["gain_points"] - 10.0) < 1e-9
    md = (out / "text_attention_vs_baseline.md").read_text()
    assert "| TF-IDF + LR (classical) | – | – | 67.00 % | – |" in md
