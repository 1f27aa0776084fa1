"""Keyword spotting (12-class Speech Commands task): the family folder.

Two families live here: `kws` (1-s window models) and `kws-stream` (causal models
that stream one 20 ms frame per call with their state carried).

    family.py            what the families are (task, trainers, hooks, variants)
    models.py            the builders, registered by name, no Keras (kws-att-bilstm, ...,
                         kws-stream-att-gru, kws-stream-gru)
    architecture.py      Keras layers and build_* of the window models
    causal.py            Keras layers of the causal models: whole-window form and the
                         one-frame step with explicit state
    preprocessing.py     inference-side data (int8 calibration clips)
    streaming.py         the window models' streaming variant (re-runs the 1-s window)
    frames.py            FrameStream: runs a causal model's step file frame by frame
    stream_export.py     the step files NAME.stream.MODE.tflite and their measurements
    operating_point.py   smoothing/threshold chosen on training-side dev streams
    train.py             `zoo train kws-*` (window models)
    train_causal.py      `zoo train kws-stream-*` (2-s examples with context)
"""

from zoo.lazy import submodules

__getattr__ = submodules(__name__)
