import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from zoo.demo import detector as det_mod
from zoo.demo.detector import Detection, Detector, format_time, load_settings
from zoo.demo.sources import WavSource

AUDIO = Path(det_mod.__file__).resolve().parents[1] / "demo_audio"
LABELS = ["_silence_", "_unknown_", "yes", "no"]


@pytest.fixture(scope="module")
def int8_model():
    return det_mod.load_model("kws-att-bilstm", quantize="int8")


def test_settings_file_is_the_single_source():
    raw = json.loads(det_mod.SETTINGS_PATH.read_text())
    per_model = raw.pop("models", {})
    s = load_settings()
    assert s == {**raw, "max_run_ms": raw.get("max_run_ms", raw["window_ms"])}
    for name, section in per_model.items():   # a model's section wins over the defaults
        assert load_settings(model=name) == {**s, **section, "max_run_ms": section.get(
            "max_run_ms", section.get("window_ms", s["window_ms"]))}
    det = Detector(lambda x: np.zeros((len(x), 4)), LABELS)
    assert det.hop == raw["hop_ms"] * 16 and det.threshold == raw["threshold"]
    assert det._smooth.maxlen == raw["smoothing_windows"]
    assert load_settings(threshold=0.9, hop_ms=None)["threshold"] == 0.9
    with pytest.raises(ValueError, match="threshold"):
        load_settings(threshold=1.5)
    with pytest.raises(ValueError, match="threshold' of 'no'"):
        load_settings(threshold={"yes": 0.9, "no": 0})
    assert load_settings(threshold={"yes": 0.9})["threshold"] == {"yes": 0.9}
    with pytest.raises(ValueError, match="max_run_ms"):
        load_settings(max_run_ms=0)


def test_frame_streaming_detector_feeds_aligned_frames_timed_at_their_centres():
    seen = []

    def model(frames):
        seen.append(np.array(frames))
        return np.tile([0.0, 1.0, 0.0, 0.0], (len(frames), 1))

    s = load_settings(window_ms=20, hop_ms=20, max_run_ms=1000, smoothing_windows=1)
    det = Detector(model, LABELS, settings=s, batch=4, record=True)
    audio = np.arange(3200, dtype=np.float32) / 3200
    det.feed(audio[:1000])
    det.feed(audio[1000:])
    det.flush()
    frames = np.concatenate(seen)
    np.testing.assert_array_equal(frames[:10], audio.reshape(10, 320))   # aligned to sample 0
    np.testing.assert_allclose(det.history_t[:3], [0.01, 0.03, 0.05])
    assert det.max_run_s == 1.0
    per_word = Detector(model, LABELS, settings={**s, "threshold": {"yes": 0.5, "no": 0.9}})
    assert per_word.threshold == {"yes": 0.5, "no": 0.9}


def test_frame_detector_flush_lets_the_smoothing_finish_a_word_at_the_end():
    """A keyword in the last frames of a file: flush() feeds the smoothing span of silence
    (here 5 frames), so the moving average completes and the word is reported; with the
    window models' half window (10 ms for a frame model) it would never reach the threshold."""
    frames = 40

    def model(x):       # "yes" from frame 38 on (the word's last 2 frames and after it)
        out = np.tile([0.0, 1.0, 0.0, 0.0], (len(x), 1))
        first = model.n
        model.n += len(x)
        out[max(0, 38 - first):] = [0.0, 0.0, 1.0, 0.0]
        return out
    model.n = 0
    s = load_settings(window_ms=20, hop_ms=20, max_run_ms=1000, smoothing_windows=5,
                      threshold=0.9, refractory_ms=500)
    det = Detector(model, LABELS, settings=s)
    found = det.feed(np.zeros(frames * 320, np.float32)) + det.flush()
    assert [d.label for d in found] == ["yes"] and model.n == frames + 5
    assert det.audio_s == frames * 0.02       # the flushed silence is not audio fed


def test_format_time_and_line():
    assert format_time(0.6) == "00:00.600"
    assert format_time(3723.4567) == "62:03.457"
    assert Detection(61.25, "yes", 0.987).line() == "01:01.250  yes  0.99"


