"""Causal keyword spotters: the one-frame step equals the whole-window model,
the ring attention equals a NumPy multi-head attention, the step files run
with `FrameStream`, and the trainer's 2-s examples are what they claim."""

import keras
import numpy as np
import pytest

import zoo
from zoo.models.kws import causal
from zoo.models.kws.frames import FrameStream
from zoo.models.kws.train_causal import ContextExamples

NAMES = ["kws-stream-att-gru", "kws-stream-gru"]


def _audio(seconds, seed=0):
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000)
    return (tone + 0.05 * rng.standard_normal(n)).astype(np.float32)


@pytest.fixture(scope="module", params=NAMES)
def trained_like(request):
    """A model with non-trivial weights (random init, moved off zero biases)."""
    model = zoo.load(request.param, pretrained=False)
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Dense, keras.layers.Conv1D, keras.layers.GRU)):
            layer.set_weights([w + 0.05 * rng.standard_normal(w.shape).astype(w.dtype)
                               for w in layer.get_weights()])
    return request.param, model


@pytest.mark.parametrize("frames", [30, 65])   # fewer steps than the ring, and more
def test_step_model_streams_what_the_whole_window_model_computes(trained_like, frames):
    name, model = trained_like
    audio = _audio(frames * causal.FRAME / 16000)
    whole = zoo.registry.get(name).build(samples=len(audio))
    whole.set_weights(model.get_weights())
    expected = np.asarray(whole(audio[None], training=False))[0]
    stream = FrameStream.from_keras(causal.frame_step_model(model))
    probs = stream.run(audio)
    assert probs.shape == (frames, 12)
    np.testing.assert_allclose(probs[-1], expected, atol=2e-6)
    # the state carries: a second run without reset differs, after reset it repeats
    again = stream.run(audio)[-1]
    assert np.abs(again - probs[-1]).max() > 1e-6
    stream.reset()
    np.testing.assert_allclose(stream.run(audio)[-1], probs[-1], atol=1e-7)


def test_ring_attention_equals_numpy_multi_head_attention():
    rng = np.random.default_rng(0)
    heads, d, steps = 4, 16, 7
    q = rng.standard_normal((2, d)).astype(np.float32)
    k = rng.standard_normal((2, steps, d)).astype(np.float32)
    v = rng.standard_normal((2, steps, d)).astype(np.float32)
    layer = causal.RingAttention(heads=heads, ring=5)
    out, weights = layer(q, k, v, return_attention_scores=True)
    dk = d // heads
    kk, vv = k[:, -5:], v[:, -5:]   # only the last `ring` steps
    expected = np.zeros((2, d))
    mean_w = np.zeros((2, 5))
    for b in range(2):
        for h in range(heads):
            s = kk[b, :, h * dk:(h + 1) * dk] @ q[b, h * dk:(h + 1) * dk] / np.sqrt(dk)
            w = np.exp(s - s.max())
            w /= w.sum()
            expected[b, h * dk:(h + 1) * dk] = w @ vv[b, :, h * dk:(h + 1) * dk]
            mean_w[b] += w / heads
    np.testing.assert_allclose(np.asarray(out), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(weights), mean_w, atol=1e-6)
    # fewer steps than the ring: zero keys/values in front (the stream's initial ring)
    short = layer(q, k[:, :3], v[:, :3])
    padded = layer(q, np.concatenate([np.zeros((2, 2, d), np.float32), k[:, :3]], 1),
                   np.concatenate([np.zeros((2, 2, d), np.float32), v[:, :3]], 1))
    np.testing.assert_allclose(np.asarray(short), np.asarray(padded), atol=1e-6)


def test_twin_has_no_attention_and_the_same_parameters():
    att, twin = (zoo.load(n, pretrained=False) for n in NAMES)
    assert any(isinstance(layer, causal.RingAttention) for layer in att.layers)
    assert not any(isinstance(layer, causal.RingAttention) for layer in twin.layers)
    assert abs(att.count_params() - twin.count_params()) <= 0.01 * att.count_params()


def test_samples_must_be_whole_frames():
    with pytest.raises(ValueError, match="multiple of 320"):
        causal.build_causal_gru(samples=16001)


