"""Standard TFLite Metadata (the `metadata_schema.fbs` of TFLite Support and
MediaPipe), so that stock clients (MediaPipe Tasks' AudioClassifier, the
Android Task Library) accept our files.

    md = metadata.build("kws", "keyword spotter", "1", "zoo", "Apache-2.0",
                        inputs=[TensorInfo("audio", "1 s of 16 kHz mono", kind="audio",
                                           sample_rate=16000, channels=1)],
                        outputs=[TensorInfo("probabilities", "class scores",
                                            labels_file="labels.txt")])
    data = metadata.attach(data, md, {"labels.txt": "\\n".join(labels).encode()})

The layout is what the TFLite Support / MediaPipe populator writes: a
`ModelMetadata` flatbuffer (identifier "M001") in the model's metadata buffer
named "TFLITE_METADATA", and the associated files (labels.txt, ...) appended to
the model as an uncompressed (ZIP_STORED) zip archive. Building and reading
need the `flatbuffers` package only; `attach` rewrites the model with TF
(`export.flatbuffer.add_metadata`).

metadata_schema.fbs, the fields written here:
ModelMetadata { name:0, description:1, version:2, subgraph_metadata:3,
author:4, license:5, associated_files:6, min_parser_version:7 },
SubGraphMetadata { name:0, description:1, input_tensor_metadata:2,
output_tensor_metadata:3, associated_files:4 }, TensorMetadata { name:0,
description:1, dimension_names:2, content:3, process_units:4, stats:5,
associated_files:6 }, Content { content_properties_type:0,
content_properties:1, range:2 }, union ContentProperties { FeatureProperties=1,
ImageProperties=2, BoundingBoxProperties=3, AudioProperties=4 },
AudioProperties { sample_rate:0 (uint), channels:1 (uint) }, Stats { max:0,
min:1 } ([float]), AssociatedFile { name:0, description:1, type:2 (byte),
locale:3, version:4 }.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import zipfile

from export.errors import ExportError
from export.flatbuffer import FlatbufferError, _model, _Table, read_metadata

METADATA_NAME = "TFLITE_METADATA"
FILE_IDENTIFIER = b"M001"

# AssociatedFileType values (metadata_schema.fbs).
FILE_TYPES = {"unknown": 0, "descriptions": 1, "labels": 2}
_FILE_TYPE_NAMES = {v: k for k, v in FILE_TYPES.items()}
_FEATURE, _AUDIO = 1, 4  # ContentProperties union members
_KINDS = {"feature": _FEATURE, "audio": _AUDIO}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}

LABELS_DESCRIPTION = "Labels for the categories of this output, one per line."


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One input or output tensor. `kind="audio"` writes AudioProperties
    (sample_rate in Hz, channels, default 1), `"feature"` FeatureProperties.
    `labels_file` names an associated file of type TENSOR_AXIS_LABELS (one
    label per line, one line per entry of the tensor's last axis); `min` and
    `max` are written as the tensor's Stats."""
    name: str
    description: str = ""
    kind: str = "feature"
    sample_rate: int | None = None
    channels: int | None = None
    labels_file: str | None = None
    min: float | None = None
    max: float | None = None


@dataclasses.dataclass(frozen=True)
class AssociatedFile:
    """A model-level associated file; `type` is "unknown", "descriptions" or
    "labels"."""
    name: str
    description: str = ""
    type: str = "unknown"


def _tensor_info(item, where):
    try:
        info = item if isinstance(item, TensorInfo) else TensorInfo(**item)
    except TypeError as exc:
        raise ExportError(f"{where}: not a TensorInfo ({exc})") from None
    if not info.name:
        raise ExportError(f"{where}: a tensor needs a name")
    if info.kind not in _KINDS:
        raise ExportError(f"{where} {info.name!r}: kind must be one of {sorted(_KINDS)}, "
                          f"got {info.kind!r}")
    if info.kind == "audio":
        if info.sample_rate is None or int(info.sample_rate) <= 0:
            raise ExportError(f"{where} {info.name!r}: an audio tensor needs a sample_rate > 0 "
                              f"(Hz), got {info.sample_rate!r}")
        channels = 1 if info.channels is None else info.channels
        if int(channels) <= 0:
            raise ExportError(f"{where} {info.name!r}: channels must be >= 1, got {channels!r}")
        info = dataclasses.replace(info, sample_rate=int(info.sample_rate), channels=int(channels))
    elif info.sample_rate is not None or info.channels is not None:
        raise ExportError(f"{where} {info.name!r}: sample_rate and channels belong to audio "
                          f"tensors (kind='audio'), this one is {info.kind!r}")
    if info.labels_file is not None:
        _check_file_name(info.labels_file)
    if info.min is not None and info.max is not None and info.min > info.max:
        raise ExportError(f"{where} {info.name!r}: min {info.min} > max {info.max}")
    return info


