"""Keyword spotting on real recorded speech: false alarms per hour and recall (GitHub issue #19).

    python -m benchmarks.kws_real_audio [--models NAME ...] [--modes float32,int8|all]
                                        [--quick] [--cache DIR] [--out DIR]

RESERVED EVALUATION DATA. The recordings below are used by this benchmark only, to
report on: never for training, augmentation, thresholds or model choice.

- `asterisk-core-sounds-en-wav`: 568 English telephone prompts by one real voice
  ("Allison"), 8 kHz (narrowband: nothing above 4 kHz once resampled); transcripts from
  the companion package `asterisk-core-sounds-en` (core-sounds-en.txt.gz).
- `asterisk-core-sounds-en-g722`: the same prompts as real 16 kHz wideband G.722,
  decoded with ffmpeg (Debian `ffmpeg`); without ffmpeg that column is left out.
- `alsa-utils`' /usr/share/sounds/alsa/*.wav: spoken channel names ("Front Left", ...).
- `asterisk-moh-opsound-wav`: music on hold (5 tracks, 8 kHz).

Streams (built once, reproducibly, under `$ZOO_HOME/bench/kws_real_audio/` or `--cache`;
never in git), each a 16 kHz WAV plus its JSON (`zoo.demo.scoring.write_stream`):

- `free-speech-<band>`: every prompt whose transcript has none of the ten keywords as a
  word (tokens of letters/digits/apostrophes, case-folded: "don't" is not "don";
  non-speech prompts, whose transcript is only "[tones]" or "(silence)", and files
  without a transcript are left out), in name order, with 0.5 s of silence between.
- `music`: the music-on-hold tracks, 0.5 s apart (the same for both bands: the tracks
  are 8 kHz). The keyword-free stream of the issue is free-speech + music; they are
  reported apart and together.
- `keywords-<band>`: the prompts whose transcripts hold keywords, then the ALSA phrases
  (the same 48 kHz recordings in both bands), 1.5 s of silence between so that the hit
  windows of neighbours do not overlap; each segment lists its keywords.

8 kHz files are resampled to 16 kHz by `zoo.data.audio.read_audio` (the project's one
reader). Scoring is `zoo.demo.scoring.score`: a detection of `w` is a hit within
[start - 0.25 s, end + 1 s] of a segment listing `w` (once per segment and word),
anything else a false alarm.

Detectors: every shipped speech model in each `--modes` TFLite mode, run as the demo
runs it (`zoo/demo/settings.json`: 1 s windows every 100 ms, moving average, threshold,
refractory period), posteriors computed once per stream and cached, then the threshold
swept (`THRESHOLDS` plus the shipped one) -> DET points. The model hook is
`posteriors(name, mode, audio) -> (times, probs)`: `register_posteriors(pattern, fn,
**decision)` plugs in another way of computing them (a frame-by-frame streaming model)
and its decision settings. Peer: PocketSphinx 5 (`pip install .[peer]`, bundled en-us
model) in keyphrase-spotting mode, one kws line per keyword `word /1e+X/`, over
`PEER_THRESHOLDS`; skipped with a printed reason when it is not installed.

Writes `kws_real_audio.json`, `.md` and `.png` (DET curves) to `--out`.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
PROMPTS = Path("/usr/share/asterisk/sounds/en")
MOH = Path("/usr/share/asterisk/moh")
ALSA = Path("/usr/share/sounds/alsa")
BANDS = {"narrowband": "wav", "wideband": "g722"}  # column -> file extension
RATE = 16000
GAP_S, KEYWORD_GAP_S = 0.5, 1.5
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998)
PEER_THRESHOLDS = (1e+20, 1e+10, 1e+5, 1.0)  # its useful range; 1e+30 / 1e-5: --peer-thresholds
TABLE_THRESHOLDS = (0.9, 0.99)  # rows shown besides the shipped operating point
QUICK_SPEECH_S, QUICK_MUSIC_S = 120.0, 60.0
DEFAULT_MODES = ("float32", "int8")
ALL_MODES = ("float32", "float16", "dynamic", "int8", "int16x8")
RESERVED = ("Reserved evaluation data (asterisk-core-sounds-en-wav/-g722, alsa-utils channel "
            "names, asterisk-moh-opsound-wav): reported on only, never used for training, "
            "thresholds or model choice.")
PACKAGES = "asterisk-core-sounds-en asterisk-core-sounds-en-wav asterisk-moh-opsound-wav alsa-utils"


# ------------------------------------------------------------ transcripts


def tokens(text):
    """Case-folded word tokens of `text`: letters/digits with inner apostrophes
    ("don't" and "o'clock" stay whole); hyphens and other punctuation split."""
    text = text.lower().replace("\u2019", "'")
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text)


def keywords_in(text, keywords=KEYWORDS):
    """The `keywords` spoken in `text` as words, in `keywords` order."""
    words = set(tokens(text))
    return [w for w in keywords if w in words]


def speech_text(text):
    """`text` without bracketed / parenthesised notes ("[ascending tones]",
    "(simple tone sound plays)"); empty when nothing spoken is left."""
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", text)
    return " ".join(text.split()) if tokens(text) else ""


def parse_transcripts(text):
    """`{prompt name: spoken text}` from core-sounds-en.txt (`name: text` lines;
    comments, blank lines and non-speech prompts are skipped)."""
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(";") or ":" not in line:
            continue
        name, _, said = line.partition(":")
        said = speech_text(said)
        if said and name.strip():
            out[name.strip()] = said
    return out


def read_transcripts(path=TRANSCRIPTS):
    if not Path(path).is_file():
        raise FileNotFoundError(f"no prompt transcripts at {path}; install them with "
                                f"`apt-get install -y --no-install-recommends {PACKAGES}`")
    return parse_transcripts(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))


def alsa_phrases(folder=ALSA):
    """`{path: "front left", ...}` of the spoken ALSA channel names (Noise.wav is not speech)."""
    return {p: p.stem.replace("_", " ").lower() for p in sorted(Path(folder).glob("*.wav"))
            if p.stem.lower() != "noise"}


# ------------------------------------------------------------ audio


def decode_g722(path):
    """16 kHz float32 samples of a raw G.722 file, decoded by ffmpeg."""
    from zoo.data.audio import parse_wav_bytes

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise FileNotFoundError("ffmpeg is not installed (needed to decode G.722): "
                                "`apt-get install -y --no-install-recommends ffmpeg`")
    out = subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-f", "g722", "-i", str(path),
                          "-ac", "1", "-f", "wav", "-"], capture_output=True, check=False)
    if out.returncode:
        raise ValueError(f"ffmpeg could not decode {path}: {out.stderr.decode()[-300:]}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, rate = parse_wav_bytes(out.stdout, path=str(path))
    if rate != RATE:
        raise ValueError(f"{path}: ffmpeg gave {rate} Hz, expected {RATE}")
    return x


def load_audio(path):
    """16 kHz float32 samples of a WAV (resampled by zoo.data.audio) or a .g722 file."""
    from zoo.data.audio import read_audio

    if Path(path).suffix == ".g722":
        return decode_g722(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 8 / 48 kHz -> 16 kHz, expected here
        return read_audio(path, RATE)


def concat(items, gap_s):
    """`(samples, segments)`: `items` (samples, text, keywords, source) joined with
    `gap_s` of silence between (and at both ends)."""
    from zoo.demo.scoring import join_segments

    return join_segments(items, gap_s, RATE)


def stream_names(bands):
    return [f"{kind}-{band}" for band in bands for kind in ("free-speech", "keywords")] + ["music"]


def build_streams(cache, bands, quick=False):
    """Build the missing streams in `cache` (see the module doc); `{name: json path}`."""
    from zoo.demo.scoring import write_stream

    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    paths = {name: cache / f"{name}.json" for name in stream_names(bands)}
    if all(p.is_file() for p in paths.values()):
        return paths
    transcripts = read_transcripts()
    for band in bands:
        ext = BANDS[band]
        free, keyed, missing = [], [], 0
        for name, text in sorted(transcripts.items()):
            path = PROMPTS / f"{name}.{ext}"
            if not path.is_file():
                missing += 1
                continue
            (keyed if keywords_in(text) else free).append((path, text))
        if quick:
            free = free[:int(QUICK_SPEECH_S / 2.5)]
        if not paths[f"free-speech-{band}"].is_file():
            items = [(load_audio(p), t, [], str(p)) for p, t in free]
            x, segs = concat(items, GAP_S)
            write_stream(cache / f"free-speech-{band}.wav", x, segs, prompts=len(items),
                         transcripts_without_file=missing, reserved=RESERVED)
            print(f"built free-speech-{band}: {len(items)} prompts, {len(x) / RATE / 60:.1f} min",
                  flush=True)
        if not paths[f"keywords-{band}"].is_file():
            items = [(load_audio(p), t, keywords_in(t), str(p)) for p, t in keyed]
            items += [(load_audio(p), t, keywords_in(t), str(p)) for p, t in alsa_phrases().items()]
            x, segs = concat(items, KEYWORD_GAP_S)
            write_stream(cache / f"keywords-{band}.wav", x, segs, prompts=len(items),
                         reserved=RESERVED)
            print(f"built keywords-{band}: {len(items)} phrases, {len(x) / RATE / 60:.1f} min",
                  flush=True)
    if not paths["music"].is_file():
        tracks = sorted(MOH.glob("*.wav"))
        if not tracks:
            raise FileNotFoundError(f"no music on hold in {MOH}; `apt-get install -y "
                                    f"--no-install-recommends {PACKAGES}`")
        items = [(load_audio(p), p.stem, [], str(p)) for p in tracks]
        if quick:
            items = [(x[:int(QUICK_MUSIC_S / len(items) * RATE)], *rest) for x, *rest in items]
        x, segs = concat(items, GAP_S)
        write_stream(cache / "music.wav", x, segs, tracks=len(items), reserved=RESERVED)
        print(f"built music: {len(items)} tracks, {len(x) / RATE / 60:.1f} min", flush=True)
    return paths


# ------------------------------------------------------------ the model hook


_POSTERIORS = {}  # fnmatch pattern -> (fn(name, mode, audio) -> (times, probs), decision kwargs)


def register_posteriors(pattern, fn, **decision):
    """Models matching the fnmatch `pattern` get their posteriors from
    `fn(name, mode, audio) -> (times (n,), probs (n, classes))` instead of the
    1-s window detector, and `decision` overrides of `detect`'s keyword
    arguments (e.g. smoothing=1, max_run_s=..., ignore_labels=...)."""
    _POSTERIORS[pattern] = (fn, decision)


def _hook(name):
    for pattern, value in _POSTERIORS.items():
        if fnmatch.fnmatchcase(name, pattern):
            return value
    from zoo import registry

    if registry.get(name).has_hook("frame_stream"):
        return frame_posteriors, {}
    return window_posteriors, {}


def frame_posteriors(name, mode, audio):
    """A streaming model's posteriors: consecutive 20 ms frames from the stream start
    with the state carried (as `Detector` feeds them), each timed at its centre."""
    from zoo.demo.detector import load_model

    stream, _ = load_model(name, quantize=mode)
    frame = int(round(RATE * load_settings_for(name)["window_ms"] / 1000))
    n = len(audio) // frame
    probs = stream(np.asarray(audio[:n * frame], np.float32).reshape(n, frame))
    return np.round((np.arange(n) + 0.5) * frame / RATE, 6), probs


def load_settings_for(name):
    from zoo.demo.detector import load_settings

    return load_settings(model=name)


@functools.lru_cache(maxsize=2)
def _model(name, mode):
    from zoo.demo.detector import load_model

    return load_model(name, quantize=mode)


def window_posteriors(name, mode, audio, settings=None, batch=256):
    """The demo detector's posteriors: windows of `window_ms` centred every `hop_ms`
    from 0 to the end of `audio` (zeros outside), as `Detector` makes them, classified
    `batch` at a time. Returns `(times, probs)`."""
    from zoo.demo.detector import load_settings

    s = settings or load_settings()
    predict, labels = _model(name, mode)
    w, hop = int(round(RATE * s["window_ms"] / 1000)), int(round(RATE * s["hop_ms"] / 1000))
    padded = np.concatenate([np.zeros(w // 2, np.float32), np.asarray(audio, np.float32),
                             np.zeros(w - w // 2, np.float32)])
    n = len(audio) // hop + 1
    windows = np.lib.stride_tricks.sliding_window_view(padded, w)[::hop][:n]
    probs = np.concatenate([predict(np.ascontiguousarray(windows[i:i + batch]))
                            for i in range(0, n, batch)])
    return np.round(np.arange(n) * hop / RATE, 6), probs


def posteriors(name, mode, audio):
    """`(times, probs)` of model `name` in file mode `mode` over `audio` (16 kHz)."""
    return _hook(name)[0](name, mode, audio)


def decision_settings(name):
    """`detect`'s keyword arguments for model `name`: the demo's settings.json with
    the overrides registered for it."""
    from zoo.demo.detector import load_settings
    from zoo.demo.scoring import decision_kwargs

    return dict(decision_kwargs(load_settings(model=name)), **_hook(name)[1])


def model_key(name):
    """A short digest of the model's artifact folder and checksums: a retrained or
    re-shipped model gets new cache entries, never its predecessor's posteriors."""
    import hashlib

    from zoo import registry

    folder = registry.require_artifacts(name).path
    sums = Path(folder) / "SHA256SUMS"
    data = str(folder).encode() + (sums.read_bytes() if sums.is_file() else b"")
    return hashlib.sha1(data).hexdigest()[:10]


