"""Real English dialogue from a freeware game: ``D/game/`` and two real dev streams.

The keyword spotters false-alarm on real English speech that the text-to-speech
negatives never showed them (#19). The largest real English speech that installs
offline outside the recordings reserved for evaluation is the dialogue of *Flight of
the Amazon Queen* (Debian `flight-of-the-amazon-queen`, freeware, redistribution
allowed): 2.9 hours in 3,983 matched lines of 30 characters, 11 kHz MP3 clips packed
in the game's `queen.1c`, with the text of every line in the game's dialogue files.

How a clip gets its text (the layout ScummVM's Queen engine reads):

- `queen.1c` starts with a table: ``QTBL``, a 6-byte version, 3 bytes, the entry count
  (uint16 BE), then per entry a 12-byte name, a bundle byte and the data's offset and
  size (uint32 BE each). `.SB` entries are the speech clips (MP3), `.DOG` the dialogues.
- A `.DOG` (after its 20-byte AMOS bank header) holds a talk key, the dialogue tree and
  two lists of lines (Joe's, the other person's), each line an id and a
  length-prefixed string aligned to 4 bytes, plus the two greeting lines.
- A line is spoken in segments cut at ``*NN`` commands (``*XY`` takes 11 more
  characters); segment ``k`` of line ``id`` said by Joe (`J`) or the person (`P`) in
  dialogue with talk key ``t`` plays clip ``"%2d%4x%s%1x" % (t, id, J/P, k + 1)``, spaces
  as zeros (``020001P2.SB``: key 2, line 1, person, segment 2); the greetings use
  ``SSSS``/``XXXX`` in place of the line id.

Cut-scene and object-description clips (another 1.8 h) are not matched yet.

Roles, by speaker (the character a dialogue file is named after; Joe's lines are one
actor): **Joe and most characters are training negatives** (lines that hold none of
the ten keywords as a word), `DEV_CHARACTERS` give two dev streams of real speech:
``dev_real_game_free`` (their keyword-free lines) and ``dev_real_game_keywords``
(their lines that hold a keyword: keywords inside real sentences, what the reserved
benchmark's recall measures; no training data holds them). One actor may voice
several characters, so the dev speakers are disjoint by character, not provably by
voice: a dev set, never a test.

    python -m zoo.data.speech_commands game --data-dir D [--minutes 45]   # ~3 min
    crops = running.load_running(D / "game", "train", 4096, seed=0)        # augmented pool
    audio, meta = running.load_stream(D, "dev_real_game_keywords")

The training lines that say one keyword once are real keyword-in-sentence training
examples: PocketSphinx (the `peer` extra) force-aligns each line's text to its audio
and the keyword's start and end go to ``D/game/kw_sentences/items.csv`` (the layout of
`keyword_sentences`; `zoo train kws-stream-* --real-english` reads them).

``D/game/clips/NAME.wav`` are the decoded lines (as recorded, 11 kHz);
``D/game/pool/train/*.wav`` the training pool, rendered with the running-speech
augmentation (telephone band, codecs, small speaker, reverb, noise, music, gain;
`running._draw_aug`); ``D/game/pool.csv`` its manifest (the running pool's fields).
Everything is a pure function of the seed and re-runnable; files are written atomically.
"""

from __future__ import annotations

import io
import re
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.real_dev import load      # 16 kHz samples of any WAV, quietly resampled
from zoo.data.speech_commands.task import SAMPLE_RATE
from zoo.files import guard_config

PACKAGE = "flight-of-the-amazon-queen"
ARCHIVE = "usr/share/scummvm/flight-of-the-amazon-queen/queen.1c"
DOG_HEADER = 20
JOE = "JOE"
# Characters whose lines are dev data only (~44 min, 136 lines with a keyword).
DEV_CHARACTERS = frozenset({"WITCH", "TAM", "DEATH", "FAYE", "SEC", "HENRY", "LARIS", "IAN", "LOLA"})
STREAMS = {"free": "dev_real_game_free", "keywords": "dev_real_game_keywords"}
GAP_S = 0.5
MIN_LINE_S = 0.6
VERSION = 1


