"""One `export.runtime.Runtime` shared by 4 threads gives the same results as
sequential calls (the wrapper serialises its calls with a lock).

Uses the shipped `kws-att-bilstm` int8 file and 4 distinct 1 s inputs (three
demo clips and silence; white noise and silence both give the int8 file's
saturated "_silence_" output, so noise would not tell the threads apart). Default: 4 threads x 500 calls; each thread
cycles through the inputs at its own offset so different inputs interleave.
"""

import threading
from pathlib import Path

import numpy as np
import pytest

from export import runtime

ROOT = Path(__file__).resolve().parents[1]
TFLITE = ROOT / "zoo" / "pretrained" / "kws-att-bilstm" / "kws-att-bilstm.int8.tflite"
THREADS, CALLS = 4, 500

pytestmark = pytest.mark.skipif(not TFLITE.is_file(), reason="shipped kws int8 file missing")


def _inputs():
    from zoo import api

    def clip(name):
        x = api.read_audio(ROOT / "zoo" / "demo_audio" / f"{name}.wav")
        return np.pad(x, (0, max(0, 16000 - len(x))))[:16000]

    return [clip("yes")[None], clip("stop")[None], clip("go")[None],
            np.zeros((1, 16000), np.float32)]


def test_shared_runtime_threads_match_sequential():
    rt = runtime.load(TFLITE, threads=1)
    inputs = _inputs()
    expected = [rt(x) for x in inputs]
    assert len({e.tobytes() for e in expected}) == len(inputs)  # distinct results
    errors, mismatches = [], []
    barrier = threading.Barrier(THREADS)

    def work(t):
        try:
            barrier.wait()
            for i in range(CALLS):
                k = (i + t) % len(inputs)
                y = rt(inputs[k])
                if not np.array_equal(y, expected[k]):
                    mismatches.append((t, i, k))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads), "a thread hung"
    assert not errors, errors
    assert not mismatches, f"{len(mismatches)} of {THREADS * CALLS} results differ: {mismatches[:5]}"
    # and still deterministic afterwards
    assert all(np.array_equal(rt(x), e) for x, e in zip(inputs, expected))
