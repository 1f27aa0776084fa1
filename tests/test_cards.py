"""zoo.cards: card.json / card.md from measured results JSON files."""

import json

import pytest

from tests.test_api import TINY, tiny  # noqa: F401  (tiny is a fixture)
from zoo import cards, registry

NAME = "card-model"


@pytest.fixture
def entry():
    with registry.temporary_registry(empty=True):
        registry.register_model(NAME, task="forecasting", input_spec=(96, 7),
                                description="a forecaster")(lambda **c: None)
        yield registry.get(NAME)


def _write(path, **fields):
    path.write_text(json.dumps({"schema": cards.RESULTS_SCHEMA, "model": NAME, **fields}))
    return path


# ------------------------------------------------ card of the real tiny model


# `tiny` (the tiny model registered with its ZOO_HOME) is the fixture of test_api.


@pytest.mark.tensorflow_only
def test_card_numbers_equal_results(tiny):
    results = json.loads((tiny / "results.json").read_text())
    card = json.loads((tiny / TINY / "card.json").read_text())
    assert card["card_schema"] == cards.CARD_SCHEMA
    assert card["parameters"] == results["parameters"]
    assert card["architecture"] == results["architecture"]
    assert card["metrics"] == results["metrics"]
    assert card["data"] == results["data"]
    assert set(card["exports"]) == {"float32", "int8"}
    for mode, measured in results["exports"].items():
        got = card["exports"][mode]
        assert got["file"] == f"{TINY}.{mode}.tflite"
        assert got["size_bytes"] == measured["size_bytes"]
        assert got["size_bytes"] == (tiny / TINY / got["file"]).stat().st_size
        assert got["p50_ms_1t"] == measured["p50_ms_1t"]
        assert got["ops"] == measured["report"]["op_histogram"]
        assert got["gpu_compatible"] == measured["report"]["gpu_compatible"]
        assert got["builtin_only"] == measured["report"]["builtin_only"]
    comparison = results["comparison"]
    assert card["comparison"]["attention"] == comparison["attention"]
    assert card["comparison"]["baseline"] == comparison["baseline"]
    delta = comparison["attention"]["value"] - comparison["baseline"]["value"]
    assert card["comparison"]["delta"] == delta
    assert card["limitations"] == results["limitations"]
    assert card["reproduce"]["train"] == results["reproduce"]["train"]
    assert card["reproduce"]["card"].startswith(f"python -m zoo.cards {TINY} --results ")
    assert card["labels"] == ["down", "flat", "up"]
    assert card["not_measured"] == []
    assert card["sources"][0]["file"] == "results.json"


@pytest.mark.tensorflow_only
def test_card_markdown_of_tiny_model(tiny):
    text = (tiny / TINY / "card.md").read_text()
    results = json.loads((tiny / "results.json").read_text())
    assert text.startswith(f"# {TINY}\n")
    assert "**Synthetic data: this model was trained and evaluated on synthetic data" in text
    assert "| TFLite int8 |" in text and "| Keras (float) |" in text
    assert f"{results['exports']['int8']['p50_ms_1t']:.2f} ms" in cards.render_markdown(
        json.loads((tiny / TINY / "card.json").read_text()))
    assert "FULLY_CONNECTED" in text and "GPU delegate" in text
    assert "## Attention vs baseline" in text and "majority class" in text
    assert "pytest tests/test_api.py" in text
    for heading in ("## Data", "## Metrics (test split)", "## TFLite files", "## Limitations"):
        assert f"{heading}\n\nnot measured" not in text
    assert "| TFLite int8 | " in text  # loss is measured for Keras only: "not measured" there
    art = registry.Artifacts(TINY, tiny / TINY, "user")
    art.file("card.json"), art.file("card.md")  # listed in SHA256SUMS


# ------------------------------------------------------------ schema, merging


def test_missing_sections_render_not_measured(entry, tmp_path):
    card = cards.build_card(NAME, [_write(tmp_path / "r.json")])
    assert card["not_measured"] == list(cards.SECTIONS)
    assert card["metrics"] is None and card["exports"] is None and card["data_statement"] is None
    text = cards.render_markdown(card)
    for heading in ("## Data", "## Metrics", "## TFLite files", "## Attention vs baseline",
                    "## Limitations"):
        assert f"{heading}\n\nnot measured" in text
    assert "| Parameters | not measured |" in text
    assert "Training and measuring commands: not measured." in text


def test_partial_export_fields(entry, tmp_path):
    path = _write(tmp_path / "r.json", exports={"float16": {"size_bytes": 2048}},
                  metrics={"keras": {"mae": 0.25}})
    card = cards.build_card(NAME, [path])
    assert card["exports"]["float16"]["p50_ms_1t"] is None
    text = cards.render_markdown(card)
    assert "| float16 | `card-model.float16.tflite` | 2.0 KiB | not measured |" in text
    assert "| Keras (float) | 0.25 |" in text and "| TFLite float16 | not measured |" in text


