"""Running (continuous) speech for a streaming keyword spotter: ``D/running/``.

Models trained on isolated 1-s words fire on running speech: they never heard
ordinary talk that is *not* a keyword. This module adds, next to a built data dir:

- **a pool per split** of keyword-free continuous speech (16 kHz mono WAVs of a few
  seconds each, manifest ``pool.csv``):

  - TTS sentences that contain none of the ten keywords as a word
    (`keywords_in`), from the Debian fortunes text split into sentences of 4-25
    words; a sentence belongs to one split only (SHA-1 of its text: 80/10/10), and is
    read by that split's voices only (`speaker_split`: espeak-ng variants, flite,
    festival, piper), with the build's augmentation (pitch, tempo, reverb, noise and
    per-split music-on-hold at 5-30 dB SNR, band-limiting) plus channel augmentation:
    telephone band (8 kHz round trip, 300-3400 Hz), mu-law or GSM through sox, and a
    small-speaker EQ;
  - train only: real non-English prompts of asterisk-core-sounds-{es,fr,it,ru}-wav,
    minus the prompts whose transcript (or file name) holds a word that sounds like a
    keyword (`SOUNDALIKE`: es/it "no", fr "non", ru "но", ...). The English prompts
    and the ALSA phrases are reserved for evaluation (`zoo.data.reserved`).

- **dev and test streams** (validation voices -> ``dev``, test voices -> ``test``):
  ``streams/<split>_free`` (keyword-free sentences with 0.3-1.0 s pauses, ~8 min)
  and ``streams/<split>_keywords`` (~150 sentences that each hold one or two
  keywords: carrier templates such as "please go left now" and fortunes sentences
  with keywords), each a 16 kHz int16 WAV plus a JSON::

      {"sample_rate": 16000, "duration_s": D,
       "segments": [{"start_s": .., "end_s": .., "text": .., "keywords": [..]}]}

  ``keywords`` lists the keywords spoken in the segment ([] for keyword-free ones).
  A quiet room-noise bed runs under the whole stream.

Layout::

    D/running/running_config.json        settings guard (a resume must match)
    D/running/pool/<split>/<id>.wav      pool clips
    D/running/pool.csv                   path,split,source,voice,text,keywords,augmentation,seed
    D/running/segments/<stream>/NNNN.wav rendered stream sentences (resume cache)
    D/running/streams/<stream>.wav/.json dev_free, dev_keywords, test_free, test_keywords

Everything is a pure function of the seed; each file is written atomically, and a
re-run renders only what is missing.

    python -m zoo.data.speech_commands running --data-dir D [--minutes 25] [--seed 0] [--workers 2]

    x = load_running(D, "train", 4096, seed=0)      # (4096, 16000) float32 crops
    audio, meta = load_stream(D, "dev_keywords")
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import time
from pathlib import Path

import numpy as np

from zoo.data import audio, fortunes
from zoo.data import splits as _splits
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.augment import _band, _ir, _noise, _sox, prepare_impulses
from zoo.data.speech_commands.builder import (
    _draw_tts, _music_tracks, _u, draw_noise, draw_voice, run_jobs,
)
from zoo.data.speech_commands.engines import (
    _run, _synthesize, resolve_engines,
)
from zoo.data.speech_commands.task import KEYWORDS, SAMPLE_RATE, SPLITS, speaker_id, speaker_split
from zoo.files import atomic_write_bytes, guard_config

RUNNING_VERSION = 1
SENTENCE_SPLIT = {"train": (0, 80), "validation": (80, 90), "test": (90, 100)}
STREAM_SPLITS = {"validation": "dev", "test": "test"}
STREAM_KINDS = ("free", "keywords")
# Engine weights (espeak-ng is fast; festival and piper are slower per sentence).
ENGINE_WEIGHT = {"espeak-ng": 0.6, "flite": 0.2, "festival": 0.1, "piper": 0.1}
FOREIGN_LANGS = ("es", "fr", "it", "ru")
FOREIGN_DIR = "/usr/share/asterisk/sounds/{lang}"
FOREIGN_TRANSCRIPT = "/usr/share/doc/asterisk-core-sounds-{lang}/core-sounds-{lang}.txt.gz"
# Words that sound like a keyword, per language (plus the English keywords themselves).
SOUNDALIKE = {
    "es": {"no", "nos", "gol", "yes", "of", "on", "stop", "ups", "dan", "lef", "rai"},
    "fr": {"non", "no", "on", "ont", "stop", "go", "off", "oh", "lève", "rate"},
    "it": {"no", "non", "on", "go", "stop", "off", "ok", "dan", "ap"},
    "ru": {"но", "нет", "он", "оно", "стоп", "гоу", "ап", "даун", "оф", "офф", "йес", "лефт", "райт",
           "ноу", "ок"},
}
POOL_FIELDS = ("path", "split", "source", "voice", "text", "keywords", "augmentation", "seed")
MIN_FOREIGN_S = 1.2
WORDS_PER_S = 2.6
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_KEYWORD_SET = frozenset(KEYWORDS)
_OK_CHARS = re.compile(r"[A-Za-z][A-Za-z ,.;:'!?\"-]*")

# Carrier sentences for the keyword stream ({kw}: any keyword). Fixed ones hold the
# keywords they name; a sentence goes to dev or test by the hash of its text.
KEYWORD_TEMPLATES = (
    "please go left now", "turn it off", "I said yes", "stop the music", "turn the lights on",
    "go right at the corner", "turn the volume up", "turn it down a little", "no, not that one",
    "yes, I think so", "can you stop here", "we should go now", "switch it on please",
    "move it left a bit", "is it on or off", "turn right after the bridge", "look up there",
    "please sit down", "the answer is no", "let's go home", "I want to go left", "write it down",
    "keep the light on", "turn off the radio", "stop and wait for me", "pick it up later",
    "the door on the right", "my left hand hurts", "yes, please", "no thanks, I'm fine",
    "it's the second door on the left", "shut it off now", "just go", "hold on a second",
    "slow down please", "cheer up", "set it down gently", "do not stop", "right, that makes sense",
    "the game is on tonight", "they called it off", "go away", "wake up, it's late",
    "stop talking please", "the bus stop is down the road", "left or right", "yes or no",
)
KEYWORD_SLOTS = (
    "the next word is {kw}", "please say {kw} now", "I think it was {kw}", "he just said {kw}",
    "the command is {kw}", "try saying {kw} again", "{kw}, she said", "write {kw} on the card",
)


# ----------------------------------------------------------------------------- text

def keywords_in(text: str) -> list[str]:
    """The keywords spoken as whole words in `text`, in order ("Turn it off." -> ["off"];
    "often" -> []; "Don't go." -> ["go"])."""
    return [w for w in _WORD.findall(text.lower()) if w in _KEYWORD_SET]


def _sentences_of(entry: str):
    entry = re.split(r"\s--\s|\s—\s", entry)[0]          # drop the attribution
    for s in re.split(r"(?<=[.!?])\s+(?=[\"A-Z])", entry):
        s = s.strip().strip('"').strip()
        n = len(s.split())
        if 4 <= n <= 25 and _OK_CHARS.fullmatch(s) and s.count('"') % 2 == 0:
            yield s


def sentences(directory=fortunes.DEFAULT_DIR) -> dict:
    """{split: sorted distinct sentences} from every fortune file in `directory`
    (each sentence in one split, by the SHA-1 of its case-folded text)."""
    directory = Path(directory)
    files = sorted(p for p in directory.glob("*") if p.is_file() and "." not in p.name) \
        if directory.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no fortune files in {directory}: install the Debian package `fortunes` "
                                "(`bash scripts/setup_system.sh` or `apt-get install fortunes`)")
    seen = {}
    for f in files:
        for entry in fortunes.read_strfile(f):
            for s in _sentences_of(entry):
                seen.setdefault(_splits.key(s), s)
    out = {s: [] for s in SPLITS}
    for s in seen.values():
        out[_splits.split_of(s, SENTENCE_SPLIT)].append(s)
    return {k: sorted(v) for k, v in out.items()}


def keyword_carriers(split: str) -> list[str]:
    """The template sentences (with keywords) of a dev/test split (hash-split 50/50)."""
    cands = list(KEYWORD_TEMPLATES) + [t.format(kw=k) for t in KEYWORD_SLOTS for k in KEYWORDS]
    half = {"validation": (0, 50), "test": (50, 100)}
    return [c for c in cands if _splits.split_of(c, half) == split]


# ----------------------------------------------------------------------------- voices and foreign speech

def _split_engines(split, engines):
    have = {"train": ("espeak-ng", "flite", "festival"), "validation": ("espeak-ng", "flite"),
            "test": ("espeak-ng", "festival", "piper")}[split]
    return {e: ENGINE_WEIGHT[e] for e in have if e in engines}


def _draw_voice(rng, split, engines, text):
    weights = _split_engines(split, engines)
    if not weights:
        raise ValueError(f"no engine among {', '.join(engines)} has a {split} voice")
    names = list(weights)
    p = np.array([weights[e] for e in names])
    engine = names[int(rng.choice(len(names), p=p / p.sum()))]
    for _ in range(1000):
        voice, variant, pitch, speed, _extra = _draw_tts(engine, rng, text)
        if speaker_split(engine, voice, variant) == split:
            return engine, voice, variant, pitch, speed
    raise RuntimeError(f"no {split} voice drawn for {engine}")


def _foreign_dir(lang):
    d = Path(FOREIGN_DIR.format(lang=lang))
    return d.resolve() if d.is_dir() else None


def _transcripts(lang) -> dict:
    p = Path(FOREIGN_TRANSCRIPT.format(lang=lang))
    if not p.is_file():
        return {}
    out = {}
    for line in gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace").splitlines():
        line = line.lstrip("\ufeff")
        if line.startswith(";") or ":" not in line:
            continue
        name, text = line.split(":", 1)
        out[name.strip()] = text.strip()
    return out


def foreign_files(langs=FOREIGN_LANGS, *, log=print) -> list[tuple[str, str, str]]:
    """[(lang, absolute path, transcript)] of the usable non-English prompts: at least
    `MIN_FOREIGN_S` long, no keyword-like word in the transcript (or file name)."""
    out = []
    for lang in langs:
        root = _foreign_dir(lang)
        if root is None:
            log(f"running: skipping {lang} prompts: {FOREIGN_DIR.format(lang=lang)} is missing "
                f"(apt-get install asterisk-core-sounds-{lang}-wav asterisk-core-sounds-{lang})")
            continue
        trans = _transcripts(lang)
        if not trans:
            log(f"running: no transcripts for {lang} (asterisk-core-sounds-{lang}); filtering by file name")
        bad = SOUNDALIKE.get(lang, set()) | _KEYWORD_SET
        dropped = 0
        for p in sorted(root.rglob("*.wav")):
            rel = p.relative_to(root).with_suffix("").as_posix()
            text = trans.get(rel, "")
            words = set(_WORD.findall((text or re.sub(r"[-_/]", " ", rel)).lower()))
            if words & bad:
                dropped += 1
                continue
            try:
                if audio.audio_info(p).duration_s < MIN_FOREIGN_S:
                    continue
            except ValueError:
                continue
            out.append((lang, str(p), text))
        if dropped:
            log(f"running: {lang}: dropped {dropped} prompts with a keyword-like word")
    check_not_reserved([p for _, p, _ in out])
    return out


# ----------------------------------------------------------------------------- planning

def _draw_aug(rng, *, split, music, irs, engine, voice, stream):
    aug = draw_voice(rng, {}, engine=engine, voice=voice, irs=irs, natural_pitch_p=0.6,
                     tempo_p=0.2, tempo=(0.9, 1.15), reverb_max=0.5)
    r = rng.random()
    if r < 0.15:
        aug["channel"] = "tel"
    elif r < 0.25:
        aug["channel"] = "mulaw"
    elif r < 0.33:
        aug["channel"] = "gsm"
    elif r < 0.43:
        aug["channel"] = f"speaker{int(rng.integers(350, 701))}"
    elif r < 0.6:
        kind = ["hp", "lp", "bp"][int(rng.integers(3))]
        aug["channel"] = {"hp": f"hp{int(rng.integers(80, 301))}", "lp": f"lp{int(rng.integers(3000, 7001))}",
                          "bp": f"bp{int(rng.integers(80, 301))}-{int(rng.integers(3000, 7001))}"}[kind]
    if not stream and rng.random() < 0.8:
        aug["noise"] = draw_noise(rng, split=split, music=music, music_tail_s=25)
    if not stream:
        aug["pad"] = f"{_u(rng, 0.05, 0.4)}-{_u(rng, 0.05, 0.4)}"
    aug["gain"] = _u(rng, -20, -1, 1) if not stream else _u(rng, -12, -2, 1)
    return aug


def _est_seconds(text):
    return len(text.split()) / WORDS_PER_S + 0.4


def plan_running(minutes=25.0, seed=0, engines=("espeak-ng", "flite", "festival", "piper"), *,
                 eval_minutes=None, stream_minutes=8.0, keyword_sentences=150, foreign=(),
                 foreign_minutes=6.0, music=None, irs=(), text=None) -> list[dict]:
    """The deterministic item specs of a running build (no audio). `foreign` is the list
    of `foreign_files`; `text` the `sentences()` dict (read when None)."""
    text = sentences() if text is None else text
    music = {s: [] for s in SPLITS} if music is None else music
    eval_minutes = minutes / 5 if eval_minutes is None else eval_minutes
    items = []

    def add(kind, split, i, src, rng, sent, stream=False, folder=None):
        cs = int(rng.integers(2**63))
        r = np.random.default_rng(cs)
        if src == "tts":
            engine, voice, variant, pitch, speed = _draw_voice(r, split, engines, sent)
            spk = speaker_id(engine, voice, variant)
            d = dict(source=engine, engine=engine, voice=voice, variant=variant, pitch=pitch, speed=speed,
                     speaker=spk, text=sent, recording="")
        else:
            lang, path, tr = src
            engine = "recording"
            d = dict(source=f"asterisk-{lang}", engine=engine, voice="", variant="", pitch="", speed="",
                     speaker=f"asterisk-{lang}", text=tr or Path(path).stem, recording=path)
        aug = _draw_aug(r, split=split, music=music, irs=tuple(irs), engine=engine, voice=d["voice"], stream=stream)
        d.update(kind=kind, split=split, seed=str(cs), keywords=" ".join(keywords_in(sent) if src == "tts" else []),
                 augmentation=";".join(f"{k}={v}" for k, v in aug.items()))
        d["path"] = (f"segments/{folder}/{i:04d}.wav" if stream else
                     f"pool/{split}/{re.sub(r'[^A-Za-z0-9]+', '-', d['speaker']).strip('-')}_{i:05d}.wav")
        items.append(d)

    for si, split in enumerate(SPLITS):
        rng = np.random.default_rng([seed, si, 0x7A11])
        free = [s for s in text[split] if not keywords_in(s)]
        with_kw = [s for s in text[split] if 1 <= len(keywords_in(s)) <= 2]
        order = [free[i] for i in rng.permutation(len(free))]
        k = 0
        if split in STREAM_SPLITS:
            name = STREAM_SPLITS[split]
            total, i = 0.0, 0
            while total < stream_minutes * 60 and k < len(order):
                add("stream", split, i, "tts", rng, order[k], stream=True, folder=f"{name}_free")
                total += _est_seconds(order[k]) + 0.65
                k, i = k + 1, i + 1
            carriers = keyword_carriers(split)
            kw_sents = [with_kw[j] for j in rng.permutation(len(with_kw))]
            n_tpl = min(len(carriers), int(round(0.6 * keyword_sentences)))
            chosen = [carriers[j] for j in rng.permutation(len(carriers))[:n_tpl]]
            chosen += kw_sents[:keyword_sentences - n_tpl]
            chosen += [carriers[j % len(carriers)] for j in range(keyword_sentences - len(chosen))]
            for i, s in enumerate(chosen[:keyword_sentences]):
                add("stream", split, i, "tts", rng, s, stream=True, folder=f"{name}_keywords")
        budget = (minutes if split == "train" else eval_minutes) * 60
        total, i = 0.0, 0
        while total < budget and k < len(order):
            add("pool", split, i, "tts", rng, order[k])
            total += _est_seconds(order[k])
            k, i = k + 1, i + 1
        if split == "train" and foreign:
            by_lang = {}
            for f in foreign:
                by_lang.setdefault(f[0], []).append(f)
            for lang in sorted(by_lang):
                files = by_lang[lang]
                total = 0.0
                for j in rng.permutation(len(files)):
                    if total >= foreign_minutes * 60:
                        break
                    add("pool", split, i, files[int(j)], rng, "")
                    total += audio.audio_info(files[int(j)][1]).duration_s
                    i += 1
    return items


# ----------------------------------------------------------------------------- rendering

def _codec(x, codec):
    raw = ["-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1"]
    enc = ["-e", "mu-law", "-b", "8", "-t", "wav"] if codec == "mulaw" else ["-t", "gsm"]
    coded = _run(["sox", "-R", "-D", "-V1", *raw, "-r", str(SAMPLE_RATE), "-", "-r", "8000", "-c", "1", *enc, "-"],
                 input=np.asarray(x, "<f4").tobytes(), what="sox encode")
    src = ["-t", "wav"] if codec == "mulaw" else ["-t", "gsm", "-r", "8000", "-c", "1"]
    out = _run(["sox", "-R", "-D", "-V1", "--ignore-length", *src, "-", *raw, "-r", str(SAMPLE_RATE), "-"],
               input=coded, what="sox decode")
    return audio.fit_length(np.frombuffer(out, "<f4").astype(np.float32), len(x))


def _channel(x, ch):
    if ch in ("mulaw", "gsm"):
        return _codec(x, ch)
    if ch.startswith("speaker"):
        # a small loudspeaker: no bass, a resonance around 2.5 kHz, soft top
        return _sox(x, ["highpass", ch[len("speaker"):], "equalizer", "2500", "1q", "6",
                        "lowpass", "6500", "overdrive", "3"])
    return _band(x, ch)


def render_item(spec: dict) -> np.ndarray:
    """Render one planned item to float32 16 kHz audio (needs `_init_worker` first)."""
    return render_marked(spec)[0]


def _spoken_seconds(spec: dict, text: str) -> float:
    """Length (s) of `text` read by the spec's voice, without leading/trailing silence."""
    if not text.strip():
        return 0.0
    x, sr = _synthesize(dict(spec, text=text))
    start, stop = audio.trim_bounds(x, sr)
    return (stop - start) / sr


