"""Keyword decisions and their scoring on long streams (pure NumPy, no TensorFlow).

One piece of decision logic serves the live demo (`zoo.demo.detector.Detector`)
and the offline benchmark (`benchmarks.kws_real_audio`):

- `Smoother`: moving average of the last `k` posteriors; the smoothed value
  belongs to the mean time of the averaged windows (fewer than `k` at the start).
- `Decision`: a keyword (a label not in `ignore_labels`) is "on" while it is the
  arg-max of the smoothed posteriors and at least its threshold (one float, or a
  dict label -> float for per-word thresholds). A run of "on" steps of one
  keyword, at most `max_run_s` long, is one detection at the run's middle with
  the run's peak probability; a detection within `refractory_s` of the previous
  reported one is dropped.
- `detect(times, probs, labels, ...)`: both over whole arrays of posteriors.

Scoring (`score`, `sweep`) works on a *stream*: a 16 kHz mono WAV plus a JSON
`{"sample_rate": 16000, "duration_s": D, "segments": [{"start_s", "end_s", "text",
"keywords": [...]}, ...]}` (`write_stream` / `read_stream`). A detection of word
`w` at `t` is a hit when a segment listing `w` satisfies
`start_s - 0.25 <= t <= end_s + 1.0`; each (segment, keyword) occurrence counts
once, further detections of it are ignored (neither hit nor false alarm). Every
other detection is a false alarm.
"""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["Detection", "join_segments", "Smoother", "Decision", "detect", "decision_kwargs", "score", "sweep",
           "write_stream", "read_stream", "BEFORE_S", "AFTER_S", "format_time"]

BEFORE_S, AFTER_S = 0.25, 1.0  # a hit may come this early / late around its segment


def format_time(seconds):
    """`MM:SS.mmm` (minutes keep counting past 59)."""
    ms = int(round(max(0.0, seconds) * 1000))
    return f"{ms // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


class Detection(NamedTuple):
    time_s: float  # centre of the detected window span, seconds from the stream start
    label: str
    prob: float  # peak smoothed posterior

    def line(self):
        return f"{format_time(self.time_s)}  {self.label}  {self.prob:.2f}"


class Smoother:
    """Moving average of the last `k` posterior vectors and of their times."""

    def __init__(self, k):
        if int(k) < 1:
            raise ValueError(f"smoothing must be at least 1 window; got {k!r}")
        self.values = collections.deque(maxlen=int(k))
        self.times = collections.deque(maxlen=int(k))

    def push(self, t, p):
        """`(time, smoothed probabilities)` after adding posteriors `p` at time `t`."""
        self.values.append(p)
        self.times.append(t)
        return round(float(np.mean(self.times)), 6), np.mean(self.values, axis=0)


def _thresholds(threshold, labels):
    """Per-label threshold array from a float or a dict label -> float."""
    if isinstance(threshold, dict):
        unknown = sorted(set(threshold) - set(labels))
        if unknown:
            raise ValueError(f"thresholds for unknown labels {unknown}; the labels are {labels}")
        missing = [lab for lab in labels if lab not in threshold]
        values = [threshold.get(lab, math.inf) for lab in labels]
        if missing and all(v == math.inf for v in values):
            raise ValueError("the threshold dict names no label")
    else:
        values = [threshold] * len(labels)
    out = np.array(values, np.float64)
    if not np.all((out > 0) & ((out <= 1) | np.isinf(out))):
        raise ValueError(f"thresholds must be in (0, 1]; got {threshold!r}")
    return out


class Decision:
    """The run / refractory logic of the module doc, one smoothed step at a time.
    `threshold`: a float or a dict label -> float (labels missing from the dict
    are never reported)."""

    def __init__(self, labels, *, threshold, refractory_s=0.0, max_run_s=math.inf,
                 ignore_labels=()):
        self.labels = list(labels)
        self.thresholds = _thresholds(threshold, self.labels)
        self.keyword = np.array([lab not in set(ignore_labels) for lab in self.labels])
        self.refractory_s = float(refractory_s)
        self.max_run_s = float(max_run_s)
        self._run = None  # [label index, start t, end t, peak prob]
        self._last_time = None

    def step(self, t, smoothed):
        """Detections completed by the smoothed posteriors `smoothed` at time `t`."""
        best = int(np.argmax(smoothed))
        return self.step_best(t, best, float(smoothed[best]))

    def step_best(self, t, best, prob):
        """`step` given the arg-max index `best` and its probability `prob`."""
        on = bool(self.keyword[best]) and prob >= self.thresholds[best]
        out = []
        run = self._run
        if run is not None and (not on or best != run[0] or t - run[1] >= self.max_run_s):
            out += self.close()
        if on:
            if self._run is None:
                self._run = [best, t, t, prob]
            else:
                self._run[2] = t
                self._run[3] = max(self._run[3], prob)
        return out

    def close(self):
        """End of stream (or of a run): the open run as a detection, if any."""
        if self._run is None:
            return []
        label, start, end, prob = self._run
        self._run = None
        t = round((start + end) / 2, 6)
        if self._last_time is not None and t - self._last_time < self.refractory_s:
            return []
        self._last_time = t
        return [Detection(t, self.labels[label], prob)]