@dataclass(frozen=True)
class Line:
    clip: str          # the `.SB` entry, without the suffix ("020001P2")
    text: str          # what is said in it
    speaker: str       # "JOE" or the character the dialogue file is named after
    dialogue: str      # the `.DOG` it comes from


def read_index(data: bytes) -> dict[str, tuple[int, int]]:
    """`{entry name: (offset, size)}` of a `queen.1c` archive's table."""
    if data[:4] != b"QTBL" or len(data) < 15:
        raise ValueError("not a Flight of the Amazon Queen data file (no QTBL table at its start): "
                         f"give the package's {Path(ARCHIVE).name}")
    count = struct.unpack(">H", data[13:15])[0]
    out, pos = {}, 15
    for _ in range(count):
        if pos + 21 > len(data):
            raise ValueError(f"the archive's table is cut short after {len(out)} of {count} entries")
        name = data[pos:pos + 12].split(b"\0", 1)[0].decode("ascii", "replace")
        offset, size = struct.unpack(">II", data[pos + 13:pos + 21])
        if offset + size > len(data):
            raise ValueError(f"entry {name} runs past the end of the archive (corrupt or truncated file)")
        out[name] = (offset, size)
        pos += 21
    return out


def _string(d: bytes, off: int, align: int) -> tuple[str, int]:
    n = d[off]
    off += 1
    if n == 0:
        return "", off
    return d[off:off + n].decode("latin-1"), (off + n + align - 1) & ~(align - 1)


def _lines_at(d: bytes, off: int, count: int) -> dict[int, str]:
    out = {}
    for _ in range(count):
        line_id = struct.unpack(">h", d[off + 2:off + 4])[0]
        text, off = _string(d, off + 4, 4)
        out.setdefault(line_id, text)
    return out


def segments(sentence: str) -> list[str]:
    """The spoken segments of a dialogue string, cut at its ``*NN`` commands (each segment
    is one clip; an empty segment still takes its number)."""
    out, start, i = [], 0, 0
    while i < len(sentence):
        if sentence[i] == "*":
            out.append(sentence[start:i])
            i += 1 + 2 + (11 if sentence[i + 1:i + 3] == "XY" else 0)
            start = i
        else:
            i += 1
    if start < len(sentence):
        out.append(sentence[start:])
    return out


def dialogue_clips(dog: bytes, name: str) -> dict[str, tuple[str, str]]:
    """`{clip name: (text, "J" or "P")}` of every segment a `.DOG` file (`dog`: its bytes,
    header included; `name`: e.g. "APE.DOG") can play."""
    d = dog[DOG_HEADER:]
    h = struct.unpack(">hhhhh", d[:10])
    levels, talk_key, joe_max, person_max = abs(h[0]), h[2], h[3], h[4]
    person_off, person2_off = struct.unpack(">H", d[22:24])[0], struct.unpack(">H", d[26:28])[0]
    joe_off = 32 + levels * 96
    out = {}

    def add(prefix, sentence, who):
        for k, seg in enumerate(segments(sentence)):
            clip = (prefix + f"{k + 1:1x}").replace(" ", "0").upper()
            out.setdefault(clip, (seg.strip(), who))

    key = f"{talk_key:2d}"
    for line_id, text in _lines_at(d, joe_off, joe_max).items():
        add(f"{key}{line_id:4x}J", text, "J")
    for line_id, text in _lines_at(d, person_off, person_max).items():
        add(f"{key}{line_id:4x}P", text, "P")
    if not struct.unpack(">H", d[joe_off + 2:joe_off + 4])[0]:
        add(f"{key}SSSSJ", _string(d, joe_off + 4, 2)[0], "J")
    person2, off = _string(d, person2_off, 2)
    add(f"{key}XXXXP", person2, "P")
    add(f"{key}XXXXJ", _string(d, off, 2)[0], "J")
    return out


