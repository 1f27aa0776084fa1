"""Running a causal keyword spotter frame by frame: `FrameStream`.

    stream = FrameStream.from_file("kws-stream-att-gru.stream.int8.tflite")
    probs = stream(frames)          # (n, 320) float32 -> (n, 12), state carried
    stream.reset()                  # back to silence

The step (a TFLite file written by `zoo.models.kws.stream_export`, or the Keras
step model of `zoo.models.kws.causal.frame_step_model`) takes `[frame, *state]`
and returns `[probabilities, *next_state]` in the same state order.
"""

from __future__ import annotations

import numpy as np

from zoo.models.kws.causal import FRAME, MEL_TAIL

#: Name part of the one-frame step files: `NAME.stream.MODE.tflite`.
STREAM_TAG = "stream"


def stream_filename(name, mode):
    return f"{name}.{STREAM_TAG}.{mode}.tflite"


def silence_state(state_shapes):
    """The initial state for step inputs of `state_shapes` (without the batch axis):
    zero audio tail, the log-mel of silence, zero GRU state and rings."""
    from zoo.layers import LogMelSpectrogram

    silent = np.asarray(LogMelSpectrogram()(np.zeros((1, 480), np.float32)), np.float32)
    state = []
    for i, shape in enumerate(state_shapes):
        if i == 1:
            if tuple(shape) != (MEL_TAIL, silent.shape[-1]):
                raise ValueError(f"state input 1 must be the log-mel tail {(MEL_TAIL, 40)}; "
                                 f"got {tuple(shape)}")
            state.append(np.repeat(silent, MEL_TAIL, axis=1))
        else:
            state.append(np.zeros((1, *shape), np.float32))
    return state


class FrameStream:
    """Stateful frame-by-frame runner; see the module doc. `step(inputs) -> outputs`."""

    def __init__(self, step, state_shapes):
        self.step = step
        self.state_shapes = [tuple(s) for s in state_shapes]
        self.initial = silence_state(self.state_shapes)
        self.reset()

    @classmethod
    def from_file(cls, path, threads=1):
        import export

        rt = export.runtime.load(path, threads=threads)
        shapes = [tuple(s[1:]) for s in rt.input_shapes]
        if len(shapes) < 3 or shapes[0] != (FRAME,):
            raise ValueError(f"{path}: not a one-frame step file (inputs {shapes}; expected "
                             f"a ({FRAME},) frame and the state)")
        checked = []

        def step(xs):
            if not checked:  # the first call checks shapes and dtypes; then the lean path
                checked.append(True)
                return rt(*xs)
            return rt.run_one(xs)

        return cls(step, shapes[1:])

    @classmethod
    def from_model(cls, name, mode="int8", threads=1):
        """The shipped (or your trained) step file of causal model `name` in `mode`."""
        from zoo import registry

        artifacts = registry.require_artifacts(name)
        filename = stream_filename(name, mode)
        if not artifacts.has(filename):
            have = sorted(f for f in artifacts.listed() if f".{STREAM_TAG}." in f)
            raise ValueError(f"{name!r} has no one-frame step file {filename!r} (has: "
                             f"{', '.join(have) or 'none'}); is it a causal model "
                             "(zoo list --variant streaming)?")
        return cls.from_file(artifacts.file(filename), threads=threads)

    @classmethod
    def from_keras(cls, step_model):
        shapes = [tuple(i.shape[1:]) for i in step_model.inputs[1:]]
        return cls(lambda xs: [np.asarray(o) for o in step_model(xs, training=False)], shapes)

    def reset(self):
        self.state = [s.copy() for s in self.initial]

    def __call__(self, frames):
        frames = np.asarray(frames, np.float32).reshape(-1, FRAME)
        out = []
        for i in range(len(frames)):
            probs, *self.state = self.step([frames[i:i + 1], *self.state])
            out.append(np.asarray(probs, np.float32)[0])
        return np.array(out, np.float32).reshape(len(frames), -1)

    def run(self, audio):
        """Posteriors after each whole frame of 1-D `audio`, from the current state."""
        audio = np.asarray(audio, np.float32)
        n = len(audio) // FRAME
        return self(audio[:n * FRAME])


def frame_stream(name, mode="int8", keras=False, threads=1):
    """The family's `frame_stream` hook: a `FrameStream` of model `name`, from its step
    file of `mode`, or (`keras=True`) from its Keras step model."""
    if keras:
        from zoo.models.kws.causal import streaming_variant

        return FrameStream.from_keras(streaming_variant(name))
    return FrameStream.from_model(name, mode, threads=threads)
