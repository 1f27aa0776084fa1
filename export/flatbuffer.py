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


def _need(buf, pos, size, what="field"):
    """Raise FlatbufferError unless `size` bytes at `pos` lie inside `buf`."""
    if pos < 0 or size < 0 or pos + size > len(buf):
        raise FlatbufferError(f"corrupt TFLite flatbuffer: a {what} at byte {pos} "
                              f"({size} bytes) lies outside the {len(buf)}-byte file")


class _Table:
    """A flatbuffer table; every read is bounds-checked (FlatbufferError)."""

    def __init__(self, buf, pos):
        _need(buf, pos, 4, "table")
        self.buf, self.pos = buf, pos
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        _need(buf, vtable, 4, "vtable")
        self.vtable = vtable
        self.vlen = struct.unpack_from("<H", buf, vtable)[0]
        _need(buf, vtable, self.vlen, "vtable")

    def _offset(self, field):
        slot = 4 + 2 * field
        if slot + 2 > self.vlen:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + slot)[0]

    def scalar(self, field, fmt, default=0):
        off = self._offset(field)
        if not off:
            return default
        _need(self.buf, self.pos + off, struct.calcsize("<" + fmt))
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0]

    def _indirect(self, field):
        off = self._offset(field)
        if not off:
            return None
        p = self.pos + off
        _need(self.buf, p, 4, "offset")
        p += struct.unpack_from("<I", self.buf, p)[0]
        _need(self.buf, p, 4, "vector or string")
        return p

    def string(self, field):
        p = self._indirect(field)
        if p is None:
            return None
        n = struct.unpack_from("<I", self.buf, p)[0]
        _need(self.buf, p + 4, n, "string")
        return bytes(self.buf[p + 4:p + 4 + n]).decode("utf-8", "replace")

    def vector(self, field, item=4):
        """(start, length) of a vector field of `item`-byte elements."""
        p = self._indirect(field)
        if p is None:
            return None, 0
        n = struct.unpack_from("<I", self.buf, p)[0]
        _need(self.buf, p + 4, n * item, "vector")
        return p + 4, n

    def ints(self, field):
        """A vector of int32 as a list."""
        start, n = self.vector(field)
        return list(struct.unpack_from(f"<{n}i", self.buf, start)) if n else []

    def table(self, field):
        p = self._indirect(field)
        return None if p is None else _Table(self.buf, p)

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


# TensorType -> the zero-point range its kernels accept (INT8, UINT8, INT16, INT4).
_ZERO_POINT_RANGE = {9: (-128, 127), 3: (0, 255), 7: (-32768, 32767), 17: (-8, 7)}


def _check_quantization(q, tensor, bad, what):
    """Scale / zero-point vectors consistent with the tensor (LiteRT kernels
    index tables with the zero point: an out-of-range one crashes them)."""
    q.vector(0), q.vector(1)
    start, n_scale = q.vector(2)
    zstart, n_zero = q.vector(3, item=8)
    zeros = struct.unpack_from(f"<{n_zero}q", q.buf, zstart) if n_zero else ()
    lo, hi = _ZERO_POINT_RANGE.get(tensor.scalar(1, "b"), (-(1 << 63), (1 << 63) - 1))
    if any(not lo <= z <= hi for z in zeros):
        bad(f"{what} has a zero point outside [{lo}, {hi}]")
    if n_zero and n_scale and n_zero != n_scale:
        bad(f"{what} has {n_scale} scales but {n_zero} zero points")
    shape = tensor.ints(0)
    dim = q.scalar(6, "i")
    if n_scale > 1 and not (0 <= dim < len(shape) and shape[dim] == n_scale):
        bad(f"{what} has {n_scale} per-channel scales for shape {shape} (axis {dim})")