def render_marked(spec: dict, marks=()) -> tuple[np.ndarray, list[float]]:
    """Render one planned item, plus where each of `marks` ends in it.

    `marks` are prefixes of a TTS item's text; the time a prefix ends in the sentence
    is taken as the length of that prefix read alone by the same voice (both without
    their silences), then carried through the tempo change and padding of the
    augmentation. So `marks=("please go", "please go left")` gives the start and end
    of "left" in "please go left now" (s, in the returned audio; a read-alone prefix
    ends slightly late, by its final lengthening)."""
    aug = dict(p.split("=", 1) for p in spec["augmentation"].split(";") if p)
    rng = np.random.default_rng([int(spec["seed"]), 1])
    if spec["engine"] == "recording":
        if marks:
            raise ValueError("marks need a TTS item (a recording has no prefix to read)")
        check_not_reserved([spec["recording"]])
        x, sr = audio.read_wav(spec["recording"])
    else:
        x, sr = _synthesize({k: spec[k] for k in ("engine", "voice", "variant", "pitch", "speed", "text")})
    x = audio.trim_silence(x, sr)
    if len(x) < int(0.1 * sr):
        raise RuntimeError(f"{spec['source']} produced no speech for {spec['text']!r}")
    times = [min(_spoken_seconds(spec, m), len(x) / sr) for m in marks]
    x = audio.resample(x, sr, SAMPLE_RATE)
    effects = (["pitch", aug["pitch"]] if "pitch" in aug else []) + (["tempo", "-s", aug["tempo"]] if "tempo" in aug else [])
    if effects:
        before = len(x)
        x = _sox(x, effects)
        times = [t * len(x) / before for t in times]
    x = audio.normalize_peak(x, -1.0)
    speech_rms = audio.rms(x)
    if "reverb" in aug:
        from scipy.signal import fftconvolve

        name, wet = aug["reverb"].rsplit(":", 1)
        y = fftconvolve(x, _ir(name))[: len(x) + int(0.25 * SAMPLE_RATE)]
        y *= speech_rms / max(audio.rms(y[: len(x)]), 1e-9)
        x = (1 - float(wet)) * audio.fit_length(x, len(y)) + float(wet) * y
    if "channel" in aug:
        x = _channel(x, aug["channel"])
    if "pad" in aug:
        a, b = (int(float(v) * SAMPLE_RATE) for v in aug["pad"].split("-"))
        x = np.concatenate([np.zeros(a, np.float32), x, np.zeros(b, np.float32)])
        times = [t + a / SAMPLE_RATE for t in times]
    else:
        start, stop = audio.trim_bounds(x, SAMPLE_RATE, threshold_db=-45.0)
        x = x[start:stop]
        times = [min(max(t - start / SAMPLE_RATE, 0.0), len(x) / SAMPLE_RATE) for t in times]
    if "noise" in aug:
        kind, snr = aug["noise"].rsplit(":", 1)
        x = x + _noise(kind, len(x), rng) * (speech_rms * audio.db_to_gain(-float(snr[:-2])))
    pk = audio.peak(x)
    if pk > 0:
        x = x * (audio.db_to_gain(float(aug["gain"])) / pk)
    return np.clip(x, -1, 1).astype(np.float32), times


