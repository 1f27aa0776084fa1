"""Standard TFLite Metadata (export.metadata): our writer and reader, checked
against independent references: TF's flatbuffer object API (the metadata
buffer), MediaPipe's generated schema module (the ModelMetadata tables),
`zipfile` (the associated files), the LiteRT interpreter (outputs unchanged)
and MediaPipe's stock AudioClassifier (the client the metadata is for)."""

import dataclasses
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from export import metadata
from export.errors import ExportError
from export.flatbuffer import add_metadata, check_structure, read_metadata, read_operators
from export.metadata import AssociatedFile, TensorInfo
from zoo.data.speech_commands import LABELS

pytestmark = pytest.mark.tensorflow_only

LABELS_TXT = "\n".join(LABELS).encode()
PLAN_JSON = b'{"stages": []}'
AUDIO = TensorInfo("audio", "1 s of 16 kHz mono audio in [-1, 1]", kind="audio",
                   sample_rate=16000, channels=1, min=-1.0, max=1.0)
SCORES = TensorInfo("probabilities", "softmax over the 12 classes", labels_file="labels.txt",
                    min=0.0, max=1.0)


def toy_model(flat=False):
    """16000 samples -> 12 softmax scores; `flat`: input [16000], output [12]."""
    import keras

    keras.utils.set_random_seed(3)
    x = keras.Input(batch_shape=(16000,) if flat else (None, 16000), name="audio")
    h = keras.ops.reshape(x, (1, 16000)) if flat else x
    h = keras.layers.Reshape((100, 160))(h)
    h = keras.layers.Dense(16, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    h = keras.layers.Dense(32, activation="tanh")(h)
    y = keras.layers.Dense(12, activation="softmax", name="probabilities")(h)
    if flat:
        y = keras.layers.Identity(name="scores")(keras.ops.reshape(y, (12,)))
    return keras.Model(x, y)


def convert(mode, flat=False):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(toy_model(flat))
    if mode == "int8":  # full-integer kernels, float32 input and output
        calib = np.random.default_rng(0).uniform(-0.5, 0.5, (32, 16000)).astype("float32")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([c if flat else c[None]] for c in calib)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


@pytest.fixture(scope="module")
def models():
    return {"float32": convert("float32"), "int8": convert("int8"),
            "float32-flat": convert("float32", flat=True)}


def kws_metadata(**changes):
    fields = dict(name="kws-toy", description="toy keyword spotter", version="1.2",
                  author="attention-rnn-zoo", license="Apache-2.0", inputs=[AUDIO],
                  outputs=[SCORES], associated=[AssociatedFile("plan.json", "the plan",
                                                               "descriptions")])
    fields.update(changes)
    return metadata.build(**fields)


FILES = {"labels.txt": LABELS_TXT, "plan.json": PLAN_JSON}


def clip(seconds=1.0):
    t = np.arange(int(16000 * seconds)) / 16000
    noise = np.random.default_rng(5).normal(0, 0.05, t.size)
    return (0.3 * np.sin(2 * np.pi * 440 * t) + noise).astype("float32")


def interpret(data, x):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=bytes(data))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x.reshape(d["shape"]))
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).reshape(-1)


# ---------------------------------------------------------------- our reader

def test_round_trip_gives_back_every_field(models):
    data = metadata.attach(models["float32"], kws_metadata(), FILES)
    md = metadata.read(data)
    assert {k: md[k] for k in ("name", "description", "version", "author", "license")} == {
        "name": "kws-toy", "description": "toy keyword spotter", "version": "1.2",
        "author": "attention-rnn-zoo", "license": "Apache-2.0"}
    assert md["min_parser_version"] == "1.3.0"
    assert md["inputs"] == [dataclasses.asdict(AUDIO)]
    assert md["outputs"] == [dataclasses.asdict(SCORES)]
    assert md["associated"] == [{"name": "plan.json", "description": "the plan",
                                 "type": "descriptions"}]
    assert metadata.read_associated(data) == FILES
    # read() gives build()'s arguments back: building from it is byte-identical.
    args = {k: v for k, v in md.items() if k != "min_parser_version"}
    assert metadata.build(**args) == kws_metadata()