def cached_posteriors(cache, name, mode, stream, audio):
    """`posteriors`, kept in `cache/posteriors/` (keyed by stream, model, its artifacts
    (`model_key`) and mode)."""
    from zoo.files import atomic_path

    path = Path(cache) / "posteriors" / f"{stream}.{name}.{model_key(name)}.{mode}.npz"
    if path.is_file():
        with np.load(path) as z:
            return z["times"], z["probs"]
    times, probs = posteriors(name, mode, audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, times=times, probs=probs)
    return times, probs


# ------------------------------------------------------------ the peer


def kws_lines(keywords, threshold):
    """PocketSphinx keyphrase list: one line per keyword, `word /1e+20/`."""
    if not threshold > 0:
        raise ValueError(f"a PocketSphinx threshold must be positive; got {threshold!r}")
    return "".join(f"{w} /{threshold:.0e}/\n" for w in keywords)


def write_kws_file(path, keywords, threshold):
    from zoo.files import atomic_write_bytes

    atomic_write_bytes(path, kws_lines(keywords, threshold).encode())
    return Path(path)


def peer_missing():
    """None when PocketSphinx is importable, else why not."""
    try:
        import pocketsphinx  # noqa: F401
    except ImportError as exc:
        return f"pocketsphinx is not installed ({exc}); `pip install .[peer]`"
    return None


