"""zoo.cards: card.json / card.md from measured results JSON files."""

import json
import re

import pytest

from tests.test_api import TINY, tiny  # noqa: F401  (tiny is a fixture)
from zoo import cards, registry
from zoo.data import sources as data_sources

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
    assert cards.split_front_matter(text)[1].startswith(f"# {TINY}\n")
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
    c = _write(tmp_path / "c.json", exports={"float16": {"webgpu": {
        "status": "ok", "max_abs_diff_vs_keras": 0.0, "float_segments_on_wasm": ["seg0", "seg5"]}}})
    text = cards.render_markdown(cards.build_card(NAME, [a, c]))
    assert "| runs, max \\|Δ\\| vs Keras 0.0e+00 (float-only segments seg0, seg5 on wasm) |" in text


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


# ------------------------------------------------- front matter and licences


def _front(text):
    yaml = pytest.importorskip("yaml")  # the dev extra has PyYAML: an independent parser
    head, body = cards.split_front_matter(text)
    assert head is not None, "card.md has no front matter"
    return yaml.safe_load(head), body


def _metrics_of(meta):
    """{variant: {metric: value}} back from the model-index entries."""
    out = {}
    for result in meta["model-index"][0]["results"]:
        for m in result["metrics"]:
            out.setdefault(m["config"], {})[m["type"]] = m["value"]
    return out


SHIPPED = sorted(p.parent.name for p in registry.package_dir().glob("*/card.json"))


def test_all_models_are_shipped_with_cards():
    assert len(SHIPPED) == 17


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_card_front_matter(name):
    folder = registry.package_dir() / name
    card = json.loads((folder / "card.json").read_text())
    meta, body = _front((folder / "card.md").read_text(encoding="utf-8"))
    assert meta == cards.front_matter(card)
    assert body.startswith(f"# {name}\n")
    assert meta["license"] == card["license"] == "apache-2.0"
    assert meta["library_name"] == "keras"
    assert meta["datasets"] and meta["datasets"] == [s["name"] for s in meta["data_licenses"]]
    assert all(s["license"] and s["evidence"] for s in meta["data_licenses"])
    assert meta["intended_use"] == card["intended_use"] and name in meta["model-index"][0]["name"]
    assert meta["limitations"][:len(card["limitations"])] == card["limitations"]
    assert _metrics_of(meta) == card["metrics"]
    assert {r["dataset"]["split"] for r in meta["model-index"][0]["results"]} == \
        {card["metrics_split"]}
    family = registry.get(name).family
    assert meta["family"]["name"] == family.name and meta["family"]["task"] == family.task
    assert meta.get("pipeline_tag") == family.pipeline_tag
    assert meta.get("baseline") == registry.get(name).baseline
    assert (name in registry.baseline_pairs()) == ("attention" in meta["tags"])
    layouts = {e["layout"] for e in card["exports"].values()}
    assert layouts == set(meta["tflite_layout"] if isinstance(meta["tflite_layout"], list)
                          else [meta["tflite_layout"]])
    # the family's single modes are single, every other mode stepped
    assert layouts <= {"stepped", "single"}
    for mode, e in card["exports"].items():
        assert e["layout"] == family.layout(mode), (mode, e["layout"])
    assert "## License and intended use" in body and "## Family and file layout" in body
    registry.Artifacts(name, folder, "package").verify()  # SHA256SUMS lists the new cards


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_card_regenerates_byte_identical(name):
    """The committed card is what `zoo.cards` makes of the committed results now."""
    folder = registry.package_dir() / name
    card = json.loads((folder / "card.json").read_text())
    root = registry.package_dir().parents[1]
    paths = [root / s for s in card["reproduce"]["card"].split("--results ")[1].split()]
    again = cards.build_card(name, paths, out_dir=folder, command=card["reproduce"]["card"])
    assert json.dumps(again, indent=2) + "\n" == (folder / "card.json").read_text()
    assert cards.render_markdown(again) == (folder / "card.md").read_text(encoding="utf-8")


#: A folder of the machine that trained or exported a model (a run's `--out`, a temporary
#: directory, a home): it means nothing in a user's copy. System paths (`/usr/share/doc/...`
#: licence evidence) are fine.
_MACHINE_PATH = re.compile(r"(?<![\w.])/(tmp|work|root|home|Users)/")


def _strings(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str):
        yield x


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_metadata_names_no_machine_path(name):
    """A card's retrain line a user can run, and each export report's file beside it."""
    folder = registry.package_dir() / name
    for f in sorted(folder.glob("*.json")):
        found = [s for s in _strings(json.loads(f.read_text())) if _MACHINE_PATH.search(s)]
        assert not found, (f.name, found[:3])
    assert not _MACHINE_PATH.search((folder / "card.md").read_text(encoding="utf-8"))
    results = json.loads((folder / "results.json").read_text())
    for mode, e in results["exports"].items():
        assert e["report"]["path"] == registry.tflite_filename(name, mode)