def _file_info(item):
    if isinstance(item, str):
        item = AssociatedFile(item)
    try:
        info = item if isinstance(item, AssociatedFile) else AssociatedFile(**item)
    except TypeError as exc:
        raise ExportError(f"not an AssociatedFile ({exc})") from None
    _check_file_name(info.name)
    if info.type not in FILE_TYPES:
        raise ExportError(f"associated file {info.name!r}: type must be one of "
                          f"{sorted(FILE_TYPES)}, got {info.type!r}")
    return info


def _check_file_name(name):
    if not name or "/" in name or "\\" in name:
        raise ExportError(f"associated file names are plain file names (clients look them up "
                          f"by name in the zip), got {name!r}")


def _min_parser_version(tensors) -> str:
    """The `min_parser_version` the official populator computes
    (mediapipe/tasks/cc/metadata/metadata_version.cc): "1.0.0", raised to the
    schema version that introduced each member used. Of the members written
    here only AudioProperties (schema 1.3.0) raises it; the file types we
    write (UNKNOWN, DESCRIPTIONS, TENSOR_AXIS_LABELS) are 1.0.0 ones."""
    return "1.3.0" if any(t.kind == "audio" for t in tensors) else "1.0.0"


def build(name, description, version, author, license, inputs, outputs, associated=()) -> bytes:
    """A ModelMetadata flatbuffer (identifier "M001") with one SubGraphMetadata.

    `inputs` and `outputs` are `TensorInfo`s (or dicts of its fields), in the
    order of the model's subgraph 0 inputs and outputs; `associated` are
    model-level files (`AssociatedFile`s, dicts, or plain names)."""
    import flatbuffers

    inputs = [_tensor_info(t, "input") for t in inputs]
    outputs = [_tensor_info(t, "output") for t in outputs]
    associated = [_file_info(f) for f in associated]
    names = [f.name for f in associated] + [t.labels_file for t in inputs + outputs if t.labels_file]
    if len(set(names)) != len(names):
        raise ExportError(f"associated file names must be unique, got {names}")
    b = flatbuffers.Builder(1024)

    def string(text):
        return None if text is None else b.CreateString(str(text))

    def table(fields):
        """fields: [(slot, kind, value)] with kind "offset", "uint", "byte"."""
        b.StartObject(max(slot for slot, _, _ in fields) + 1 if fields else 0)
        for slot, kind, value in fields:
            if value is None:
                continue
            if kind == "offset":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "uint":
                b.PrependUint32Slot(slot, value, 0)
            else:
                b.PrependUint8Slot(slot, value, 0)
        return b.EndObject()

    def vector(offsets):
        if not offsets:
            return None
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    def floats(value):
        if value is None:
            return None
        b.StartVector(4, 1, 4)
        b.PrependFloat32(float(value))
        return b.EndVector()

    def associated_file(name, description, type_code):
        n, d = string(name), string(description)
        return table([(0, "offset", n), (1, "offset", d), (2, "byte", type_code)])

    def tensor(info):
        n, d = string(info.name), string(info.description or None)
        if info.kind == "audio":
            props = table([(0, "uint", info.sample_rate), (1, "uint", info.channels)])
        else:
            props = table([])
        content = table([(0, "byte", _KINDS[info.kind]), (1, "offset", props)])
        stats = None
        if info.min is not None or info.max is not None:
            hi, lo = floats(info.max), floats(info.min)
            stats = table([(0, "offset", hi), (1, "offset", lo)])
        files = None
        if info.labels_file:
            files = vector([associated_file(info.labels_file, LABELS_DESCRIPTION,
                                            FILE_TYPES["labels"])])
        return table([(0, "offset", n), (1, "offset", d), (3, "offset", content),
                      (5, "offset", stats), (6, "offset", files)])

    in_vec = vector([tensor(t) for t in inputs])
    out_vec = vector([tensor(t) for t in outputs])
    subgraph = table([(2, "offset", in_vec), (3, "offset", out_vec)])
    subgraphs = vector([subgraph])
    model_files = vector([associated_file(f.name, f.description or None, FILE_TYPES[f.type])
                          for f in associated])
    fields = [string(name), string(description), string(version), string(author),
              string(license), string(_min_parser_version(inputs + outputs))]
    root = table([(0, "offset", fields[0]), (1, "offset", fields[1]), (2, "offset", fields[2]),
                  (3, "offset", subgraphs), (4, "offset", fields[3]), (5, "offset", fields[4]),
                  (6, "offset", model_files), (7, "offset", fields[5])])
    b.Finish(root, file_identifier=FILE_IDENTIFIER)
    return bytes(b.Output())


