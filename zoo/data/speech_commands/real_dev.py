"""Dev streams of real recorded speech: ``D/running/streams/dev_real_{en,other}_free``.

The text-to-speech dev streams (`running`) did not predict false alarms on real
speech: a recipe chosen on them false-alarmed three times as often on real English
recordings (#19). These streams are keyword-free real speech of speakers that no
training data holds, from packages outside the recordings reserved for evaluation
(`zoo.data.reserved`):

| Debian package | speech | rate |
|---|---|---|
| asterisk-prompt-es-co | Spanish (Colombia) telephone prompts, one female voice | 8 kHz GSM |
| asterisk-prompt-fr-armelle | French telephone prompts, one female voice | 8 kHz GSM |
| asterisk-prompt-it-menardi-wav | Italian telephone prompts, one female voice | 8 kHz |
| pocketsphinx-testdata | English read speech (LibriVox, playing cards), several voices | 16 kHz |
| hedgewars-data | game voices: short exclamations ("Take cover!", "Leave me alone"), 9 English and 6 other packs | 44.1 kHz Ogg |
| ktuberling-data | English object names ("umbrella", "moustache"), one voice | 44.1 kHz Ogg |

No package needs installing: `build` downloads the .deb of a missing one (`apt-get
download`) and unpacks it under `$ZOO_HOME/cache/debs` (`unpack`). asterisk-prompt-es-co
and -fr-armelle must not be installed: they replace asterisk-core-sounds-{es,fr}, whose
transcripts filter the training pool.
The prompt packages carry no transcripts. A prompt takes the transcript of the
asterisk-core-sounds prompt of the same name (the same text, another speaker) and is
left out when that text or its file name holds a word that sounds like a keyword
(`running.SOUNDALIKE`); English utterances are left out when their transcript holds
a keyword. A game voice's file names the event, not the words (each pack says it its own
way): the events whose default line holds a keyword (`KEYWORD_EVENTS`: "Nooo",
"Yessir", "Come on then") are left out in every pack. Files are listed from each package's own dpkg file list (or unpacked copy), so the training
pool (asterisk-core-sounds-{es,fr,it,ru}-wav, other speakers, `*.wav` files) never
mixes with this stream even where both install into one folder.

The utterances are joined in a fixed order with 0.5 s of silence between them, as
the real-audio benchmark joins its prompts: English speech in `dev_real_en_free`,
the rest in `dev_real_other_free`. They are dev sets: they may choose thresholds,
recipes and models; they are never trained on.

    python -m zoo.data.speech_commands real-dev --data-dir D     # ~1 min, re-runnable
    audio, meta = running.load_stream(D, "dev_real_en_free")
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from zoo.data import audio
from zoo.data.reserved import check_not_reserved
from zoo.data.speech_commands.engines import _run
from zoo.data.speech_commands.task import KEYWORDS, SAMPLE_RATE

STREAMS = {"english": "dev_real_en_free", "other": "dev_real_other_free"}
# The hedgewars voice packs that speak English (the others: Spanish, Polish, Russian, Ukrainian)
ENGLISH_GAME_VOICES = {"British", "Classic", "Default", "HillBilly", "Mobster", "Pirate", "Robot",
                       "Singer", "Surfer"}
GAP_S = 0.5
DPKG_INFO = Path("/var/lib/dpkg/info")
# package -> what it holds: an asterisk prompt language (transcripts of the same prompt names
# in asterisk-core-sounds-LANG), "en" (Sphinx transcripts), "game" (hedgewars voice packs),
# "words" (ktuberling's English object names)
PACKAGES = {
    "asterisk-prompt-es-co": "es",
    "asterisk-prompt-fr-armelle": "fr",
    "asterisk-prompt-it-menardi-wav": "it",
    "pocketsphinx-testdata": "en",
    "hedgewars-data": "game",
    "ktuberling-data": "words",
}
KEYWORD_EVENTS = {"nooo", "yessir", "comeonthen"}
GAME_VOICES = "usr/share/games/hedgewars/Data/Sounds/voices/"
WORDS_FOLDER = ("ktuberling", "sounds", "en")      # the folder of ktuberling's English words
AUDIO_SUFFIXES = (".wav", ".gsm", ".ogg")
# pocketsphinx-testdata: folder -> its transcript file (Sphinx format: "<s> text </s> (id)")
SPHINX_TRANSCRIPTS = {"librivox": "transcription", "cards": "cards.transcription"}
_SPHINX_LINE = re.compile(r"^\s*(?:<s>)?\s*(.*?)\s*(?:</s>)?\s*\(([^)]+)\)\s*$")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def _cache():
    from zoo.registry import zoo_home

    return zoo_home() / "cache" / "debs"


def unpack(package, cache=None):
    """Download `package`'s .deb (`apt-get download`) and unpack it under `cache`
    (default `$ZOO_HOME/cache/debs/PACKAGE`) without installing it; returns the folder.
    Nothing on the system changes (installing the Spanish and French prompt sets would
    remove the transcripts the training pool filters by)."""
    import shutil
    import subprocess
    import tempfile

    root = Path(cache or _cache()) / package
    if (root / ".unpacked").is_file():
        return root
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise FileNotFoundError(f"{package}: {tool} is needed to fetch it (a Debian system)")
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        got = subprocess.run(["apt-get", "download", package], cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob(f"{package}_*.deb"))
        if got.returncode or not debs:
            raise FileNotFoundError(f"could not download {package} (`apt-get download {package}`: "
                                    f"{(got.stderr or got.stdout).strip()[-300:]}); run `apt-get update`")
        out = Path(tmp) / "unpacked"
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(out)], check=True)
        (out / ".unpacked").write_text(debs[0].name + "\n")
        shutil.rmtree(root, ignore_errors=True)
        out.rename(root)                        # whole or not at all
    return root


def package_files(package, *, fetch=False, cache=None):
    """The audio files of `package`, sorted: its dpkg file list where it is installed, else
    its unpacked copy under `cache` (fetched first when `fetch`)."""
    listing = DPKG_INFO / f"{package}.list"
    if listing.is_file():
        return sorted(Path(line) for line in listing.read_text().splitlines()
                      if line.endswith(AUDIO_SUFFIXES) and Path(line).is_file())
    root = Path(cache or _cache()) / package
    if not (root / ".unpacked").is_file():
        if not fetch:
            raise FileNotFoundError(f"{package} is neither installed nor unpacked in {root.parent}: "
                                    f"run `python -m zoo.data.speech_commands real-dev --data-dir D` "
                                    "without --no-fetch to unpack it")
        unpack(package, cache)
    return sorted(p for p in root.rglob("*") if p.suffix in AUDIO_SUFFIXES and p.is_file())


def _sphinx_transcripts(files):
    """{(folder, utterance id): text} from the Sphinx transcript beside each file."""
    out = {}
    for folder in sorted({Path(f).parent for f in files}):
        path = folder / SPHINX_TRANSCRIPTS.get(folder.name, "")
        if folder.name in SPHINX_TRANSCRIPTS and path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                m = _SPHINX_LINE.match(line)
                if m:
                    out[(folder.name, m.group(2).strip())] = m.group(1)
    return out


def _prompt_name(path, lang):
    """The prompt's name relative to its language folder (e.g. "digits/5", "agent-pass")."""
    parts = Path(path).with_suffix("").parts
    for i, p in enumerate(parts):
        if p == lang or p.startswith(f"{lang}_"):
            return "/".join(parts[i + 1:])
    return Path(path).stem