def sphinx_detections(audio, kws_path, chunk=1600):
    """PocketSphinx keyphrase detections over 16 kHz `audio`: each at the middle of its
    segment, prob 1 (PocketSphinx gives no posterior)."""
    from pocketsphinx import Decoder

    from zoo.data.audio import to_int16
    from zoo.demo.scoring import Detection

    dec = Decoder(kws=str(kws_path), loglevel="FATAL", samprate=RATE)
    pcm = to_int16(audio)
    found, start = [], 0
    dec.start_utt()
    for i in range(0, len(pcm), chunk):
        dec.process_raw(pcm[i:i + chunk].tobytes(), False, False)
        if dec.hyp() is not None:
            for seg in dec.seg():
                t = start / RATE + (seg.start_frame + seg.end_frame) / 200.0
                found.append(Detection(round(t, 3), seg.word.strip(), 1.0))
            dec.end_utt()
            dec.start_utt()
            start = i + chunk
    dec.end_utt()
    return found


def cached_sphinx(cache, stream, audio, threshold):
    from zoo.demo.scoring import Detection
    from zoo.files import atomic_write_bytes

    path = Path(cache) / "pocketsphinx" / f"{stream}.{threshold:.0e}.json"
    if path.is_file():
        return [Detection(*d) for d in json.loads(path.read_text())]
    path.parent.mkdir(parents=True, exist_ok=True)
    kws = write_kws_file(path.with_suffix(".kws"), KEYWORDS, threshold)
    found = sphinx_detections(audio, kws)
    atomic_write_bytes(path, json.dumps([list(d) for d in found]).encode())
    return found


