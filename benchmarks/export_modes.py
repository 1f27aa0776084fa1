"""Export modes side by side: size, error against Keras and latency of the
TFLite files of an LSTM-attention and a GRU-attention reference model, for
our stepped export and for the two naive routes (Keras 3's own `WHILE`
lowering, and Keras 2 / tf_keras with its fused LSTM op).

    python -m benchmarks.export_modes [--quick] [--out benchmarks/results]

Writes `export_modes.json` and `export_modes.md` into `--out`. Every
latency is measured in this one run, and ratios are taken against the
float32 file of the same model in the same run (these machines are noisy).
Conversions that may crash the converter run in a child process, so a
segfault is recorded, not fatal.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from export.modes import MODES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FEATURES, STEPS, CLASSES, UNITS = 40, 49, 12, 64


def reference_model(kind, steps=STEPS, api="keras"):
    """Conv1D -> bidirectional LSTM/GRU -> attention pooling (middle query,
    de Andrade et al. 2018) -> softmax; batch fixed to 1 for the naive routes."""
    if api == "tf_keras":
        import tf_keras as K
    else:
        import keras as K
    layers = K.layers
    batch = 1 if api != "keras" else None
    x = K.Input(batch_shape=(batch, steps, FEATURES))
    h = layers.Conv1D(32, 5, padding="same", activation="relu")(x)
    rnn = layers.LSTM if kind == "lstm" else layers.GRU
    h = layers.Bidirectional(rnn(UNITS, return_sequences=True))(h)
    if api == "keras" and os.environ.get("ZOO_BENCH_PLAIN_POOLING") is None:
        from zoo.layers import AttentionPooling

        pooled = AttentionPooling(query="middle")(h)
    else:  # the same math with plain layers (tf_keras has no zoo layers)
        mid = layers.Lambda(lambda t: t[:, steps // 2])(h)
        q = layers.Dense(2 * UNITS)(mid)
        scores = layers.Dot(axes=(2, 1))([h, q])
        weights = layers.Softmax()(scores)
        pooled = layers.Dot(axes=(1, 1))([weights, h])
    y = layers.Dense(CLASSES, activation="softmax")(pooled)
    return K.Model(x, y)


def _child_convert(route, kind, mode, out):
    """Run in a child process: convert with a naive route, write the file."""
    import tensorflow as tf

    api = "tf_keras" if route == "tf_keras" else "keras_batch1"
    if api == "tf_keras":
        model = reference_model(kind, api="tf_keras")
    else:
        os.environ["ZOO_BENCH_PLAIN_POOLING"] = "1"
        model = reference_model(kind, api="keras_batch1")
    from export.convert import configure_converter

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    rng = np.random.default_rng(0)
    configure_converter(tf, converter, mode, lambda: (
        [rng.normal(size=(1, STEPS, FEATURES)).astype("float32")] for _ in range(20)))
    Path(out).write_bytes(converter.convert())


def naive_route(route, kind, mode, tmp):
    out = Path(tmp) / f"{route}-{kind}-{mode}.tflite"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.export_modes", "--child", route,
                           kind, mode, str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    entry = dict(route=route, model=kind, mode=mode)
    if proc.returncode != 0:
        reason = (f"converter killed by signal {-proc.returncode} (segfault)"
                  if proc.returncode < 0 else
                  (proc.stderr.strip().splitlines() or ["?"])[-1][:200])
        entry.update(ok=False, error=reason)
        return entry
    from export.flatbuffer import read_operators
    from export.runtime import latency_ms, load

    data = out.read_bytes()
    ops = sorted({op for v in read_operators(data).values() for op in v})
    rt = load(out, threads=1)
    x = np.random.default_rng(1).normal(size=(1, STEPS, FEATURES)).astype("float32")
    p50, p90 = latency_ms(rt, x, 20)
    entry.update(ok=True, size_bytes=len(data), ops=ops, p50_ms_1t=p50, p90_ms_1t=p90)
    return entry


def ours(kind, quick, tmp):
    import keras

    import export
    from export.runtime import latency_ms

    keras.utils.set_random_seed(0)
    model = reference_model(kind)
    rng = np.random.default_rng(0)
    calib = rng.normal(size=(64, STEPS, FEATURES)).astype("float32")
    held_out = rng.normal(size=(32, STEPS, FEATURES)).astype("float32")
    rows = []
    repeats = 10 if quick else 30
    for mode in MODES:
        path = Path(tmp) / f"ours-{kind}-{mode}.tflite"
        entry = dict(route="stepped (ours)", model=kind, mode=mode, params=model.count_params())
        try:
            report = export.to_tflite(model, path, quantize=mode, representative_data=calib,
                                      validation_data=held_out)
        except export.ExportError as exc:
            entry.update(ok=False, error=str(exc))
            rows.append(entry)
            continue
        x = held_out[:1]
        lat = {t: latency_ms(export.runtime.load(path, threads=t), x, repeats) for t in (1, 2)}
        v = report.validation
        entry.update(ok=True, size_bytes=report.size_bytes, ops=sorted(report.op_histogram),
                     builtin_only=report.builtin_only,
                     max_abs_error=v["max_abs_error"], relative_mean_error=v["relative_mean_error"],
                     top1_agreement=v["top1_agreement"],
                     p50_ms_1t=lat[1][0], p90_ms_1t=lat[1][1],
                     p50_ms_2t=lat[2][0], p90_ms_2t=lat[2][1])
        rows.append(entry)
    base = next(r for r in rows if r["mode"] == "float32")
    for r in rows:
        if r.get("ok"):
            r["size_ratio"] = r["size_bytes"] / base["size_bytes"]
            r["latency_ratio_1t"] = r["p50_ms_1t"] / base["p50_ms_1t"]
    # File size against sequence length (int8).
    long_model = reference_model(kind, steps=4 * STEPS)
    long_model.set_weights(model.get_weights())
    long_calib = rng.normal(size=(16, 4 * STEPS, FEATURES)).astype("float32")
    long_bytes, _ = export.convert_bytes(long_model, "int8", long_calib)
    short = next(r for r in rows if r["mode"] == "int8")
    length = dict(model=kind, steps=STEPS, long_steps=4 * STEPS,
                  int8_bytes=short.get("size_bytes"), int8_bytes_long=len(long_bytes))
    if short.get("size_bytes"):
        length["change"] = len(long_bytes) / short["size_bytes"] - 1
    return rows, length


def machine():
    import ai_edge_litert
    import keras
    import tensorflow as tf

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(),
                tensorflow=tf.__version__, keras=keras.__version__,
                ai_edge_litert=getattr(ai_edge_litert, "__version__", "?"),
                date=time.strftime("%Y-%m-%d %H:%M:%S"))


def markdown(result):
    lines = ["# Export modes", "",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; "
             f"TF {result['machine']['tensorflow']}, Keras {result['machine']['keras']}. "
             "Latency: p50 of one example through `export.runtime` (ai-edge-litert, "
             "host loop in Python), ratios against float32 of the same run.", "",
             "| model | route | mode | size KiB | × float32 | rel. mean err | top-1 agree | "
             "p50 ms 1t | p90 ms 1t | p50 ms 2t | latency × float32 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if not r.get("ok"):
            lines.append(f"| {r['model']} | {r['route']} | {r['mode']} | – | – | – | – | – | – | "
                         f"– | **fails**: {r['error']} |")
            continue

        def f(key, fmt):
            return format(r[key], fmt) if r.get(key) is not None else "–"

        lines.append(f"| {r['model']} | {r['route']} | {r['mode']} | {r['size_bytes'] / 1024:.1f} | "
                     f"{f('size_ratio', '.2f')} | {f('relative_mean_error', '.2e')} | "
                     f"{f('top1_agreement', '.3f')} | {f('p50_ms_1t', '.2f')} | "
                     f"{f('p90_ms_1t', '.2f')} | {f('p50_ms_2t', '.2f')} | "
                     f"{f('latency_ratio_1t', '.2f')} |")
    lines += ["", "## int8 file size against sequence length (stepped export)", "",
              "| model | steps | int8 bytes | steps ×4 | int8 bytes | change |", "|---|---|---|---|---|---|"]
    for s in result["length"]:
        lines.append(f"| {s['model']} | {s['steps']} | {s['int8_bytes']} | {s['long_steps']} | "
                     f"{s['int8_bytes_long']} | {100 * s.get('change', float('nan')):+.2f} % |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer timing repeats, no naive int16x8")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--child", nargs=4, metavar=("ROUTE", "MODEL", "MODE", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child_convert(*args.child)
        return 0
    from tqdm import tqdm

    rows, length = [], []
    naive_modes = ("float32", "dynamic", "int8") if args.quick else MODES
    jobs = [("ours", kind, None) for kind in ("lstm", "gru")]
    jobs += [(route, kind, mode) for route in ("keras3-while", "tf_keras")
             for kind in ("lstm", "gru") for mode in naive_modes]
    with tempfile.TemporaryDirectory() as tmp:
        for route, kind, mode in tqdm(jobs, desc="export_modes"):
            if route == "ours":
                r, s = ours(kind, args.quick, tmp)
                rows += r
                length.append(s)
            else:
                rows.append(naive_route(route, kind, mode, tmp))
    result = dict(machine=machine(), rows=rows, length=length)
    from benchmarks.results_io import write_results

    write_results(args.out, "export_modes", result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