def utterances(*, fetch=False, cache=None, log=print):
    """`[(package, path, text)]` of the keyword-free utterances, in a fixed order; a
    package that is missing is left out with a message (`fetch`: unpack it first)."""
    from zoo.data.speech_commands.running import SOUNDALIKE, _transcripts

    out = []
    for package, lang in PACKAGES.items():
        try:
            files = package_files(package, fetch=fetch, cache=cache)
        except FileNotFoundError as e:
            log(f"real-dev: leaving out {package}: {e}")
            continue
        bad = SOUNDALIKE.get(lang, set()) | set(KEYWORDS)
        if lang == "game":
            chosen = [(p, p.stem) for p in files if GAME_VOICES in p.as_posix()
                      and p.stem.lower() not in KEYWORD_EVENTS]
        elif lang == "words":
            chosen = [(p, p.stem.split("_")[-1]) for p in files if p.parent.parts[-3:] == WORDS_FOLDER]
        elif lang == "en":
            texts = _sphinx_transcripts(files)
            chosen = [(p, texts.get((p.parent.name, p.stem))) for p in files]
            chosen = [(p, t) for p, t in chosen if t is not None]       # only transcribed speech
        else:
            texts = _transcripts(lang)
            chosen = [(p, texts.get(_prompt_name(p, lang), "")) for p in files]
        kept = []
        asterisk = lang not in ("game", "words", "en")       # a prompt's file name holds words too
        for p, text in chosen:
            name_words = re.sub(r"[-_/]", " ", _prompt_name(p, lang)) if asterisk else ""
            words = set(_WORD.findall(f"{text} {name_words}".lower()))
            if not words & bad:
                kept.append((package, str(p), text))
        log(f"real-dev: {package}: {len(kept)} of {len(chosen)} utterances keyword-free")
        out += kept
    check_not_reserved([p for _, p, _ in out], what="the dev stream")
    return out