def _fake_model(word_at):
    """probabilities: "yes" while the window contains the sample index `word_at`."""
    state = {"n": 0}

    def model(x):
        out = np.zeros((len(x), 4), np.float32)
        out[:, 1] = 1
        for i, w in enumerate(x):
            if np.any(w == 1.0):
                out[i] = [0, 0, 1, 0]
        state["n"] += len(x)
        return out
    return model


@pytest.mark.parametrize("block", [1, 160, 1600, 7777])
@pytest.mark.parametrize("batch", [1, 16])
def test_windows_timing_and_block_independence(block, batch):
    x = np.zeros(48000, np.float32)
    x[23200] = 1.0  # a click at 1.45 s: in the windows centred at 1.0 .. 1.9 s
    det = Detector(_fake_model(23200), LABELS, batch=batch, record=True)
    found = []
    for i in range(0, len(x), block):
        found += det.feed(x[i:i + block])
    found += det.flush()
    assert det.history_t[:3] == [0.0, 0.05, 0.1]  # smoothing: centre of the averaged windows
    assert det.windows == 31  # centres 0, 0.1, ..., 3.0 s
    assert [(round(d.time_s, 3), d.label) for d in found] == [(1.45, "yes")]  # the click time


def test_refractory_period_drops_close_detections():
    s = load_settings(smoothing_windows=1, refractory_ms=800)
    seq = iter([2, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1] + [1] * 30)

    def model(x):
        out = np.zeros((len(x), 4), np.float32)
        for i in range(len(x)):
            out[i, next(seq)] = 1
        return out
    found = Detector(model, LABELS, settings=s).run([np.zeros(32000, np.float32)])
    # runs at 0.0-0.1 (yes), 0.3 (yes, 250 ms later: dropped), 1.3 (no)
    assert [(d.time_s, d.label) for d in found] == [(0.05, "yes"), (1.3, "no")]


def test_sentence_detections_int8(int8_model):
    expected = json.loads((AUDIO / "sentence.json").read_text())
    det = Detector(*int8_model, batch=16)
    found = det.run(WavSource(AUDIO / "sentence.wav"))
    want = expected["detections"]
    assert [d.label for d in found] == [w["label"] for w in want], [d.line() for d in found]
    for d, w in zip(found, want):
        assert abs(d.time_s - w["time_s"]) <= 0.15, (d.line(), w)
        assert d.prob >= det.threshold
    assert det.realtime_factor < 1.0


def test_noise_gives_no_detections(int8_model):
    src = WavSource(AUDIO / "noise.wav")
    assert src.bits == 8 and src.duration_s == 3.0
    det = Detector(*int8_model, batch=16)
    assert det.run(src) == []
    assert det.windows == 31


def test_live_batch_one_gives_the_same_detections(int8_model):
    a = Detector(*int8_model, batch=1).run(WavSource(AUDIO / "sentence.wav", block_ms=30))
    b = Detector(*int8_model, batch=16).run(WavSource(AUDIO / "sentence.wav"))
    assert [(d.label, d.time_s) for d in a] == [(d.label, d.time_s) for d in b]


def test_constant_memory_on_a_ten_minute_stream():
    rng = np.random.default_rng(0)
    noise = (0.01 * rng.normal(size=16000)).astype(np.float32)

    def ten_minutes():  # a generator: nothing of the stream is kept
        for i in range(6000):
            block = noise[(i % 10) * 1600:(i % 10 + 1) * 1600].copy()
            if i % 50 == 10:
                block[800] = 1.0  # a "keyword" every 5 s
            yield block

    det = Detector(_fake_model(None), LABELS, batch=16)
    tracemalloc.start()
    try:
        count = 0
        for block in ten_minutes():
            count += len(det.feed(block))
        count += len(det.flush())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert det.audio_s == 600.0 and det.windows == 6001
    assert count == 120
    # measured 2.0 MiB, the same for 1 min: 16 pending windows + their stacked batch
    assert peak < 3 * 2**20, f"peak {peak / 2**20:.1f} MiB"
