"""Streaming keyword detection demo: a WAV file or the microphone through a
shipped keyword spotter, one line per detected keyword.

    python -m zoo.demo --wav zoo/demo_audio/sentence.wav [--plot out.png]
    zoo demo --wav FILE [--model NAME] [--quantize MODE | --keras] [--plot PNG]
    zoo demo                                   # the microphone (needs sounddevice)

Output: `MM:SS.mmm  label  prob` per detection (time = centre of the detected
run of windows or frames), then the real-time factor and the cost per frame
(per window for a window model). The detector settings (hop, smoothing,
threshold, refractory period) are in `zoo/demo/settings.json`: its defaults, and
a section per streaming model with the operating point calibrated for it; its
`default_model` is the model the demos run.

Modules: `sources` (WavSource, MicSource), `detector` (Detector, settings),
`plot` (waveform + smoothed posteriors figure).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

__all__ = ["DemoError", "run_demo", "BUNDLED_SENTENCE"]

BUNDLED_SENTENCE = Path(__file__).resolve().parents[1] / "demo_audio" / "sentence.wav"


class DemoError(ValueError):
    """Bad input to the demo (file, model, device, plot path): a one-line reason."""


def _stderr(message):
    print(message, file=sys.stderr, flush=True)


def run_demo(wav=None, model=None, quantize=None, keras=False, plot=None,
             device=None, realtime=False, block_ms=100, settings=None, out=None, log=None):
    """Run the streaming detector on `wav` (a path) or, with `wav=None`, on the
    microphone until Ctrl-C. Prints each detection with `out` (default: stdout)
    as it happens and status lines with `log` (default: stderr). Writes the
    figure to `plot` (a .png path) if given. Returns `(detections, detector)`.
    Raises `DemoError` with a one-line reason on bad input."""
    from zoo.demo import detector as det_mod
    from zoo.demo import sources

    out = out or (lambda line: print(line, flush=True))
    log = log or _stderr
    model = model or det_mod.DEFAULT_MODEL
    if plot is not None:
        plot = Path(plot)
        if plot.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise DemoError(f"--plot {str(plot)!r}: use a .png, .pdf or .svg file name")
        from zoo.files import check_output_path

        try:  # a missing folder, a directory, a FIFO, or the input WAV itself
            check_output_path(plot, [wav] if wav is not None else [], what="--plot")
        except OSError as exc:
            raise DemoError(f"--plot {str(plot)!r}: {exc}") from None
    try:
        settings = det_mod.load_settings(settings, model=model) \
            if not isinstance(settings, dict) else settings
        if wav is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sources.AudioConversionWarning)
                source = sources.WavSource(wav, block_ms=block_ms, realtime=realtime)
            for w in caught:
                log(f"note: {w.message}")
            where = f"{source.path} ({source.duration_s:.2f} s)"
        else:
            source = sources.MicSource(block_ms=block_ms, device=device)
            where = f"microphone {source.device_name!r} (Ctrl-C to stop)"
        quantize = quantize or settings.get("file_mode", "int8")
        predict, labels = det_mod.load_model(model, quantize=quantize, keras=keras)
    except (ValueError, FileNotFoundError, KeyError, ImportError, sources.AudioDeviceError) as exc:
        raise DemoError(_one_line(exc)) from None
    what = f"{model} ({'Keras float32' if keras else quantize + ' TFLite'})"
    detector = det_mod.Detector(predict, labels, settings=settings,
                                batch=1 if wav is None or realtime else 16,
                                record=plot is not None)
    log(f"listening to {where} with {what}; hop {settings['hop_ms']} ms, smoothing "
        f"{settings['smoothing_windows']}, threshold {settings['threshold']}, refractory "
        f"{settings['refractory_ms']} ms")
    found = []

    def emit(d):
        found.append(d)
        out(d.line())

    try:
        for block in source:
            for d in detector.feed(block):
                emit(d)
    except KeyboardInterrupt:
        log("stopped")
    for d in detector.flush():
        emit(d)
    unit = "frame" if detector.frames else "window"
    per = detector.compute_s / detector.windows * 1e3 if detector.windows else float("nan")
    log(f"{len(found)} detection{'' if len(found) == 1 else 's'}; real-time factor "
        f"{detector.realtime_factor:.4f} ({detector.audio_s:.2f} s of audio in "
        f"{detector.compute_s:.3f} s, {detector.windows} {unit}s of {settings['hop_ms']:g} ms: "
        f"{per:.3f} ms per {unit})")
    if plot is not None:
        from zoo.demo.plot import detections_figure

        fig = detections_figure(detector, title=f"{Path(wav).name if wav else 'microphone'}"
                                                f" - {what}")
        from zoo.files import atomic_path

        try:  # atomically: a full disk leaves no partial file
            with atomic_path(plot) as tmp:
                fig.savefig(tmp, dpi=110, format=plot.suffix[1:].lower())
        except OSError as exc:
            raise DemoError(f"--plot: {exc}") from None
        log(f"wrote {plot}")
    return found, detector


def _one_line(exc):
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    else:
        text = str(exc)
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return text


def main(argv=None):
    import argparse

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = argparse.ArgumentParser(
        prog="python -m zoo.demo",
        description="Streaming keyword detection on a WAV file or the microphone.")
    parser.add_argument("--wav", help="WAV file to stream (default: the microphone); "
                                      "try zoo/demo_audio/sentence.wav")
    parser.add_argument("--model", default=None,
                        help="registered speech model (default: the settings' default_model)")
    parser.add_argument("--quantize", default=None,
                        help="shipped TFLite mode (int8, float32...; default: the model's "
                             "file_mode in settings.json, else int8)")
    parser.add_argument("--keras", action="store_true", help="run the Keras model, not TFLite")
    parser.add_argument("--plot", help="write waveform + smoothed posteriors to this .png")
    parser.add_argument("--device", help="microphone (sounddevice index or name)")
    parser.add_argument("--realtime", action="store_true",
                        help="stream the WAV at the speed of the audio, like a microphone")
    args = parser.parse_args(argv)
    device = int(args.device) if args.device is not None and args.device.isdigit() \
        else args.device
    try:
        run_demo(wav=args.wav, model=args.model, quantize=args.quantize, keras=args.keras,
                 plot=args.plot, device=device, realtime=args.realtime)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
