"""Seeded fuzzing of the two file readers users point at arbitrary files.

* WAV: mutated copies of the bundled `zoo/demo_audio/*.wav` (bit flips,
  truncations, header fields: sample rate, channels, bits, format tag, chunk
  sizes; random bytes; duplicated and inserted chunks) go through
  `zoo.api.read_audio` and `zoo.demo.sources.WavSource` (header + full
  iteration).
* TFLite: mutated copies of the shipped `kws-att-bilstm.int8.tflite` (root
  offset and identifier, uoffset/vtable words, truncations, byte flips in the
  first 4 KB and in the metadata region) go through `export.runtime.load`
  plus one call, and through `export.flatbuffer.read_metadata` /
  `read_operators`.

Each outcome must be success or one of our exception types (`ValueError`,
`KeyError`, `FileNotFoundError` and subclasses, e.g. `RuntimeLoadError`);
any other exception fails, and so does a crash: every batch runs in a
subprocess, so a segmentation fault in LiteRT shows as a negative return
code, reported with the case that was running.

Default run: 150 WAV + 150 TFLite cases. `-m slow`: 1200 + 1200.
Every case is reproducible from (seed, kind, index):
`python -c "from tests.test_fuzz import worker; worker()" tflite SEED START COUNT`.
"""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WAV_DIR = ROOT / "zoo" / "demo_audio"
TFLITE = ROOT / "zoo" / "pretrained" / "kws-att-bilstm" / "kws-att-bilstm.int8.tflite"
SEED = 20240611
ALLOWED = (ValueError, KeyError, FileNotFoundError)
BATCH_TIMEOUT_S = 300


# ------------------------------------------------------------------ WAV mutations


def _chunks(data):
    """[(id, header_offset, size)] of the RIFF chunks of a clean WAV."""
    out, pos = [], 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        out.append((cid, pos, size))
        pos += 8 + size + (size & 1)
    return out


_RATES = [0, 1, 999, 1000, 8000, 11025, 15999, 16000, 16001, 44100, 48000, 96000,
          0x7FFFFFFF, 0xFFFFFFFF]
_SMALL = [0, 1, 2, 3, 4, 6, 8, 255, 256, 0x7FFF, 0xFFFF]
_BITS = [0, 1, 4, 7, 8, 12, 15, 16, 17, 24, 32, 48, 64, 0xFFFF]
_TAGS = [0, 1, 2, 3, 6, 7, 0xFFFE, 0xFFFF]
_SIZES = [0, 1, 2, 15, 16, 17, 18, 40, 0x7FFFFFFF, 0xFFFFFFFF]


def _wav_field(rng, data, chunks=None):
    data = bytearray(data)
    chunks = chunks or {cid: (pos, size) for cid, pos, size in _chunks(bytes(data))}
    fmt = chunks[b"fmt "][0] + 8
    field = rng.choice(["rate", "channels", "bits", "tag", "byte_rate", "align",
                        "riff_size", "fmt_size", "data_size", "riff_id", "wave_id"])
    if field == "rate":
        struct.pack_into("<I", data, fmt + 4, rng.choice(_RATES + [rng.getrandbits(32)]))
    elif field == "channels":
        struct.pack_into("<H", data, fmt + 2, rng.choice(_SMALL))
    elif field == "bits":
        struct.pack_into("<H", data, fmt + 14, rng.choice(_BITS))
    elif field == "tag":
        struct.pack_into("<H", data, fmt, rng.choice(_TAGS))
    elif field == "byte_rate":
        struct.pack_into("<I", data, fmt + 8, rng.choice(_SIZES + [rng.getrandbits(32)]))
    elif field == "align":
        struct.pack_into("<H", data, fmt + 12, rng.choice(_SMALL))
    elif field == "riff_size":
        struct.pack_into("<I", data, 4, rng.choice(_SIZES + [len(data) - 8 + rng.randint(-9, 9)]))
    elif field == "fmt_size":
        struct.pack_into("<I", data, fmt - 4, rng.choice(_SIZES))
    elif field == "data_size":
        pos, size = chunks[b"data"]
        struct.pack_into("<I", data, pos + 4, rng.choice(_SIZES + [size + rng.randint(-5, 5),
                                                                    rng.getrandbits(32)]))
    elif field == "riff_id":
        data[0:4] = rng.choice([b"RIFX", b"RIFf", b"\0\0\0\0", b"FORM"])
    else:
        data[8:12] = rng.choice([b"WAVf", b"AVI ", b"\0\0\0\0"])
    if rng.random() < 0.3:  # sometimes two fields at once
        return _wav_field(rng, bytes(data), chunks)
    return bytes(data)