# ------------------------------------------------------------ scoring and output


def _summary(free, music, keyed):
    """One DET point's numbers from the three streams' scores."""
    hours = (free["duration_s"] + music["duration_s"]) / 3600
    return dict(fa_h_speech=free["fa_per_hour"], fa_h_music=music["fa_per_hour"],
                fa_h_free=(free["false_alarms"] + music["false_alarms"]) / hours,
                fa_h_keyword_set=keyed["fa_per_hour"], recall=keyed["recall"],
                hits=keyed["hits"], occurrences=keyed["occurrences"],
                per_word={w: [v["hits"], v["occurrences"]] for w, v in keyed["per_word"].items()
                          if v["occurrences"]},
                false_alarms_speech=free["false_alarms"], false_alarms_music=music["false_alarms"])


def _describe_decision(dec):
    thr = dec["threshold"]
    thr = ", ".join(f"{k} {v:g}" for k, v in thr.items()) if isinstance(thr, dict) else f"{thr:g}"
    return (f"(moving average of {dec['smoothing']}, threshold {thr}, refractory "
            f"{dec['refractory_s'] * 1000:g} ms, runs of at most {dec['max_run_s'] * 1000:g} ms)")


def model_points(cache, name, mode, streams, bands, shipped):
    from zoo.demo.scoring import sweep

    labels = _model(name, mode)[1] if _hook(name)[0] is window_posteriors else None
    if labels is None:
        from zoo import api
        labels = api.labels(name)
    decision = decision_settings(name)
    thresholds = sorted(set(THRESHOLDS) | {float(shipped)})
    out = {}
    for band in bands:
        scores = {}
        for kind in ("free-speech", "music", "keywords"):
            stream = kind if kind == "music" else f"{kind}-{band}"
            audio, meta = streams[stream]
            times, probs = cached_posteriors(cache, name, mode, stream, audio)
            scores[kind] = sweep(times, probs, labels, meta["segments"], meta["duration_s"],
                                 thresholds, keywords=KEYWORDS, **decision)
        out[band] = [dict(threshold=thr, shipped=thr == shipped,
                          **_summary(*(scores[k][i] for k in ("free-speech", "music", "keywords"))))
                     for i, thr in enumerate(thresholds)]
    return out


