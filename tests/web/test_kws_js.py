"""web_demo/kws.js (the page's model-independent code) against the Python
originals, in node: runPlan vs export.plan.run_plan on synthetic plans with
fake signatures (every stage feature: bidirectional merges, sequences or
last steps, init signatures, initial states from the plan inputs, output
split, final states), and Detector vs zoo.demo.detector.Detector on a fake
model. Needs node only (no browser, no model file)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from export import plan as stepped
from zoo.demo.detector import Detector, format_time, load_settings

KWS_JS = Path(__file__).resolve().parents[2] / "web_demo" / "kws.js"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

# The fake signatures, written twice (NumPy here, JS below) with the same formulas.
STEP_BIAS = {"fw": 0.1, "bw": -0.2, "uni": 0.05}


def fake_call(signature, feed):
    kind, _, tag = signature.partition("_")
    if kind == "seg":
        (x,) = feed.values()
        return {tag: np.tanh(np.float32(0.5) * x + np.float32(0.1)).astype(np.float32)}
    if kind == "init":
        x = feed["init0"]
        return {f"state{i}": np.tanh(x * np.float32(i + 1)).astype(np.float32) for i in range(2)}
    x = feed["x"]
    s0 = feed["state0"]
    s1 = feed.get("state1")
    pre = x + np.float32(0.5) * s0 + np.float32(STEP_BIAS[tag])
    if s1 is not None:
        pre = pre - np.float32(0.25) * s1
    y = np.tanh(pre).astype(np.float32)
    out = {"y": y, "state0_out": y}
    if s1 is not None:
        out["state1_out"] = (np.float32(0.9) * s1 + np.float32(0.1) * x).astype(np.float32)
    return out


JS_DRIVER = r"""
import {readFileSync} from 'node:fs';
const kws = await import(process.argv[2]);
const spec = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const BIAS = {fw: 0.1, bw: -0.2, uni: 0.05};
const f32 = (a) => Float32Array.from(a);
const map = (a, fn) => ({data: Float32Array.from(a.data, fn), shape: a.shape.slice()});
async function call(signature, feed) {
  const [kind, tag] = signature.split(/_(.*)/);
  if (kind === 'seg') { const x = Object.values(feed)[0]; return {[tag]: map(x, (v) => Math.tanh(Math.fround(0.5 * v) + 0.1))}; }
  if (kind === 'init') { const x = feed.init0; return {state0: map(x, (v) => Math.tanh(v)), state1: map(x, (v) => Math.tanh(2 * v))}; }
  const {x, state0: s0, state1: s1} = feed;
  const y = map(x, (v, i) => { let p = Math.fround(v + Math.fround(0.5 * s0.data[i])) + BIAS[tag]; if (s1) p -= 0.25 * s1.data[i]; return Math.tanh(p); });
  const out = {y, state0_out: y};
  if (s1) out.state1_out = map(s1, (v, i) => Math.fround(0.9 * v) + Math.fround(0.1 * x.data[i]));
  return out;
}
const result = {plans: [], detections: null, times: spec.times.map(kws.formatTime)};
// a bound step (as litertCaller's call.bindStep gives): positional (x, states) -> {y, states}
let boundSteps = 0;
const bind = (signature, n) => async (x, states) => {
  boundSteps++;
  const feed = {x};
  states.forEach((s, i) => { feed[`state${i}`] = s; });
  const out = await call(signature, feed);
  return {y: out.y, states: states.map((_, i) => out[`state${i}_out`])};
};
result.boundSame = true;
for (const c of spec.plans) {
  const inputs = () => c.inputs.map((a) => ({data: f32(a.data), shape: a.shape}));
  const outs = await kws.runPlan(c.plan, call, inputs());
  result.plans.push(outs.map((o) => ({data: Array.from(o.data), shape: o.shape})));
  const viaBind = await kws.runPlan(c.plan, call, inputs(), bind);
  result.boundSame &&= JSON.stringify(viaBind.map((o) => [Array.from(o.data), o.shape]))
    === JSON.stringify(outs.map((o) => [Array.from(o.data), o.shape]));
}
result.boundSteps = boundSteps;
let k = 0;
const d = spec.detector;
const det = new kws.Detector(async () => f32(d.table[k++]), d.labels, d.settings);
let pos = 0;
const audio = new Float32Array(d.samples);
for (const n of d.blocks) { det.feed(audio.subarray(pos, pos + n)); pos += n; }
result.detections = await det.flush();
result.calls = k;
console.log(JSON.stringify(result));
"""


def _direction(tag, backwards, sizes, init=None, initial=None):
    return {"signature": f"step_{tag}", "go_backwards": backwards, "state_sizes": sizes,
            "init": init, "initial_states": initial}


def _plans():
    seq = {"kind": "segment", "name": "seg_t1", "inputs": ["t0"], "outputs": ["t1"]}

    def plan(stage, extra_inputs=(), outputs=("t2",)):
        return {"version": 1, "inputs": ["t0", *extra_inputs], "outputs": list(outputs),
                "input_shapes": [], "stages": [seq, stage]}

    def rec(directions, outputs, **kw):
        base = {"kind": "recurrent", "name": "rnn", "inputs": ["t1"], "outputs": outputs,
                "directions": directions, "merge_mode": "concat", "return_sequences": True,
                "return_state": False, "output_split": None, "final_states": None}
        base.update(kw)
        return base

    bi = [_direction("fw", False, [4, 4]), _direction("bw", True, [4, 4])]
    out = []
    out.append(plan(rec(bi, ["t2"])))  # our kws-att-bilstm layout
    out.append(plan(rec(bi, ["t2", "h0", "c0", "h1", "c1"], merge_mode="sum",
                        return_sequences=False, return_state=True),
                    outputs=["t2", "h0", "c0", "h1", "c1"]))
    for mode in ("ave", "mul"):
        out.append(plan(rec(bi, ["t2"], merge_mode=mode)))
    out.append(plan(rec(bi, ["t2", "t3"], merge_mode=None), outputs=["t2", "t3"]))
    out.append(plan(rec([_direction("uni", False, [4, 4])], ["t2"]), outputs=["t2"]))
    uni_init = [{**_direction("uni", False, [4, 4]), "init": {"signature": "init_x", "inputs": ["i0"]}}]
    out.append(plan(rec(uni_init, ["t2", "att", "h", "c"], output_split=3, return_state=True,
                        final_states=[[0, None], [1, 2]]),
                    extra_inputs=["i0"], outputs=["t2", "att", "h", "c"]))
    uni_given = [_direction("uni", True, [4], initial=["s0"])]
    out.append(plan(rec(uni_given, ["t2", "h"], return_state=True), extra_inputs=["s0"],
                    outputs=["t2", "h"]))
    # Keras masks: the mask of t1 is given as a plan input named t1__mask.
    bi_zero = [{**d, "zero_output_for_mask": True} for d in bi]
    out.append(plan(rec(bi_zero, ["t2"], masked=True), extra_inputs=["t1__mask"]))
    out.append(plan(rec([_direction("uni", False, [4, 4])], ["t2"], masked=True,
                        return_sequences=False), extra_inputs=["t1__mask"]))
    out.append(plan(rec(bi, ["t2"], masked=True), extra_inputs=["t1__mask"]))
    return out


def test_kws_js_matches_python_plan_loop_and_detector(tmp_path):
    rng = np.random.default_rng(3)
    cases = []
    for p in _plans():
        inputs = [rng.normal(size=(1, 5, 4)).astype(np.float32)]
        inputs += [np.array([[1, 0, 1, 1, 0]], np.float32) if name.endswith(stepped.MASK_SUFFIX)
                   else rng.normal(size=(1, 4)).astype(np.float32) for name in p["inputs"][1:]]
        cases.append((p, inputs))

    settings = load_settings()
    labels = ["_silence_", "_unknown_", "yes", "no"]
    rate, hop = settings["sample_rate"], int(settings["sample_rate"] * settings["hop_ms"] / 1000)
    samples = 6 * rate
    n_windows = samples // hop + 8
    table = rng.dirichlet([1, 1, 0.3, 0.3], size=n_windows).astype(np.float32)
    for start in rng.choice(n_windows - 10, size=14, replace=False):  # keyword bursts
        label = int(rng.integers(2, 4))
        for w in range(start, start + int(rng.integers(1, 9))):
            table[w] = 0.02
            table[w, label] = 0.94
    blocks = []
    while sum(blocks) < samples:
        blocks.append(int(min(rng.integers(1, 4000), samples - sum(blocks))))

    spec = {"plans": [{"plan": p, "inputs": [{"data": a.ravel().tolist(), "shape": list(a.shape)}
                                             for a in ins]} for p, ins in cases],
            "detector": {"labels": labels, "settings": settings, "table": table.tolist(),
                         "samples": samples, "blocks": blocks},
            "times": [0, 0.0004, 0.0005, 1.2345, 59.9996, 61.5, 3599.9]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "driver.mjs").write_text(JS_DRIVER)
    proc = subprocess.run(["node", str(tmp_path / "driver.mjs"), KWS_JS.as_uri(),
                           str(tmp_path / "spec.json")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["boundSame"] and got["boundSteps"] > 0  # runPlan's bound step loop: same outputs

    for (p, ins), js_outs in zip(cases, got["plans"]):
        py_outs = stepped.run_plan(p, fake_call, ins)
        assert len(js_outs) == len(py_outs)
        for js, py in zip(js_outs, py_outs):
            assert js["shape"] == list(py.shape), (p["stages"][1], js["shape"], py.shape)
            np.testing.assert_allclose(np.reshape(js["data"], py.shape), py, atol=1e-5)

    calls = iter(table)
    det = Detector(lambda x: next(calls)[None].repeat(len(x), 0), labels, settings)
    audio = np.zeros(samples, np.float32)
    found, pos = [], 0
    for n in blocks:
        found += det.feed(audio[pos:pos + n])
        pos += n
    found += det.flush()
    assert got["calls"] == det.windows
    assert len(found) >= 3
    assert [(d["label"], d["time_s"]) for d in got["detections"]] == \
        [(d.label, d.time_s) for d in found]
    np.testing.assert_allclose([d["prob"] for d in got["detections"]], [d.prob for d in found],
                               atol=1e-6)
    assert got["times"] == [format_time(t) for t in spec["times"]]


# ---------------------------------------------------------------- streaming

STREAM_DRIVER = r"""
import {readFileSync} from 'node:fs';
const kws = await import(process.argv[2]);
const spec = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = {};
// (1) scoring.detect: per-word thresholds, smoothing, max run, refractory
const s = spec.scoring;
out.detect = kws.detect(s.times, s.probs, s.labels, {smoothing: s.smoothing, threshold: s.threshold,
  refractoryS: s.refractory_s, maxRunS: s.max_run_s, ignoreLabels: s.ignore});
