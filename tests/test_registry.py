"""zoo.registry (entries, names, artifacts, SHA256SUMS) and zoo.hub.fetch.

Mostly without Keras: builders here are never called unless a test says so.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from zoo import hub, registry

ROOT = Path(__file__).resolve().parents[1]


def _builder(**config):
    """A builder that is never built."""
    raise AssertionError("not called")


@pytest.fixture
def scoped():
    with registry.temporary_registry(empty=True):
        yield registry


@pytest.fixture
def three(scoped):
    scoped.register_model("kws-gru", task="speech", input_spec=(49, 40))(_builder)
    scoped.register_model("kws-lstm", task="speech", input_spec=(49, 40))(_builder)
    scoped.register_model("ett-forecaster", task="forecasting", input_spec=(96, 7),
                          description="hourly load")(_builder)
    return scoped


def test_modes_match_export():
    import export

    assert registry.MODES == export.MODES


def test_list_wildcards_and_task(three):
    assert three.list_models() == ["ett-forecaster", "kws-gru", "kws-lstm"]
    assert three.list_models("kws-*") == ["kws-gru", "kws-lstm"]
    assert three.list_models("*-l?tm") == ["kws-lstm"]
    assert three.list_models(task="forecasting") == ["ett-forecaster"]
    assert three.list_models("kws-*", task="forecasting") == []
    with pytest.raises(ValueError, match="task must be one of speech, text"):
        three.list_models(task="vision")


def test_entry_fields(three):
    entry = three.get("ett-forecaster")
    assert entry.task == "forecasting" and not entry.is_classifier
    assert entry.description == "hourly load"
    assert entry.input_spec == ({"shape": (96, 7), "dtype": "float32"},)
    assert entry.exports == registry.MODES
    assert three.get("kws-gru").description == "A builder that is never built."  # docstring
    assert three.get("kws-gru").is_classifier


def test_unknown_name_lists_closest(three):
    with pytest.raises(registry.UnknownModelError) as info:
        three.get("kws-gur")
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert message.startswith("unknown model 'kws-gur'; did you mean kws-gru")
    assert "ett-forecaster" not in message
    assert "kws-gru" in str(pytest.raises(KeyError, three.get, "kws").value)
    with pytest.raises(KeyError, match="zoo list` shows the 3 registered models"):
        three.get("zzzzzzzzzz")


def test_unknown_name_with_empty_registry(scoped):
    scoped._REGISTRY.clear()
    with pytest.raises(registry.UnknownModelError, match="no models are registered yet"):
        scoped.get("kws-gru")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="Bad Name"), ValueError, "model name 'Bad Name' is invalid"),
    (dict(name="../x"), ValueError, "is invalid"),
    (dict(task="vision"), ValueError, "task must be one of"),
    (dict(exports=("float32", "int4")), ValueError, "exports must be a subset"),
    (dict(input_spec=(0, 3)), ValueError, "positive ints"),
    (dict(input_spec="12x3"), TypeError, "input_spec must be"),
    (dict(labels="abc"), TypeError, "labels must be a list"),
    (dict(labels=["a", "a"]), ValueError, "duplicates"),
    (dict(trainer=3), TypeError, "trainer must be a callable or a dotted path"),
])
def test_register_rejects(scoped, kwargs, error, message):
    args = dict(name="m", task="speech", input_spec=(16000,))
    args.update(kwargs)
    name = args.pop("name")
    with pytest.raises(error, match=message):
        scoped.register_model(name, **args)(_builder)


def test_duplicate_and_overwrite(scoped):
    scoped.register_model("m", task="text", input_spec=(None,))(_builder)
    with pytest.raises(ValueError, match="already registered"):
        scoped.register_model("m", task="text", input_spec=(None,))(_builder)
    scoped.register_model("m", task="translation", input_spec=(None,), overwrite=True)(_builder)
    assert scoped.get("m").task == "translation"


def test_input_spec_forms(scoped):
    scoped.register_model("a", task="text", input_spec={"shape": [None], "dtype": "string",
                                                        "name": "text"})(_builder)
    scoped.register_model("b", task="translation",
                          input_spec=[{"shape": (None,)}, (None, 4)])(_builder)
    assert scoped.get("a").input_spec == ({"shape": (None,), "dtype": "string", "name": "text"},)
    assert [s["shape"] for s in scoped.get("b").input_spec] == [(None,), (None, 4)]
    assert scoped.get("b").input_summary() == "input: (?) float32, input: (?, 4) float32"


def test_registry_is_restored():
    before = registry.list_models()
    with registry.temporary_registry(empty=True):
        registry.register_model("leaky", task="speech", input_spec=(10,))(_builder)
        registry.unregister(before[0]) if before else None
        assert "leaky" in registry.list_models()
    assert registry.list_models() == before
    assert "leaky" not in registry.list_models()


def test_builder_must_return_a_model(scoped):
    scoped.register_model("m", task="speech", input_spec=(10,))(lambda **c: "not a model")
    with pytest.raises(TypeError, match="must return a keras.Model; got str"):
        scoped.get("m").build()


def test_resolve_dotted_paths():
    import json

    assert registry.resolve("json:dumps") is json.dumps
    assert registry.resolve("json.dumps") is json.dumps
    assert registry.resolve(len) is len and registry.resolve(None) is None
    with pytest.raises(ImportError, match="cannot import 'no_such_module'"):
        registry.resolve("no_such_module:f")
    with pytest.raises(ImportError, match="has no attribute 'nope'"):
        registry.resolve("json:nope")
    with pytest.raises(ValueError, match="not a dotted path"):
        registry.resolve("json")
    with pytest.raises(TypeError, match="not callable"):
        registry.resolve("json:__doc__")


def test_import_zoo_is_light():
    code = ("import sys, zoo, zoo.registry, zoo.hub, zoo.cards; "
            "heavy = [m for m in ('keras', 'tensorflow', 'numpy') if m in sys.modules]; "
            "assert not heavy, heavy; assert callable(zoo.load)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


# ----------------------------------------------------------------- artifacts


def _model_dir(root, name="m", files=None):
    d = root / name
    d.mkdir(parents=True)
    for fname, data in (files or {"model.weights.h5": b"weights", "labels.txt": b"a\nb\n",
                                  f"{name}.float32.tflite": b"tf32"}).items():
        (d / fname).write_bytes(data)
    registry.write_checksums(d)
    return d


def test_zoo_home_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv("ZOO_HOME", raising=False)
    assert registry.zoo_home() == Path("~/.cache/attention-rnn-zoo").expanduser()
    monkeypatch.setenv("ZOO_HOME", str(tmp_path))
    assert registry.user_dir("m") == tmp_path / "m"
    assert registry.package_dir() == ROOT / "zoo" / "pretrained"
    with pytest.raises(ValueError, match="invalid"):
        registry.user_dir("../etc")


def test_users_trained_copy_wins_over_the_shipped_one(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(registry, "package_dir", lambda: tmp_path / "pkg")
    assert registry.find_artifacts("m") is None
    with pytest.raises(registry.PretrainedNotFoundError, match="zoo train m"):
        registry.require_artifacts("m")
    _model_dir(tmp_path / "pkg")
    found = registry.find_artifacts("m")
    assert found.source == "package" and found.path == tmp_path / "pkg" / "m"
    assert found.shadows is None
    assert "pip install --force-reinstall" in found.fix
    _model_dir(tmp_path / "home")  # `zoo train m` wrote here: it wins, with one warning
    with pytest.warns(UserWarning, match=r"using your trained copy .*home/m, which takes the "
                                         r"place of the shipped model .*pkg/m; delete"):
        found = registry.find_artifacts("m")
    assert found.source == "user" and found.path == tmp_path / "home" / "m"
    assert found.shadows == tmp_path / "pkg" / "m"


def test_sha256sums_format_and_verify(tmp_path):
    d = _model_dir(tmp_path)
    lines = (d / "SHA256SUMS").read_text().splitlines()
    assert lines == [f"{hashlib.sha256((d / f).read_bytes()).hexdigest()}  {f}"
                     for f in sorted(["model.weights.h5", "labels.txt", "m.float32.tflite"])]
    art = registry.Artifacts("m", d, "user")
    assert art.verify() == ["labels.txt", "m.float32.tflite", "model.weights.h5"]
    assert art.file("labels.txt") == d / "labels.txt"
    assert art.tflite_modes() == ("float32",)
    if sys.platform != "win32":  # sha256sum itself agrees
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=d, check=True)


def test_checksum_failures_name_file_and_fix(tmp_path):
    d = _model_dir(tmp_path)
    art = registry.Artifacts("m", d, "user")
    (d / "labels.txt").write_bytes(b"a\nc\n")
    with pytest.raises(registry.ChecksumError) as info:
        art.file("labels.txt")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert f"{d / 'labels.txt'} does not match its SHA256SUMS entry" in message
    assert "fix: retrain it with `zoo train m`" in message
    (d / "model.weights.h5").unlink()
    with pytest.raises(registry.ChecksumError, match=r"model\.weights\.h5 is missing"):
        art.file("model.weights.h5")
    (d / "extra.txt").write_text("x")
    with pytest.raises(registry.ChecksumError, match="extra.txt is not listed"):
        art.file("extra.txt")
    (d / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(registry.ChecksumError, match="line 1 is not"):
        art.file("labels.txt")
    (d / "SHA256SUMS").write_text(f"{'0' * 64}  ../escape\n")
    with pytest.raises(registry.ChecksumError, match="line 1 is not"):
        art.file("labels.txt")
    (d / "SHA256SUMS").unlink()
    with pytest.raises(registry.ChecksumError, match="SHA256SUMS is missing"):
        art.file("labels.txt")


def test_write_checksums_refreshes_given_files_only(tmp_path):
    d = _model_dir(tmp_path)
    before = registry.read_checksums(d)
    (d / "labels.txt").write_bytes(b"changed\n")
    (d / "model.weights.h5").write_bytes(b"tampered")
    registry.write_checksums(d, ["labels.txt"])
    after = registry.read_checksums(d)
    assert after["labels.txt"] != before["labels.txt"]
    assert after["model.weights.h5"] == before["model.weights.h5"]
    with pytest.raises(registry.ChecksumError):
        registry.Artifacts("m", d, "user").file("model.weights.h5")


# ----------------------------------------------------------------------- hub


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "src" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * 4096)  # 1 MiB: several chunks
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_file_url(source, tmp_path):
    path, digest = source
    dest = tmp_path / "out" / "data.bin"
    assert hub.fetch(path.as_uri(), dest, digest.upper(), progress=False) == dest
    assert dest.read_bytes() == path.read_bytes()
    assert list(dest.parent.iterdir()) == [dest]  # no temporary file left
    path.unlink()  # already there with the right checksum: nothing is read
    assert hub.fetch(path.as_uri(), dest, digest) == dest


def test_fetch_checksum_mismatch_writes_nothing(source, tmp_path):
    path, digest = source
    dest = tmp_path / "data.bin"
    with pytest.raises(hub.ChecksumError, match="does not match its SHA-256") as info:
        hub.fetch(path.as_uri(), dest, "0" * 64, progress=False)
    assert "was not written" in str(info.value)
    assert not dest.exists() and list(tmp_path.glob(".data.bin*")) == []
    dest.write_bytes(b"old")  # a stale file is replaced only by a verified one
    with pytest.raises(hub.ChecksumError):
        hub.fetch(path.as_uri(), dest, "0" * 64, progress=False)
    assert dest.read_bytes() == b"old"
    assert hub.fetch(path.as_uri(), dest, digest, progress=False).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("url, sha, message", [
    ("ftp://example.org/x", "0" * 64, "scheme must be one of"),
    ("/plain/path", "0" * 64, "scheme must be one of"),
    ("file:///x", "abc", "64 hex digits"),
    ("file:///x", None, "64 hex digits"),
])
def test_fetch_rejects(tmp_path, url, sha, message):
    with pytest.raises(ValueError, match=message):
        hub.fetch(url, tmp_path / "x", sha)


def test_fetch_missing_source(tmp_path):
    with pytest.raises(OSError):
        hub.fetch((tmp_path / "nope").as_uri(), tmp_path / "x", "0" * 64, progress=False)
    assert not (tmp_path / "x").exists()