def _work(job):
    root, spec = job
    try:
        y = render_item(spec)
    except Exception as e:
        raise RuntimeError(f"{spec['path']} ({spec['speaker']}, {spec['text'][:60]!r}): {e}") from e
    audio.write_wav(Path(root) / spec["path"], y, SAMPLE_RATE)
    return spec["path"]


def _csv_bytes(rows, fields) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def _assemble(root: Path, name: str, items: list, seed: int):
    """Concatenate a stream's rendered sentences with pauses over a quiet noise bed."""
    rng = np.random.default_rng([seed, sum(map(ord, name)), 0xB0D])
    gaps = rng.uniform(0.3, 1.0, len(items))
    parts, segs, t = [np.zeros(int(0.5 * SAMPLE_RATE), np.float32)], [], int(0.5 * SAMPLE_RATE)
    for spec, gap in zip(items, gaps):
        x = audio.read_audio(root / spec["path"], SAMPLE_RATE)
        segs.append({"start_s": round(t / SAMPLE_RATE, 3), "end_s": round((t + len(x)) / SAMPLE_RATE, 3),
                     "text": spec["text"], "keywords": spec["keywords"].split()})
        parts += [x, np.zeros(int(gap * SAMPLE_RATE), np.float32)]
        t += len(x) + int(gap * SAMPLE_RATE)
    last_gap = int(gaps[-1] * SAMPLE_RATE) if len(items) else 0
    parts.append(np.zeros(max(0, int(0.5 * SAMPLE_RATE) - last_gap), np.float32))
    y = np.concatenate(parts)
    bed = np.random.default_rng([seed, 7]).standard_normal(len(y))
    spec_ = np.fft.rfft(bed)
    f = np.fft.rfftfreq(len(y), 1 / SAMPLE_RATE)
    f[0] = f[1] if len(f) > 1 else 1.0
    bed = np.fft.irfft(spec_ / np.sqrt(f), len(y))
    bed = bed / max(audio.rms(bed), 1e-9) * audio.db_to_gain(float(rng.uniform(-62, -55)))
    y = np.clip(y + bed.astype(np.float32), -1, 1)
    meta = {"sample_rate": SAMPLE_RATE, "duration_s": round(len(y) / SAMPLE_RATE, 3), "segments": segs}
    out = root / "streams"
    out.mkdir(parents=True, exist_ok=True)
    audio.write_wav(out / f"{name}.wav", y, SAMPLE_RATE)
    atomic_write_bytes(out / f"{name}.json", (json.dumps(meta, indent=1) + "\n").encode())
    return meta