@pytest.mark.tensorflow_only
def test_step_files_run_frame_by_frame_like_keras(trained_like, tmp_path):
    import export

    name, model = trained_like
    if name != NAMES[0]:
        pytest.skip("one model is enough: the twin's step has the same parts minus the ring")
    step = causal.frame_step_model(model)
    audio = _audio(1.6, seed=3)
    keras_probs = FrameStream.from_keras(step).run(audio)
    from zoo.models.kws.stream_export import stream_states

    states = stream_states(step, np.stack([_audio(2.0, seed=s) for s in range(4)]))
    path = tmp_path / "step.float32.tflite"
    export.to_tflite(step, path, quantize="float32", validate=False)
    np.testing.assert_allclose(FrameStream.from_file(path).run(audio), keras_probs, atol=1e-5)
    path8 = tmp_path / "step.int8.tflite"
    export.to_tflite(step, path8, quantize="int8", representative_data=states, validate=False)
    probs8 = FrameStream.from_file(path8).run(audio)
    assert np.abs(probs8 - keras_probs).max() < 0.1
    # one signature, one invoke per frame: the step's six inputs calibrated by name (fed
    # by position they met the saved model's sorted inputs and the converter failed)
    from zoo.models.kws.stream_export import file_layout

    single = tmp_path / "step.single.int8.tflite"
    export.to_tflite(step, single, quantize="int8", representative_data=states,
                     validate=False, layout="single")
    assert file_layout(single) == "single" and file_layout(path8) == "stepped"
    assert len(export.runtime.load(single).signatures) == 1
    assert np.abs(FrameStream.from_file(single).run(audio) - keras_probs).max() < 0.1
    with pytest.raises(ValueError, match="not a one-frame step file"):
        FrameStream.from_file("zoo/pretrained/kws-gru/kws-gru.float32.tflite")


def test_in_stream_puts_the_end_of_a_silence_clip_before_each_clip():
    """The in-stream test: each clip unchanged at the end, 1 s of one of the set's silence
    clips (its last second) before it, the same draw for the same seed; zeros without
    silence clips; a lead that is not whole frames, or longer than a clip, is refused."""
    from zoo.models.kws.stream_export import in_stream

    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (9, 19200)).astype(np.float32)
    y = np.array([0, 3, 0, 5, 5, 5, 5, 5, 5])
    xs = in_stream(x, y, silence_label=0, seed=4)
    assert xs.shape == (9, 35200) and xs.dtype == np.float32
    np.testing.assert_array_equal(xs[:, 16000:], x)
    for row in xs[:, :16000]:      # each lead is the last second of silence clip 0 or 2
        assert any(np.array_equal(row, x[k, -16000:]) for k in (0, 2))
    np.testing.assert_array_equal(in_stream(x, y, 0, seed=4), xs)
    np.testing.assert_array_equal(in_stream(x, y, silence_label=7)[:, :16000], 0.0)
    for bad in (16001, 19520):
        with pytest.raises(ValueError, match="multiple of 320"):
            in_stream(x, y, 0, lead=bad)


def test_context_examples_end_with_the_clip_and_add_running_negatives():
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.5, 0.5, (20, 16000)).astype(np.float32)
    y = np.array([0, 1] + [2] * 18)
    running = rng.uniform(-0.5, 0.5, (5, 32000)).astype(np.float32)
    xs, ys = ContextExamples(x, y, running).draw(np.random.default_rng(1), 7)
    assert xs.shape == (27, 32000) and list(ys[:20]) == list(y) and set(ys[20:]) == {1}
    np.testing.assert_array_equal(xs[:20, 16000:], x)          # the clip is the last second
    assert not np.array_equal(xs[:20, :16000], np.zeros((20, 16000)))
    assert np.abs(xs).max() <= 1.0
    xs2, ys2 = ContextExamples(x, y, None).draw(np.random.default_rng(1), 7)
    assert xs2.shape == (20, 32000)       # no running pool: no extra negatives


