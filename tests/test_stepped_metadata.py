"""Standard TFLite Metadata in stepped files (`zoo.file_metadata.for_stepped`): what an
export writes today, what `zoo.shipping.refresh_files` gives the files shipped before,
and every shipped stepped file."""

import hashlib
import json

import numpy as np
import pytest

import zoo
from export import metadata
from export.flatbuffer import read_metadata
from export.runtime import plan_layout, read_plan
from tests.export.conftest import recurrent_model
from zoo import file_metadata, registry


def _shipped_stepped():
    out = []
    for path in sorted(registry.package_dir().glob("*/*.tflite")):
        if plan_layout(path.read_bytes()) == "stepped":
            out.append(pytest.param(path.parent.name, path, id=path.name))
    return out


@pytest.mark.parametrize("name,path", _shipped_stepped())
def test_every_shipped_stepped_file_carries_standard_metadata(name, path):
    """Name, version, licence, labels.txt of a classifier, subgraph 0 described tensor by
    tensor as its signature names it; the plan kept; what an export writes today."""
    from ai_edge_litert.interpreter import Interpreter

    data = path.read_bytes()
    md = metadata.read(data)
    entry = registry.get(name)
    assert md["name"] == name and md["license"] == "Apache-2.0"
    assert md["version"] == zoo.__version__
    assert "subgraph 0" in md["description"] and "zoo_plan" in md["description"]
    assert read_plan(data) is not None and plan_layout(data) == "stepped"
    it = Interpreter(model_content=data)
    (stage,) = [k for k, s in it._get_full_signature_list().items()
                if it.get_signature_runner(k)._subgraph_index == 0]
    runner = it.get_signature_runner(stage)
    assert {t["name"] for t in md["inputs"]} == set(runner.get_input_details())
    assert {t["name"] for t in md["outputs"]} == set(runner.get_output_details())
    files = metadata.read_associated(data)
    if entry.is_classifier and entry.labels:
        assert files[registry.LABELS_FILE].decode().split() == list(entry.labels)
        assert [f["name"] for f in md["associated"]] == [registry.LABELS_FILE]
    else:
        assert files == {} and md["associated"] == []
    assert md == metadata.parse(file_metadata.for_stepped(name, data)[0])  # current


def _stepped_file(path, metadata_=None):
    import export

    model = recurrent_model("gru", steps=6, features=3, units=4, classes=4)
    export.to_tflite(model, path, layout="stepped", validate=False, metadata=metadata_)
    return path.read_bytes()


def test_stamp_gives_an_old_stepped_file_what_an_export_writes_now(tmp_path, monkeypatch):
    """A stepped file without standard metadata (as shipped before) in a model folder:
    stamped in place, the same metadata as an export with `export_options` writes, every
    signature computing the same, the recorded sizes and SHA256SUMS true; idempotent."""
    from export.runtime import Runtime
    from zoo import shipping

    name = "ts-gru"  # a registered classifier; the file is a tiny stand-in
    folder = tmp_path / name
    folder.mkdir()
    path = folder / registry.tflite_filename(name, "float32")
    old = _stepped_file(path)
    assert metadata.METADATA_NAME not in read_metadata(old)
    (folder / "results.json").write_text(json.dumps({"model": name, "exports": {
        "float32": {"size_bytes": len(old), "report": {"size_bytes": len(old)}}}}))
    monkeypatch.setattr(shipping, "pretrained_dir", lambda n: tmp_path / n)

    changed = shipping.refresh_files(name)
    new = path.read_bytes()
    assert changed == {path.name: len(new)} and len(new) > len(old)
    exported = _stepped_file(tmp_path / "now.tflite",
                             file_metadata.export_options(name, "float32", "stepped")["metadata"])
    assert metadata.read(new) == metadata.read(exported)
    assert metadata.read_associated(new) == metadata.read_associated(exported) == {
        registry.LABELS_FILE: ("\n".join(registry.get(name).labels) + "\n").encode()}
    assert read_plan(new) == read_plan(old)
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(Runtime(new)(x), Runtime(old)(x))
    results = json.loads((folder / "results.json").read_text())["exports"]["float32"]
    assert results["size_bytes"] == results["report"]["size_bytes"] == len(new)
    assert registry.read_checksums(folder)[path.name] == hashlib.sha256(new).hexdigest()
    assert shipping.refresh_files(name) == {} and path.read_bytes() == new