def test_the_interpreter_gives_the_same_outputs(models):
    x = clip()
    for mode in ("float32", "int8"):
        with_md = metadata.attach(models[mode], kws_metadata(), FILES)
        assert len(with_md) > len(models[mode])
        check_structure(with_md)
        np.testing.assert_array_equal(interpret(with_md, x), interpret(models[mode], x))


def test_attach_is_idempotent_and_keeps_other_entries(models):
    base = add_metadata(models["float32"], "zoo_plan", PLAN_JSON, strip_tensor_names=False)
    once = metadata.attach(base, kws_metadata(), FILES)
    assert metadata.attach(once, kws_metadata(), FILES) == once
    entries = read_metadata(once)
    assert entries["zoo_plan"] == PLAN_JSON
    assert entries["min_runtime_version"] == read_metadata(base)["min_runtime_version"]
    # New metadata and files replace the old ones: no second zip, no orphan buffer.
    md = kws_metadata(version="2", associated=[])
    again = metadata.attach(once, md, {"labels.txt": LABELS_TXT})
    assert metadata.read(again)["version"] == "2"
    assert metadata.read_associated(again) == {"labels.txt": LABELS_TXT}
    assert again == metadata.attach(base, md, {"labels.txt": LABELS_TXT})
    assert read_metadata(again)["zoo_plan"] == PLAN_JSON


def test_strip_finds_zips_with_relative_or_absolute_offsets(models):
    model = models["float32"]
    archive = io.BytesIO()  # written on its own: offsets relative to the archive
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("labels.txt", LABELS_TXT)
        zf.writestr("plan.json", PLAN_JSON)
    relative = model + archive.getvalue()
    assert metadata.strip_associated(relative) == model
    assert metadata.read_associated(relative) == FILES
    absolute = io.BytesIO(model)  # append mode, as the TFLite Support populator
    absolute.seek(0, io.SEEK_END)
    with zipfile.ZipFile(absolute, "a") as zf:
        zf.writestr("labels.txt", LABELS_TXT)
    assert metadata.strip_associated(absolute.getvalue()) == model
    assert metadata.strip_associated(model) == model
    assert metadata.read_associated(model) == {}


def test_min_parser_version_follows_the_schema_history():
    """The schema's history (shipped in the MediaPipe wheel) dates each member;
    AudioProperties is the newest member we write, so the official populator
    writes its version; a features-only model needs 1.0.0."""
    mp = pytest.importorskip("mediapipe")
    fbs = (Path(mp.__file__).parent / "tasks" / "metadata" / "metadata_schema.fbs").read_text()
    history = dict((m.group(2), m.group(1)) for m in
                   re.finditer(r"^// (\d+\.\d+\.\d+) - (.*)$", fbs, re.M))
    assert history["Added AudioProperties to ContentProperties."] == "1.3.0"
    assert metadata.parse(kws_metadata())["min_parser_version"] == "1.3.0"
    features = kws_metadata(inputs=[TensorInfo("features", kind="feature")])
    assert metadata.parse(features)["min_parser_version"] == "1.0.0"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("change, message", [
    (dict(inputs=[TensorInfo("audio", kind="audio", sample_rate=0)]), "sample_rate > 0"),
    (dict(inputs=[TensorInfo("audio", kind="audio", sample_rate=-8000)]), "sample_rate > 0"),
    (dict(inputs=[TensorInfo("audio", kind="audio")]), "sample_rate > 0"),
    (dict(inputs=[TensorInfo("audio", kind="audio", sample_rate=16000, channels=0)]),
     "channels must be >= 1"),
    (dict(inputs=[TensorInfo("x", kind="feature", sample_rate=16000)]), "belong to audio"),
    (dict(inputs=[{"name": "x", "kind": "image"}]), "kind must be one of"),
    (dict(inputs=[{"name": "x", "rate": 16000}]), "not a TensorInfo"),
    (dict(outputs=[TensorInfo("y", labels_file="dir/labels.txt")]), "plain file names"),
    (dict(outputs=[TensorInfo("y", min=1.0, max=0.0)]), "min 1.0 > max 0.0"),
    (dict(associated=["labels.txt"]), "must be unique"),
    (dict(associated=[{"name": "a.json", "type": "json"}]), "type must be one of"),
])
def test_build_refuses_bad_input(change, message):
    with pytest.raises(ExportError, match=message):
        kws_metadata(**change)