def test_operating_point_takes_the_most_recall_within_the_false_alarm_budget():
    from zoo.models.kws import operating_point as op

    labels = ["_silence_", "_unknown_", "yes", "no"]
    n = 500
    times = op.frame_times(n)
    free = np.tile(np.array([0.1, 0.9, 0.0, 0.0], np.float32), (n, 1))
    free[100:110] = [0, 0.3, 0.7, 0]          # one 0.7 "yes" burst: a false alarm below 0.75
    kw = np.tile(np.array([0.1, 0.9, 0.0, 0.0], np.float32), (n, 1))
    kw[200:215] = [0, 0.2, 0.8, 0]            # "yes" inside its segment at 0.8
    kw[400:415] = [0, 0.4, 0, 0.6]            # "no" inside its segment at 0.6
    meta_free = {"duration_s": 3600.0, "segments": []}
    meta_kw = {"duration_s": n * 0.02, "segments": [
        {"start_s": 3.9, "end_s": 4.4, "keywords": ["yes"]},
        {"start_s": 7.9, "end_s": 8.4, "keywords": ["no"]}]}
    posteriors = {"d/dev_free": (times, free, meta_free), "d/dev_keywords": (times, kw, meta_kw)}
    points = [op.evaluate(posteriors, labels, smoothing=1, threshold=t)
              for t in (0.55, 0.65, 0.75, 0.85)]
    assert [p["false_alarms_free"] for p in points] == [1, 1, 0, 0]
    assert [p["hits"] for p in points] == [2, 1, 1, 0]
    assert op.choose(points, target_fa=1.0)["threshold"] == 0.55   # 1 FA in an hour is allowed
    assert op.choose(points, target_fa=0.5)["threshold"] == 0.75   # the best with none
    assert op.choose([points[0]], target_fa=0.5) is None
    entry = op.settings_entry(points[2], "int8")
    assert entry["hop_ms"] == entry["window_ms"] == 20 and entry["threshold"] == 0.75


def test_operating_point_counts_real_speech_with_the_free_streams_and_apart():
    from zoo.models.kws import operating_point as op

    labels = ["_silence_", "_unknown_", "yes"]
    n = 1000
    times = op.frame_times(n)
    quiet = np.tile(np.array([0.1, 0.9, 0.0], np.float32), (n, 1))
    real = quiet.copy()
    real[100:110] = real[500:510] = [0, 0.1, 0.9]   # two "yes" bursts 8 s apart: 2 false alarms
    posteriors = {"d/dev_free": (times, quiet, {"duration_s": 1800.0, "segments": []}),
                  "d/dev_real_en_free": (times, real, {"duration_s": 900.0, "segments": []}),
                  "d/dev_keywords": (times, quiet, {"duration_s": 20.0, "segments": []})}
    p = op.evaluate(posteriors, labels, smoothing=1, threshold=0.5)
    assert p["false_alarms_free"] == 2 and p["fa_per_hour_free"] == pytest.approx(2 / 0.75)
    assert p["fa_per_hour_real"] == pytest.approx(8.0) and p["fa_per_hour_tts"] == 0.0
    assert p["free_by_stream"] == {"d/dev_free": {"false_alarms": 0, "hours": 0.5},
                                   "d/dev_real_en_free": {"false_alarms": 2, "hours": 0.25}}
    assert op.is_real("x/dev_real_other_free") and not op.is_real("x/dev_free")
    calibration = op.settings_entry(p, "int8")["calibration"]
    assert calibration["fa_per_hour_real"] == pytest.approx(8.0)
    assert calibration["fa_per_hour_by_stream"] == {"d/dev_free": 0.0, "d/dev_real_en_free": 8.0}


