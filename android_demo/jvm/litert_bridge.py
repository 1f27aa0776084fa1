"""The native half of the desktop LiteRT stand-in (litert/org/tensorflow/lite/Interpreter.java).

The Java class starts this script and talks to it over stdin/stdout; it runs the
.tflite the app loaded with ai_edge_litert's interpreter (the same kernels as
LiteRT on a phone's CPU). Messages both ways: a 4-byte big-endian header length,
the JSON header, then `header["bytes"]` bytes of payload.

- `{"op": "load", "threads": n}` + the model's bytes -> `{"keys": [...],
  "signatures": {key: {"inputs": [tensor..], "outputs": [tensor..]}}}`, a tensor
  being `{name, dtype, shape, scale, zero_point, index}` (names sorted, as LiteRT
  lists them);
- `{"op": "run", "key": k, "inputs": [name..]}` + the inputs' raw bytes in that
  order -> `{"outputs": [name..]}` + the outputs' raw bytes in that order;
- any failure -> `{"error": "..."}` (the Java side raises it).

Not a server: one process per Interpreter, ended when its stdin closes.
"""

import json
import struct
import sys

import numpy as np


def _read(stream):
    head = stream.read(4)
    if len(head) < 4:
        return None, b""
    header = json.loads(stream.read(struct.unpack(">i", head)[0]))
    return header, stream.read(header.get("bytes", 0))


def _write(stream, header, payload=b""):
    header = dict(header, bytes=len(payload))
    raw = json.dumps(header).encode()
    stream.write(struct.pack(">i", len(raw)) + raw + payload)
    stream.flush()


def _tensor(name, d):
    scale, zero = d.get("quantization", (0.0, 0))
    return {"name": name, "dtype": np.dtype(d["dtype"]).name, "shape": [int(v) for v in d["shape"]],
            "scale": float(scale), "zero_point": int(zero), "index": int(d["index"])}


class Bridge:
    def __init__(self):
        self.runners, self.details = {}, {}

    def load(self, header, payload):
        from ai_edge_litert.interpreter import Interpreter

        threads = header.get("threads", -1)
        interpreter = Interpreter(model_content=payload, num_threads=threads if threads > 0 else None)
        signatures = {}
        for key in interpreter.get_signature_list():
            runner = interpreter.get_signature_runner(key)
            ins, outs = runner.get_input_details(), runner.get_output_details()
            self.runners[key] = runner
            self.details[key] = ins, outs
            signatures[key] = {"inputs": [_tensor(n, ins[n]) for n in sorted(ins)],
                               "outputs": [_tensor(n, outs[n]) for n in sorted(outs)]}
        return {"keys": list(signatures), "signatures": signatures}, b""

    def run(self, header, payload):
        key = header["key"]
        ins, outs = self.details[key]
        feed, offset = {}, 0
        for name in header["inputs"]:
            d = ins[name]
            dtype, shape = np.dtype(d["dtype"]), tuple(int(v) for v in d["shape"])
            size = dtype.itemsize * int(np.prod(shape))
            feed[name] = np.frombuffer(payload, dtype.newbyteorder("<"), int(np.prod(shape)),
                                       offset).reshape(shape)
            offset += size
        if offset != len(payload):
            raise ValueError(f"{key}: {len(payload)} input bytes for {offset} expected")
        result = self.runners[key](**feed)
        names = sorted(outs)
        data = b"".join(np.ascontiguousarray(result[n], np.dtype(outs[n]["dtype"]).newbyteorder("<"))
                        .tobytes() for n in names)
        return {"outputs": names}, data


def main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    bridge = Bridge()
    while True:
        header, payload = _read(stdin)
        if header is None:
            return
        try:
            reply, data = getattr(bridge, header["op"])(header, payload)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the Java caller
            reply, data = {"error": f"{type(exc).__name__}: {exc}"}, b""
        _write(stdout, reply, data)


if __name__ == "__main__":
    main()