def character(dialogue: str) -> str:
    """The character a dialogue file is named after ("BOB3.DOG" -> "BOB")."""
    return re.sub(r"\d+$", "", Path(dialogue).stem.upper())


def lines(data: bytes, index=None) -> list[Line]:
    """Every speech clip of the archive `data` whose text a dialogue file gives, sorted by clip."""
    index = read_index(data) if index is None else index
    out = {}
    for name in sorted(n for n in index if n.upper().endswith(".DOG")):
        offset, size = index[name]
        try:
            clips = dialogue_clips(data[offset:offset + size], name)
        except (struct.error, IndexError) as e:
            raise ValueError(f"dialogue {name} in the archive is unreadable ({e}): corrupt file") from e
        for clip, (text, who) in clips.items():
            if f"{clip}.SB" in index and text and clip not in out:
                out[clip] = Line(clip, text, JOE if who == "J" else character(name), name)
    return [out[k] for k in sorted(out)]


def role(speaker: str) -> str:
    """"train" or "dev": which data a speaker's lines feed."""
    return "dev" if speaker in DEV_CHARACTERS else "train"


def archive_path(*, fetch=True, cache=None) -> Path:
    """The installed (or unpacked, `real_dev.unpack`) `queen.1c`; never installs the package."""
    from zoo.data.speech_commands.real_dev import _cache, unpack

    installed = Path("/") / ARCHIVE
    if installed.is_file():
        return installed
    root = Path(cache or _cache()) / PACKAGE
    if not (root / ".unpacked").is_file():
        if not fetch:
            raise FileNotFoundError(f"{PACKAGE} is neither installed nor unpacked under {root.parent}: "
                                    "run without --no-fetch (apt-get download, no install)")
        root = unpack(PACKAGE, cache)
    path = root / ARCHIVE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the unpacked {PACKAGE}")
    return path