// (2) Detector in frames mode (window_ms == hop_ms) on a table of posteriors
const d = spec.detector;
let k = 0;
const det = new kws.Detector(async (x) => { if (x.length !== d.frame) throw new Error('frame'); return Float32Array.from(d.table[k++]); },
                             d.labels, d.settings);
const audio = new Float32Array(d.samples);
let pos = 0;
for (const n of d.blocks) { det.feed(audio.subarray(pos, pos + n)); pos += n; }
out.frameDetections = await det.flush();
out.frameCalls = k;
// (3) FrameStreamRunner on a fake step: state' = 0.5 state + frame mean, probs = [tanh(sum state)...]
const plan = spec.stream.plan;
async function call(signature, feed) {
  const f = feed.f, a = feed.a, b = feed.b;
  let m = 0; for (const v of f.data) m += v; m /= f.data.length;
  const na = {data: Float32Array.from(a.data, (v) => Math.fround(0.5 * v + m)), shape: a.shape};
  const nb = {data: Float32Array.from(b.data, (v, i) => Math.fround(v + a.data[i % a.data.length])), shape: b.shape};
  let sa = 0; for (const v of na.data) sa += v;
  return {p: {data: Float32Array.of(Math.tanh(sa), Math.tanh(-sa)), shape: [1, 2]}, na, nb};
}
const runner = new kws.FrameStreamRunner(plan, call, spec.stream.initial);
out.stream = [];
for (let i = 0; i < spec.stream.frames.length; i++) {
  if (i === spec.stream.reset_at) runner.reset();
  out.stream.push(Array.from(await runner.step(Float32Array.from(spec.stream.frames[i]))));
}
out.errors = [];
for (const bad of [() => runner.step(new Float32Array(3)),
                   () => new kws.FrameStreamRunner(plan, call, {data: [[0]]}),
                   () => kws.thresholds({nope: 0.5}, ['a'])]) {
  try { await bad(); out.errors.push(null); } catch (e) { out.errors.push(e.message); }
}
console.log(JSON.stringify(out));
"""


def test_kws_js_streaming_decisions_and_frame_runner(tmp_path):
    from zoo.demo import scoring

    rng = np.random.default_rng(7)
    labels = ["_silence_", "_unknown_", "yes", "no", "up"]
    ignore = ["_silence_", "_unknown_"]
    n = 600  # 12 s of 20 ms frames
    table = rng.dirichlet([1, 1, 0.3, 0.3, 0.3], size=n).astype(np.float32)
    for start in rng.choice(n - 80, size=12, replace=False):  # keyword bursts, some long
        label = int(rng.integers(2, 5))
        for w in range(start, start + int(rng.integers(3, 70))):
            table[w] = 0.02
            table[w, label] = 0.92
    times = (np.arange(n) + 0.5) * 0.02
    threshold = {"yes": 0.6, "no": 0.8, "up": 0.5}  # per word ("_unknown_" etc. never)
    kw = dict(threshold=threshold, smoothing=5, refractory_s=0.5, max_run_s=0.3,
              ignore_labels=ignore)
    want = scoring.detect(times, table, labels, **kw)
    assert len(want) >= 5 and {d.label for d in want} >= {"yes", "up"}

    settings = load_settings()
    settings.update(window_ms=20, hop_ms=20, smoothing_windows=3, threshold=0.7,
                    refractory_ms=200, max_run_ms=400)
    samples = (n - 3) * 320 + 123   # n - 3 frames of audio; flush() adds the smoothing span, 3
    blocks = []
    while sum(blocks) < samples:
        blocks.append(int(min(rng.integers(1, 1500), samples - sum(blocks))))

    # the fake step's state: a (2,), b (3, 2); the plan lists [frame, a, b] -> [p, a', b']
    plan = {"version": 1, "inputs": ["f", "a", "b"], "outputs": ["p", "na", "nb"],
            "input_shapes": [[None, 4], [None, 2], [None, 3, 2]],
            "stages": [{"kind": "segment", "name": "step", "inputs": ["f", "a", "b"],
                        "outputs": ["p", "na", "nb"]}]}
    initial = {"data": [[0.25, -0.5], [0.0] * 6]}
    frames = rng.normal(size=(9, 4)).astype(np.float32)

    spec = {"scoring": {"times": times.tolist(), "probs": table.tolist(), "labels": labels,
                        "smoothing": 5, "threshold": threshold, "refractory_s": 0.5,
                        "max_run_s": 0.3, "ignore": ignore},
            "detector": {"labels": labels, "settings": settings, "table": table.tolist(),
                         "samples": samples, "blocks": blocks, "frame": 320},
            "stream": {"plan": plan, "initial": initial, "frames": frames.tolist(), "reset_at": 6}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "driver.mjs").write_text(STREAM_DRIVER)
    proc = subprocess.run(["node", str(tmp_path / "driver.mjs"), KWS_JS.as_uri(),
                           str(tmp_path / "spec.json")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)

    # (1) the decision logic: the same detections as zoo.demo.scoring.detect
    assert [(d["label"], d["time_s"]) for d in got["detect"]] == [(d.label, d.time_s) for d in want]
    np.testing.assert_allclose([d["prob"] for d in got["detect"]], [d.prob for d in want], atol=1e-6)

    # (2) Detector with 20 ms frames: the same frames, times and detections as Python's
    calls = iter(table)
    seen = []

    def model(x):
        seen.append(x.shape)
        return next(calls)[None]

    det = Detector(model, labels, settings)
    assert det.frames
    found, pos = [], 0
    audio = np.zeros(samples, np.float32)
    for b in blocks:
        found += det.feed(audio[pos:pos + b])
        pos += b
    found += det.flush()
    assert got["frameCalls"] == det.windows == n and set(seen) == {(1, 320)}
    assert len(found) >= 3
    assert [(d["label"], d["time_s"]) for d in got["frameDetections"]] == \
        [(d.label, d.time_s) for d in found]

    # (3) FrameStreamRunner carries outputs 1.. into inputs 1.., reset() restores the initial state
    a0, b0 = np.array(initial["data"][0], np.float32), np.zeros((3, 2), np.float32)
    a, b = a0.copy(), b0.copy()
    expected = []
    for i, f in enumerate(frames):
        if i == 6:
            a, b = a0.copy(), b0.copy()
        m = np.float32(f.mean())
        na = (np.float32(0.5) * a + m).astype(np.float32)
        b = (b + np.resize(a, 6).reshape(3, 2)).astype(np.float32)
        a = na
        expected.append([np.tanh(a.sum()), np.tanh(-a.sum())])
    np.testing.assert_allclose(got["stream"], expected, atol=1e-5)
    e_frame, e_state, e_thr = got["errors"]
    assert e_frame and "320" not in e_frame and "4 samples" in e_frame
    assert e_state and "initial state" in e_state
    assert e_thr and "unknown labels" in e_thr


ROUTE_DRIVER = r"""
const kws = await import(process.argv[2]);
const plan = {inputs: ['a'], outputs: ['d'], stages: [
  {kind: 'segment', name: 'seg0', inputs: ['a'], outputs: ['b'], float_only: true},
  {kind: 'segment', name: 'seg1', inputs: ['b'], outputs: ['c']},
  {kind: 'segment', name: 'seg2', inputs: ['c'], outputs: ['d'], float_only: true}]};