# ---------------------------------------------------------------- reading

def parse(buf) -> dict:
    """A ModelMetadata flatbuffer (from `build`) as `read` gives it."""
    try:
        return _parse(buf)
    except (FlatbufferError, struct.error, IndexError) as exc:
        raise ExportError(f"corrupt {METADATA_NAME} buffer ({exc})") from None


def _parse(buf):
    if len(buf) < 8 or bytes(buf[4:8]) != FILE_IDENTIFIER:
        raise ExportError(f"the {METADATA_NAME} buffer is not a ModelMetadata flatbuffer "
                          f"(identifier {bytes(buf[4:8])!r}, expected {FILE_IDENTIFIER!r})")
    root = _Table(buf, struct.unpack_from("<I", buf, 0)[0])

    def files(t, field):
        return [{"name": f.string(0), "description": f.string(1) or "",
                 "type": _FILE_TYPE_NAMES.get(f.scalar(2, "b"), f.scalar(2, "b"))}
                for f in t.tables(field)]

    def first_float(t, field):
        start, n = t.vector(field)
        return struct.unpack_from("<f", buf, start)[0] if n else None

    def tensor(t):
        content = t.table(3)
        kind = _KIND_NAMES.get(content.scalar(0, "B")) if content else None
        props = content.table(1) if content else None
        audio = kind == "audio" and props is not None
        stats = t.table(5)
        labels = [f["name"] for f in files(t, 6) if f["type"] == "labels"]
        return {"name": t.string(0), "description": t.string(1) or "", "kind": kind,
                "sample_rate": props.scalar(0, "I") if audio else None,
                "channels": props.scalar(1, "I") if audio else None,
                "labels_file": labels[0] if labels else None,
                "min": first_float(stats, 1) if stats else None,
                "max": first_float(stats, 0) if stats else None}

    subgraphs = root.tables(3)
    sg = subgraphs[0] if subgraphs else None
    return {"name": root.string(0), "description": root.string(1), "version": root.string(2),
            "author": root.string(4), "license": root.string(5),
            "min_parser_version": root.string(7),
            "inputs": [tensor(t) for t in sg.tables(2)] if sg else [],
            "outputs": [tensor(t) for t in sg.tables(3)] if sg else [],
            "associated": files(root, 6)}


def read(tflite_bytes) -> dict:
    """The model's TFLite Metadata as a plain dict: name, description, version,
    author, license, min_parser_version, inputs and outputs (dicts of
    `TensorInfo`'s fields) and associated (model-level files, dicts of
    `AssociatedFile`'s fields). ExportError if the file has none."""
    try:
        entries = read_metadata(tflite_bytes)
    except FlatbufferError as exc:
        raise ExportError(str(exc)) from None
    if METADATA_NAME not in entries:
        raise ExportError(f"the model has no TFLite Metadata (no {METADATA_NAME!r} metadata "
                          f"entry; it has {sorted(entries)})")
    return parse(entries[METADATA_NAME])


def file_names(md: dict) -> list:
    """Every associated file a metadata dict (from `read`) names."""
    return ([f["name"] for f in md["associated"]]
            + [t["labels_file"] for t in md["inputs"] + md["outputs"] if t["labels_file"]])


_EOCD = struct.Struct("<4s4H2IH")  # end of central directory record, 22 bytes


def _zip_start(data) -> int | None:
    """Offset of the zip archive appended to the model (its first local file
    header), found from the end-of-central-directory record; None if there is
    none."""
    floor = max(0, len(data) - _EOCD.size - 0xFFFF)
    pos = data.rfind(b"PK\x05\x06", floor)
    while pos >= 0:
        if pos + _EOCD.size <= len(data):
            _, _, _, _, count, cd_size, cd_offset, comment = _EOCD.unpack_from(data, pos)
            cd_pos = pos - cd_size
            if pos + _EOCD.size + comment == len(data) and 0 <= cd_pos and cd_offset <= cd_pos:
                if count == 0:
                    return cd_pos
                # Offsets are absolute (zipfile's append mode) or relative to
                # the archive (concatenation): `shift` covers both.
                shift, p, starts = cd_pos - cd_offset, cd_pos, []
                for _ in range(count):
                    if data[p:p + 4] != b"PK\x01\x02":
                        break
                    n, m, k = struct.unpack_from("<3H", data, p + 28)
                    starts.append(struct.unpack_from("<I", data, p + 42)[0] + shift)
                    p += 46 + n + m + k
                else:
                    start = min(starts)
                    if data[start:start + 4] == b"PK\x03\x04":
                        return start
        pos = data.rfind(b"PK\x05\x06", floor, pos)
    return None