def check_structure(data: bytes):
    """Walk the model's tables and raise `FlatbufferError` unless every offset
    and vector stays inside the file and every index (operator code, tensor,
    buffer, subgraph, signature tensor) is in range.

    The TFLite runtimes check the flatbuffer encoding but not all indices:
    e.g. a signature's tensor index past the subgraph's tensors crashes
    `Interpreter.get_input_details` (segmentation fault). Run this first."""
    def bad(why):
        raise FlatbufferError(f"corrupt TFLite flatbuffer: {why}")

    try:
        model = _model(data)
        codes = model.tables(1)
        for oc in codes:
            oc.string(1)
        buffers = model.tables(4)
        for i, b in enumerate(buffers):
            b.vector(0, item=1)
            offset, size = b.scalar(1, "Q"), b.scalar(2, "Q")
            if offset > 1 and offset + size > len(data):
                bad(f"buffer {i} points past the end of the file")
        subgraphs = model.tables(2)
        if not subgraphs:
            bad("no subgraphs")
        sizes = []
        for si, sg in enumerate(subgraphs):
            tensors = sg.tables(0)
            n = len(tensors)
            sizes.append(n)
            for ti, t in enumerate(tensors):
                t.ints(0), t.ints(7), t.string(3)
                if t.scalar(2, "I") >= len(buffers):
                    bad(f"tensor {ti} of subgraph {si} uses buffer {t.scalar(2, 'I')} "
                        f"of {len(buffers)}")
                q = t.table(4)
                if q is not None:
                    _check_quantization(q, t, bad, f"tensor {ti} of subgraph {si}")
            for idx in sg.ints(1) + sg.ints(2):
                if not 0 <= idx < n:
                    bad(f"subgraph {si} input/output tensor {idx} out of range ({n} tensors)")
            for oi, op in enumerate(sg.tables(3)):
                if op.scalar(0, "I") >= len(codes):
                    bad(f"operator {oi} of subgraph {si} uses operator code "
                        f"{op.scalar(0, 'I')} of {len(codes)}")
                for idx in op.ints(1) + op.ints(2) + op.ints(8):
                    if not -1 <= idx < n:
                        bad(f"operator {oi} of subgraph {si} uses tensor {idx} ({n} tensors)")
                op.vector(5, item=1)
                offset, size = op.scalar(9, "Q"), op.scalar(10, "Q")
                if offset > 1 and offset + size > len(data):
                    bad(f"operator {oi} of subgraph {si} has custom options past the end")
        for sig in model.tables(7):
            sig.string(2)
            si = sig.scalar(4, "I")
            if si >= len(subgraphs):
                bad(f"signature {sig.string(2)!r} uses subgraph {si} of {len(subgraphs)}")
            for tm in sig.tables(0) + sig.tables(1):
                tm.string(0)
                if tm.scalar(1, "I") >= sizes[si]:
                    bad(f"signature {sig.string(2)!r} uses tensor {tm.scalar(1, 'I')} "
                        f"({sizes[si]} tensors)")
        for entry in model.tables(6):
            entry.string(0)
            if entry.scalar(1, "I") >= len(buffers):
                bad(f"metadata {entry.string(0)!r} points past the buffer table")
        for idx in model.ints(5):
            if not 0 <= idx < len(buffers):
                bad(f"metadata buffer {idx} out of range")
    except (struct.error, IndexError, OverflowError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


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
            start, n = buf.vector(0, item=1)
            if start is None:
                offset, size = buf.scalar(1, "Q"), buf.scalar(2, "Q")
                out[name] = bytes(data[offset:offset + size])
            else:
                out[name] = bytes(data[start:start + n])
        return out
    except (struct.error, IndexError, OverflowError) as exc:
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
    try:
        return _read_operators(data, names)
    except (struct.error, IndexError, OverflowError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


def _read_operators(data, names):
    model = _model(data)
    codes = []
    for oc in model.tables(1):
        code = max(oc.scalar(3, "i"), oc.scalar(0, "b"))
        custom = oc.string(1)
        codes.append(f"CUSTOM:{custom}" if custom else names.get(code, f"BUILTIN_{code}"))
    subgraphs = [[codes[op.scalar(0, "I")] for op in sg.tables(3)] for sg in model.tables(2)]
    # SignatureDef { inputs:0, outputs:1, signature_key:2, deprecated_tag:3, subgraph_index:4 }
    signatures = {sig.string(2): sig.scalar(4, "I") for sig in model.tables(7)}
    if None in signatures:
        raise FlatbufferError("corrupt TFLite flatbuffer: a signature without a key")
    if signatures:
        return {key: subgraphs[index] for key, index in sorted(signatures.items())}
    return {sg.string(4) or f"subgraph{i}": ops
            for i, (sg, ops) in enumerate(zip(model.tables(2), subgraphs))}


def signature_tensor_names(data: bytes, subgraph=None):
    """`(input names, output names)` of a one-signature file's SignatureDef, in the order
    of its subgraph's inputs and outputs (what TFLite Metadata describes, tensor by
    tensor), not the SignatureDef's own (sorted) order. `subgraph`: in a file of several
    signatures (a stepped file), the one that runs that subgraph."""
    try:
        model = _model(data)
        sigs = model.tables(7)
        if subgraph is not None:
            sigs = [s for s in sigs if s.scalar(4, "I") == subgraph]
            if not sigs:
                raise FlatbufferError(f"no signature runs subgraph {subgraph}")
        elif len(sigs) != 1:
            raise FlatbufferError(f"expected one signature, found {len(sigs)}")
        sig = sigs[0]
        # SignatureDef { inputs:0, outputs:1, subgraph_index:4 }, TensorMap { name:0,
        # tensor_index:1 }; SubGraph { inputs:1, outputs:2 }
        graph = model.tables(2)[sig.scalar(4, "I")]

        def names(field, order):
            # one tensor may be several signature outputs (a GRU step's `y` is its new
            # state), listed once per name in the subgraph: its names in turn
            by_index = {}
            for tm in sig.tables(field):
                by_index.setdefault(tm.scalar(1, "I"), []).append(tm.string(0))
            seen = {}
            out = []
            for i in graph.ints(order):
                k = seen.get(i, 0)
                seen[i] = k + 1
                out.append(by_index[i][min(k, len(by_index[i]) - 1)])
            return out

        return names(0, 1), names(1, 2)
    except (struct.error, IndexError, OverflowError, KeyError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


def signature_keys(data: bytes) -> dict:
    """`{subgraph index: signature key}` of the file's SignatureDefs."""
    try:
        # SignatureDef { signature_key:2, subgraph_index:4 }
        return {sig.scalar(4, "I"): sig.string(2) for sig in _model(data).tables(7)}
    except (struct.error, IndexError, OverflowError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


def input_outputs(data: bytes):
    """`[(signature, output name, input name, read)]` for every signature output that IS
    one of the signature's input tensors (the converter drops an identity from input to
    output); `read`: an operator of the signature's subgraph also takes that tensor.

    LiteRT.js (2.5.x) binds an output buffer to every output tensor: it returns such an
    output unwritten and, when the graph reads the tensor, computes on that buffer
    instead of the input (measured: a 2-input model's outputs off by 1.3 in wasm)."""
    try:
        model = _model(data)
        subgraphs = model.tables(2)
        found = []
        # SignatureDef { inputs:0, outputs:1, signature_key:2, subgraph_index:4 },
        # TensorMap { name:0, tensor_index:1 }; Operator { inputs:1 }
        for sig in model.tables(7):
            ins = {tm.scalar(1, "I"): tm.string(0) for tm in sig.tables(0)}
            same = [(tm.string(0), tm.scalar(1, "I")) for tm in sig.tables(1)
                    if tm.scalar(1, "I") in ins]
            if not same:
                continue
            read = {i for op in subgraphs[sig.scalar(4, "I")].tables(3) for i in op.ints(1)}
            found += [(sig.string(2), name, ins[t], t in read) for name, t in sorted(same)]
        return found
    except (struct.error, IndexError, OverflowError) as exc:
        raise FlatbufferError(f"corrupt TFLite flatbuffer ({exc})") from None


def align_broadcast_ranks(data: bytes):
    """`(flatbuffer, count)`: `data` with every ADD/SUB/MUL whose operand computed at run
    time has a lower rank than the other given that operand at the full rank, 1s in front
    (needs TF). LiteRT.js WebGPU computes such an int8 broadcast wrong
    (`web_demo.gpu_check --trace`): the converter writes, at batch 1, a `[n]` projection
    into every Keras LSTM step (`x @ W + h @ U`; the cell state up to 0.39 off from
    equal inputs) and a `[1, d]` query against `[1, t, d]` keys in attention pooling
    (kws-att-bilstm's int8 file wrong there). The operand's RESHAPE, when only such ops
    read it, is given the full shape; else a RESHAPE is put in front of the op. Broadcast
    by hand is the same arithmetic: CPU outputs stay bit for bit the same. Constant
    operands (biases) and shapes not fixed in the file (a dynamic batch) are left alone.
    Metadata entries are kept; associated files (a zip after the flatbuffer) are not:
    `export.metadata.keep_associated` puts them back. `count` 0: `data` as it is."""
    if not any(op in ("ADD", "SUB", "MUL") for ops in read_operators(data).values()
               for op in ops):
        return data, 0
    import copy

    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    ops_ = schema.BuiltinOperator
    binary = (ops_.ADD, ops_.SUB, ops_.MUL)
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))

    def code(op):
        c = model.operatorCodes[op.opcodeIndex]
        return max(c.builtinCode, c.deprecatedBuiltinCode)

    def shape_tensor(sg, shape):  # a constant int32 tensor holding `shape`
        buffer = schema.BufferT()
        buffer.data = list(np.array(shape, "<i4").tobytes())
        model.buffers.append(buffer)
        tensor = schema.TensorT()
        tensor.shape, tensor.type = np.array([len(shape)], np.int32), schema.TensorType.INT32
        tensor.buffer = len(model.buffers) - 1
        sg.tensors.append(tensor)
        return len(sg.tensors) - 1

    def reshape_code():
        for i, c in enumerate(model.operatorCodes):
            if max(c.builtinCode, c.deprecatedBuiltinCode) == ops_.RESHAPE:
                return i
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = ops_.RESHAPE
        c.version = 1
        model.operatorCodes.append(c)
        return len(model.operatorCodes) - 1

    def static(sg, i):
        t = sg.tensors[i]
        return t.shape is not None and (t.shapeSignature is None or min(t.shapeSignature, default=0) >= 0)

    def computed(sg, producer, i):  # neither a constant nor a dequantized constant
        t = sg.tensors[i]
        if t.buffer and model.buffers[t.buffer].data is not None:
            return False
        source = producer.get(i)
        return not (source is not None and code(source) == ops_.DEQUANTIZE
                    and not computed(sg, producer, source.inputs[0]))

    def widen(sg, producer, op, low, full):
        """Give operand `low` of `op` the shape `full`; returns the RESHAPE to put in front
        of `op`, or None when `low`'s own RESHAPE was changed instead."""
        source = producer.get(low)
        readers = [r for r in sg.operators if low in r.inputs]
        if (source is not None and code(source) == ops_.RESHAPE and low not in sg.outputs
                and all(code(r) in binary and all(len(sg.tensors[i].shape) == len(full)
                                                  for i in r.inputs if i != low)
                        for r in readers)):
            tensor = sg.tensors[low]
            tensor.shape = np.array(full, np.int32)
            if tensor.shapeSignature is not None:
                tensor.shapeSignature = np.array(full, np.int32)
            source.inputs = [source.inputs[0], shape_tensor(sg, full)]
            if getattr(source.builtinOptions, "newShape", None) is not None:
                source.builtinOptions.newShape = full
            return None
        wide = copy.deepcopy(sg.tensors[low])  # same type and quantization
        wide.shape, wide.shapeSignature, wide.buffer, wide.name = np.array(full, np.int32), None, 0, None
        sg.tensors.append(wide)
        reshape = schema.OperatorT()
        reshape.opcodeIndex = reshape_code()
        reshape.outputs = [len(sg.tensors) - 1]
        reshape.inputs = [low, shape_tensor(sg, full)]
        op.inputs = [reshape.outputs[0] if i == low else i for i in op.inputs]
        return reshape

    count = 0
    for sg in model.subgraphs:
        producer = {o: op for op in sg.operators for o in op.outputs}
        operators = []
        for op in sg.operators:
            if code(op) in binary and len(op.inputs) == 2 and all(static(sg, i) for i in op.inputs):
                low, high = sorted(op.inputs, key=lambda i: len(sg.tensors[i].shape))
                lo, hi = len(sg.tensors[low].shape), len(sg.tensors[high].shape)
                if 0 < lo < hi and computed(sg, producer, low):
                    full = [1] * (hi - lo) + [int(d) for d in sg.tensors[low].shape]
                    reshape = widen(sg, producer, op, low, full)
                    operators += [reshape] if reshape is not None else []
                    count += 1
            operators.append(op)
        sg.operators = operators
    if not count:
        return data, 0
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), count


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


#: `float16_constants` leaves float32 constants of fewer elements as they are (biases,
#: scalars, small tables: no size to speak of, and their precision kept).
FLOAT16_MIN_ELEMENTS = 256


def float16_constants(data: bytes, min_elements=FLOAT16_MIN_ELEMENTS):
    """`(flatbuffer, count)`: `data` with each float32 constant of at least `min_elements`
    values stored as float16 and turned back into float32 by a DEQUANTIZE in front of its
    readers (needs TF). It is what the converter's float16 mode writes, and what a stepped
    integer file's float signatures hold (`export.convert._convert_stepped`): the float-only
    part of a single-layout integer file (the log-mel filter bank, a float GRU cell) stores
    its weights in half the bytes and computes in float32 as before; LiteRT dequantizes a
    constant once, when the interpreter is prepared. Tensors that share a buffer share its
    float16 copy. Metadata entries are kept; associated files are not
    (`export.metadata.keep_associated`). `count` 0: `data` as it is."""
    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    F32, F16 = schema.TensorType.FLOAT32, schema.TensorType.FLOAT16

    def dequantize_code():
        for i, c in enumerate(model.operatorCodes):
            if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.DEQUANTIZE \
                    and c.version >= 3:
                return i
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = schema.BuiltinOperator.DEQUANTIZE
        c.version = 3  # float16 input (the converter's float16 files write version 3)
        model.operatorCodes.append(c)
        return len(model.operatorCodes) - 1

    def constant(t):
        b = model.buffers[t.buffer] if t.buffer else None
        return (t.type == F32 and not t.isVariable and b is not None and b.data is not None
                and len(b.data) >= 4 * min_elements)

    half_of = {}  # float32 buffer -> its float16 buffer
    converted = set()
    count = 0
    FC, I8 = schema.BuiltinOperator.FULLY_CONNECTED, schema.TensorType.INT8
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    for sg in model.subgraphs:
        read = {i for op in sg.operators for i in op.inputs}
        # a hybrid FULLY_CONNECTED (float input, int8 weights) needs a constant bias:
        # XNNPack refuses one made by a DEQUANTIZE
        read -= {op.inputs[2] for op in sg.operators if codes[op.opcodeIndex] == FC
                 and len(op.inputs) > 2 and sg.tensors[op.inputs[1]].type == I8
                 and sg.tensors[op.inputs[0]].type == F32}
        front = []
        for index, t in enumerate(sg.tensors):
            if index not in read or not constant(t):
                continue
            if t.buffer not in half_of:
                values = np.frombuffer(bytes(bytearray(model.buffers[t.buffer].data)), "<f4")
                b = schema.BufferT()
                b.data = list(values.astype("<f2").tobytes())
                model.buffers.append(b)
                half_of[t.buffer] = len(model.buffers) - 1
            half = schema.TensorT()
            half.shape, half.shapeSignature = t.shape, t.shapeSignature
            half.type, half.buffer = F16, half_of[t.buffer]
            half.name = (t.name.decode() if isinstance(t.name, bytes) else (t.name or "")) + "_float16"
            sg.tensors.append(half)
            converted.add(t.buffer)
            empty = schema.BufferT()
            model.buffers.append(empty)
            t.buffer = len(model.buffers) - 1  # now an output of the DEQUANTIZE below
            op = schema.OperatorT()
            op.opcodeIndex = dequantize_code()
            op.inputs, op.outputs = [len(sg.tensors) - 1], [index]
            front.append(op)
            count += 1
        sg.operators = front + list(sg.operators)
    return _rewritten(data, model, converted, count)


def hybrid_fully_connected(data: bytes, marker: str):
    """`(flatbuffer, count)`: `data` with each float FULLY_CONNECTED whose output tensor's
    name holds `marker` and whose weights are a float32 constant made hybrid (needs TF):
    its weights int8 (symmetric, one scale per tensor) and `asymmetric_quantize_inputs`
    set, so the kernel quantizes its float input at each call's own range and returns
    float (what the converter's dynamic-range mode writes, FULLY_CONNECTED version 9).
    One scale per tensor, not per output channel: tflite-runtime 2.14's per-channel
    hybrid kernel returns wrong values for an input of more than one row (measured: a
    `[49, 128] @ [128, 320]` off by the output's whole range; right on ai-edge-litert, and
    per tensor right on both). A weight tensor that an op outside `marker` reads too is
    left float.
    Run it before `float16_constants` (that leaves a hybrid op's bias float32: XNNPack
    refuses a hybrid FULLY_CONNECTED whose bias a DEQUANTIZE makes) and before
    `add_metadata` strips the tensor names. `count` 0: `data` as it is."""
    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    F32, I8 = schema.TensorType.FLOAT32, schema.TensorType.INT8
    FC = schema.BuiltinOperator.FULLY_CONNECTED
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]

    def hybrid_code():
        for i, c in enumerate(model.operatorCodes):
            if codes[i] == FC and c.version >= 9:
                return i
        c = schema.OperatorCodeT()
        c.builtinCode = c.deprecatedBuiltinCode = FC
        c.version = 9  # float input, int8 weights, asymmetric input quantization
        model.operatorCodes.append(c)
        codes.append(FC)
        return len(model.operatorCodes) - 1

    def int8_weights(t):
        values = np.frombuffer(bytes(bytearray(model.buffers[t.buffer].data)), "<f4")
        scale = float(np.abs(values).max()) / 127 or 1.0
        out = schema.BufferT()
        out.data = list(np.clip(np.round(values / scale), -127, 127).astype(np.int8).tobytes())
        model.buffers.append(out)
        t.buffer, t.type = len(model.buffers) - 1, I8
        t.quantization = schema.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [scale], [0]

    def name(t):
        return t.name.decode() if isinstance(t.name, bytes) else (t.name or "")

    count, replaced = 0, set()
    for sg in model.subgraphs:
        def marked(op, sg=sg):
            return codes[op.opcodeIndex] == FC and marker in name(sg.tensors[op.outputs[0]])

        readers = {}
        for op in sg.operators:
            for i in op.inputs:
                readers.setdefault(i, []).append(op)
        for op in sg.operators:
            if not marked(op):
                continue
            x, w = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]]
            if x.type != F32:
                continue
            if w.type == F32:
                b = model.buffers[w.buffer] if w.buffer else None
                if b is None or b.data is None or not all(map(marked, readers[op.inputs[1]])):
                    continue
                replaced.add(w.buffer)
                int8_weights(w)  # shared by the FCs of every step: converted once
            elif w.type != I8:
                continue
            op.opcodeIndex = hybrid_code()
            op.builtinOptions.asymmetricQuantizeInputs = True
            count += 1
    return _rewritten(data, model, replaced, count)


def _rewritten(data, model, replaced, count):
    """`(flatbuffer, count)` of the rewritten `model` (a flatbuffer_utils object), the
    float32 data of the `replaced` buffers that no tensor reads any more dropped; `data`
    as it was when nothing was rewritten (`count` 0)."""
    from tensorflow.lite.tools import flatbuffer_utils

    if not count:
        return data, 0
    still_read = {t.buffer for sg in model.subgraphs for t in sg.tensors}
    for b in replaced - still_read:
        model.buffers[b].data = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), count