const seen = [];
const make = (who, k) => async (sig, feed) => {
  seen.push(`${who}:${sig}`);
  const x = Object.values(feed)[0];
  return {[plan.stages.find((s) => s.name === sig).outputs[0]]:
          {data: Float32Array.from(x.data, (v) => v * k), shape: x.shape}};
};
const gpu = make('gpu', 2);
gpu.bindStep = () => null;
const routed = kws.floatOnCpuCaller(plan, gpu, make('cpu', 3));
const [out] = await kws.runPlan(plan, routed, [{data: Float32Array.from([1, -2]), shape: [1, 2]}]);
console.log(JSON.stringify({seen, out: Array.from(out.data), cpu: routed.cpuSignatures,
                            bind: routed.bindStep === gpu.bindStep}));
"""


def test_float_only_segments_are_routed_to_the_cpu_caller(tmp_path):
    (tmp_path / "route.mjs").write_text(ROUTE_DRIVER)
    proc = subprocess.run(["node", str(tmp_path / "route.mjs"), KWS_JS.as_uri()],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["seen"] == ["cpu:seg0", "gpu:seg1", "cpu:seg2"]
    assert got["out"] == [18.0, -36.0]  # x * 3 * 2 * 3
    assert got["cpu"] == ["seg0", "seg2"] and got["bind"]


COMPARE_DRIVER = r"""
const kws = await import(process.argv[2]);
const plan = {inputs: ['a'], outputs: ['d'], stages: [
  {kind: 'segment', name: 'seg0', inputs: ['a'], outputs: ['b']},
  {kind: 'recurrent', name: 'rnn', inputs: ['b'], outputs: ['c'], return_sequences: false,
   return_state: false, merge_mode: null,
   directions: [{signature: 'step', go_backwards: false, state_sizes: [2]}]},
  {kind: 'segment', name: 'seg1', inputs: ['c'], outputs: ['d']}]};