def peer_points(cache, streams, bands, thresholds=PEER_THRESHOLDS):
    from zoo.demo.scoring import score

    out = {}
    for band in bands:
        points = []
        for thr in thresholds:
            sc = []
            for kind in ("free-speech", "music", "keywords"):
                stream = kind if kind == "music" else f"{kind}-{band}"
                audio, meta = streams[stream]
                sc.append(score(cached_sphinx(cache, stream, audio, thr), meta["segments"],
                                meta["duration_s"], KEYWORDS))
            points.append(dict(threshold=thr, shipped=False, **_summary(*sc)))
        out[band] = points
    return out


def _fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(result):
    bands = result["bands"]
    d = result["data"]
    lines = ["# Keyword spotting on real recorded speech", "",
             f"**{RESERVED}**", "",
             "Module doc of `benchmarks/kws_real_audio.py`. Keyword-free speech: "
             + ", ".join(f"{b} {d[f'free-speech-{b}']['minutes']:.1f} min "
                         f"({d[f'free-speech-{b}']['prompts']} prompts)" for b in bands)
             + f"; music on hold {d['music']['minutes']:.1f} min; keyword set: "
             + ", ".join(f"{b} {d[f'keywords-{b}']['prompts']} phrases, "
                         f"{d[f'keywords-{b}']['occurrences']} keyword occurrences" for b in bands)
             + ". Narrowband = the 8 kHz `-wav` prompts resampled to 16 kHz; wideband = the "
             "16 kHz `-g722` prompts (music and the ALSA phrases are the same in both). "
             "FA/h: false alarms per hour of audio; recall: hits / occurrences on the keyword "
             "set (a hit within [start - 0.25 s, end + 1 s] of a phrase holding the word). "
             "Our models run as the demo runs them, with their settings.json section: "
             + "; ".join(f"`{m}` " + _describe_decision(dec)
                         for m, dec in result["decision"].items())
             + "; the shipped operating point is marked *.", ""]
    head = ["detector", "mode", "threshold"]
    for b in bands:
        head += [f"{b}: FA/h speech", f"{b}: FA/h music", f"{b}: recall"]
    lines += ["| " + " | ".join(head) + " |", "|---|---|---|" + "---:|" * (3 * len(bands))]

    def row(det, mode, points_by_band, i, thr_text):
        cells = [det, mode, thr_text]
        for b in bands:
            p = points_by_band[b][i]
            cells += [_fmt(p["fa_h_speech"]), _fmt(p["fa_h_music"]),
                      f"{_fmt(None if p['recall'] is None else 100 * p['recall'], 1)} % "
                      f"({p['hits']}/{p['occurrences']})"]
        return "| " + " | ".join(cells) + " |"

    for r in result["models"]:
        pts = r["points"]
        first = pts[bands[0]]
        for i, p in enumerate(first):
            if p["shipped"] or p["threshold"] in TABLE_THRESHOLDS:
                lines.append(row(r["model"], r["mode"], pts, i,
                                 f"{p['threshold']:g}" + (" *" if p["shipped"] else "")))
    peer = result.get("peer")
    if peer and "points" in peer:
        for i, p in enumerate(peer["points"][bands[0]]):
            lines.append(row("PocketSphinx 5 (en-us)", "kws", peer["points"], i,
                             f"{p['threshold']:.0e}"))
    elif peer:
        lines += ["", f"PocketSphinx peer skipped: {peer['skipped']}"]
    lines += ["", "Per-word hits / occurrences on the keyword set at the shipped threshold "
              "(PocketSphinx at the threshold nearest 1e+10):", "",
              "| detector | mode | " + " | ".join(bands) + " |",
              "|---|---|" + "---|" * len(bands)]

    def words(p):
        return ", ".join(f"{w} {h}/{n}" for w, (h, n) in p["per_word"].items())

    for r in result["models"]:
        i = next(i for i, p in enumerate(r["points"][bands[0]]) if p["shipped"])
        lines.append(f"| {r['model']} | {r['mode']} | "
                     + " | ".join(words(r["points"][b][i]) for b in bands) + " |")
    if peer and "points" in peer:
        i = min(range(len(peer["thresholds"])),
                key=lambda j: abs(math.log10(peer["thresholds"][j]) - 10))
        lines.append("| PocketSphinx 5 | kws | "
                     + " | ".join(words(peer["points"][b][i]) for b in bands) + " |")
    if result.get("left_out"):
        lines += ["", "Left out: " + "; ".join(result["left_out"])]
    lines += ["", f"Model part of this run: {result['seconds']:.0f} s (posteriors are cached in "
              "the stream cache between runs; a first run computes them).", "",
              "![DET curves: false alarms per hour of keyword-free speech against recall]"
              "(kws_real_audio.png)"]
    return "\n".join(lines) + "\n"