def check_build_dir(data_dir, workers) -> Path:
    """`data_dir` as a Path, once it is a folder (or not there yet) and `workers` >= 1."""
    if int(workers) < 1:
        raise ValueError(f"workers must be >= 1, not {workers!r} (use --workers 1 or 2)")
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise ValueError(f"--data-dir {data_dir} is a file; give a folder (a built data dir or a new one)")
    return data_dir


def build_running(data_dir, minutes: float = 25.0, seed: int = 0, workers: int = 2, *,
                  engines="available", eval_minutes=None, stream_minutes: float = 8.0,
                  keyword_sentences: int = 150, foreign: bool = True, foreign_minutes: float = 6.0,
                  reverb: str = "auto", progress: bool = True, log=print) -> dict:
    """Build ``<data_dir>/running`` (resumable; see the module docstring).

    minutes: train pool of TTS sentences (validation and test pools get `eval_minutes`,
    default minutes / 5); foreign_minutes: real non-English speech per language (train);
    stream_minutes: each keyword-free stream; keyword_sentences: sentences per keyword
    stream; engines: as in `build` ("available" skips missing engines with a warning).
    """
    t0 = time.monotonic()
    for name, v, lo in (("minutes", minutes, 0), ("stream_minutes", stream_minutes, 0),
                        ("foreign_minutes", foreign_minutes, -1e-9)):
        if not (isinstance(v, (int, float)) and v > lo and np.isfinite(v)):
            raise ValueError(f"{name} must be a positive number of minutes, not {v!r} "
                             f"(e.g. --{name.replace('_', '-')} 5)")
    if eval_minutes is not None and not eval_minutes > 0:
        raise ValueError(f"eval_minutes must be > 0, not {eval_minutes!r}")
    if int(keyword_sentences) < 1:
        raise ValueError(f"keyword_sentences must be >= 1, not {keyword_sentences!r}")
    data_dir = check_build_dir(data_dir, workers)
    chosen = resolve_engines(engines)
    text = sentences()
    root = data_dir / "running"
    root.mkdir(parents=True, exist_ok=True)
    ir_source, irs = prepare_impulses(data_dir, reverb)
    music = _music_tracks()
    ffiles = foreign_files(log=log) if foreign else []
    config = {"running_version": RUNNING_VERSION, "seed": int(seed), "minutes": float(minutes),
              "eval_minutes": None if eval_minutes is None else float(eval_minutes),
              "stream_minutes": float(stream_minutes), "keyword_sentences": int(keyword_sentences),
              "engines": list(chosen), "foreign_minutes": float(foreign_minutes) if foreign else 0.0,
              "foreign_languages": sorted({f[0] for f in ffiles}), "foreign_files": len(ffiles),
              "impulses": {"source": ir_source, "names": list(irs)},
              "music": {s: [t[0] for t in music[s]] for s in SPLITS}, "sentences": {s: len(v) for s, v in text.items()}}
    guard_config(root / "running_config.json", config, f"delete {root} or use the same settings")
    items = plan_running(minutes, seed, chosen, eval_minutes=eval_minutes, stream_minutes=stream_minutes,
                         keyword_sentences=int(keyword_sentences), foreign=ffiles, foreign_minutes=foreign_minutes,
                         music=music, irs=irs, text=text)
    for it in items:
        (root / it["path"]).parent.mkdir(parents=True, exist_ok=True)
    for stale in root.rglob(".*.part"):
        stale.unlink(missing_ok=True)
    todo = [it for it in items if not (root / it["path"]).is_file()]
    todo.sort(key=lambda it: int(it["seed"]))
    jobs = [(str(root), it) for it in todo]
    run_jobs(_work, jobs, total=len(items), cache=str(data_dir / "_cache"), workers=workers,
             desc="running speech", progress=progress, chunksize=2)
    pool_rows = [dict(it, voice=it["speaker"]) for it in items if it["kind"] == "pool"]
    atomic_write_bytes(root / "pool.csv", _csv_bytes(pool_rows, POOL_FIELDS))
    streams = {}
    for split, name in STREAM_SPLITS.items():
        for kind in STREAM_KINDS:
            sname = f"{name}_{kind}"
            members = [it for it in items if it["path"].startswith(f"segments/{sname}/")]
            if members:
                meta = _assemble(root, sname, members, seed)
                streams[sname] = meta["duration_s"]
    pool_s = {s: 0.0 for s in SPLITS}
    for r in pool_rows:
        pool_s[r["split"]] += audio.audio_info(root / r["path"]).duration_s
    return {"root": str(root), "items": len(items), "generated": len(todo), "pool_minutes":
            {s: round(v / 60, 2) for s, v in pool_s.items()}, "streams_s": streams,
            "engines": list(chosen), "foreign_languages": config["foreign_languages"],
            "seconds": round(time.monotonic() - t0, 1)}


