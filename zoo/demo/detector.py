"""Streaming keyword detection: a 1-s ring buffer, the model every hop, posterior
smoothing, threshold and refractory period.

    det = Detector.from_model("kws-att-bilstm", quantize="int8")
    for block in WavSource("talk.wav"):
        for d in det.feed(block):
            print(d.line())          # "00:01.800  up  0.97"
    for d in det.flush():
        print(d.line())

How it works (the numbers come from `settings.json`, one file for every demo):

- The ring buffer holds the last `window_ms` of audio (zeros before the
  stream starts). Every `hop_ms` the model classifies it. Windows are centred
  at 0, hop, 2*hop, ... s of the stream; `flush()` adds half a window of
  zeros so the last window is centred at the end of the audio. A streaming
  model (20 ms frames) gets instead as much silence as its smoothing spans
  (`smoothing_windows` frames), as a live stream would go on: a word that
  ends a file is heard to its end.
- The posteriors are smoothed by a moving average over the last
  `smoothing_windows` hops; the smoothed value belongs to the centre of the
  averaged windows.
- A keyword (a label not in `ignore_labels`) is "on" while it is the arg-max
  of the smoothed posteriors and at least `threshold`. A run of "on" hops of
  one keyword (at most one window long) is one detection: its time is the
  middle of the run (the word's centre: the model sees the whole word in the
  windows centred from about `word_end - window/2` to `word_start + window/2`),
  its probability the run's peak. A detection within `refractory_ms` of the
  previous one is dropped. So a detection is reported when its run ends,
  up to one window after the word.

Memory is constant: the ring buffer, at most `batch` pending windows and the
smoothing history (plus, with `record=True`, a small per-hop history for the
plot). `batch` > 1 classifies several windows per model call (faster for
files; a live source wants 1).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
import numpy as np

from zoo.demo.scoring import Decision, Detection, Smoother, format_time

__all__ = ["SETTINGS_PATH", "load_settings", "Detection", "Detector", "load_model",
           "format_time", "DEFAULT_MODEL"]

SETTINGS_PATH = Path(__file__).resolve().parent / "settings.json"
#: The model the demos run unless told otherwise (settings.json's `default_model`).
DEFAULT_MODEL = json.loads(SETTINGS_PATH.read_text(encoding="utf-8")).get(
    "default_model", "kws-att-bilstm")
_KEYS = {"sample_rate": int, "window_ms": (int, float), "hop_ms": (int, float),
         "smoothing_windows": int, "threshold": (int, float, dict), "refractory_ms": (int, float),
         "ignore_labels": list}


def load_settings(path=None, model=None, **overrides):
    """The detector settings: `settings.json` (or `path`), then the `models[model]`
    section of that file when `model` has one (a streaming model's frame size and
    calibrated operating point), then `overrides` (None values are ignored).
    Raises ValueError naming a bad key."""
    path = Path(path) if path is not None else SETTINGS_PATH
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read detector settings {str(path)!r} ({exc})") from None
    per_model = settings.pop("models", {}) or {}
    if not isinstance(per_model, dict):
        raise ValueError(f"{path}: 'models' must be an object {{model name: settings}}")
    if model is not None and model in per_model:
        settings.update(per_model[model])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    for key, kind in _KEYS.items():
        if key not in settings:
            raise ValueError(f"{path}: missing setting {key!r}")
        value = settings[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"setting {key!r} has the wrong type: {value!r}")
    for key in ("sample_rate", "window_ms", "hop_ms", "smoothing_windows"):
        if not (math.isfinite(settings[key]) and settings[key] > 0):
            raise ValueError(f"setting {key!r} must be positive; got {settings[key]!r}")
    thresholds = settings["threshold"]
    for label, value in (thresholds.items() if isinstance(thresholds, dict)
                         else [("", thresholds)]):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0.0 < value <= 1.0:
            raise ValueError(f"setting 'threshold'{f' of {label!r}' if label else ''} must be "
                             f"in (0, 1]; got {value!r}")
    if settings["refractory_ms"] < 0:
        raise ValueError("setting 'refractory_ms' must be >= 0")
    if settings["hop_ms"] > settings["window_ms"]:
        raise ValueError("setting 'hop_ms' must not exceed 'window_ms'")
    max_run = settings.setdefault("max_run_ms", settings["window_ms"])
    if isinstance(max_run, bool) or not isinstance(max_run, (int, float)) or not max_run > 0:
        raise ValueError(f"setting 'max_run_ms' must be positive; got {max_run!r}")
    return settings


def load_model(name=DEFAULT_MODEL, quantize="int8", keras=False, threads=1):
    """`(predict, labels)` for a registered speech model. A window model:
    `predict(x)` maps windows (n, samples) float32 to probabilities (n, classes),
    from the shipped TFLite file of mode `quantize` (or `keras=True`: the Keras
    model). A streaming model (its family has a `frame_stream` hook): `predict`
    takes consecutive 20 ms frames (n, 320) and carries its state between calls."""
    from zoo import api, registry
    from zoo.pipelines import Pipeline

    entry = registry.get(name, task="speech")  # the keyword demo needs a speech model
    labels = api.labels(name)  # raises for a model without labels
    if entry.has_hook("frame_stream"):
        return entry.hook("frame_stream")(quantize, keras=keras, threads=threads), labels
    model = Pipeline(name, "keras" if keras else quantize, threads=threads).model
    if keras:
        def predict(x):
            return np.asarray(model(x, training=False), np.float32)
    else:
        def predict(x):
            return np.asarray(model(x), np.float32)
    return predict, labels


class Detector:
    """See the module doc. `model`: callable (n, window) float32 -> (n, classes)
    probabilities; `labels`: class names; `settings`: a dict from
    `load_settings` (default: settings.json)."""

    def __init__(self, model, labels, settings=None, batch=1, record=False):
        self.settings = dict(settings) if settings is not None else load_settings()
        s = self.settings
        self.model, self.labels = model, list(labels)
        self.rate = int(s["sample_rate"])
        self.window = int(round(self.rate * s["window_ms"] / 1000))
        self.hop = int(round(self.rate * s["hop_ms"] / 1000))
        self.hop_s = self.hop / self.rate
        # one float, or {label: float} per word (a streaming model's operating point)
        self.threshold = s["threshold"] if isinstance(s["threshold"], dict) \
            else float(s["threshold"])
        self.refractory_s = float(s["refractory_ms"]) / 1000
        self.max_run_s = float(s.get("max_run_ms", s["window_ms"])) / 1000
        # window == hop: a streaming model fed consecutive frames (aligned to the
        # stream start, each timed at its centre); otherwise 1-s windows centred at k * hop
        self.frames = self.window == self.hop
        self.batch = max(1, int(batch))
        self.keyword = np.array([label not in s["ignore_labels"] for label in self.labels])
        # the decision logic is zoo.demo.scoring's, shared with the offline benchmark
        self._smoother = Smoother(int(s["smoothing_windows"]))
        self._smooth = self._smoother.values
        self._decision = Decision(self.labels, threshold=self.threshold,
                                  refractory_s=self.refractory_s, max_run_s=self.max_run_s,
                                  ignore_labels=s["ignore_labels"])
        # silence flush() adds: half a window (the last window centred at the end), or for
        # frames the smoothing span, so the average over a word at the very end completes
        self._tail = max(self.window // 2, int(s["smoothing_windows"]) * self.hop) \
            if self.frames else self.window // 2
        self._buf = np.zeros(self.window, np.float32)
        self._until_next = self.window if self.frames else self.window // 2
        self._next_index = 0  # window k is centred at k * hop
        self._pending, self._pending_t = [], []
        self._flushed = False
        self.samples = 0  # real audio samples fed
        self.windows = 0
        self.compute_s = 0.0
        self.record = bool(record)
        if self.record:
            self.history_t, self.history_p = [], []
            self._env_step = max(1, self.rate // 100)  # 10 ms waveform envelope
            self._env_acc = np.zeros(0, np.float32)
            self.envelope = []  # (min, max) per 10 ms
            self.detections = []

    @classmethod
    def from_model(cls, name=DEFAULT_MODEL, quantize="int8", keras=False, settings=None,
                   **kwargs):
        """The detector of model `name` with its settings (settings.json's section for
        the model, when it has one)."""
        predict, labels = load_model(name, quantize=quantize, keras=keras)
        settings = settings if settings is not None else load_settings(model=name)
        return cls(predict, labels, settings=settings, **kwargs)

    # ------------------------------------------------------------- streaming

    def feed(self, block):
        """Add audio (1-D float32 at `sample_rate`); returns the detections
        completed so far (a list, usually empty)."""
        if self._flushed:
            raise RuntimeError("feed() after flush(); make a new Detector")
        start = time.perf_counter()
        x = np.asarray(block, np.float32).reshape(-1)
        self.samples += len(x)
        if self.record:
            self._record_envelope(x)
        out = self._push(x)
        self.compute_s += time.perf_counter() - start
        return out

    def flush(self):
        """End of stream: zeros (half a window, so the last window is centred at the
        end of the audio; for a streaming model the smoothing span), classify what is
        pending, close the open run. Returns the remaining detections."""
        if self._flushed:
            return []
        start = time.perf_counter()
        out = self._push(np.zeros(self._tail, np.float32))
        out += self._evaluate()
        out += self._close_run()
        self._flushed = True
        self.compute_s += time.perf_counter() - start
        return out

    def run(self, source, on_detection=None):
        """Feed every block of `source`, then flush; calls `on_detection(d)`
        for each detection as it happens and returns them all."""
        found = []
        for block in source:
            for d in self.feed(block):
                found.append(d)
                if on_detection is not None:
                    on_detection(d)
        for d in self.flush():
            found.append(d)
            if on_detection is not None:
                on_detection(d)
        return found

    @property
    def audio_s(self):
        return self.samples / self.rate

    @property
    def realtime_factor(self):
        """Compute time / audio time (below 1: faster than real time)."""
        return self.compute_s / self.audio_s if self.samples else float("nan")

    # -------------------------------------------------------------- internals

    def _push(self, x):
        out = []
        while len(x):
            m = min(len(x), self._until_next)
            if m >= self.window:
                self._buf[:] = x[m - self.window:m]
            else:
                self._buf[:-m] = self._buf[m:]
                self._buf[-m:] = x[:m]
            x = x[m:]
            self._until_next -= m
            if self._until_next == 0:
                self._pending.append(self._buf.copy())
                self._pending_t.append(round((self._next_index + 0.5 * self.frames)
                                             * self.hop / self.rate, 6))
                self._next_index += 1
                self._until_next = self.hop
                if len(self._pending) >= self.batch:
                    out += self._evaluate()
        return out

    def _evaluate(self):
        if not self._pending:
            return []
        probs = np.asarray(self.model(np.stack(self._pending)), np.float32)
        if probs.shape != (len(self._pending), len(self.labels)):
            raise ValueError(f"the model returned shape {probs.shape}; expected "
                             f"({len(self._pending)}, {len(self.labels)}) probabilities")
        times = self._pending_t
        self._pending, self._pending_t = [], []
        self.windows += len(times)
        out = []
        for p, t in zip(probs, times):
            ts, smoothed = self._smoother.push(t, p)
            if self.record:
                self.history_t.append(ts)
                self.history_p.append(smoothed.astype(np.float32))
            out += self._step(ts, smoothed)
        return out

    def _step(self, t, smoothed):
        return self._recorded(self._decision.step(t, smoothed))

    def _close_run(self):
        return self._recorded(self._decision.close())

    def _recorded(self, found):
        if self.record:
            self.detections.extend(found)
        return found

    def _record_envelope(self, x):
        acc = np.concatenate([self._env_acc, x])
        n = len(acc) // self._env_step * self._env_step
        if n:
            frames = acc[:n].reshape(-1, self._env_step)
            self.envelope.extend(zip(frames.min(axis=1).tolist(), frames.max(axis=1).tolist()))
        self._env_acc = acc[n:]