def test_measured_webgpu_column(entry, tmp_path):
    a = _write(tmp_path / "a.json", exports={"float16": {"size_bytes": 2048}, "int8": {}})
    b = _write(tmp_path / "b.json", exports={
        "float16": {"webgpu": {"status": "ok", "max_abs_diff_vs_keras": 1.3e-07}},
        "int8": {"webgpu": {"status": "FAIL", "reason": "outputs all zero"}}})
    text = cards.render_markdown(cards.build_card(NAME, [a, b]))
    assert "| runs, max \\|Δ\\| vs Keras 1.3e-07 |" in text
    assert "| fails: outputs all zero |" in text


def test_real_data_statement(entry, tmp_path):
    path = _write(tmp_path / "r.json", data={"name": "ETTh1", "synthetic": False,
                                             "splits": {"train": 8640}})
    card = cards.build_card(NAME, [path])
    assert card["data_statement"] == "Real data: ETTh1."
    assert "| train | 8,640 |" in cards.render_markdown(card)


def test_results_files_are_merged(entry, tmp_path):
    a = _write(tmp_path / "a.json", parameters=1000, metrics={"keras": {"mae": 0.2}},
               limitations=["one"])
    b = _write(tmp_path / "b.json", parameters=1000, metrics={"int8": {"mae": 0.3}},
               limitations=["one", "two"], exports={"int8": {"p50_ms_1t": 1.5}})
    card = cards.build_card(NAME, [a, b])
    assert card["metrics"] == {"keras": {"mae": 0.2}, "int8": {"mae": 0.3}}
    assert card["limitations"] == ["one", "two"]
    assert [s["file"] for s in card["sources"]] == ["a.json", "b.json"]


@pytest.mark.parametrize("fields, message", [
    (dict(schema="v0"), "schema must be"),
    (dict(model="other"), "results are for model 'other'"),
    (dict(parameters="many"), "parameters must be a positive integer"),
    (dict(metrics={"tflite": {"mae": 1}}), "metrics.tflite must be one of"),
    (dict(metrics={"keras": {"mae": "low"}}), "an object of numbers"),
    (dict(exports={"int4": {}}), "exports.int4 must be one of"),
    (dict(exports={"int8": {"size_bytes": -1}}), "non-negative"),
    (dict(exports={"int8": {"webgpu": {"status": "maybe"}}}), "exports.int8.webgpu must be"),
    (dict(data={"synthetic": "yes"}), "data.synthetic must be true or false"),
    (dict(comparison={"attention": {"value": 1}}), "comparison.baseline"),
    (dict(accuracy=0.9), "unknown top-level field"),
])
def test_bad_results_are_rejected(entry, tmp_path, fields, message):
    path = _write(tmp_path / "r.json")
    data = json.loads(path.read_text())
    data.update(fields)
    path.write_text(json.dumps(data))
    with pytest.raises(cards.ResultsError, match=message):
        cards.build_card(NAME, [path])


def test_conflicting_results_are_an_error(entry, tmp_path):
    a = _write(tmp_path / "a.json", metrics={"keras": {"mae": 0.2}})
    b = _write(tmp_path / "b.json", metrics={"keras": {"mae": 0.3}})
    with pytest.raises(cards.ResultsError, match=r"metrics\.keras\.mae = 0\.3 disagrees with 0\.2"):
        cards.build_card(NAME, [a, b])


def test_stale_size_is_an_error(entry, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{NAME}.int8.tflite").write_bytes(b"x" * 10)
    path = _write(tmp_path / "r.json", exports={"int8": {"size_bytes": 11}})
    with pytest.raises(cards.ResultsError, match="results are stale"):
        cards.build_card(NAME, [path], out_dir=out)
    (out / f"{NAME}.float32.tflite").write_bytes(b"x")  # shipped but unmeasured
    path = _write(tmp_path / "r.json", exports={"int8": {"size_bytes": 10}})
    card = cards.build_card(NAME, [path], out_dir=out)
    assert list(card["exports"]) == ["float32", "int8"]
    assert card["exports"]["float32"]["size_bytes"] is None


def test_main_writes_card_and_checksums(entry, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    path = _write(tmp_path / "r.json", parameters=42)
    assert cards.main([NAME, "--results", str(path)]) == 0
    out = tmp_path / "home" / NAME
    card = json.loads((out / "card.json").read_text())
    assert card["parameters"] == 42
    assert card["reproduce"]["card"] == f"python -m zoo.cards {NAME} --results {path}"
    assert sorted(registry.read_checksums(out)) == ["card.json", "card.md"]
    registry.Artifacts(NAME, out, "user").verify()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["nope-model", "--results", "r.json"], "unknown model 'nope-model'"),
    ([NAME, "--results", "missing.json"], "does not exist"),
])
def test_main_errors_exit_2(entry, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert cards.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_main_help(capsys):
    with pytest.raises(SystemExit) as info:
        cards.main(["--help"])
    assert info.value.code == 0
    assert "--results" in capsys.readouterr().out