def test_ship_keeps_no_run_folder(tmp_path):
    """`shipping.portable`: a run's report paths become the file names."""
    from zoo import shipping

    results = {"exports": {"int8": {"report": {"path": str(tmp_path / "m.int8.tflite")}},
                           "float32": {"error": "not exported"}}}
    assert shipping.portable(results) == {
        "exports": {"int8": {"report": {"path": "m.int8.tflite"}},
                    "float32": {"error": "not exported"}}}


def test_fixture_card_round_trips(entry, tmp_path):
    path = _write(tmp_path / "r.json", parameters=1234,
                  data={"name": "CO2", "source": "statsmodels.datasets.co2 (bundled)",
                        "synthetic": False, "splits": {"test": 46}},
                  metrics_split="test",
                  metrics={"keras": {"mase": 0.34243032327070894, "smape": 1e-07},
                           "int8": {"mase": 0.4}},
                  exports={"int8": {"size_bytes": 10, "report": {
                      "recurrent": "stepped", "signatures": ["rnn1_fw", "seg0"]}}},
                  limitations=["only weekly series"])
    card = cards.build_card(NAME, [path])
    assert card["license"] == "apache-2.0" and card["family"]["exporter"] == "export.to_tflite"
    assert card["pipeline_tag"] == "time-series-forecasting"  # the forecasting task's tag
    assert card["data_licenses"] == [dict(s) for s in
                                     data_sources.LOADERS["statsmodels.datasets.co2"]]
    assert card["exports"]["int8"]["layout"] == "stepped"
    text = cards.render_markdown(card)
    meta, body = _front(text)
    assert meta == cards.front_matter(json.loads(json.dumps(card)))
    assert _metrics_of(meta) == card["metrics"]
    assert meta["data_licenses"][0]["license"] == "public domain"
    assert meta["limitations"] == ["only weekly series"]
    assert meta["tags"] == ["forecasting", "tflite", "int8"]
    assert "- Layout of int8: stepped: " in body and "`rnn1_fw`, `seg0`" in body
    assert f'zoo.load_tflite("{NAME}", "int8")' in body


def test_unknown_loader_keeps_the_results_licence(entry, tmp_path):
    path = _write(tmp_path / "r.json", data={"name": "mine", "source": "my.own.loader",
                                             "license": "CC-BY-4.0"})
    assert cards.build_card(NAME, [path])["data_licenses"] == [
        {"name": "mine", "license": "CC-BY-4.0", "evidence": "results data.license"}]
    path = _write(tmp_path / "r.json", data={"name": "mine"})
    assert cards.build_card(NAME, [path])["data_licenses"][0]["license"] == "unknown"


def test_sources_are_found_by_dotted_path():
    data = {"source": "Debian package `fortunes` (/usr/share/games/fortunes), zoo.data.fortunes"}
    assert data_sources.loaders_in(data) == ["zoo.data.fortunes"]
    assert data_sources.loaders_in({"source": "zoo.data.fortunesque"}) == []
    assert data_sources.loaders_in({"source": "sktime.datasets load_japanese_vowels"}) == \
        ["sktime.datasets"]
    found = data_sources.sources_of(data)
    found[0]["license"] = "changed"  # a copy, not the table
    assert data_sources.LOADERS["zoo.data.fortunes"][0]["license"] == "BSD-3-Clause"


def test_yaml_emitter_round_trips_through_pyyaml():
    yaml = pytest.importorskip("yaml")
    value = {
        "floats": [1e-07, 1e16, -0.0, 0.1, 2.5e-300, 123456789.125],
        "ints": [0, -3, 10 ** 12], "on": "yes", "no": None, "flags": [True, False],
        "strings": ["plain", "x: y # z", "- dash", "\"quoted\" and \\", "tab\tnew\nline",
                    "Δ × ± ü", "\x7f\x85\x9f \u2028\u2029", "", "null", "1.5", "@at", "---"],
        "nested": [[1, [2, []]], {}, [], {"a": [{"b": {"c": "d"}}]}],
        "model-index": [{"name": "m", "results": [{"metrics": [{"type": "bleu",
                                                                "value": 5.8301860276380895}]}]}],
    }
    text = cards.to_yaml(value)
    assert yaml.safe_load(text) == value
    for bad in (float("nan"), object()):
        with pytest.raises((ValueError, TypeError)):
            cards.to_yaml({"x": bad})


def test_split_front_matter():
    assert cards.split_front_matter("# a\n---\nb\n") == (None, "# a\n---\nb\n")
    assert cards.split_front_matter("---\nx: 1\n---\n\n# a\n\n---\n\nend\n") == \
        ("x: 1\n", "# a\n\n---\n\nend\n")