def test_recall_on_recorded_keyword_sentences_is_counted_apart():
    from zoo.models.kws import operating_point as op

    labels = ["_silence_", "_unknown_", "yes"]
    n = 1000
    times = op.frame_times(n)
    quiet = np.tile(np.array([0.1, 0.9, 0.0], np.float32), (n, 1))
    tts_kw, real_kw, real_free = quiet.copy(), quiet.copy(), quiet.copy()
    tts_kw[100:110] = [0, 0.1, 0.9]                 # the TTS "yes" found at 0.9
    real_kw[100:110] = [0, 0.4, 0.6]                # the recorded "yes" only at 0.6
    real_free[500:510] = [0, 0.3, 0.7]              # one false alarm on recorded speech below 0.75
    seg = {"duration_s": 20.0, "segments": [{"start_s": 1.8, "end_s": 2.4, "keywords": ["yes"]},
                                            {"start_s": 12.0, "end_s": 13.0, "keywords": ["yes"]}]}
    posteriors = {"d/dev_keywords": (times, tts_kw, seg), "d/dev_real_game_keywords": (times, real_kw, seg),
                  "d/dev_real_game_free": (times, real_free, {"duration_s": 3600.0, "segments": []})}
    points = [op.evaluate(posteriors, labels, smoothing=1, threshold=t) for t in (0.55, 0.8)]
    lo, hi = points
    assert (lo["hits"], lo["occurrences"], lo["recall_real"], lo["recall_tts"]) == (2, 4, 0.5, 0.5)
    assert (hi["recall_real"], hi["recall_tts"], hi["fa_per_hour_real"]) == (0.0, 0.5, 0.0)
    best = op.choose(points, 1.0, fa="fa_per_hour_real", recall="recall_real")
    assert best["threshold"] == 0.55 and op.choose(points, 0.5, fa="fa_per_hour_real",
                                                   recall="recall_real")["threshold"] == 0.8
    assert op.settings_entry(lo, "int8")["calibration"]["recall_real"] == 0.5


def test_half_of_the_word_clips_go_on_with_running_speech_after_the_word():
    from zoo.models.kws.train_causal import word_end

    rng = np.random.default_rng(0)
    x = np.zeros((200, 16000), np.float32)
    x[:, 1600:6400] = 0.5 * np.sin(np.arange(4800) / 5.0)     # a "word" at 0.1-0.4 s
    y = np.array([0] * 20 + [2] * 180)
    x[:20] = 0.001 * rng.standard_normal((20, 16000))         # silence clips stay as they are
    assert word_end(x[30]) == 6400
    running = (0.3 * rng.standard_normal((4, 32000))).astype(np.float32)
    ex = ContextExamples(x, y, running)
    clips = ex._speech_after(np.random.default_rng(1))
    np.testing.assert_array_equal(clips[:, :6400], x[:, :6400])   # the word is untouched
    np.testing.assert_array_equal(clips[:20], x[:20])
    continued = np.abs(clips[20:, 6400 + 4800:]).max(axis=1) > 0
    assert 0.35 < continued.mean() < 0.65                          # about half
    gap = np.abs(clips[20:, 6400:6400 + 800]).max(axis=1)
    assert gap.max() == 0                                          # at least 50 ms after the word


def test_the_int8_step_file_fires_at_the_shipped_operating_point_on_a_bundled_keyword():
    """The step files' softmax is float in every mode: the int8 file's probabilities are
    not an int8 softmax's multiples of 1/256 (which stop at 255/256 and would never reach a
    0.998 threshold), and the demo's default model on yes.wav, with the int8 file and the
    operating point every demo reads, detects "yes" and nothing else."""
    import json

    from zoo.api import read_audio
    from zoo.demo import run_demo
    from zoo.demo.detector import SETTINGS_PATH

    settings = json.loads(SETTINGS_PATH.read_text())
    for name in ("kws-stream-att-gru", "kws-stream-gru"):
        assert settings["models"][name]["file_mode"] == "int8"
        probs = FrameStream.from_model(name, "int8").run(read_audio("zoo/demo_audio/yes.wav"))
        levels = probs * 256
        assert not np.allclose(levels, np.round(levels), atol=1e-3), name
    name = settings["default_model"]   # (the twin's quiet point misses this "yes")
    found, _ = run_demo(wav="zoo/demo_audio/yes.wav", model=name, out=lambda line: None,
                        log=lambda line: None)
    assert [d.label for d in found] == ["yes"], (name, found)