def test_attach_refuses_inconsistent_files(models):
    model, md = models["float32"], kws_metadata()
    with pytest.raises(ExportError, match=r"has 11 labels but output 'probabilities' has 12"):
        metadata.attach(model, md, {**FILES, "labels.txt": "\n".join(LABELS[:11]).encode()})
    with pytest.raises(ExportError, match=r"not given: \['plan.json'\]"):
        metadata.attach(model, md, {"labels.txt": LABELS_TXT})
    with pytest.raises(ExportError, match=r"\['extra.txt'\] are not named"):
        metadata.attach(model, md, {**FILES, "extra.txt": b""})
    with pytest.raises(ExportError, match="has 1 input tensor.*describes 2"):
        metadata.attach(model, kws_metadata(inputs=[AUDIO, AUDIO]), FILES)
    stereo = dataclasses.replace(AUDIO, channels=3)
    with pytest.raises(ExportError, match="16000 samples.*not a multiple of 3 channels"):
        metadata.attach(model, kws_metadata(inputs=[stereo]), FILES)
    with pytest.raises(ExportError, match="no TFLite Metadata"):
        metadata.read(model)
    not_metadata = add_metadata(model, metadata.METADATA_NAME, b"\x08\0\0\0XXXX" + bytes(8),
                                strip_tensor_names=False)
    with pytest.raises(ExportError, match="not a ModelMetadata flatbuffer"):
        metadata.read(not_metadata)
    with pytest.raises(ExportError, match="corrupt TFLITE_METADATA"):
        metadata.attach(model, b"\xff\0\0\0M001" + bytes(8), FILES)


# ---------------------------------------------------------------- independent readers

def test_mediapipe_schema_parses_what_we_write(models):
    pytest.importorskip("mediapipe")
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb
    from tensorflow.lite.tools import flatbuffer_utils

    data = metadata.attach(models["int8"], kws_metadata(), FILES)
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    (entry,) = [m for m in model.metadata if m.name == b"TFLITE_METADATA"]
    buf = bytes(bytearray(model.buffers[entry.buffer].data))
    assert fb.ModelMetadata.ModelMetadataBufferHasIdentifier(buf, 0)
    md = fb.ModelMetadataT.InitFromObj(fb.ModelMetadata.GetRootAs(buf, 0))
    assert (md.name, md.description, md.version, md.author, md.license, md.minParserVersion) == (
        b"kws-toy", b"toy keyword spotter", b"1.2", b"attention-rnn-zoo", b"Apache-2.0", b"1.3.0")
    (plan,) = md.associatedFiles
    assert (plan.name, plan.description, plan.type) == (
        b"plan.json", b"the plan", fb.AssociatedFileType.DESCRIPTIONS)
    (sg,) = md.subgraphMetadata
    (audio,), (scores,) = sg.inputTensorMetadata, sg.outputTensorMetadata
    assert (audio.name, audio.content.contentPropertiesType) == (
        b"audio", fb.ContentProperties.AudioProperties)
    assert (audio.content.contentProperties.sampleRate,
            audio.content.contentProperties.channels) == (16000, 1)
    assert (list(audio.stats.min), list(audio.stats.max)) == ([-1.0], [1.0])
    assert scores.content.contentPropertiesType == fb.ContentProperties.FeatureProperties
    (labels,) = scores.associatedFiles
    assert (labels.name, labels.type) == (b"labels.txt", fb.AssociatedFileType.TENSOR_AXIS_LABELS)
    # The zip: ZIP_STORED (MediaPipe refuses compressed entries), our files.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert [i.compress_type for i in zf.infolist()] == [zipfile.ZIP_STORED] * 2
        assert {i.filename: zf.read(i) for i in zf.infolist()} == FILES


# ---------------------------------------------------------------- the real client

