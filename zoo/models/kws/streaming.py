"""Streaming keyword spotting: one 20 ms frame per call, state in and out.

    stream = streaming_model("kws-att-bilstm")        # pretrained weights of the whole-window model
    state = initial_state()
    for frame in frames_of_320_samples:
        probs, *state = stream.predict([frame[None], *state], verbose=0)

Inputs `frame (batch, 320)`, `audio_tail (batch, 320)` (the previous frame)
and `features (batch, 98, 40)` (log-mel frames of the last second); outputs
`probabilities (batch, 12)`, the next `audio_tail` and the next `features`.
Each call computes the log-mel of the new 20 ms only (2 frames), shifts the
feature window, and re-runs the recurrent part over the window: once 1 s of
audio has been fed, the posteriors equal the whole-window model's on the
last 16000 samples (tested to float rounding), because the bidirectional
RNN and the attention need the whole window; what streaming saves is the
front end and the audio buffering. Export it like any model:
`export.to_tflite(stream, path, quantize="int8", representative_data=...)`
(`streaming_calibration` makes the state inputs from real clips).
"""

from __future__ import annotations

import numpy as np

from zoo.models.kws.architecture import STREAM_FRAME, WINDOW_FRAMES


def streaming_model(name, pretrained=True):
    """The streaming twin of KWS model `name` (its builder with `streaming=True`), with
    the shipped weights of the whole-window model (layers by name)."""
    from zoo import api, registry

    entry = registry.get(name)
    if "streaming" not in entry.family.variants:
        raise ValueError(f"no streaming variant of {name!r}; choose one of "
                         f"{', '.join(registry.list_models(variant='streaming'))}")
    stream = entry.build(streaming=True)
    if pretrained:
        whole = api.load(name, compile=False)
        for layer in stream.layers:
            if layer.weights:
                layer.set_weights(whole.get_layer(layer.name).get_weights())
    return stream


def initial_state(batch=1):
    """Silence: zero audio tail and the log-mel of zeros (the whole-window model's
    view of a silent second)."""
    from zoo.layers import LogMelSpectrogram

    silent = np.asarray(LogMelSpectrogram()(np.zeros((batch, 16000), np.float32)))
    return [np.zeros((batch, STREAM_FRAME), np.float32), silent.astype(np.float32)]


def run(stream, audio, state=None):
    """Posteriors after each 20 ms frame of `audio` (1-D, 16 kHz; a partial last frame is
    dropped): `(frames, classes)`, and the final state. `stream` is a Keras streaming
    model or its TFLite runtime."""
    audio = np.asarray(audio, np.float32)
    if audio.ndim != 1:
        raise ValueError(f"audio must be 1-D (samples,); got shape {audio.shape}")
    state = initial_state() if state is None else state
    out = []
    call = (lambda xs: stream.predict(xs, verbose=0)) if hasattr(stream, "predict") \
        else (lambda xs: stream(*xs))
    for i in range(len(audio) // STREAM_FRAME):
        frame = audio[i * STREAM_FRAME:(i + 1) * STREAM_FRAME][None]
        probs, *state = call([frame, *state])
        out.append(np.asarray(probs)[0])
    return np.array(out), state


def streaming_calibration(clips, per_clip=4, seed=0):
    """Representative inputs `[frames, tails, features]` for int8 export: states taken
    from real clips at random frame positions (so the ranges are those of speech)."""
    from zoo.layers import LogMelSpectrogram

    rng = np.random.default_rng(seed)
    log_mel = LogMelSpectrogram()
    frames, tails, feats = [], [], []
    for clip in np.asarray(clips, np.float32):
        padded = np.concatenate([np.zeros(16000, np.float32), clip])
        for k in rng.integers(1, len(clip) // STREAM_FRAME, per_clip):
            end = 16000 + k * STREAM_FRAME  # the window ending just before this frame
            window = padded[end - 16000:end]
            frames.append(padded[end:end + STREAM_FRAME])
            tails.append(window[-STREAM_FRAME:])
            feats.append(np.asarray(log_mel(window[None]))[0])
    return [np.stack(frames), np.stack(tails), np.stack(feats).astype(np.float32)]


__all__ = ["streaming_model", "initial_state", "run", "streaming_calibration", "STREAM_FRAME",
           "WINDOW_FRAMES"]
