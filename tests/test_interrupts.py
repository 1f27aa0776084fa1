"""A SIGKILL in the middle of a long write leaves no partial artifact, and a
re-run succeeds.

* `export.to_tflite` (int8 export of a small GRU model) is killed once its
  temporary SavedModel directory appears (it is converting): no target
  `.tflite`, no `*.part` file in the target directory; the re-run writes a
  file that loads and runs.
* `zoo.data.speech_commands.build` (tiny espeak-ng + flite build) is killed
  after a few clips: every WAV present parses and is exactly 1 s; the
  resumed build completes and its manifest equals, byte for byte, the
  manifest of an uninterrupted build with the same seed (and so do the WAVs).

Each victim runs in its own subprocess (`python -c`), with TMPDIR pointed
at a test folder so its temporary files can be watched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

EXPORT_SCRIPT = """
import sys
import keras
import numpy as np
sys.path.insert(0, {root!r})
from tests.export.conftest import recurrent_model
import export

keras.utils.set_random_seed(7)
model = recurrent_model(kind="gru", units=8)
calib = np.random.default_rng(0).normal(size=(64, 12, 6)).astype("float32")
print("converting", flush=True)
export.to_tflite(model, {path!r}, quantize="int8", representative_data=calib, validate=False)
print("done", flush=True)
"""

BUILD_SCRIPT = """
from zoo.data import speech_commands as sc
sc.build({path!r}, clips_per_keyword={n}, seed=5, workers=1, engines=("espeak-ng", "flite"),
         reverb="synthetic", progress=False)
print("done", flush=True)
"""


def _start(script, tmp):
    env = dict(os.environ, TMPDIR=str(tmp), TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when(proc, ready, timeout=240):
    """SIGKILL `proc` as soon as `ready()` holds; fail if it ends first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the process ended (rc {proc.returncode}) before it could be "
                        f"interrupted: {out[-500:]} {err[-1500:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("timed out waiting for the process to start its work")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def _run(script, tmp):
    proc = _start(script, tmp)
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err[-3000:]
    return out


def test_killed_export_leaves_nothing_and_rerun_works(tmp_path):
    from export import runtime

    target_dir, tmp = tmp_path / "out", tmp_path / "tmp"
    target_dir.mkdir(), tmp.mkdir()
    target = target_dir / "tiny.int8.tflite"
    script = EXPORT_SCRIPT.format(root=str(ROOT), path=str(target))
    proc = _start(script, tmp)
    _kill_when(proc, lambda: any(p.name.startswith("zoo-export-") for p in tmp.iterdir()))
    assert sorted(p.name for p in target_dir.iterdir()) == []  # no .tflite, no .part

    _run(script, tmp)
    assert sorted(p.name for p in target_dir.iterdir()) == [target.name]
    rt = runtime.load(target)
    y = rt(np.zeros((1, 12, 6), np.float32))
    assert y.shape == (1, 4) and np.all(np.isfinite(y))


def _wav_seconds(path):
    with wave.open(str(path), "rb") as f:
        assert f.getnframes() * f.getsampwidth() * f.getnchannels() == len(
            f.readframes(f.getnframes())), f"{path} is truncated"
        return f.getnframes() / f.getframerate()


def test_killed_build_leaves_whole_clips_and_resumes_identically(tmp_path):
    from zoo.data import speech_commands as sc
    from zoo.data.speech_commands import engines as sc_engines

    missing = [r for r in (sc_engines._tools_missing_reason(), sc.engine_missing_reason("espeak-ng"),
                           sc.engine_missing_reason("flite")) if r]
    if missing:
        pytest.skip("; ".join(missing))
    n = 2
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    script = BUILD_SCRIPT.format(path=str(killed), n=n)
    proc = _start(script, tmp)
    _kill_when(proc, lambda: killed.is_dir() and len(list(killed.glob("*/*.wav"))) >= 3)
    assert not (killed / "manifest.csv").exists()
    wavs = list(killed.glob("*/*.wav"))
    assert wavs
    for p in wavs:
        assert _wav_seconds(p) == 1.0, p

    _run(script, tmp)                                                   # resume
    _run(BUILD_SCRIPT.format(path=str(clean), n=n), tmp)                # uninterrupted
    assert (killed / "manifest.csv").read_bytes() == (clean / "manifest.csv").read_bytes()
    assert not list(killed.glob("**/.*.part"))
    names = sorted(p.relative_to(killed) for p in killed.glob("*/*.wav"))
    assert names == sorted(p.relative_to(clean) for p in clean.glob("*/*.wav"))
    for rel in names:
        assert (killed / rel).read_bytes() == (clean / rel).read_bytes(), rel