def load(path):
    """16 kHz float32 mono samples of a WAV (any rate), or of a GSM or Ogg file (decoded and
    resampled by sox)."""
    if Path(path).suffix != ".wav":
        raw = _run(["sox", "-V1", str(path), "-t", "raw", "-e", "floating-point", "-b", "32",
                    "-c", "1", "-r", str(SAMPLE_RATE), "-"], what="sox")
        return np.frombuffer(raw, "<f4").astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # 8 kHz -> 16 kHz, expected here
        return audio.read_audio(path, SAMPLE_RATE)


def stream_of(package, path):
    """`STREAMS` key of an utterance: English speech or speech in other languages."""
    if package in ("pocketsphinx-testdata", "ktuberling-data"):
        return "english"
    if package == "hedgewars-data":
        return "english" if Path(path).parent.name in ENGLISH_GAME_VOICES else "other"
    return "other"


def build(data_dir, *, fetch=True, cache=None, log=print):
    """Write the `STREAMS` (`dev_real_en_free`, `dev_real_other_free`: WAV + JSON) under
    `D/running/streams`, replacing older ones; returns {stream: (utterances, minutes)}."""
    from zoo.data.speech_commands.running import _running_root
    from zoo.demo.scoring import join_segments, write_stream

    groups = {k: [] for k in STREAMS}
    for package, path, text in utterances(fetch=fetch, cache=cache, log=log):
        try:
            x = load(path)
        except ValueError as e:                 # an unreadable file: say so, go on
            log(f"real-dev: skipping {path}: {e}")
            continue
        groups[stream_of(package, path)].append((x, text, [], f"{package}:{path}"))
    if not any(groups.values()):
        raise FileNotFoundError("no real dev speech found: the packages "
                                f"{', '.join(PACKAGES)} could not be read or fetched")
    streams = _running_root(data_dir) / "streams"
    streams.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, items in groups.items():
        if not items:
            continue
        x, segments = join_segments(items, GAP_S, SAMPLE_RATE)
        by_package = {p: n for p in PACKAGES
                      if (n := sum(1 for s in segments if s["source"].startswith(f"{p}:")))}
        write_stream(streams / f"{STREAMS[key]}.wav", x, segments, kind="real", language=key,
                     packages=by_package)
        out[STREAMS[key]] = (len(segments), len(x) / SAMPLE_RATE / 60)
        log(f"real-dev: {STREAMS[key]}: {len(segments)} utterances, "
            f"{len(x) / SAMPLE_RATE / 60:.1f} min ({', '.join(f'{p} {n}' for p, n in by_package.items())})")
    return out


__all__ = ["KEYWORD_EVENTS", "GAP_S", "PACKAGES", "STREAMS", "build", "stream_of", "load", "package_files", "unpack", "utterances"]