# ----------------------------------------------------------------------------- loading

def _running_root(data_dir) -> Path:
    d = Path(data_dir)
    if (d / "running" / "pool.csv").is_file() or (d / "running" / "streams").is_dir():
        return d / "running"
    if (d / "pool.csv").is_file() or (d / "streams").is_dir():
        return d
    raise FileNotFoundError(f"{d} has no running-speech data (running/pool.csv): build it with "
                            f"`python -m zoo.data.speech_commands running --data-dir {d}`")


def _split_name(split):
    s = {"dev": "validation", "val": "validation", "valid": "validation", "testing": "test",
         "training": "train"}.get(split, split)
    if s not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} (or 'dev'), not {split!r}")
    return s


_POOLS = {}


def _pool(root: Path, split: str):
    csv_path = root / "pool.csv"
    key = (str(root.resolve()), split, csv_path.stat().st_mtime_ns)
    if key not in _POOLS:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["split"] == split]
        paths = [root / r["path"] for r in rows]
        check_not_reserved(paths)
        xs = [audio.read_audio(p, SAMPLE_RATE) for p in paths]
        _POOLS.clear()
        _POOLS[key] = (np.concatenate(xs) if xs else np.zeros(0, np.float32),
                       np.array([len(x) for x in xs], np.int64))
    return _POOLS[key]