def _wav_chunks(rng, data):
    chunks = _chunks(data)
    header, body = data[:12], data[12:]
    pieces = [data[pos:pos + 8 + size + (size & 1)] for _, pos, size in chunks]
    op = rng.choice(["dup", "dup_fmt_after_data", "insert", "odd", "reorder", "drop"])
    if op == "dup":
        i = rng.randrange(len(pieces))
        pieces.insert(i, pieces[i])
    elif op == "dup_fmt_after_data":
        pieces.append(pieces[0])
    elif op == "insert":
        junk = rng.randbytes(rng.randint(0, 64))
        cid = rng.choice([b"LIST", b"junk", b"fact", b"\0\0\0\0", b"data", b"fmt "])
        size = rng.choice([len(junk), 0xFFFFFFFF, len(junk) + 1, 0])
        pieces.insert(rng.randint(0, len(pieces)), cid + struct.pack("<I", size) + junk)
    elif op == "odd":
        junk = rng.randbytes(rng.choice([1, 3, 5]))
        pieces.insert(0, b"odd " + struct.pack("<I", len(junk)) + junk + rng.choice([b"", b"\0"]))
    elif op == "reorder":
        pieces.reverse()
    else:
        del pieces[rng.randrange(len(pieces))]
    del body
    return header + b"".join(pieces)


def mutate_wav(rng, data):
    kind = rng.choice(["bitflip", "header_bitflip", "truncate", "field", "field",
                       "random", "riff_random", "chunks", "chunks"])
    if kind in ("bitflip", "header_bitflip"):
        data = bytearray(data)
        span = 64 if kind == "header_bitflip" else len(data)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(min(span, len(data)))
            data[i] ^= 1 << rng.randrange(8)
        return kind, bytes(data)
    if kind == "truncate":
        cut = rng.choice([rng.randint(0, 64), rng.randint(0, len(data))])
        return kind, data[:cut]
    if kind == "field":
        return kind, _wav_field(rng, data)
    if kind == "random":
        return kind, rng.randbytes(rng.choice([0, 1, 11, 12, 44, rng.randint(0, 4096)]))
    if kind == "riff_random":
        tail = rng.randbytes(rng.randint(0, 512))
        return kind, b"RIFF" + struct.pack("<I", len(tail) + 4) + b"WAVE" + tail
    return kind, _wav_chunks(rng, data)


def _attempt(what, fn):
    """'ok', the name of an allowed exception, or 'UNEXPECTED ...' (with where)."""
    try:
        fn()
        return "ok"
    except ALLOWED as exc:
        return type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - reported as a failure
        import traceback

        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (f"UNEXPECTED {type(exc).__name__} in {what} at {Path(where.filename).name}:"
                f"{where.lineno}: {str(exc)[:300]}")


def _run_wav(path):
    import warnings

    from zoo import api
    from zoo.demo.sources import WavSource

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [_attempt("read_audio", lambda: len(api.read_audio(path))),
                _attempt("WavSource", lambda: sum(len(b) for b in WavSource(path, block_ms=100)))]


# ---------------------------------------------------------------- TFLite mutations


def _flatbuffer_regions(data):
    """Byte ranges worth aiming at: the first 4 KB, metadata payloads and tables."""
    from export import flatbuffer as fb

    model = fb._model(data)
    regions = [(0, min(4096, len(data)))]
    start, n = model.vector(6)  # metadata entries
    if start is not None:
        regions.append((start, start + 4 * n))
        buffers = model.tables(4)
        for entry in model.tables(6):
            regions.append((min(entry.vtable, entry.pos), max(entry.vtable + 8, entry.pos + 8)))
            b = buffers[entry.scalar(1, "I")]
            s, k = b.vector(0)
            if s is not None:
                regions.append((s - 4, s + k))
    return regions