def test_hard_negative_p_gives_the_hardest_tenth_its_share_of_the_draws():
    from zoo.models.kws import train_causal as tc

    scores = np.linspace(0, 1, 100)[::-1].copy()        # crop 0 is the hardest
    p = tc.hard_negative_p(scores, 0.5)
    assert p.sum() == pytest.approx(1.0)
    assert p[:10].sum() == pytest.approx(0.5) and np.allclose(p[:10], 0.05)
    assert np.allclose(p[10:], 0.5 / 90)
    with pytest.raises(ValueError, match="hard-negative share"):
        tc.hard_negative_p(scores, 1.0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.1, 0.1, (6, tc.TRAIN_SAMPLES - tc.CONTEXT_SAMPLES)).astype(np.float32)
    y = np.array([0, 1, 2, 2, 1, 0])
    running = np.stack([np.full(tc.TRAIN_SAMPLES, v, np.float32) for v in (0.1, 0.2, 0.3, 0.4)])
    ex = tc.ContextExamples(x, y, running, running_p=np.array([0, 0, 0, 1.0]))
    xs, ys = ex.draw(np.random.default_rng(1), 50)
    extra = xs[6:56]                                     # the running negatives, gain 0.3-1.2
    assert (ys[6:56] == 1).all()
    ratio = extra[:, 0] / extra[:, -1]
    assert np.allclose(ratio, 1) and (extra[:, 0] <= 0.4 * 1.2 + 1e-6).all() and (extra[:, 0] >= 0.4 * 0.3 - 1e-6).all()


def test_keyword_scores_take_the_best_keyword_column():
    from zoo.models.kws import train_causal as tc

    class Fixed:
        def predict(self, x, batch_size=None, verbose=0):
            return np.array([[0.7, 0.1, 0.2, 0.0], [0.0, 0.1, 0.3, 0.6]])[:len(x)]

    got = tc.keyword_scores(Fixed(), np.zeros((2, 5)), ["_silence_", "_unknown_", "yes", "no"])
    assert got.tolist() == pytest.approx([0.2, 0.6])


def test_compact_point_keeps_counts_per_stream():
    from zoo.models.kws import operating_point as op

    p = {"threshold": 0.9, "free_by_stream": {"a/dev_free": {"false_alarms": 3, "hours": 0.5}}}
    assert op.compact(p) == {"threshold": 0.9, "false_alarms_by_stream": {"a/dev_free": 3}}


@pytest.mark.parametrize("extra", [["--hard-negatives", "1.5", "--init-weights", "x.h5"],
                                   ["--hard-negatives", "0.5"]])
def test_hard_negatives_refuses_a_bad_share_or_no_miner(extra, tmp_path):
    from zoo.models.kws import train_causal as tc

    with pytest.raises(SystemExit, match="share between 0 and 1"):
        tc.main(["--data-dir", str(tmp_path), "--out", str(tmp_path / "run"), *extra],
                name="kws-stream-att-gru")
    assert not (tmp_path / "run").exists()        # refused before a run folder is made