def classify(path, x, max_results=12):
    from mediapipe.tasks import python as mp
    from mediapipe.tasks.python import audio
    from mediapipe.tasks.python.components.containers import audio_data

    options = audio.AudioClassifierOptions(
        base_options=mp.BaseOptions(model_asset_path=str(path)), max_results=max_results)
    with audio.AudioClassifier.create_from_options(options) as classifier:
        return classifier.classify(audio_data.AudioData.create_from_array(x, 16000))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode, atol", [("float32", 1e-5), ("int8", 1e-3),
                                        ("float32-flat", 1e-5)])
def test_mediapipe_audio_classifier_runs_our_file(models, mode, atol, tmp_path):
    """MediaPipe's stock AudioClassifier names the categories of our labels.txt
    with the interpreter's softmax scores; an int8 file with a float
    interface and a [16000] -> [12] file run as well."""
    pytest.importorskip("mediapipe")
    if mode == "int8":  # integer kernels between a float32 input and output
        ops = read_operators(models[mode])["serving_default"]
        assert (ops[0], ops[-1]) == ("QUANTIZE", "DEQUANTIZE") and "FULLY_CONNECTED" in ops
    shapes = ([16000], [12]) if mode.endswith("flat") else ([1, 16000], [1, 12])
    assert metadata._io_tensors(models[mode]) == ([shapes[0]], [shapes[1]])
    path = tmp_path / "model.tflite"
    path.write_bytes(metadata.attach(models[mode], kws_metadata(associated=[]),
                                     {"labels.txt": LABELS_TXT}))
    x = clip()
    expected = interpret(path.read_bytes(), x)
    (result,) = classify(path, x)
    (head,) = result.classifications
    assert head.head_name == "probabilities"
    assert len(head.categories) == 12
    assert head.categories[0].category_name == LABELS[int(np.argmax(expected))]
    got = {c.category_name: c.score for c in head.categories}
    assert sorted(got) == sorted(LABELS)
    np.testing.assert_allclose([got[label] for label in LABELS], expected, atol=atol)
    assert [c.index for c in head.categories] == [LABELS.index(c.category_name)
                                                  for c in head.categories]
    top3 = classify(path, x, max_results=3)[0].classifications[0].categories
    assert [c.category_name for c in top3] == [c.category_name for c in head.categories[:3]]


@pytest.mark.timeout(300)
def test_mediapipe_refuses_the_file_without_metadata(models, tmp_path):
    pytest.importorskip("mediapipe")
    path = tmp_path / "model.tflite"
    path.write_bytes(models["float32"])
    with pytest.raises(ValueError, match="require TFLite Model Metadata"):
        classify(path, clip())


def test_to_tflite_takes_metadata_made_from_the_converted_file(tmp_path):
    """`metadata=` a function: called with the converted flatbuffer (before the file is
    written), so the tensors can be described in the converter's own order."""
    import keras

    import export
    from export.flatbuffer import _model

    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    model = keras.Model([a, b], keras.layers.Dense(2, name="y")(keras.layers.Concatenate()([a, b])))
    seen = []

    def describe(flatbuffer):
        seen.append(bytes(flatbuffer[4:8]))
        m = _model(flatbuffer)
        (sig,) = m.tables(7)
        by_index = {tm.scalar(1, "I"): tm.string(0) for tm in sig.tables(0)}
        order = [by_index[i] for i in m.tables(2)[0].ints(1)]
        return metadata.build("m", "d", "1", "me", "MIT", [TensorInfo(n) for n in order],
                              [TensorInfo("y")]), {}

    path = tmp_path / "m.tflite"
    export.to_tflite(model, path, layout="single", validate=False, metadata=describe)
    assert seen == [b"TFL3"]  # called once, with the converted file
    from ai_edge_litert.interpreter import Interpreter

    # the interpreter's own view: subgraph 0's inputs in order, named by the signature
    it = Interpreter(model_path=str(path))
    index = {i: n for n, i in it._get_full_signature_list()["serving_default"]["inputs"].items()}
    names = [index[d["index"]] for d in it.get_input_details()]
    assert sorted(names) == ["a", "b"]
    assert [t["name"] for t in metadata.read(path.read_bytes())["inputs"]] == names