def strip_associated(tflite_bytes) -> bytes:
    """The model without its appended zip of associated files."""
    start = _zip_start(tflite_bytes)
    return bytes(tflite_bytes if start is None else tflite_bytes[:start])


def read_associated(tflite_bytes) -> dict:
    """`{name: bytes}` of the associated files zipped at the end of the model."""
    if _zip_start(tflite_bytes) is None:
        return {}
    with zipfile.ZipFile(io.BytesIO(bytes(tflite_bytes))) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


# ---------------------------------------------------------------- writing

def _io_tensors(data):
    """Shapes of subgraph 0's input and output tensors."""
    try:
        sg = _model(data).tables(2)[0]
        tensors = sg.tables(0)
        return ([tensors[i].ints(0) for i in sg.ints(1)],
                [tensors[i].ints(0) for i in sg.ints(2)])
    except (FlatbufferError, struct.error, IndexError) as exc:
        raise ExportError(f"not a usable TFLite model ({exc})") from None


def _count_labels(text):
    return sum(1 for line in text.decode("utf-8").split("\n") if line.strip())


def _check(md, model, files):
    """The checks of the official populator, plus label counts and channels."""
    named = file_names(md)
    missing = [n for n in named if n not in files]
    if missing:
        raise ExportError(f"the metadata names associated files that were not given: {missing}")
    extra = [n for n in files if n not in named]
    if extra:
        raise ExportError(f"files {extra} are not named in the metadata (a tensor's labels_file "
                          f"or a model-level associated file)")
    in_shapes, out_shapes = _io_tensors(model)
    for what, tensors, shapes in (("input", md["inputs"], in_shapes),
                                  ("output", md["outputs"], out_shapes)):
        if len(tensors) != len(shapes):
            raise ExportError(f"the model has {len(shapes)} {what} tensor(s), the metadata "
                              f"describes {len(tensors)}")
        for t, shape in zip(tensors, shapes):
            size = shape[-1] if shape else 1
            if t["labels_file"]:
                n = _count_labels(files[t["labels_file"]])
                if size > 0 and n != size:
                    raise ExportError(f"{t['labels_file']} has {n} labels but {what} "
                                      f"{t['name']!r} has {size} entries (shape {shape})")
            if t["kind"] == "audio" and size > 0 and size % t["channels"]:
                raise ExportError(f"{what} {t['name']!r}: {size} samples (shape {shape}) are "
                                  f"not a multiple of {t['channels']} channels")


def attach(tflite_bytes, metadata_bytes, files=None) -> bytes:
    """The model with `metadata_bytes` (from `build`) as its TFLITE_METADATA
    buffer and `files` ({name: bytes}) appended as a ZIP_STORED zip, as the
    TFLite Support populator writes them (needs TF).

    Replaces metadata and zip already there (attaching twice gives the bytes
    of attaching once); other metadata entries (e.g. "zoo_plan") are kept."""
    from export.flatbuffer import add_metadata

    files = dict(files or {})
    md = parse(metadata_bytes)
    model = strip_associated(tflite_bytes)
    _check(md, model, files)
    if METADATA_NAME in read_metadata(model):
        model = _replace_metadata(model, METADATA_NAME, metadata_bytes)
    else:
        model = add_metadata(model, METADATA_NAME, metadata_bytes, strip_tensor_names=False)
    if not files:
        return model
    out = io.BytesIO(model)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as zf:
        for name, payload in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, bytes(payload), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def keep_associated(data, rewrite):
    """`rewrite(data)` (a flatbuffer rewrite through TF's object API, which drops what
    follows the flatbuffer) with `data`'s associated files (e.g. labels.txt) put back."""
    files = read_associated(data)
    out = rewrite(data)
    if files and out is not data:
        out = attach(out, read_metadata(data)[METADATA_NAME], files)
    return out


def _replace_metadata(data, name, payload):
    """`data` with the payload of its metadata entry `name` replaced in place
    (what the official populator does; no orphaned buffer)."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    for entry in model.metadata:
        if entry.name in (name, name.encode()):
            model.buffers[entry.buffer].data = list(payload)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
