"""benchmarks.keyword_window: task (c), a keyword at a random position in a longer window."""

import csv
import json

import numpy as np
import pytest

from benchmarks import keyword_window as kw
from zoo.data import speech_commands as sc
from zoo.data.audio import write_wav

CLIP = sc.CLIP_SAMPLES


def test_compose_places_each_clip_once_at_its_offset_over_silent_beds():
    rng = np.random.default_rng(0)
    clips = rng.uniform(-0.5, 0.5, (40, CLIP)).astype(np.float32)
    windows, offsets = kw.compose(clips, np.zeros((3, CLIP), np.float32), 3, rng)
    assert windows.shape == (40, 3 * CLIP) and windows.dtype == np.float32
    assert offsets.min() >= 0 and offsets.max() <= 2 * CLIP
    for w, c, o in zip(windows, clips, offsets):
        np.testing.assert_array_equal(w[o:o + CLIP], c)
        assert not w[:o].any() and not w[o + CLIP:].any()
    assert len(np.unique(offsets // 1000)) > 20  # spread over the window, not fixed


def test_compose_beds_are_whole_bed_clips_at_a_gain_in_range():
    rng = np.random.default_rng(1)
    beds = rng.uniform(0.01, 0.9, (5, CLIP)).astype(np.float32)
    windows, _ = kw.compose(np.zeros((10, CLIP), np.float32), beds, 2, rng)
    for w in windows:
        for second in w.reshape(2, CLIP):
            ratios = second[None, :] / beds  # one bed row gives a constant ratio
            spread = ratios.max(1) - ratios.min(1)
            row = int(spread.argmin())
            assert spread[row] < 1e-5
            assert 0.1 - 1e-6 <= ratios[row, 0] <= 1.0 + 1e-6


def test_compose_refuses_mismatched_shapes_and_missing_beds():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="must both be"):
        kw.compose(np.zeros((2, CLIP)), np.zeros((2, 100)), 2, rng)
    with pytest.raises(ValueError, match="_silence_"):
        kw.compose(np.zeros((2, CLIP)), np.zeros((0, CLIP)), 2, rng)


def test_thirds_split_the_possible_offsets_evenly():
    span = 2 * CLIP  # 3 s window: offsets 0 .. 32000
    got = kw.third_of([0, span // 3 - 1, span // 3 + 1, span // 2, span - 1, span], 3, CLIP)
    assert got.tolist() == [0, 0, 1, 1, 2, 2]
    assert kw.third_of([0], 1, CLIP).tolist() == [0]  # 1 s window: one position


@pytest.mark.tensorflow_only
def test_models_for_longer_windows_keep_equal_budgets():
    a, b = kw.build("kws-att-mh-gru", 3, 0), kw.build("kws-gru", 3, 0)
    assert a.input_shape == (None, 3 * CLIP) == b.input_shape
    assert abs(b.count_params() / a.count_params() - 1) <= 0.01
    with pytest.raises(ValueError, match="unknown model"):
        kw.build("kws-att-bilstm-x", 3, 0)


def _tiny_set(root, per_label=(3, 2)):
    """A built-layout data set (manifest.csv): per label, tones for train/test (silence: noise)."""
    rows, rng = [], np.random.default_rng(0)
    t = np.arange(CLIP) / sc.SAMPLE_RATE
    for li, label in enumerate(sc.LABELS):
        for split, count in zip(("train", "test"), per_label):
            for k in range(count):
                x = (0.01 * rng.normal(size=CLIP) if label == sc.SILENCE
                     else 0.3 * np.sin(2 * np.pi * (200 + 150 * li) * t) * (t > 0.3) * (t < 0.7))
                path = f"{label}/{split}_{k}.wav"
                (root / label).mkdir(parents=True, exist_ok=True)
                write_wav(root / path, x.astype(np.float32))
                rows.append(dict(path=path, label=label, split=split))
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(sc.MANIFEST_FIELDS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.tensorflow_only
def test_main_writes_table_plot_and_json(tmp_path):
    _tiny_set(tmp_path / "data")
    out = tmp_path / "out"
    assert kw.main(["--data-dir", str(tmp_path / "data"), "--seconds", "1", "2", "--seeds", "1",
                    "--epochs", "1", "--train-windows", "16", "--out", str(out)]) == 0
    result = json.loads((out / "keyword_window.json").read_text())
    assert result["test_clips"] == 2 * len(sc.LABELS)
    assert {(r["model"], r["length"]) for r in result["runs"]} == {
        (m, n) for m in kw.MODELS for n in (1, 2)}
    for r in result["runs"]:
        assert 0.0 <= r["accuracy"] <= 1.0
        # accuracy by third averages back to the whole when weighted by counts (checked loosely)
        assert min(r["by_third"].values()) <= r["accuracy"] + 1e-9 <= max(r["by_third"].values()) + 2e-9
    md = (out / "keyword_window.md").read_text()
    assert "| 2 s |" in md and "third" in md
    assert (out / "keyword_window.png").stat().st_size > 1000


def test_main_refuses_a_missing_data_set(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        kw.main(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    assert "speech_commands build" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_stopped_run_resumes_from_its_partial_file(tmp_path, monkeypatch):
    _tiny_set(tmp_path / "data", per_label=(2, 1))
    out = tmp_path / "out"
    out.mkdir()
    cfg = dict(kw.FULL, seconds=[1], epochs=1, train_windows=16)
    finished = dict(model="kws-gru", length=1, seed=0, accuracy=0.25, by_third={"first": 0.25},
                    parameters=1, seconds=1.0)
    (out / "keyword_window.partial.json").write_text(json.dumps(
        dict(key=dict(cfg, test_clips=len(sc.LABELS)), runs=[finished])))
    calls = []

    def fake_run(name, seconds, seed, data, test, cfg):
        calls.append((name, seconds, seed))
        return dict(finished, model=name, accuracy=0.5)

    monkeypatch.setattr(kw, "run_one", fake_run)
    assert kw.main(["--data-dir", str(tmp_path / "data"), "--seconds", "1", "--seeds", "1",
                    "--epochs", "1", "--train-windows", "16", "--out", str(out)]) == 0
    assert calls == [("kws-att-mh-gru", 1, 0)]  # the finished run is not repeated
    result = json.loads((out / "keyword_window.json").read_text())
    assert sorted(r["accuracy"] for r in result["runs"]) == [0.25, 0.5]
    assert not (out / "keyword_window.partial.json").exists()


def test_benchmarks_command_refuses_a_wrong_kws_data_folder_before_running(tmp_path, capsys):
    from benchmarks import __main__ as bench

    with pytest.raises(SystemExit) as e:
        bench.main(["--quick", "--kws-data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    assert "speech_commands build" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