def decode(clip: bytes) -> tuple[np.ndarray, int]:
    """(float32 samples, rate) of one MP3 speech clip."""
    import soundfile as sf

    try:
        x, sr = sf.read(io.BytesIO(clip), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as e:
        raise ValueError(f"an MP3 clip could not be decoded ({e}); libsndfile >= 1.1 reads MP3") from e
    return x.mean(axis=1), int(sr)


def extract(data: bytes, chosen: list[Line], folder: Path, index=None, progress=True) -> dict[str, Path]:
    """Decode `chosen` lines to `folder/CLIP.wav` (as recorded; atomic, skips what is there)."""
    from tqdm import tqdm

    index = read_index(data) if index is None else index
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for line in tqdm(chosen, desc="game clips", disable=not progress, unit="clip"):
        path = folder / f"{line.clip}.wav"
        if not path.is_file():
            offset, size = index[f"{line.clip}.SB"]
            x, sr = decode(data[offset:offset + size])
            audio.write_wav(path, x, sr)
        out[line.clip] = path
    return out


def plan_pool(chosen: list[Line], clips: dict, seconds: dict, minutes: float, seed: int,
              irs=()) -> list[dict]:
    """Deterministic running-pool item specs (`running.render_item`) of up to `minutes` of
    training lines drawn in a seeded order (`seconds`: each clip's duration)."""
    from zoo.data.speech_commands.builder import _music_tracks
    from zoo.data.speech_commands.running import _draw_aug

    music = _music_tracks()
    rng = np.random.default_rng([seed, 0x6A3E])
    items, total = [], 0.0
    for j in rng.permutation(len(chosen)):
        if total >= minutes * 60:
            break
        line = chosen[int(j)]
        r = np.random.default_rng(int(rng.integers(2**63)))
        cs = int(r.integers(2**63))
        aug = _draw_aug(np.random.default_rng(cs), split="train", music=music, irs=tuple(irs), engine="recording",
                        voice="", stream=False)
        items.append(dict(path=f"pool/train/{line.speaker}_{line.clip}.wav", split="train", source=PACKAGE,
                          engine="recording", voice=line.speaker, variant="", pitch="", speed="",
                          speaker=f"fotaq-{line.speaker}", text=line.text, recording=str(clips[line.clip]),
                          keywords="", kind="pool", seed=str(cs),
                          augmentation=";".join(f"{k}={v}" for k, v in aug.items())))
        total += seconds[line.clip]
    return items


_ALIGN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def sphinx_aligner():
    """`align(samples_16k, words) -> [(word, start_s, end_s)]` by PocketSphinx forced alignment
    (its bundled en-us model; `pip install pocketsphinx`, the `peer` extra), or None when
    PocketSphinx is not installed. A line it cannot align whole (a word not in its
    dictionary, a search that stops short) gives []."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return None
    dec = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")

    def align(x, words):
        try:
            dec.set_align_text(" ".join(words))
        except RuntimeError:
            return []
        dec.start_utt()
        dec.process_raw((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes(), full_utt=True)
        dec.end_utt()
        spans = [(seg.word.split("(")[0], seg.start_frame / 100, (seg.end_frame + 1) / 100)
                 for seg in (dec.seg() or ()) if not seg.word.startswith("<")]
        # a search that did not reach the end returns its best partial path: refuse it
        return spans if [w for w, _, _ in spans] == list(words) else []

    return align


def keyword_times(chosen: list[Line], clips: dict, align) -> list[tuple[Line, str, float, float]]:
    """`(line, keyword, start_s, end_s)` of each line that says exactly one keyword once, where
    `align` (e.g. `sphinx_aligner()`) places it; lines it cannot align are left out."""
    from zoo.data.speech_commands.running import keywords_in

    out = []
    for line in chosen:
        kws = keywords_in(line.text)
        if len(kws) != 1:
            continue
        x = load(clips[line.clip])
        spans = [(a, b) for w, a, b in align(x, _ALIGN_WORD.findall(line.text.lower())) if w == kws[0]]
        if len(spans) == 1 and spans[0][1] > spans[0][0]:
            out.append((line, kws[0], *spans[0]))
    return out


def write_keyword_sentences(root: Path, found, clips: dict) -> int:
    """`root/kw_sentences/items.csv` (+ 16 kHz WAVs), the layout `keyword_sentences` reads:
    real keyword-in-sentence training examples, as recorded (no augmentation: the keyword
    times are where the aligner put them)."""
    from zoo.data.speech_commands.keyword_sentences import FIELDS
    from zoo.data.speech_commands.running import _csv_bytes
    from zoo.files import atomic_write_bytes

    folder = root / "kw_sentences" / "train"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for line, kw, start, end in found:
        path = folder / f"{line.clip}.wav"
        if not path.is_file():
            audio.write_wav(path, load(clips[line.clip]), SAMPLE_RATE)
        rows.append(dict(path=f"train/{line.clip}.wav", split="train", keyword=kw, text=line.text,
                         start_s=f"{start:.2f}", end_s=f"{end:.2f}", speaker=f"fotaq-{line.speaker}",
                         augmentation="", seed="0"))
    atomic_write_bytes(root / "kw_sentences" / "items.csv", _csv_bytes(rows, FIELDS))
    return len(rows)


def build(data_dir, minutes: float = 45.0, seed: int = 0, workers: int = 2, *, fetch=True, cache=None,
          progress=True, align="sphinx", log=print) -> dict:
    """Build ``D/game`` (training pool; with `align`, the training lines that hold a keyword
    as real keyword sentences in ``D/game/kw_sentences``) and the two dev streams in
    ``D/running/streams``. `align`: "sphinx" (PocketSphinx, skipped with a message when it is
    not installed), None, or an `align(samples, words)` function."""
    from zoo.data.speech_commands.augment import prepare_impulses
    from zoo.data.speech_commands.builder import run_jobs
    from zoo.data.speech_commands.running import (
        POOL_FIELDS, _csv_bytes, _work, check_build_dir, keywords_in,
    )
    from zoo.demo.scoring import join_segments, write_stream
    from zoo.files import atomic_write_bytes

    if not (isinstance(minutes, (int, float)) and minutes > 0 and np.isfinite(minutes)):
        raise ValueError(f"minutes must be a positive number, not {minutes!r} (e.g. --minutes 45)")
    t0 = time.monotonic()
    data_dir = check_build_dir(data_dir, workers)
    path = archive_path(fetch=fetch, cache=cache)
    check_not_reserved([path])
    data = path.read_bytes()
    index = read_index(data)
    every = lines(data, index)
    root = data_dir / "game"
    root.mkdir(parents=True, exist_ok=True)
    guard_config(root / "config.json", {"version": VERSION, "seed": int(seed), "minutes": float(minutes),
                                        "lines": len(every), "dev_characters": sorted(DEV_CHARACTERS)},
                 f"delete {root} or use the same settings")
    clips = extract(data, every, root / "clips", index, progress)
    seconds = {ln.clip: audio.audio_info(clips[ln.clip]).duration_s for ln in every}
    usable = [ln for ln in every if seconds[ln.clip] >= MIN_LINE_S]
    train = [ln for ln in usable if role(ln.speaker) == "train" and not keywords_in(ln.text)]
    dev = [ln for ln in usable if role(ln.speaker) == "dev"]
    items = plan_pool(train, clips, seconds, minutes, seed, prepare_impulses(data_dir, "auto")[1])
    todo = [(str(root), it) for it in items if not (root / it["path"]).is_file()]
    (root / "pool" / "train").mkdir(parents=True, exist_ok=True)
    run_jobs(_work, todo, total=len(items), cache=str(data_dir / "_cache"), workers=workers,
             desc="game pool", progress=progress, chunksize=4)
    atomic_write_bytes(root / "pool.csv", _csv_bytes(items, POOL_FIELDS))
    out_kw = 0
    aligner = sphinx_aligner() if align == "sphinx" else align
    if aligner is None:
        if align == "sphinx":
            log("game: PocketSphinx is not installed (pip install pocketsphinx): no real keyword "
                "sentences for training")
    else:
        train_kw = [ln for ln in usable if role(ln.speaker) == "train" and keywords_in(ln.text)]
        found = keyword_times(train_kw, clips, aligner)
        out_kw = write_keyword_sentences(root, found, clips)
        log(f"game: {out_kw} of {len(train_kw)} training lines with a keyword aligned "
            f"-> {root / 'kw_sentences'}")
    streams = data_dir / "running" / "streams"
    streams.mkdir(parents=True, exist_ok=True)
    out = {"lines": len(every), "train_pool_items": len(items), "keyword_sentences": out_kw,
           "train_pool_minutes": round(sum(audio.audio_info(root / it["path"]).duration_s
                                           for it in items) / 60, 2)}
    for kind, name in STREAMS.items():
        members = [ln for ln in dev if bool(keywords_in(ln.text)) == (kind == "keywords")]
        x, segs = join_segments([(load(clips[ln.clip]), ln.text, keywords_in(ln.text), f"{PACKAGE}:{ln.clip}")
                                 for ln in members], GAP_S, SAMPLE_RATE)
        write_stream(streams / f"{name}.wav", x, segs, kind="real", language="english",
                     packages={PACKAGE: len(segs)}, speakers=sorted({ln.speaker for ln in members}))
        out[name] = {"lines": len(segs), "minutes": round(len(x) / SAMPLE_RATE / 60, 2),
                     "keywords": sum(len(s["keywords"]) for s in segs)}
    out["seconds"] = round(time.monotonic() - t0, 1)
    log(f"game: {len(every)} lines with text; train pool {out['train_pool_items']} lines "
        f"({out['train_pool_minutes']} min); " + "; ".join(f"{STREAMS[k]}: {out[STREAMS[k]]}" for k in STREAMS))
    return out


__all__ = ["DEV_CHARACTERS", "Line", "STREAMS", "archive_path", "build", "character", "decode",
           "dialogue_clips", "extract", "keyword_times", "lines", "read_index", "role", "segments",
           "sphinx_aligner", "write_keyword_sentences"]
