"""Reading and writing the bits of a `.tflite` flatbuffer we need, with no
dependency beyond the standard library for reading (so the edge runtimes,
e.g. a tflite-runtime-only install, can read our plan too).

TFLite schema (tensorflow/lite/schema/schema.fbs), the fields used here:
Model { version:0, operator_codes:1, subgraphs:2, description:3, buffers:4,
metadata_buffer:5, metadata:6, signature_defs:7 }, Metadata { name:0,
buffer:1 }, Buffer { data:0, offset:1, size:2 }, OperatorCode
{ deprecated_builtin_code:0, custom_code:1, version:2, builtin_code:3 }.
"""

from __future__ import annotations

import struct

FILE_IDENTIFIER = b"TFL3"


class FlatbufferError(ValueError):
    pass


class _Table:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vtable = vtable
        self.vlen = struct.unpack_from("<H", buf, vtable)[0]

    def _offset(self, field):
        slot = 4 + 2 * field
        if slot >= self.vlen:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + slot)[0]

    def scalar(self, field, fmt, default=0):
        off = self._offset(field)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0] if off else default

    def _indirect(self, field):
        off = self._offset(field)
        if not off:
            return None
        p = self.pos + off
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def string(self, field):
        p = self._indirect(field)
        if p is None:
            return None
        n = struct.unpack_from("<I", self.buf, p)[0]
        return bytes(self.buf[p + 4:p + 4 + n]).decode("utf-8", "replace")

    def vector(self, field):
        """(start, length) of a vector field."""
        p = self._indirect(field)
        if p is None:
            return None, 0
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def tables(self, field):
        start, n = self.vector(field)
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(_Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out


def _model(data):
    if len(data) < 8 or bytes(data[4:8]) != FILE_IDENTIFIER:
        raise FlatbufferError("not a TFLite flatbuffer (missing the 'TFL3' identifier)")
    try:
        root = struct.unpack_from("<I", data, 0)[0]
        return _Table(data, root)
    except struct.error as exc:
        raise FlatbufferError(f"truncated TFLite flatbuffer ({exc})") from None


def read_metadata(data: bytes) -> dict:
    """`{name: bytes}` of the model's metadata entries."""
    try:
        model = _model(data)
        buffers = model.tables(4)
        out = {}
        for entry in model.tables(6):
            name, index = entry.string(0), entry.scalar(1, "I")
            if index >= len(buffers):
                raise FlatbufferError(f"metadata {name!r} points past the buffer table")
            buf = buffers[index]
            start, n = buf.vector(0)
            if start is None:
                offset, size = buf.scalar(1, "Q"), buf.scalar(2, "Q")
                out[name] = bytes(data[offset:offset + size])
            else:
                out[name] = bytes(data[start:start + n])
        return out
    except (struct.error, IndexError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


def add_metadata(data: bytes, name: str, payload: bytes, strip_tensor_names=True) -> bytes:
    """Return `data` with a metadata entry `name` holding `payload` (needs TF).

    With `strip_tensor_names`, internal tensor names (TF op paths, several KB
    in small models) are dropped; signature input/output names are kept, as
    signatures carry their own."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    if strip_tensor_names:
        for subgraph in model.subgraphs:
            for tensor in subgraph.tensors:
                tensor.name = None
    buffer = schema.BufferT()
    buffer.data = list(payload)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name != name.encode() and m.name != name]
    model.metadata.append(entry)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _builtin_names():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # pragma: no cover - TF fallback
        from tensorflow.lite.python import schema_py_generated as schema
    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def read_operators(data: bytes):
    """`{signature_key: [op_name, ...]}` for every signature of the model
    (`{subgraph_name: ...}` for a model without signatures).

    Custom ops appear as `CUSTOM:<code>` (Flex ops as `CUSTOM:Flex...`)."""
    names = _builtin_names()
    model = _model(data)
    codes = []
    for oc in model.tables(1):
        code = max(oc.scalar(3, "i"), oc.scalar(0, "b"))
        custom = oc.string(1)
        codes.append(f"CUSTOM:{custom}" if custom else names.get(code, f"BUILTIN_{code}"))
    subgraphs = [[codes[op.scalar(0, "I")] for op in sg.tables(3)] for sg in model.tables(2)]
    # SignatureDef { inputs:0, outputs:1, signature_key:2, deprecated_tag:3, subgraph_index:4 }
    signatures = {sig.string(2): sig.scalar(4, "I") for sig in model.tables(7)}
    if signatures:
        return {key: subgraphs[index] for key, index in sorted(signatures.items())}
    return {sg.string(4) or f"subgraph{i}": ops
            for i, (sg, ops) in enumerate(zip(model.tables(2), subgraphs))}


def merge_models(first: bytes, second: bytes) -> bytes:
    """One flatbuffer holding the subgraphs and signatures of both models
    (needs TF). Used to keep some signatures float32 in an integer file.

    Operator codes are shared, the second model's buffers are appended
    (buffer 0, the empty sentinel, stays 0) and its signature defs point at
    its subgraphs' new indices. Metadata comes from `first`, except
    `min_runtime_version`, which takes the larger of the two."""
    from tensorflow.lite.tools import flatbuffer_utils

    a = flatbuffer_utils.convert_bytearray_to_object(bytearray(first))
    b = flatbuffer_utils.convert_bytearray_to_object(bytearray(second))

    def key(code):
        return (code.builtinCode, code.deprecatedBuiltinCode, code.customCode, code.version)

    codes = {key(c): i for i, c in enumerate(a.operatorCodes)}
    remap_code = []
    for c in b.operatorCodes:
        if key(c) not in codes:
            codes[key(c)] = len(a.operatorCodes)
            a.operatorCodes.append(c)
        remap_code.append(codes[key(c)])
    offset = len(a.buffers)
    metadata_buffers = {m.buffer for m in b.metadata or []}
    a.buffers.extend(b.buffers)
    first_subgraph = len(a.subgraphs)
    for sg in b.subgraphs:
        for tensor in sg.tensors:
            if tensor.buffer:
                tensor.buffer += offset
        for op in sg.operators:
            op.opcodeIndex = remap_code[op.opcodeIndex]
        a.subgraphs.append(sg)
    for sig in b.signatureDefs or []:
        sig.subgraphIndex += first_subgraph
        a.signatureDefs.append(sig)
    versions = {}
    for model, base in ((a, 0), (b, offset)):
        for m in model.metadata or []:
            name = m.name.decode() if isinstance(m.name, bytes) else m.name
            if name == "min_runtime_version":
                data = bytes(a.buffers[m.buffer + (base if model is b else 0)].data)
                versions[model is b] = data.rstrip(b"\0").decode()
    if len(versions) == 2:
        newest = max(versions.values(), key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()))
        for m in a.metadata:
            if (m.name.decode() if isinstance(m.name, bytes) else m.name) == "min_runtime_version":
                a.buffers[m.buffer].data = list(newest.encode().ljust(16, b"\0"))
    for i in sorted(metadata_buffers):  # drop the second model's metadata payloads
        a.buffers[offset + i].data = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(a))
