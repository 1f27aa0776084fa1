"""benchmarks.edge_cost, benchmarks.long_range and `python -m benchmarks` (README assembly)."""

import json

import numpy as np
import pytest

from benchmarks import __main__ as bench
from benchmarks import edge_cost, long_range


def test_cue_task_has_one_cue_whose_class_is_the_label():
    x, y = long_range.make_task(200, 50, np.random.default_rng(0))
    marker = x[..., long_range.CLASSES]
    assert x.shape == (200, 50, long_range.CHANNELS)
    np.testing.assert_array_equal(marker.sum(1), 1.0)
    at = marker.argmax(1)
    np.testing.assert_array_equal(x[np.arange(200), at, :long_range.CLASSES].argmax(-1), y)
    assert np.all(x[..., :long_range.CLASSES].sum((1, 2)) == 1)  # class channels silent elsewhere
    assert len(set(at.tolist())) > 30  # positions spread over the sequence


@pytest.mark.tensorflow_only
def test_long_range_models_have_equal_budgets():
    a = long_range.build("gru-attention", 25, 24)
    b = long_range.build("gru-last-state", 25, 24)
    assert abs(b.count_params() / a.count_params() - 1) <= 0.10


def test_long_range_summary_and_table():
    runs = [dict(model=m, length=n, seed=s, accuracy=acc, parameters=10, seconds=1)
            for m, n, s, acc in [("gru-attention", 25, 0, 0.9), ("gru-attention", 25, 1, 1.0),
                                 ("gru-last-state", 25, 0, 0.5), ("gru-last-state", 25, 1, 0.7)]]
    rows = long_range.summarise(runs)
    att = next(r for r in rows if r["model"] == "gru-attention")
    assert att["mean"] == pytest.approx(0.95) and att["std"] == pytest.approx(np.std([0.9, 1.0], ddof=1))
    md = long_range.markdown(dict(config=dict(long_range.QUICK, lengths=(25,)), seeds=[0, 1],
                                  runs=runs, rows=rows, not_measured=["x"]))
    assert "| 25 | 95.0 ± 7.1 % | 60.0 ± 14.1 % | +35.0 |" in md


@pytest.mark.tensorflow_only
def test_edge_cost_measures_shipped_files_with_float32_ratios():
    rows = edge_cost.run("ts-gru", quick=True, log=lambda *a: None)
    assert [r["mode"] for r in rows] == ["float32", "int8"]
    f32, i8 = rows
    assert f32["size_ratio"] == 1.0 and i8["size_ratio"] == pytest.approx(
        i8["size_bytes"] / f32["size_bytes"])
    results = json.loads((edge_cost.shipped_files("ts-gru")[0][2].parent / "results.json").read_text())
    assert i8["metric"] == "accuracy" and i8["value"] == results["metrics"]["int8"]["accuracy"]
    lite = f32["ai_edge_litert"]
    assert 0 < lite["p50_ms_1t"] <= lite["p90_ms_1t"] and lite["latency_ratio_1t"] == 1.0
    assert 10 < lite["rss_before_mib"] <= lite["rss_peak_mib"] < 500  # a fresh process, no TF
    assert "| ts-gru | int8 | 19,913 |" in edge_cost.markdown(
        dict(machine=dict(cpu="x", cores=2, ai_edge_litert="2"), rows=rows))


def test_readme_collects_the_result_tables(tmp_path):
    (tmp_path / "edge_cost.md").write_text("# Edge cost\n\n## Sub\n| a |\n")
    (tmp_path / "long_range.md").write_text("# LR\n\ntext ![p](long_range.png)\n")
    text = bench.readme(tmp_path, "results/")
    assert text.index("## Does attention pay?") < text.index("## Edge cost of every shipped")
    assert "### Sub" in text and "](results/long_range.png)" in text
    assert "results/edge_cost.json" in text
    assert "No results yet" in bench.readme(tmp_path / "empty")


@pytest.mark.slow
def test_python_m_benchmarks_quick_writes_json_into_out(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("edge_cost.json", "long_range.json", "long_range.png", "README.md"):
        assert (tmp_path / name).is_file(), name


def test_edge_markdown_lists_streaming_real_time_factor():
    row = dict(model="kws-att-bilstm (streaming, per 20 ms frame)", mode="int8", size_bytes=2048,
               parameters=10, metric=None, value=None, streaming=True,
               ai_edge_litert={"p50_ms_1t": 2.0, "real_time_factor_1t": 0.1},
               tflite_runtime={"error": "exit 1: x.tflite: Div only supports FLOAT32"})
    md = edge_cost.markdown(dict(machine=dict(cpu="x", cores=2, ai_edge_litert="2"), rows=[row]))
    assert "| kws-att-bilstm (streaming, per 20 ms frame) | int8 | 2.00 | 0.100 | – | – |" in md
    assert "fails: Div only supports FLOAT32" in md


def test_edge_cost_reports_each_task_by_its_headline_metric():
    results = dict(metrics=dict(keras=dict(bleu=10.0, chrf=40.0, exact_match=0.9),
                                int8=dict(bleu=9.0, chrf=39.0, exact_match=0.8)))
    assert edge_cost.metric_of(results, "int8") == ("bleu", 9.0)  # no preference: the first
    assert edge_cost.metric_of(results, "int8", "exact_match") == ("exact_match", 0.8)
    assert edge_cost.metric_of(results, "int8", "accuracy") == ("bleu", 9.0)  # absent: the first
    assert edge_cost.metric_of({}, "int8", "bleu") == (None, None)
    assert edge_cost.headline_metric("mt-numbers-en-de-seq2seq") == "exact_match"
    assert edge_cost.headline_metric("mt-en-de-bahdanau") == "chrf"
    assert edge_cost.headline_metric("kws-gru") == "accuracy"
    assert edge_cost.headline_metric("forecast-lstm") == "mase"
    assert edge_cost.headline_metric("no-such-model") is None


def test_runtime_compare_interleaves_old_and_new_on_the_shipped_kws_file():
    rows = edge_cost.compare_runtimes("kws-att-bilstm", repeats=3, modes=("int8",))
    litert = [r for r in rows if r["backend"] == "ai_edge_litert"]
    assert len(litert) == 1 and litert[0]["mode"] == "int8"
    row = litert[0]
    assert row["bit_identical"] is True
    assert row["ratio_p50"] == row["new"]["p50_ms"] / row["old"]["p50_ms"]
    md = edge_cost.compare_markdown(dict(machine=dict(cpu="x", cores=2, ai_edge_litert="2"),
                                         repeats=3, rows=rows))
    assert "| kws-att-bilstm | int8 | ai_edge_litert |" in md and "| yes |" in md