// seg0 doubles, step: y = state = x + state, seg1 negates. `bad` shifts the outputs
// of one signature by `by` (NaN: a NaN in its first output element).
const make = (bad, by) => async (sig, feed) => {
  const shift = (data) => (sig !== bad ? data : Float32Array.from(data, (v, i) =>
    (Number.isNaN(by) ? (i === 0 ? NaN : v) : v + by)));
  if (sig === 'seg0') return {b: {data: shift(Float32Array.from(feed.a.data, (v) => 2 * v)),
                                  shape: [1, 3, 2]}};
  if (sig === 'seg1') return {d: {data: shift(Float32Array.from(feed.c.data, (v) => -v)),
                                  shape: [1, 2]}};
  const y = Float32Array.from(feed.x.data, (v, i) => v + feed.state0.data[i]);
  return {y: {data: shift(y), shape: [1, 2]}, state0_out: {data: y, shape: [1, 2]}};
};
const seen = [];
const reference = make(null, 0);
const wrap = (c) => async (sig, feed) => { seen.push(sig); return c(sig, feed); };
const runs = {};
for (const [label, bad, by] of [['same', null, 0], ['step', 'step', 0.25],
                                ['seg1', 'seg1', -1.5], ['nan', 'seg0', NaN]]) {
  seen.length = 0;
  const compared = kws.comparingCaller(wrap(make(bad, by)), reference);
  const [out] = await kws.runPlan(plan, compared,
                                  [{data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 3, 2]}]);
  runs[label] = {signatures: compared.signatures, out: Array.from(out.data), seen: [...seen],
                 bind: compared.bindStep === undefined};
}
console.log(JSON.stringify(runs, (k, v) => (Number.isNaN(v) ? 'NaN' : v)));
"""


def test_comparing_caller_finds_the_signature_that_differs_from_equal_inputs(tmp_path):
    """kws.js comparingCaller (gpu_check --trace): every call on both callers with the
    same feed; per signature the largest difference; the run goes on with the first."""
    (tmp_path / "compare.mjs").write_text(COMPARE_DRIVER)
    proc = subprocess.run(["node", str(tmp_path / "compare.mjs"), KWS_JS.as_uri()],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    # NumPy reference of the plan: b = 2a over 3 steps of 2, c = running sum, d = -c
    a = np.arange(1, 7, dtype=np.float32).reshape(3, 2)
    d = -(2 * a).sum(axis=0)

    def diffs(run):
        return {k: (v["calls"], v["max_abs_diff"], v["worst_output"]) for k, v in run["signatures"].items()}

    same = runs["same"]
    assert same["seen"] == ["seg0", "step", "step", "step", "seg1"] and same["bind"]
    assert diffs(same) == {"seg0": (1, 0, None), "step": (3, 0, None), "seg1": (1, 0, None)}
    np.testing.assert_allclose(same["out"], d)
    # a step whose y is 0.25 off (its state right): only the step is named, and the run
    # goes on with the compared caller's outputs (the last y, 0.25 off, reaches seg1)
    step = runs["step"]
    assert diffs(step) == {"seg0": (1, 0, None), "step": (3, 0.25, "y"), "seg1": (1, 0, None)}
    assert step["signatures"]["step"]["outputs"] == {"y": 0.25, "state0_out": 0}
    np.testing.assert_allclose(step["out"], d - 0.25)
    assert diffs(runs["seg1"])["seg1"] == (1, 1.5, "d") and diffs(runs["seg1"])["step"][1] == 0
    nan = runs["nan"]["signatures"]["seg0"]
    assert nan["max_abs_diff"] == "NaN" and nan["worst_output"] == "b"