def load_running(data_dir, split: str, n: int, seed: int = 0, seconds: float = 1.0) -> np.ndarray:
    """`n` random crops of `seconds` from the running-speech pool of `split`, as float32
    `(n, round(seconds * 16000))` in [-1, 1]; near-silent crops are skipped. The same
    arguments give the same crops. `data_dir` is the data dir (or its ``running/``)."""
    split = _split_name(split)
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a count >= 0, not {n!r}")
    if not seconds > 0:
        raise ValueError(f"seconds must be > 0, not {seconds!r}")
    n, length = int(n), int(round(seconds * SAMPLE_RATE))
    allx, lens = _pool(_running_root(data_dir), split)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else lens
    room = lens - length + 1
    ok = room > 0
    if not ok.any():
        raise ValueError(f"no {split} running-speech clip is {seconds} s long or longer; ask for shorter crops "
                         "or rebuild with more minutes")
    p = np.where(ok, room, 0).astype(np.float64)
    p /= p.sum()
    rng = np.random.default_rng([int(seed), SPLITS.index(split), length])
    out = np.zeros((n, length), np.float32)
    filled, tries = 0, 0
    frame = int(0.02 * SAMPLE_RATE)
    while filled < n:
        tries += 1
        if tries > 200:
            raise RuntimeError(f"could not find {n} non-silent {seconds}-s crops in the {split} pool")
        m = min(1024, 2 * (n - filled) + 8)
        f = rng.choice(len(lens), m, p=p)
        s = starts[f] + (rng.random(m) * room[f]).astype(np.int64)
        crops = allx[s[:, None] + np.arange(length)[None, :]]
        nf = length // frame
        fr = np.sqrt(np.mean(crops[:, :nf * frame].reshape(m, nf, frame) ** 2, axis=2)) if nf else \
            np.sqrt(np.mean(crops ** 2, axis=1, keepdims=True))
        good = fr.max(axis=1) > audio.db_to_gain(-45.0)
        take = crops[good][: n - filled]
        out[filled:filled + len(take)] = take
        filled += len(take)
    return out