def mutate_tflite(rng, data, regions):
    kind = rng.choice(["root", "ident", "truncate", "word", "word", "vtable",
                       "flip4k", "flip4k", "flipmeta", "flipmeta", "flipany", "append"])
    out = bytearray(data)
    if kind == "root":
        struct.pack_into("<I", out, 0, rng.choice([0, 4, 8, len(data) - 4, len(data), len(data) + 4,
                                                   0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(len(data)),
                                                   struct.unpack_from("<I", data, 0)[0] + rng.choice([-4, 4, 2])]))
    elif kind == "ident":
        out[4:8] = rng.choice([b"TFL2", b"TFL4", b"\0\0\0\0", rng.randbytes(4)])
    elif kind == "truncate":
        cut = rng.choice([rng.randint(0, 16), rng.randint(0, 4096), rng.randint(0, len(data) - 1)])
        return kind, bytes(out[:cut])
    elif kind in ("word", "vtable"):
        lo, hi = rng.choice(regions)
        width = 4 if kind == "word" else 2
        pos = rng.randrange(lo, max(lo + 1, hi - width)) & ~(width - 1)
        old = struct.unpack_from("<I" if width == 4 else "<H", data, pos)[0]
        top = 0xFFFFFFFF if width == 4 else 0xFFFF
        new = rng.choice([0, 1, 4, top, top >> 1, (old + 4) & top, (old - 4) & top, (old * 2) & top,
                          rng.randrange(top), min(len(data), top), (old + len(data)) & top])
        struct.pack_into("<I" if width == 4 else "<H", out, pos, new)
    elif kind in ("flip4k", "flipmeta", "flipany"):
        if kind == "flip4k":
            lo, hi = 0, min(4096, len(data))
        elif kind == "flipmeta":
            lo, hi = rng.choice(regions[1:] or regions)
        else:
            lo, hi = 0, len(data)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(lo, hi)
            out[i] = rng.choice([out[i] ^ (1 << rng.randrange(8)), rng.randrange(256)])
    else:
        out += rng.randbytes(rng.randint(1, 64))
    return kind, bytes(out)


def _run_tflite(path):
    import numpy as np

    from export import flatbuffer, runtime

    data = Path(path).read_bytes()

    def load_and_call():
        rt = runtime.load(path, threads=1)
        shapes = rt.input_shapes
        xs = [np.zeros((1,) + tuple(int(d) for d in s[1:]), np.float32) for s in shapes]
        print(json.dumps({"stage": "call"}), flush=True)
        rt(*xs)

    return [_attempt("runtime.load+call", load_and_call),
            _attempt("read_metadata", lambda: flatbuffer.read_metadata(data)),
            _attempt("read_operators", lambda: flatbuffer.read_operators(data))]


# ------------------------------------------------------------------ the worker


def cases(kind, seed, start, count):
    """Yield `(index, mutation, bytes)`; case `i` depends only on (kind, seed, i)."""
    if kind == "wav":
        sources = [p.read_bytes() for p in sorted(WAV_DIR.glob("*.wav"))]
    else:
        base = TFLITE.read_bytes()
        regions = _flatbuffer_regions(base)
    for i in range(start, start + count):
        rng = random.Random(f"{seed}:{kind}:{i}")
        if kind == "wav":
            mutation, data = mutate_wav(rng, rng.choice(sources))
        else:
            mutation, data = mutate_tflite(rng, base, regions)
        yield i, mutation, data


def worker(argv=None):
    """`KIND SEED START COUNT`: run the cases, one JSON line per case on stdout;
    `{"start": i}` is printed (flushed) before each case, so a crash names it."""
    kind, seed, start, count = (argv or sys.argv[1:])[:4]
    seed, start, count = int(seed), int(start), int(count)
    run = _run_wav if kind == "wav" else _run_tflite
    with tempfile.TemporaryDirectory(prefix="zoo-fuzz-") as tmp:
        path = os.path.join(tmp, "case." + ("wav" if kind == "wav" else "tflite"))
        for i, mutation, data in cases(kind, seed, start, count):
            print(json.dumps({"start": i, "mutation": mutation}), flush=True)
            with open(path, "wb") as f:
                f.write(data)
            try:
                outcome = run(path)
            except BaseException as exc:  # noqa: BLE001 - reported as a failure
                import traceback

                where = traceback.extract_tb(exc.__traceback__)[-1]
                outcome = [f"UNEXPECTED {type(exc).__name__} at {Path(where.filename).name}:"
                           f"{where.lineno}: {str(exc)[:300]}"]
            print(json.dumps({"case": i, "mutation": mutation, "outcome": outcome}), flush=True)


