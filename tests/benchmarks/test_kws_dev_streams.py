"""benchmarks.kws_dev_streams: variant parsing, missing step files, and its per-budget
recall equal to the operating-point chooser's on the same grid."""

import pytest

from benchmarks import kws_dev_streams as bench


@pytest.mark.parametrize("text, want", [
    ("shipped=kws-stream-att-gru", ("shipped", "kws-stream-att-gru", None)),
    ("+ sentences=kws-stream-gru:/tmp/run", ("+ sentences", "kws-stream-gru", "/tmp/run")),
])
def test_parse_variant(text, want):
    assert bench.parse_variant(text) == want


@pytest.mark.parametrize("text", ["kws-stream-att-gru", "=kws-stream-gru", "x="])
def test_parse_variant_refuses(text):
    with pytest.raises(ValueError, match="LABEL"):
        bench.parse_variant(text)


def test_missing_step_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="zoo train kws-stream-gru --out"):
        bench.step_file("kws-stream-gru", str(tmp_path), "dynamic")


def test_best_within_is_the_most_recall_within_the_budget():
    points = [dict(recall=r, hits=h, occurrences=10, fa_per_hour_free=f, smoothing_frames=1, threshold=t)
              for r, h, f, t in [(0.5, 5, 30.0, 0.5), (0.3, 3, 4.0, 0.9), (0.2, 2, 1.0, 0.99), (0.3, 3, 5.0, 0.8)]]
    assert bench.best_within(points, 5.0)["threshold"] == 0.9       # ties: fewer false alarms
    assert bench.best_within(points, 100.0)["recall"] == 0.5
    assert bench.best_within(points, 0.5) is None
    md = bench.markdown({"mode": "dynamic", "dev_streams": ["a/dev_free"], "free_hours": 0.5,
                         "keyword_occurrences": 10, "budgets_fa_per_hour": [5.0, 100.0],
                         "variants": [{"variant": "v", "model": "m", "folder": "f", "test_accuracy": 0.8,
                                       "recipe": "zoo train m", "within": {"5.0": bench.best_within(points, 5.0),
                                                                           "100.0": None}}]})
    assert "| v | m | 30.0 % (4.0) | — | 80.00 % |" in md


def test_at_point_gives_false_alarms_per_hour_per_stream():
    points = [dict(smoothing_frames=s, threshold=t, recall=r,
                   free_by_stream={"a/dev_free": {"false_alarms": fa, "hours": 0.5},
                                   "a/dev_real_en_free": {"false_alarms": 2 * fa, "hours": 0.25}})
              for s, t, r, fa in [(25, 0.99, 0.4, 3), (25, 0.995, 0.3, 1), (10, 0.995, 0.35, 2)]]
    at = bench.at_point(points, 25, 0.995)
    assert at["recall"] == 0.3 and at["fa_per_hour"] == {"a/dev_free": 2.0, "a/dev_real_en_free": 8.0}
    with pytest.raises(ValueError, match="not on the grid: smoothing one of \\[10, 25\\]"):
        bench.at_point(points, 20, 0.995)
    md = bench.markdown({"mode": "dynamic", "dev_streams": ["a/dev_free"], "free_hours": 0.75,
                         "keyword_occurrences": 10, "budgets_fa_per_hour": [5.0],
                         "free_stream_hours": {"a/dev_free": 0.5, "a/dev_real_en_free": 0.25},
                         "at": {"smoothing_frames": 25, "threshold": 0.995},
                         "variants": [{"variant": "v", "model": "m", "folder": "f", "test_accuracy": None,
                                       "recipe": "r", "within": {"5.0": None}, "at": at}]})
    assert "| v | 30.0 % | — | 2.0 | 8.0 |" in md and "a/dev_real_en_free (0.25 h)" in md


def test_recorded_speech_table_even_when_no_budget_is_reached():
    """A variant with recorded keywords but no point within any budget gets a row of dashes
    (the table's keyword count comes from the run, not from a point that reached a budget)."""
    reached = {"recall_real": 0.25, "fa_per_hour_real": 4.0, "occurrences_real": 8}
    none = {"variant": "none", "model": "m", "folder": "f", "test_accuracy": None, "recipe": "r",
            "within": {"5.0": None, "20.0": None}, "within_real": {"5.0": None, "20.0": None}}
    some = dict(none, variant="some", within_real={"5.0": None, "20.0": reached})
    result = {"mode": "dynamic", "dev_streams": ["a/dev_free"], "free_hours": 0.5,
              "keyword_occurrences": 10, "real_keyword_occurrences": 8, "budgets_fa_per_hour": [5.0, 20.0]}
    md = bench.markdown(dict(result, variants=[none, some]))
    assert "recorded keyword sentences (8 keywords" in md
    assert "| none | — | — |" in md and "| some | — | 25.0 % (4.0) |" in md
    md = bench.markdown(dict(result, variants=[none]))        # no variant reached a budget
    assert "recorded keyword sentences (8 keywords" in md and "| none | — | — |" in md