context = load_running


def stream_names(data_dir) -> list[str]:
    """The streams of a running build (e.g. dev_free, dev_keywords, test_free, test_keywords)."""
    return sorted(p.stem for p in (_running_root(data_dir) / "streams").glob("*.json"))


def load_stream(data_dir, name: str):
    """(audio float32 at 16 kHz, meta dict) of stream `name` (e.g. "dev_keywords")."""
    root = _running_root(data_dir)
    wav, js = root / "streams" / f"{name}.wav", root / "streams" / f"{name}.json"
    if not (wav.is_file() and js.is_file()):
        have = ", ".join(stream_names(data_dir)) or "none"
        raise FileNotFoundError(f"no stream {name!r} in {root / 'streams'} (have: {have})")
    check_not_reserved([wav])
    meta = json.loads(js.read_text())
    x, sr = audio.read_wav(wav)
    if sr != meta.get("sample_rate", SAMPLE_RATE):
        raise ValueError(f"{wav} is {sr} Hz but {js} says {meta.get('sample_rate')}: rebuild the streams")
    return x.astype(np.float32), meta


__all__ = ["build_running", "context", "foreign_files", "keyword_carriers", "keywords_in", "load_running",
           "load_stream", "plan_running", "render_item", "sentences", "stream_names"]
