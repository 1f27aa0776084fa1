"""benchmarks.translation (seed aggregation, tables) and edge_cost on translator files."""

import json

import numpy as np
import pytest

from benchmarks import edge_cost
from benchmarks import translation as bench


def _run(tmp_path, model, seed, bleus, exacts, overall=(None, None), domains=None):
    run = tmp_path / f"{model}-s{seed}"
    run.mkdir()
    buckets = [dict(bucket="4-5", low=4, high=5, n=10, bleu=bleus[0], chrf=50.0),
               dict(bucket="6-7", low=6, high=7, n=5, bleu=bleus[1], chrf=40.0)]
    exact = [dict(bucket=b["bucket"], low=b["low"], high=b["high"], n=b["n"], exact_match=e)
             for b, e in zip(buckets, exacts)]
    (run / "results.json").write_text(json.dumps({"model": model}))
    (run / "training.json").write_text(json.dumps({"seed": seed, "scores": {
        "keras_greedy": {}, "keras_beam4": {"bleu": overall[0], "exact_match": overall[1],
                                            "by_length": buckets,
                                            "exact_match_by_length": exact,
                                            "by_domain": domains or {}}}}))
    return run


def test_seed_aggregation_is_mean_and_sample_std_per_bucket(tmp_path):
    runs = [_run(tmp_path, "mt-en-de-bahdanau", s, b, e, o)
            for s, b, e, o in [(0, (20.0, 10.0), (0.1, 0.0), (16.0, 0.07)),
                               (1, (22.0, 14.0), (0.2, 0.0), (19.0, 0.13)),
                               (2, (24.0, 12.0), (0.3, 0.1), (19.0, 0.24))]]
    rows = bench.aggregate_runs(runs)
    first = next(r for r in rows if r["bucket"] == "4-5")
    assert first["bleu_mean"] == pytest.approx(22.0)
    assert first["bleu_std"] == pytest.approx(np.std([20, 22, 24], ddof=1))
    assert first["exact_mean"] == pytest.approx(0.2) and first["seeds"] == [0, 1, 2]
    whole = next(r for r in rows if r["bucket"] == "all")
    assert whole["n"] == 15 and whole["bleu_mean"] == pytest.approx(18.0)
    assert whole["exact_mean"] == pytest.approx(np.mean([0.07, 0.13, 0.24]))
    md = bench.seeds_markdown(rows)
    assert "| model | all | 4-5 | 6-7 |" in md
    assert "| mt-en-de-bahdanau | 18.0 ± 1.7 (3) | 22.0 ± 2.0 (3) | 12.0 ± 2.0 (3) |" in md
    assert bench.main(["--runs", *map(str, runs), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "translation_seeds.png").stat().st_size > 1000
    assert "translation_seeds.png" in (tmp_path / "out" / "translation_seeds.md").read_text()


def test_seed_aggregation_per_domain_and_form(tmp_path):
    runs = [_run(tmp_path, "mt-en-de-bahdanau", s, (20.0, 10.0), (0.0, 0.0), (16.0, 0.0),
                 {"general": dict(bleu=b, chrf=c, n=12, sentences=10),
                  "ui": dict(bleu=30.0, chrf=60.0, n=5, sentences=5)})
            for s, b, c in [(0, 6.0, 25.0), (1, 8.0, 27.0), (2, 10.0, 32.0)]]
    runs.append(_run(tmp_path, "mt-numbers-en-de-seq2seq", 0, (0.0, 0.0), (0.5, 1.0), (0.0, 0.8),
                     {"digits": dict(bleu=0.0, chrf=99.0, n=4, sentences=4, exact_match=0.75)}))
    rows = bench.aggregate_runs(runs)
    general = next(r for r in rows if r["bucket"] == "general")
    assert general["group"] and general["n"] == 10 and general["seeds"] == [0, 1, 2]
    assert general["chrf_mean"] == pytest.approx(28.0)
    assert general["chrf_std"] == pytest.approx(np.std([25, 27, 32], ddof=1))
    assert general["exact_mean"] is None
    lengths = [r for r in rows if r["model"] == "mt-en-de-bahdanau" and not r.get("group")]
    assert {r["bucket"] for r in lengths} == {"all", "4-5", "6-7"}
    md = bench.seeds_markdown(rows)
    assert "| model | general | ui |" in md
    assert "| mt-en-de-bahdanau | 8.0 ± 2.0 (3); 28.0 ± 3.6 (3) | 30.0 ± 0.0 (3); 60.0 ± 0.0 (3) |" in md
    assert "| model | digits |" in md and "| mt-numbers-en-de-seq2seq | 75.0 |" in md


def _table(out):
    return json.loads((out / "translation_seeds.json").read_text())


def test_add_gives_the_table_of_all_runs_together(tmp_path):
    spec = [("mt-en-de-bahdanau", 0, (20.0, 10.0), (0.1, 0.0), (16.0, 0.07)),
            ("mt-en-de-seq2seq", 0, (18.0, 4.0), (0.1, 0.0), (12.0, 0.05)),
            ("mt-en-de-bahdanau", 1, (22.0, 14.0), (0.2, 0.0), (19.0, 0.13)),
            ("mt-en-de-seq2seq", 1, (23.0, 6.0), (0.0, 0.0), (13.0, 0.02))]
    domains = [{"general": dict(bleu=b, chrf=30.0, n=5, sentences=5)} for b in (6.0, 5.0, 8.0, 4.0)]
    runs = [_run(tmp_path, m, s, b, e, o, d) for (m, s, b, e, o), d in zip(spec, domains)]
    together, apart = tmp_path / "together", tmp_path / "apart"
    assert bench.main(["--runs", *map(str, runs), "--out", str(together)]) == 0
    assert bench.main(["--runs", *map(str, runs[:3]), "--out", str(apart)]) == 0
    assert bench.main(["--add", str(runs[3]), "--out", str(apart)]) == 0
    assert _table(apart)["rows"] == _table(together)["rows"]
    assert _table(apart)["gaps"] == _table(together)["gaps"]
    # a run of a model and seed already there replaces it
    assert bench.main(["--add", str(runs[2]), "--out", str(apart)]) == 0
    assert _table(apart)["rows"] == _table(together)["rows"]
    # attention minus twin by bucket, over the seeds both have: 4-5 +2, -1; 6-7 +6, +8
    gaps = {g["bucket"]: g for g in _table(together)["gaps"]}
    assert gaps["4-5"]["gap_mean"] == pytest.approx(0.5) and gaps["4-5"]["wins"] == 1
    assert gaps["4-5"]["gap_std"] == pytest.approx(np.std([2.0, -1.0], ddof=1))
    assert gaps["6-7"]["gap_mean"] == pytest.approx(7.0) and gaps["6-7"]["wins"] == 2
    assert gaps["all"]["gap_mean"] == pytest.approx(5.0) and gaps["general"]["wins"] == 2
    assert gaps["4-5"]["seeds"] == [0, 1]
    md = (together / "translation_seeds.md").read_text()
    assert "**mt-en-de-bahdanau − mt-en-de-seq2seq** (seeds [0, 1])" in md
    assert "| attention higher | 2/2 | 1/2 | 2/2 | 2/2 |" in md


def test_add_to_a_table_written_before_it_kept_each_run(tmp_path):
    """A stored table of rows only: a model over one seed is that run; a model over several
    seeds is kept as it is and cannot take a new run."""
    old = [_run(tmp_path, m, s, b, e, o) for m, s, b, e, o in [
        ("mt-en-de-bahdanau", 0, (20.0, 10.0), (0.1, 0.0), (16.0, 0.07)),
        ("mt-numbers-en-de-seq2seq", 0, (0.0, 0.0), (0.5, 1.0), (0.0, 0.8)),
        ("mt-numbers-en-de-seq2seq", 1, (0.0, 0.0), (0.7, 0.9), (0.0, 0.6))]]
    out = tmp_path / "out"
    rows = bench.aggregate_runs(old)
    out.mkdir()
    (out / "translation_seeds.json").write_text(json.dumps({"rows": rows, "runs": []}))
    new = _run(tmp_path, "mt-en-de-bahdanau", 1, (22.0, 14.0), (0.2, 0.0), (19.0, 0.13))
    assert bench.main(["--add", str(new), "--out", str(out)]) == 0
    assert _table(out)["rows"] == bench.aggregate_runs([*old, new])
    third = _run(tmp_path, "mt-en-de-bahdanau", 2, (24.0, 12.0), (0.3, 0.1), (19.0, 0.24))
    assert bench.main(["--add", str(third), "--out", str(out)]) == 0   # and again
    assert _table(out)["rows"] == bench.aggregate_runs([*old, new, third])
    with pytest.raises(SystemExit):
        bench.main(["--add", str(_run(tmp_path, "mt-numbers-en-de-seq2seq", 2, (0.0, 0.0),
                                      (0.6, 1.0), (0.0, 0.7))), "--out", str(out)])
    with pytest.raises(SystemExit):   # nothing stored to add to
        bench.main(["--add", str(new), "--out", str(tmp_path / "empty")])


def test_cli_refuses_an_unfinished_run(tmp_path):
    with pytest.raises(SystemExit):
        bench.main(["--runs", str(tmp_path), "--out", str(tmp_path / "out")])


@pytest.mark.tensorflow_only
def test_edge_cost_times_a_whole_translation_on_both_runtimes(tmp_path):
    from zoo.models.translation import export as translation_export, models

    model = models.build_translator("bahdanau", source_vocab_size=40, target_vocab_size=30,
                                    source_length=7, target_length=6, embedding=8,
                                    encoder_units=6, decoder_units=10, attention_units=5)
    rng = np.random.default_rng(0)
    src = rng.integers(4, 40, (8, 7)).astype("int32")
    tgt = rng.integers(4, 30, (8, 6)).astype("int32")
    path = tmp_path / "mt.int8.tflite"
    translation_export.to_tflite(model, path, "int8", representative_data=[src, tgt])
    inputs = tmp_path / "x.npz"
    np.savez(inputs, x0=src[:1].astype(np.float32))
    for backend in edge_cost.BACKENDS:
        if not edge_cost.BACKENDS[backend].exists():
            continue
        got = edge_cost.measure(path, inputs, backend, repeats=3)
        assert "error" not in got, got
        assert got["p50_ms_1t"] > 0 and got["p90_ms_2t"] >= got["p50_ms_2t"]