@pytest.mark.parametrize("name", NAMES)
def test_shipped_float32_step_file_runs_in_a_stock_interpreter_loop(name):
    """The README's loop: a stock interpreter, the file's own input names, the state fed
    back from the `next_*` outputs, nothing of ours; the last frame's probabilities are
    the whole-window Keras model's on the same audio."""
    from ai_edge_litert.interpreter import Interpreter

    path = zoo.registry.require_artifacts(name).file(f"{name}.stream.float32.tflite")
    step = Interpreter(model_path=str(path)).get_signature_runner()
    details = step.get_input_details()
    assert list(step.get_output_details()) == sorted(["probabilities"] + [
        f"next_{n}" for n in details if n != "frame"])
    state = {n: np.zeros(d["shape"], np.float32) for n, d in details.items() if n != "frame"}
    state["mel_tail"][:] = np.log(1e-6)  # the log-mel of silence
    audio = zoo.api.read_audio("zoo/demo_audio/yes.wav")[:16000]
    for frame in audio.reshape(-1, causal.FRAME):
        out = step(frame=frame[None], **state)
        state = {n: out["next_" + n] for n in state}
    whole = zoo.registry.get(name).build(samples=len(audio))
    whole.set_weights(zoo.load(name).get_weights())
    expected = np.asarray(whole(audio[None], training=False))[0]
    np.testing.assert_allclose(out["probabilities"][0], expected, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_shipped_float32_step_file_carries_standard_metadata(name):
    """TFLite Metadata (name, version, licence, each tensor described, labels.txt) in the
    single-layout step file, as the window models' single files carry it."""
    from ai_edge_litert.interpreter import Interpreter

    from export import metadata
    from zoo import file_metadata

    path = zoo.registry.require_artifacts(name).file(f"{name}.stream.float32.tflite")
    data = path.read_bytes()
    md = metadata.read(data)
    assert md["name"] == name and md["license"] and md["version"] == zoo.__version__
    step = Interpreter(model_path=str(path)).get_signature_runner()
    assert {t["name"] for t in md["inputs"]} == set(step.get_input_details())
    assert {t["name"] for t in md["outputs"]} == set(step.get_output_details())
    by_name = {t["name"]: t for t in md["inputs"] + md["outputs"]}
    frame = by_name["frame"]
    assert (frame["kind"], frame["sample_rate"], frame["channels"]) == ("audio", 16000, 1)
    for n in set(step.get_input_details()) - {"frame"}:
        assert f"feed it back as {n!r}" in by_name["next_" + n]["description"]
    labels = metadata.read_associated(data)[by_name["probabilities"]["labels_file"]]
    assert labels.decode().split() == list(zoo.registry.get(name).labels)
    assert md == metadata.parse(file_metadata.for_stream_step(name, data)[0])  # current


def test_the_int8_step_file_keeps_the_gru_cell_and_softmax_float_and_computes_each_layer_once():
    """`float_gru=True` (what `stream_export` asks for in int8): the GRU cell and the softmax
    are float stages of their own, the front end stays float, every weighted layer is in
    exactly one stage; the shipped int8 step files are single-layout (one signature, one
    invoke) and hold exactly that split: the GRU cell's gates and the output softmax float
    (the GRU weights stored float16), the convolution and the dense layers int8."""
    from ai_edge_litert.interpreter import Interpreter

    from export import stepped
    from tests.export.test_single_layout import _ops_by_dtype
    from zoo.models.kws.frames import stream_filename
    from zoo.models.kws.stream_export import FLOAT_GRU_MODES, file_layout

    assert FLOAT_GRU_MODES == ("int8",)
    for name in ("kws-stream-att-gru", "kws-stream-gru"):
        model = zoo.load(name, compile=False)
        plan, stages = stepped.build_plan(causal.frame_step_model(model, float_gru=True))
        assert [s.float_only for s in stages] == [True, True, False, True, False, True], name
        weighted = [layer.name for s in stages for layer in s.model.layers if layer.weights]
        assert len(weighted) == len(set(weighted)), name
        (gru_stage,) = [s for s in stages if any(la.name == "gru_cell" for la in s.model.layers)]
        assert gru_stage.float_only
        shipped = zoo.registry.require_artifacts(name).file(stream_filename(name, "int8"))
        assert file_layout(shipped) == "single", name
        interpreter = Interpreter(model_path=str(shipped))
        assert list(interpreter.get_signature_list()) == ["serving_default"]
        details = {t["index"]: t for t in interpreter.get_tensor_details()}
        ops = _ops_by_dtype(shipped)
        gates = {(n, d) for (n, d) in ops if n in ("LOGISTIC", "TANH")}
        assert gates == {("LOGISTIC", "float32"), ("TANH", "float32")}, (name, gates)
        assert ops[("SOFTMAX", "float32")] == 1, name               # the probabilities
        assert ops[("CONV_2D", "int8")] == 1 and ops[("FULLY_CONNECTED", "int8")] >= 2, name
        gru = model.get_layer("gru")
        recurrent = [t for t in details.values() if np.dtype(t["dtype"]) == np.float16
                     and tuple(t["shape"]) in {(3 * gru.units, gru.units),
                                               (3 * gru.units, model.get_layer("conv").filters)}]
        assert len(recurrent) == 2, name   # the GRU kernel and recurrent kernel, float16


def test_gru_step_equals_keras_gru_cell():
    """`causal.GRUStep` (the step model's GRU: gates by slicing, no SPLIT) computes what
    Keras' own GRUCell computes with the same weights."""
    rng = np.random.default_rng(0)
    cell = keras.layers.GRUCell(6)
    step = causal.GRUStep(6)
    x = rng.normal(size=(4, 5)).astype("float32")
    h = rng.normal(size=(4, 6)).astype("float32")
    cell(x, [h])
    step(x, h)
    weights = [w + 0.1 * rng.normal(size=w.shape).astype("float32") for w in cell.get_weights()]
    cell.set_weights(weights)
    step.set_weights(weights)
    want, _ = cell(x, [h])
    np.testing.assert_allclose(np.asarray(step(x, h)), np.asarray(want), rtol=1e-5, atol=1e-6)