def run_batch(kind, seed, start, count):
    """Run one batch in a subprocess; return (process, [case records], last
    started case or None, its stage)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    proc = subprocess.run(
        [sys.executable, "-c", "from tests.test_fuzz import worker; worker()",
         kind, str(seed), str(start), str(count)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BATCH_TIMEOUT_S)
    records, started, stage = [], None, "load"
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if "start" in rec:
                started, stage = rec, "load"
            elif "stage" in rec:
                stage = rec["stage"]
            else:
                records.append(rec)
    return proc, records, started, stage


def fuzz(kind, total, batches):
    """Run `total` cases in `batches` subprocesses (a crashed batch goes on
    after the crashing case in a new process); return (outcome counts,
    crashes while invoking the interpreter, other problems)."""
    per = -(-total // batches)
    counts, problems, invoke_crashes = {}, [], []
    for b in range(batches):
        start, end = b * per, min(total, (b + 1) * per)
        while start < end:
            proc, records, started, stage = run_batch(kind, SEED, start, end - start)
            for rec in records:
                for outcome in rec["outcome"]:
                    key = "UNEXPECTED" if outcome.startswith("UNEXPECTED") else outcome
                    counts[key] = counts.get(key, 0) + 1
                    if key == "UNEXPECTED":
                        problems.append(f"case {rec['case']} ({rec['mutation']}): {outcome}")
            if proc.returncode == 0:
                if len(records) != end - start:
                    problems.append(f"batch {start}: {len(records)} of {end - start} cases reported")
                break
            if started is None:
                problems.append(f"batch {start} died with return code {proc.returncode} "
                                f"before its first case: {proc.stderr[-800:]}")
                break
            counts["crash"] = counts.get("crash", 0) + 1
            crash = (f"case {started['start']} ({started['mutation']}) killed the process "
                     f"(return code {proc.returncode}) in {stage}")
            (invoke_crashes if stage == "call" else problems).append(crash)
            start = started["start"] + 1
    return counts, invoke_crashes, problems


def check(kind, total, batches):
    counts, invoke_crashes, problems = fuzz(kind, total, batches)
    print(kind, total, counts)
    assert not problems, "\n".join(problems)
    assert sum(counts.values()) >= total
    if invoke_crashes:
        # Files that pass `check_structure` but whose operators were swapped
        # or rewired (e.g. RESHAPE -> SPLIT) can crash a LiteRT kernel while
        # the interpreter runs; only a full semantic check of every operator
        # would catch that. `runtime.load(path, verify=True)` refuses such
        # files by running them once in a child process first
        # (test_verify_refuses_a_file_that_crashes_a_kernel). Reported, not hidden:
        pytest.xfail(f"{len(invoke_crashes)} of {total} mutated files crash LiteRT while "
                     "invoking (kernel-level, after the structure check passed): "
                     + "; ".join(invoke_crashes[:10]))


@pytest.mark.parametrize("kind, total, batches", [("wav", 150, 1), ("tflite", 150, 2)])
def test_fuzz(kind, total, batches):
    check(kind, total, batches)


@pytest.mark.slow
@pytest.mark.parametrize("kind, total, batches", [("wav", 1200, 4), ("tflite", 1200, 8)])
def test_fuzz_full(kind, total, batches):
    check(kind, total, batches)


if __name__ == "__main__":
    worker()


def test_verify_refuses_a_file_that_crashes_a_kernel(tmp_path):
    """Case 5655 of the TFLite fuzz (of the single-layout int8 file) passes the
    structure check but segfaults a LiteRT kernel when invoked; `load(verify=True)`
    refuses it. The case number follows the base file's bytes: when that file is
    re-exported, the full fuzz (`-m slow`, its xfail message) names the new ones; for
    the hybrid int8 file (2026-12-08) none of its 1,200 cases crashed a kernel, and
    cases 0-8,399 (`tests.test_fuzz.run_batch`) gave this one."""
    from export import runtime
    from export.errors import RuntimeLoadError

    (_, mutation, data), = list(cases("tflite", SEED, 5655, 1))
    path = tmp_path / "tampered.tflite"
    path.write_bytes(data)
    with pytest.raises(RuntimeLoadError, match="fails a trial run"):
        runtime.load(path, verify=True)
    good = Path(__file__).resolve().parents[1] / "zoo/pretrained/kws-att-bilstm/kws-att-bilstm.int8.tflite"
    assert runtime.load(good, verify=True).input_shapes == [(None, 16000)]