def _smoothed(times, probs, labels, smoothing):
    times = np.asarray(times, np.float64).reshape(-1)
    probs = np.asarray(probs, np.float32)
    if probs.ndim != 2 or probs.shape != (len(times), len(labels)):
        raise ValueError(f"probs must have shape (len(times), len(labels)) = "
                         f"({len(times)}, {len(labels)}); got {probs.shape}")
    if len(times) > 1 and np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing (one posterior vector per step)")
    sm = Smoother(smoothing)
    ts, sp = np.empty(len(times)), np.empty(probs.shape, np.float32)
    for i, (t, p) in enumerate(zip(times.tolist(), probs)):
        ts[i], sp[i] = sm.push(t, p)
    return ts, sp


def detect(times, probs, labels, *, threshold, smoothing=1, refractory_s=0.0,
           max_run_s=math.inf, ignore_labels=()):
    """Detections (list of `Detection`) from posteriors `probs` (n, classes) at
    window times `times` (n,), exactly as `Detector` makes them live."""
    ts, sp = _smoothed(times, probs, labels, smoothing)
    return _decide(ts, sp.argmax(1), sp.max(1), labels, threshold=threshold,
                   refractory_s=refractory_s, max_run_s=max_run_s, ignore_labels=ignore_labels)


def _decide(ts, best, prob, labels, **kwargs):
    """`Decision` over whole arrays. Only the "on" steps are visited: a step that is
    not on can only close the open run, which the gap before the next on step does."""
    dec = Decision(labels, **kwargs)
    best = np.asarray(best)
    prob = np.asarray(prob, np.float64)
    on = dec.keyword[best] & (prob >= dec.thresholds[best])
    out, prev = [], None
    for i in np.flatnonzero(on).tolist():
        if prev is not None and i != prev + 1:
            out += dec.close()
        out += dec.step_best(float(ts[i]), int(best[i]), float(prob[i]))
        prev = i
    return out + dec.close()


def decision_kwargs(settings):
    """`detect`'s keyword arguments from detector settings (`load_settings()`)."""
    return dict(threshold=settings["threshold"], smoothing=int(settings["smoothing_windows"]),
                refractory_s=settings["refractory_ms"] / 1000,
                max_run_s=int(round(settings["sample_rate"]
                                    * settings.get("max_run_ms", settings["window_ms"]) / 1000))
                / settings["sample_rate"],
                ignore_labels=list(settings["ignore_labels"]))


# ------------------------------------------------------------------ scoring


def _check_segments(segments):
    for i, s in enumerate(segments):
        for key in ("start_s", "end_s", "keywords"):
            if key not in s:
                raise ValueError(f"segment {i} has no {key!r}; each segment needs start_s, "
                                 "end_s, text and keywords")
        if not s["start_s"] <= s["end_s"]:
            raise ValueError(f"segment {i}: start_s {s['start_s']} is after end_s {s['end_s']}")


def score(detections, segments, duration_s, keywords, *, before_s=BEFORE_S, after_s=AFTER_S):
    """Hits and false alarms of `detections` against the keyword `segments`.

    Returns a dict: hits, occurrences, recall (None without occurrences),
    false_alarms, fa_per_hour (per hour of `duration_s`), duration_s, and
    per_word {word: {hits, occurrences, false_alarms}} for every word of `keywords`."""
    if not duration_s > 0:
        raise ValueError(f"duration_s must be positive; got {duration_s!r}")
    _check_segments(segments)
    keywords = list(keywords)
    per_word = {w: dict(hits=0, occurrences=0, false_alarms=0) for w in keywords}
    by_word = collections.defaultdict(list)  # word -> [(lo, hi, segment index)]
    for i, s in enumerate(segments):
        for w in dict.fromkeys(s["keywords"]):
            by_word[w].append((s["start_s"] - before_s, s["end_s"] + after_s, i))
            per_word.setdefault(w, dict(hits=0, occurrences=0, false_alarms=0))
            per_word[w]["occurrences"] += 1
    hit = set()
    false_alarms = 0
    for d in sorted(detections, key=lambda d: d.time_s):
        match = [i for lo, hi, i in by_word.get(d.label, ()) if lo <= d.time_s <= hi]
        if not match:
            false_alarms += 1
            per_word.setdefault(d.label, dict(hits=0, occurrences=0, false_alarms=0))
            per_word[d.label]["false_alarms"] += 1
            continue
        fresh = [i for i in match if (i, d.label) not in hit]
        if fresh:
            hit.add((fresh[0], d.label))
            per_word[d.label]["hits"] += 1
    occurrences = sum(v["occurrences"] for v in per_word.values())
    return dict(hits=len(hit), occurrences=occurrences,
                recall=len(hit) / occurrences if occurrences else None,
                false_alarms=false_alarms, fa_per_hour=false_alarms * 3600.0 / duration_s,
                duration_s=float(duration_s), per_word=per_word)


