"""The one-frame step files of a causal keyword spotter: `NAME.stream.MODE.tflite`.

`export_step_files(entry, out, clips)` (run at the end of training, or by hand
on a trained model folder) builds the step model (`causal.frame_step_model`),
calibrates int8 on the states met while streaming 2-s excerpts of `clips`,
checks each file against the Keras whole-window model on streamed audio
(top-1 agreement, max error) and measures the cost per 20 ms frame
(p50, 1 thread). Results go to `out/streaming.json` (a results file of the
`zoo.cards` schema: its `streaming` section is the card's Streaming section).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from zoo.files import atomic_write_bytes
from zoo.models.kws import causal
from zoo.models.kws.frames import FrameStream, stream_filename

MODES = ("float32", "int8")


def load_trained(entry, out):
    config = json.loads((Path(out) / "config.json").read_text())
    model = entry.build(**config)
    model.load_weights(Path(out) / "model.weights.h5")
    return model, config


def _excerpts(clips, n, seed, clip_count=2):
    """`n` streams of `clip_count` random clips back to back."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(clips), (n, clip_count))
    return np.concatenate([clips[idx[:, k]] for k in range(clip_count)], axis=1)


def stream_states(step_model, audio):
    """The step inputs met while streaming each row of `audio` (batched Keras):
    a list of arrays `(rows * frames, ...)`, one per step input."""
    batch = len(audio)
    state = causal.initial_state(step_model, batch)
    frames = audio.shape[1] // causal.FRAME
    inputs = [[] for _ in range(len(state) + 1)]
    for t in range(frames):
        frame = audio[:, t * causal.FRAME:(t + 1) * causal.FRAME]
        xs = [frame, *state]
        for k, x in enumerate(xs):
            inputs[k].append(np.asarray(x, np.float32))
        _, *state = [np.asarray(o) for o in step_model(xs, training=False)]
    return [np.concatenate(v) for v in inputs]


def per_frame_ms(stream, frames=400, repeats=3):
    audio = np.random.default_rng(0).standard_normal(frames * causal.FRAME).astype(np.float32)
    best = []
    for _ in range(repeats):
        stream.reset()
        start = time.perf_counter()
        stream.run(0.05 * audio)
        best.append((time.perf_counter() - start) / frames * 1e3)
    return float(np.median(best))


def export_step_files(entry, out, clips, seed=0, modes=MODES, streams=24, checks=12):
    """Write the step files of the trained model in `out`; returns its streaming section."""
    import export

    model, config = load_trained(entry, out)
    step = causal.frame_step_model(model)
    audio = _excerpts(np.asarray(clips, np.float32), streams + checks, seed)
    states = stream_states(step, audio[:streams])
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(states[0]))
    calibration = [s[pick[:400]] for s in states]
    validation = [s[pick[400:600]] for s in states]
    whole = entry.build(**{**config, "samples": audio.shape[1]})
    whole.set_weights(model.get_weights())
    reference = np.asarray(whole.predict(audio[streams:], verbose=0))
    result = {"frame_samples": causal.FRAME, "ring_steps": causal.RING, "files": {}}
    old = read_streaming(out)
    if old.get("operating_point"):
        result["operating_point"] = old["operating_point"]
    for mode in modes:
        path = Path(out) / stream_filename(entry.name, mode)
        report = export.to_tflite(step, path, quantize=mode, representative_data=calibration,
                                  validation_data=validation)
        stream = FrameStream.from_file(path)
        final = []
        for row in audio[streams:]:
            stream.reset()
            final.append(stream.run(row)[-1])
        final = np.array(final)
        result["files"][mode] = {
            "file": path.name, "size_bytes": report.size_bytes,
            "step_validation": report.validation,
            "streamed_vs_keras": {
                "streams": int(len(final)), "seconds_each": audio.shape[1] / 16000,
                "top1_agreement": float(np.mean(final.argmax(1) == reference.argmax(1))),
                "max_abs_error": float(np.abs(final - reference).max())},
            "ms_per_frame_p50_1t": per_frame_ms(stream)}
        f = result["files"][mode]
        print(f"stream {mode}: {f['size_bytes'] / 1024:.1f} KiB, {f['ms_per_frame_p50_1t']:.3f} ms "
              f"per 20 ms frame, top-1 vs Keras {f['streamed_vs_keras']['top1_agreement']:.3f}",
              flush=True)
    write_streaming(entry.name, out, result)
    return result


STREAMING_JSON = "streaming.json"


def read_streaming(out):
    """The `streaming` section of `out/streaming.json` ({} without one)."""
    path = Path(out) / STREAMING_JSON
    return json.loads(path.read_text())["streaming"] if path.is_file() else {}


def write_streaming(name, out, section):
    """Write `out/streaming.json` (results schema) and refresh `out/SHA256SUMS`."""
    from zoo import cards, registry

    doc = {"schema": cards.RESULTS_SCHEMA, "model": name, "streaming": section}
    atomic_write_bytes(Path(out) / STREAMING_JSON, (json.dumps(doc, indent=2) + "\n").encode())
    registry.write_checksums(out)