def plot(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.files import atomic_path

    bands = result["bands"]
    fig, axes = plt.subplots(1, len(bands), figsize=(6.5 * len(bands), 4.8), squeeze=False)
    floor = 0.5  # FA/h of 0 drawn here on the log axis
    curves = [(f"{r['model']} {r['mode']}", r["points"], "-") for r in result["models"]]
    if result.get("peer", {}).get("points"):
        curves.append(("PocketSphinx 5", result["peer"]["points"], "--"))
    for ax, band in zip(axes[0], bands):
        for label, pts, style in curves:
            x = [max(p["fa_h_speech"], floor) for p in pts[band]]
            y = [100 * (p["recall"] or 0) for p in pts[band]]
            line, = ax.plot(x, y, style, marker=".", label=label)
            ship = [(xi, yi) for xi, yi, p in zip(x, y, pts[band]) if p["shipped"]]
            if ship:
                ax.plot(*ship[0], "*", ms=13, color=line.get_color(), mec="k")
        ax.set_xscale("log")
        ax.set_xlabel(f"false alarms per hour of keyword-free speech (0 drawn at {floor})")
        ax.set_ylabel("recall on the keyword set (%)")
        ax.set_title(f"{band} ({'8 kHz -wav' if band == 'narrowband' else '16 kHz -g722'})")
        ax.set_ylim(0, 100)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Real recorded speech (reserved evaluation data); * shipped threshold")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", help="speech models (default: every registered one)")
    p.add_argument("--modes", default=",".join(DEFAULT_MODES),
                   help=f"TFLite modes, comma-separated, or `all` ({','.join(ALL_MODES)})")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK_SPEECH_S:.0f} s of keyword-free speech and {QUICK_MUSIC_S:.0f} s "
                        "of music per band (a fast check; its own cache folder)")
    p.add_argument("--cache", help="stream and posterior cache (default $ZOO_HOME/bench/"
                                   "kws_real_audio)")
    p.add_argument("--no-peer", action="store_true", help="skip PocketSphinx")
    p.add_argument("--peer-thresholds", type=float, nargs="+", default=list(PEER_THRESHOLDS),
                   help="PocketSphinx kws thresholds (default %(default)s; each one is a full "
                        "decode of every stream, ~0.05 x real time)")
    p.add_argument("--out", help="results folder (default benchmarks/results/; with --quick "
                                 "the cache folder)")
    args = p.parse_args(argv)
    from zoo import registry
    from zoo.demo.detector import load_settings
    from zoo.demo.scoring import read_stream

    speech = registry.list_models(task="speech")
    modes = ALL_MODES if args.modes == "all" else tuple(m for m in args.modes.split(",") if m)
    bad = [m for m in modes if m not in ALL_MODES]
    if bad or not modes:
        p.error(f"--modes: unknown {', '.join(bad) or '(none)'}; choose from "
                f"{', '.join(ALL_MODES)} or all")
    # NAME or NAME:mode,mode (that model's modes instead of --modes)
    wanted = [(m.partition(":")[0], tuple(x for x in m.partition(":")[2].split(",") if x) or modes)
              for m in (args.models or speech)]
    bad = [m for m, _ in wanted if m not in speech]
    if bad:
        p.error(f"--models: {', '.join(bad)} not speech models; choose from {', '.join(speech)}")
    bad = sorted({x for _, ms in wanted for x in ms} - set(ALL_MODES))
    if bad:
        p.error(f"--models: unknown mode(s) {', '.join(bad)}; choose from {', '.join(ALL_MODES)}")
    models = [m for m, _ in wanted]
    cache = Path(args.cache or registry.zoo_home() / "bench" / "kws_real_audio")
    if args.quick:
        cache = cache / "quick"
    if any(not (t > 0 and math.isfinite(t)) for t in args.peer_thresholds):
        p.error("--peer-thresholds must be positive finite numbers, e.g. 1e+20 1e+10 1")
    left_out = []
    bands = list(BANDS)
    if shutil.which("ffmpeg") is None:
        bands.remove("wideband")
        left_out.append("wideband column: ffmpeg is not installed to decode G.722 "
                        "(`apt-get install -y --no-install-recommends ffmpeg`)")
    elif not any(PROMPTS.glob("*.g722")):
        bands.remove("wideband")
        left_out.append("wideband column: asterisk-core-sounds-en-g722 is not installed")
    print(RESERVED, flush=True)
    try:
        paths = build_streams(cache, bands, quick=args.quick)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    streams = {name: read_stream(path) for name, path in paths.items()}
    data = {}
    for name, (x, meta) in streams.items():
        data[name] = dict(minutes=meta["duration_s"] / 60,
                          prompts=meta.get("prompts", meta.get("tracks")),
                          occurrences=sum(len(s["keywords"]) for s in meta["segments"]))
    shipped = {m: load_settings(model=m)["threshold"] for m in models}
    start = time.time()
    rows = []
    for name, name_modes in wanted:
        for mode in name_modes:
            t0 = time.time()
            rows.append(dict(model=name, mode=mode, shipped_threshold=shipped[name],
                             points=model_points(cache, name, mode, streams, bands,
                                                 shipped[name])))
            print(f"{name} {mode}: {time.time() - t0:.0f} s", flush=True)
            _model.cache_clear()
    seconds = time.time() - start
    why = "--no-peer" if args.no_peer else peer_missing()
    if why:
        peer = dict(skipped=why)
        print(f"PocketSphinx peer skipped: {why}", flush=True)
    else:
        import pocketsphinx

        t0 = time.time()
        peer = dict(version=getattr(pocketsphinx, "__version__", "5"),
                    thresholds=args.peer_thresholds,
                    points=peer_points(cache, streams, bands, args.peer_thresholds))
        print(f"PocketSphinx: {time.time() - t0:.0f} s", flush=True)
    result = dict(reserved=RESERVED, quick=args.quick, bands=bands, data=data,
                  keywords=list(KEYWORDS), shipped_threshold=shipped, thresholds=list(THRESHOLDS),
                  decision={m: decision_settings(m) for m in models}, models=rows, peer=peer,
                  left_out=left_out, seconds=seconds)
    from benchmarks.results_io import write_results

    stem = "kws_real_audio"
    out = write_results(args.out or (cache if args.quick else ROOT / "benchmarks" / "results"),
                        stem, result, markdown(result))
    plot(result, out / f"{stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
