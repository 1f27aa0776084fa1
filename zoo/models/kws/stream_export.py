"""The one-frame step files of a causal keyword spotter: `NAME.stream.MODE.tflite`.

`export_step_files(entry, out, clips)` (run at the end of training, or by hand
on a trained model folder) builds the step model (`causal.frame_step_model`),
calibrates int8 on the states met while streaming 2-s excerpts of `clips`,
checks each file against the Keras whole-window model on streamed audio
(top-1 agreement, max error) and measures the cost per 20 ms frame
(p50, 1 thread). With test clips it reports two accuracies: each clip
streamed from the initial (all-zero) state, and each clip *in stream*
(`in_stream`: after 1 s of a silence clip of the same split, the state a word
meets after a pause); the second is the one that matches how the detector
runs, and the Keras whole-window model is measured on it too. Results go to
`out/streaming.json` (a results file of the `zoo.cards` schema: its
`streaming` section is the card's Streaming section).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from zoo.files import atomic_write_bytes
from zoo.models.kws import causal
from zoo.models.kws.frames import FrameStream, stream_filename

MODES = ("float32", "dynamic", "int8")
#: Modes whose step file keeps the GRU cell float (`causal.frame_step_model(float_gru=True)`).
#: Measured on the shipped models (in-stream test accuracy, 4,733 clips): int8 with an int8
#: GRU cell 77.44 % (attention) / 71.86 % (twin) against float32 78.91 / 78.03 %; with the
#: cell float 78.68 / 77.98 %, at 1.3x the int8 file size.
FLOAT_GRU_MODES = ("int8",)


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


def streamed_accuracy(stream, x, y):
    """Accuracy of `stream` on clips `x` (n, samples) with labels `y`: each clip streamed
    from the initial state, its class the arg-max after the last frame."""
    final = np.empty(len(x), np.int64)
    for i, clip in enumerate(x):
        stream.reset()
        final[i] = int(stream.run(clip)[-1].argmax())
    return float(np.mean(final == np.asarray(y)))


IN_STREAM_LEAD = 16000   # samples of silence before each clip in the in-stream test (1 s)


def in_stream(x, y, silence_label, seed=0, lead=IN_STREAM_LEAD):
    """Clips `x` (n, samples) as a running detector meets them: each after `lead` samples
    (the end) of a silence clip of the same set (background noise, drawn with `seed`);
    zeros where the set has no silence clip. -> `(n, lead + samples)` float32."""
    x = np.asarray(x, np.float32)
    if x.ndim != 2 or lead % causal.FRAME or lead > x.shape[1]:
        raise ValueError(f"in_stream needs clips (n, samples) and a lead that is a multiple of "
                         f"{causal.FRAME} samples and at most a clip long; got clips "
                         f"{x.shape} and lead {lead}")
    silence = np.flatnonzero(np.asarray(y) == silence_label)
    before = np.zeros((len(x), lead), np.float32)
    if len(silence):
        before[:] = x[np.random.default_rng(seed).choice(silence, len(x)), -lead:]
    return np.concatenate([before, x], axis=1)


def keras_in_stream_accuracy(entry, model, config, x, y):
    """Accuracy of the Keras whole-window model on the in-stream clips `x` (lead included)."""
    whole = entry.build(**{**config, "samples": x.shape[1]})
    whole.set_weights(model.get_weights())
    probs = np.asarray(whole.predict(x, batch_size=256, verbose=0))
    return float(np.mean(probs.argmax(1) == np.asarray(y)))


def export_step_files(entry, out, clips, seed=0, modes=MODES, streams=24, checks=12,
                      test=None, measure_only=False, layout="stepped"):
    """Write the step files of the trained model in `out`; returns its streaming section.
    `test`: `(x, y)` clips whose accuracy each file reports, streamed from the initial state
    and in stream (`in_stream`; the Keras model's in-stream accuracy beside them).
    `measure_only`: keep the files in `out` as they are, with their step validation and
    cost per frame from `streaming.json`, and measure their accuracy again.
    `layout`: `export.to_tflite`'s, for the modes it can give ("single": one signature,
    one invoke per frame; "dynamic" stays stepped, see `export.convert.SINGLE_REFUSED`)."""
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
    old = read_streaming(out)
    # the modes not written now keep their entries (one mode can be re-exported alone)
    result = {"frame_samples": causal.FRAME, "ring_steps": causal.RING,
              "files": {m: f for m, f in old.get("files", {}).items() if m not in modes}}
    if old.get("operating_point"):
        result["operating_point"] = old["operating_point"]
    if test is not None:
        # the same leads for every model and training seed (seed 0), so figures compare
        x_lead = in_stream(test[0], test[1], list(entry.labels).index("_silence_"))
        result["test_in_stream"] = {
            "clips": int(len(test[1])), "lead_s": IN_STREAM_LEAD / 16000,
            "lead": "silence (the last second of a `_silence_` clip of the test split)",
            "keras_accuracy": keras_in_stream_accuracy(entry, model, config, x_lead, test[1])}
    for mode in modes:
        path = Path(out) / stream_filename(entry.name, mode)
        if measure_only:
            if not path.is_file() or mode not in old.get("files", {}):
                raise FileNotFoundError(f"{path} (or its entry in {out}/{STREAMING_JSON}) is "
                                        "missing: export it first (leave out --measure-only)")
            size, checked = path.stat().st_size, old["files"][mode]["step_validation"]
        else:
            step_file_layout = step_layout(layout, mode)
            model_of_mode = (causal.frame_step_model(model, float_gru=True)
                             if mode in FLOAT_GRU_MODES else step)
            report = export.to_tflite(model_of_mode, path, quantize=mode,
                                      representative_data=calibration,
                                      validation_data=validation, layout=step_file_layout,
                                      metadata=stream_metadata(entry.name, step_file_layout))
            size, checked = report.size_bytes, report.validation
        stream = FrameStream.from_file(path)
        final = []
        for row in audio[streams:]:
            stream.reset()
            final.append(stream.run(row)[-1])
        final = np.array(final)
        result["files"][mode] = {
            "file": path.name, "size_bytes": size, "layout": file_layout(path),
            "step_validation": checked,
            "streamed_vs_keras": {
                "streams": int(len(final)), "seconds_each": audio.shape[1] / 16000,
                "top1_agreement": float(np.mean(final.argmax(1) == reference.argmax(1))),
                "max_abs_error": float(np.abs(final - reference).max())},
            "ms_per_frame_p50_1t": (old["files"][mode]["ms_per_frame_p50_1t"] if measure_only
                                    else per_frame_ms(stream))}
        if test is not None:
            result["files"][mode]["test_accuracy_streamed"] = streamed_accuracy(stream, *test)
            result["files"][mode]["test_accuracy_in_stream"] = streamed_accuracy(
                stream, x_lead, test[1])
            result["files"][mode]["test_clips"] = int(len(test[1]))
        f = result["files"][mode]
        acc = f.get("test_accuracy_streamed")
        print(f"stream {mode}: {f['size_bytes'] / 1024:.1f} KiB, {f['ms_per_frame_p50_1t']:.3f} ms "
              f"per 20 ms frame, top-1 vs Keras {f['streamed_vs_keras']['top1_agreement']:.3f}"
              + (f", test accuracy from the initial state {acc:.4f}, in stream "
                 f"{f['test_accuracy_in_stream']:.4f}" if acc is not None else ""), flush=True)
    # in MODES order, however many were re-exported now
    files = result["files"]
    result["files"] = {m: files[m] for m in [*MODES, *sorted(set(files) - set(MODES))] if m in files}
    write_streaming(entry.name, out, result)
    return result


def stream_metadata(name, layout):
    """`export.to_tflite`'s `metadata` for a step file: standard TFLite Metadata made from
    the converted file, for a single-layout file `zoo.file_metadata.for_stream_step` (its
    tensor order), for a stepped one `for_stepped` (beside its plan)."""
    from zoo import file_metadata

    if layout != "single":
        return file_metadata.stepped_metadata(name)
    return lambda flatbuffer: file_metadata.for_stream_step(name, flatbuffer)


def step_layout(layout, mode):
    """The layout a step file of `mode` is written in when `layout` is asked for."""
    from export.convert import SINGLE_REFUSED

    return "stepped" if layout == "single" and mode in SINGLE_REFUSED else layout


def file_layout(path):
    """"single" or "stepped": the layout of the step file at `path` (its plan)."""
    from export.runtime import plan_layout

    return plan_layout(Path(path).read_bytes())


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


def main(argv=None):
    """`python -m zoo.models.kws.stream_export NAME --run DIR --data-dir DATA`: (re)write the
    step files of a trained run and measure them (streamed test accuracy included)."""
    import argparse

    from zoo import registry
    from zoo.data import speech_commands

    p = argparse.ArgumentParser(prog="python -m zoo.models.kws.stream_export",
                                description=main.__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--run", required=True, help="the --out folder of `zoo train NAME`")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--measure-only", action="store_true",
                   help="measure the accuracy of the step files already in --run again (no "
                        "re-export; their step validation and cost per frame are kept)")
    p.add_argument("--layout", choices=("stepped", "single"), default="stepped",
                   help="single: one signature and one invoke per frame (float32, int8)")
    p.add_argument("--modes", default=",".join(MODES),
                   help="comma list of the step files to (re)write; the others keep theirs")
    args = p.parse_args(argv)
    entry = registry.get(args.model, task="speech")
    x_train, _, _ = speech_commands.load(args.data_dir, "train")
    x_test, y_test, _ = speech_commands.load(args.data_dir, "test")
    export_step_files(entry, args.run, x_train, seed=args.seed, test=(x_test, y_test),
                      measure_only=args.measure_only, layout=args.layout,
                      modes=[m for m in args.modes.split(",") if m])
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