def sweep(times, probs, labels, segments, duration_s, thresholds, *, keywords=None,
          smoothing=1, **decision):
    """DET points over `thresholds` (floats): for each, `score` of the
    detections plus `threshold` and `detections` (list of `Detection`). The
    posteriors are smoothed once; `decision`: `detect`'s other keyword arguments."""
    decision.pop("threshold", None)
    ts, sp = _smoothed(times, probs, labels, smoothing)
    best, prob = sp.argmax(1), sp.max(1)
    ignore = set(decision.get("ignore_labels", ()))
    keywords = list(keywords) if keywords is not None else [lab for lab in labels
                                                            if lab not in ignore]
    points = []
    for thr in thresholds:
        found = _decide(ts, best, prob, labels, threshold=float(thr), **decision)
        points.append(dict(threshold=float(thr), **score(found, segments, duration_s, keywords),
                           detections=found))
    return points


# ------------------------------------------------------------------ streams


def join_segments(items, gap_s, sample_rate=16000):
    """`(samples, segments)`: `items` (samples, text, keywords, source) joined with
    `gap_s` of silence between them and at both ends; each segment holds its start and
    end (seconds), text, keywords and source, as `write_stream` stores them."""
    gap = np.zeros(int(round(gap_s * sample_rate)), np.float32)
    pieces, segments, pos = [gap], [], len(gap)
    for x, text, kws, source in items:
        x = np.asarray(x, np.float32).reshape(-1)
        segments.append(dict(start_s=round(pos / sample_rate, 6),
                             end_s=round((pos + len(x)) / sample_rate, 6),
                             text=text, keywords=list(kws), source=source))
        pieces += [x, gap]
        pos += len(x) + len(gap)
    return np.concatenate(pieces), segments


def write_stream(wav_path, samples, segments, *, sample_rate=16000, **extra):
    """A stream: `wav_path` (16-bit mono WAV) and the JSON beside it (same name,
    `.json`) with sample_rate, duration_s, segments and any `extra` keys. Both
    are written atomically, the JSON last. Returns the JSON path."""
    from zoo.data.audio import write_wav
    from zoo.files import atomic_write_bytes

    wav_path = Path(wav_path)
    samples = np.asarray(samples, np.float32).reshape(-1)
    _check_segments(segments)
    meta = dict(sample_rate=int(sample_rate), duration_s=len(samples) / int(sample_rate),
                segments=[dict(s, keywords=list(s["keywords"])) for s in segments], **extra)
    write_wav(wav_path, samples, int(sample_rate))
    json_path = wav_path.with_suffix(".json")
    atomic_write_bytes(json_path, json.dumps(meta, indent=1).encode())
    return json_path


def read_stream(json_path, *, audio=True):
    """`(samples or None, meta)` of a stream written by `write_stream` (given its
    `.json` or `.wav`). Raises ValueError naming a bad or missing field."""
    json_path = Path(json_path).with_suffix(".json")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no stream description {str(json_path)!r}; build the stream "
                                "first (write_stream)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{json_path}: not valid JSON ({exc}); delete it and rebuild the "
                         "stream") from None
    for key in ("sample_rate", "duration_s", "segments"):
        if key not in meta:
            raise ValueError(f"{json_path}: missing {key!r}; a stream JSON needs sample_rate, "
                             "duration_s and segments")
    _check_segments(meta["segments"])
    if not audio:
        return None, meta
    from zoo.data.audio import read_audio

    x = read_audio(json_path.with_suffix(".wav"), int(meta["sample_rate"]))
    if abs(len(x) / meta["sample_rate"] - meta["duration_s"]) > 1e-3:
        raise ValueError(f"{json_path}: the WAV holds {len(x) / meta['sample_rate']:.3f} s but "
                         f"the JSON says {meta['duration_s']:.3f} s; rebuild the stream")
    return x, meta
