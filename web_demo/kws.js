// The model-independent parts of the web demo, importable in node too:
// runPlan (a port of export/plan.py, the host loop that runs our
// multi-signature .tflite files), FrameStreamRunner (a port of
// zoo/models/kws/frames.py FrameStream: one 20 ms frame per call, state
// carried), Smoother / Decision / detect (ports of zoo/demo/scoring.py),
// Detector (a port of zoo/demo/detector.py) and a streaming resampler. tests/web/test_kws_js.py checks them against
// the Python originals.

// ------------------------------------------------------------------ plan loop
// Arrays are {data: Float32Array, shape: number[]} (batch 1, row-major).

/** Port of export/plan.py run_plan: `call(signature, {name: array})` resolves
 * to {name: array}; returns the model outputs in order. `bind(signature,
 * nStates)` (default `call.bindStep`, as litertCaller provides), if given, returns
 * a step function `(x, states)` resolving to {y, states} for a recurrent step
 * signature, bound once per loop: no per-step feed objects or name lookups. */
export const MASK_SUFFIX = '__mask';

export async function runPlan(plan, call, inputs, bind = call.bindStep) {
  const env = {};
  plan.inputs.forEach((n, i) => { env[n] = inputs[i]; });
  for (const stage of plan.stages) {
    if (stage.kind === 'segment') {
      const feed = {};
      for (const n of stage.inputs) feed[n] = env[n];
      // Keras masks travel beside their tensor as `<name>__mask` (export/plan.py).
      for (const n of stage.mask_inputs || []) feed[n + MASK_SUFFIX] = env[n + MASK_SUFFIX];
      const result = await call(stage.name, feed);
      for (const n of stage.outputs) env[n] = result[n];
      for (const n of stage.mask_outputs || []) env[n + MASK_SUFFIX] = result[n + MASK_SUFFIX];
      continue;
    }
    const sequence = env[stage.inputs[0]];
    const mask = stage.masked ? env[stage.inputs[0] + MASK_SUFFIX] : null;
    const runs = [];
    for (const d of stage.directions) runs.push(await runDirection(d, sequence, env, call, mask, bind));
    Object.assign(env, collectRecurrentOutputs(stage, runs));
    if (mask && stage.return_sequences) {
      const count = stage.output_split != null ? 2 : 1;
      for (const n of stage.outputs.slice(0, count)) env[n + MASK_SUFFIX] = mask;
    }
  }
  return plan.outputs.map((n) => env[n]);
}

async function initialStates(direction, env, call) {
  const init = direction.init;
  if (init) {
    const feed = {};
    init.inputs.forEach((n, i) => { feed[`init${i}`] = env[n]; });
    const out = await call(init.signature, feed);
    return Object.keys(out).map((_, i) => out[`state${i}`]);
  }
  if (direction.initial_states && direction.initial_states.length) {
    return direction.initial_states.map((n) => env[n]);
  }
  return direction.state_sizes.map((n) => ({data: new Float32Array(n), shape: [1, n]}));
}

// With a mask (1, steps), masked steps are not run: the states stay and the
// output repeats the previous one (zeros before the first step, or always zeros
// with zero_output_for_mask), as Keras and export/plan.py do.
function feedStep(call, signature, nStates) {  // a step over `call` (one feed per step)
  const names = Array.from({length: nStates}, (_, i) => `state${i}`);
  const outs = names.map((n) => `${n}_out`);
  return async (x, states) => {
    const feed = {x};
    names.forEach((n, i) => { feed[n] = states[i]; });
    const out = await call(signature, feed);
    return {y: out.y, states: outs.map((n) => out[n])};
  };
}

async function runDirection(direction, sequence, env, call, mask = null, bind = null) {
  const [, steps, ...rest] = sequence.shape;
  const size = rest.reduce((a, b) => a * b, 1);
  let states = await initialStates(direction, env, call);
  const step = (bind && bind(direction.signature, states.length))
    || feedStep(call, direction.signature, states.length);
  const xShape = [1, ...rest];
  // x is a view of the sequence (no copy per step; nothing writes to it)
  const frame = (t) => ({data: sequence.data.subarray(t * size, (t + 1) * size), shape: xShape});
  const ys = [];
  let previous = null;
  for (let k = 0; k < steps; k++) {
    const t = direction.go_backwards ? steps - 1 - k : k;
    if (mask && mask.data[t] < 0.5) { ys.push(null); continue; }
    const out = await step(frame(t), states);
    ys.push(out.y);
    previous = out.y;
    states = out.states;
  }
  if (mask) {
    if (previous === null) previous = (await step(frame(0), states)).y;  // all masked: zeros
    const zero = {data: new Float32Array(previous.data.length), shape: previous.shape.slice()};
    let last = zero;
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === null) ys[i] = direction.zero_output_for_mask ? zero : last;
      else last = ys[i];
    }
  }
  return {ys, states};  // ys in processing order
}

function stack(ys) {  // [(1, d)...] -> (1, steps, d)
  const d = ys[0].data.length;
  const data = new Float32Array(ys.length * d);
  ys.forEach((y, i) => data.set(y.data, i * d));
  return {data, shape: [1, ys.length, ...ys[0].shape.slice(1)]};
}

function lastAxisOp(arrays, fn) {  // elementwise over equal shapes
  const data = new Float32Array(arrays[0].data.length);
  for (let i = 0; i < data.length; i++) data[i] = fn(...arrays.map((a) => a.data[i]));
  return {data, shape: arrays[0].shape.slice()};
}

function concatLast(a, b) {
  const da = a.shape[a.shape.length - 1], db = b.shape[b.shape.length - 1];
  const rows = a.data.length / da;
  const data = new Float32Array(rows * (da + db));
  for (let r = 0; r < rows; r++) {
    data.set(a.data.subarray(r * da, (r + 1) * da), r * (da + db));
    data.set(b.data.subarray(r * db, (r + 1) * db), r * (da + db) + da);
  }
  return {data, shape: [...a.shape.slice(0, -1), da + db]};
}

function splitLast(a, start, stop) {
  const d = a.shape[a.shape.length - 1];
  stop = stop == null ? d : stop;
  const rows = a.data.length / d, w = stop - start;
  const data = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) data.set(a.data.subarray(r * d + start, r * d + stop), r * w);
  return {data, shape: [...a.shape.slice(0, -1), w]};
}

function collectRecurrentOutputs(stage, runs) {
  const two = stage.directions.length === 2;
  const seqs = [], lasts = [], states = [];
  stage.directions.forEach((d, i) => {
    let ys = runs[i].ys;
    lasts.push(ys[ys.length - 1]);
    if (two && d.go_backwards) ys = ys.slice().reverse();  // re-align in time
    seqs.push(stack(ys));
    states.push(runs[i].states);
  });
  let main = stage.return_sequences ? seqs : lasts;
  main = main.length === 2 ? merge(main, stage.merge_mode) : [main[0]];
  if (stage.output_split != null) {
    main = [splitLast(main[0], 0, stage.output_split), splitLast(main[0], stage.output_split)];
  }
  const values = [...main];
  if (stage.return_state) {
    for (const st of states) {
      if (stage.final_states == null) values.push(...st);
      else for (const [i, stop] of stage.final_states)
        values.push(stop == null ? st[i] : splitLast(st[i], 0, stop));
    }
  }
  if (values.length !== stage.outputs.length) {
    throw new Error(`internal: stage ${stage.name} yields ${values.length} tensors for ` +
                    `${stage.outputs.length} outputs`);
  }
  const out = {};
  stage.outputs.forEach((n, i) => { out[n] = values[i]; });
  return out;
}

function merge([a, b], mode) {
  if (mode === 'concat') return [concatLast(a, b)];
  if (mode === 'sum') return [lastAxisOp([a, b], (x, y) => x + y)];
  if (mode === 'mul') return [lastAxisOp([a, b], (x, y) => x * y)];
  if (mode === 'ave') return [lastAxisOp([a, b], (x, y) => (x + y) / 2)];
  if (mode == null) return [a, b];
  throw new Error(`unsupported Bidirectional merge_mode ${mode}`);
}

// ------------------------------------------------------- LiteRT.js binding

/** Names of every signature a plan calls (segments, steps, init signatures). */
export function planSignatures(plan) {
  const names = [];
  for (const s of plan.stages) {
    if (s.kind === 'segment') names.push(s.name);
    else for (const d of s.directions) {
      names.push(d.signature);
      if (d.init) names.push(d.init.signature);
    }
  }
  return names;
}

/** `call(signature, feed)` for runPlan over a LiteRT.js CompiledModel
 * (`Tensor` is @litertjs/core's class, passed in so that this module stays
 * importable in node). `aliases` ({signature: [[names sharing a tensor]]},
 * web_demo/prepare.py output_aliases) restores the output names LiteRT.js
 * drops when several outputs are one tensor. Each signature is bound once
 * (input names and dtypes, output shapes, aliases), and `call.bindStep(signature,
 * nStates)` gives runPlan a step function that builds no feed objects:
 * per step only the input Tensors (LiteRT.js copies each typed array into
 * wasm memory; views are fine) and the output arrays, taken as LiteRT.js
 * returns them (a fresh Float32Array per output, not copied again).
 * `passthrough` ({signature: {output: input}}, prepare.py output_passthrough):
 * outputs that are an input tensor of the signature, which LiteRT.js returns
 * unwritten (garbage); they are given the input's data instead. */
export function litertCaller(model, Tensor, aliases = {}, passthrough = {}) {
  const bound = {};
  for (const [key, runner] of Object.entries(model.signatures)) {
    const inputs = runner.getInputDetails().map((d) => ({name: d.name, int: d.dtype === 'int32'}));
    const outShapes = Object.fromEntries(runner.getOutputDetails().map((d) => [d.name, [...d.shape]]));
    const groups = (aliases[key] || []).filter((group) => group.length > 1);
    for (const group of groups) {  // a name LiteRT.js dropped has the shape of its twin
      const present = group.find((n) => n in outShapes);
      for (const n of group) if (!(n in outShapes) && present) outShapes[n] = outShapes[present];
    }
    const same = Object.entries(passthrough[key] || {});
    for (const [o, i] of same) {
      const d = runner.getInputDetails().find((x) => x.name === i);
      if (d) outShapes[o] = [...d.shape];
    }
    bound[key] = {isInt: Object.fromEntries(inputs.map((d) => [d.name, d.int])), outShapes, aliases: groups,
                  passthrough: same};
  }
  // integer inputs (token ids) need an Int32Array, not our Float32Array
  const typed = (data, int) => (int && !(data instanceof Int32Array)
    ? Int32Array.from(data, Math.round) : data);
  const asFloat = (data) => (data instanceof Float32Array ? data : Float32Array.from(data));

  async function run(signature, tensors) {  // {name: Tensor} -> {name: typed array}
    let result;
    try {
      result = await model.run(signature, tensors);
    } finally {
      for (const t of Object.values(tensors)) t.delete();
    }
    const out = {};
    for (const name of Object.keys(result)) {
      const t = result[name];
      out[name] = asFloat(await t.data());
      t.delete();
    }
    for (const group of bound[signature].aliases) {  // outputs LiteRT.js merged (same tensor)
      const present = group.find((n) => n in out);
      for (const n of group) if (!(n in out) && present) out[n] = out[present];
    }
    return out;
  }

  async function call(signature, feed) {
    const b = bound[signature];
    if (!b) throw new Error(`signature ${signature} missing; LiteRT.js sees ${Object.keys(bound)}`);
    const tensors = {};
    for (const name of Object.keys(feed)) {
      tensors[name] = new Tensor(typed(feed[name].data, b.isInt[name]), feed[name].shape);
    }
    const data = await run(signature, tensors);
    for (const [o, i] of b.passthrough) data[o] = asFloat(Float32Array.from(feed[i].data));
    const out = {};
    for (const name of Object.keys(data)) out[name] = {data: data[name], shape: b.outShapes[name]};
    return out;
  }

  call.bindStep = (signature, nStates) => {
    const b = bound[signature];
    if (!b) return null;
    const stateNames = Array.from({length: nStates}, (_, i) => `state${i}`);
    const outNames = stateNames.map((n) => `${n}_out`);
    const yShape = b.outShapes.y;
    const stateShapes = outNames.map((n) => b.outShapes[n]);
    if (!yShape || stateShapes.some((s) => !s)) return null;
    const xInt = b.isInt.x;
    const stateInt = stateNames.map((n) => b.isInt[n]);
    return async (x, states) => {
      const tensors = {x: new Tensor(typed(x.data, xInt), x.shape)};
      for (let i = 0; i < nStates; i++) {
        tensors[stateNames[i]] = new Tensor(typed(states[i].data, stateInt[i]), states[i].shape);
      }
      const data = await run(signature, tensors);
      return {y: {data: data.y, shape: yShape},
              states: outNames.map((n, i) => ({data: data[n], shape: stateShapes[i]}))};
    };
  };
  return call;
}

/** The plan's float-only segments (`float_only`: stages of export_float layers, e.g. a
 * front end or a forecaster's window normalisation) run through `cpuCall` (a
 * litertCaller of the same file compiled for 'wasm'), every other stage through
 * `call` (its bindStep kept): where a GPU backend computes those float stages wrong,
 * they stay on the CPU. `routed.cpuSignatures` lists them. */
export function floatOnCpuCaller(plan, call, cpuCall) {
  const cpu = new Set(plan.stages.filter((s) => s.kind === 'segment' && s.float_only)
    .map((s) => s.name));
  const routed = (signature, feed) => (cpu.has(signature) ? cpuCall : call)(signature, feed);
  routed.bindStep = call.bindStep;
  routed.cpuSignatures = [...cpu];
  return routed;
}

/** Every call through both `call` and `refCall` (e.g. litertCaller of the same file on
 * WebGPU and on wasm) with the same feed; the run goes on with `call`'s outputs. Per
 * signature, `compared.signatures[sig]` = {calls, max_abs_diff, worst_output, outputs}: the
 * largest |call - refCall| over its outputs and calls (NaN if either gave NaN), and per
 * output (`outputs[name]`). Each call starts
 * from equal inputs, so a signature that differs is one the backend computes wrong, not
 * one that inherits an earlier error. No bindStep: steps go through `call` too. */
export function comparingCaller(call, refCall) {
  const signatures = {};
  const compared = async (signature, feed) => {
    const out = await call(signature, feed);
    const ref = await refCall(signature, feed);
    const s = signatures[signature]
      || (signatures[signature] = {calls: 0, max_abs_diff: 0, worst_output: null, outputs: {}});
    s.calls += 1;
    for (const name of Object.keys(ref)) {
      const a = out[name].data, b = ref[name].data;
      let worst = 0;
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      s.outputs[name] = Math.max(s.outputs[name] ?? 0, worst);
      if (Number.isNaN(s.max_abs_diff)) continue;  // a NaN stays the worst
      if (Number.isNaN(worst) || worst > s.max_abs_diff) { s.max_abs_diff = worst; s.worst_output = name; }
    }
    return out;
  };
  compared.signatures = signatures;
  compared.cpuSignatures = call.cpuSignatures || [];
  return compared;
}

/** Throws unless the compiled model has every signature the plan calls. */
export function checkSignatures(plan, model) {
  for (const name of planSignatures(plan)) {
    if (!model.signatures[name]) {
      throw new Error(`signature ${name} missing; LiteRT.js sees ${Object.keys(model.signatures)}`);
    }
  }
}

// ------------------------------------------------------- frame streaming

/** A streaming keyword spotter's step file run one frame per call (the twin of
 * zoo/models/kws/frames.py FrameStream): the plan's inputs are [frame, ...state],
 * its outputs [probabilities, ...next state] in the same state order, so after
 * each call the outputs 1.. become the inputs 1.. . `initial` is
 * `<model>.state.json` from web_demo/prepare.py ({names, shapes, data}: the
 * Python silence_state, not recomputed here). `step(frame)` resolves to the
 * probabilities (a copy). The frame and state buffers are allocated once:
 * each step copies the next state into them (LiteRT.js output arrays are not
 * kept across calls: later signature calls may overwrite them).
 * Calls must not overlap (await each step; Detector queues them). */
export class FrameStreamRunner {
  constructor(plan, call, initial) {
    const shapes = plan.input_shapes.map((s) => s.slice(1));
    const size = (shape) => shape.reduce((a, b) => a * b, 1);
    if (plan.inputs.length < 2 || plan.outputs.length !== plan.inputs.length) {
      throw new Error(`not a one-frame step plan: ${plan.inputs.length} inputs, ` +
                      `${plan.outputs.length} outputs (expected [frame, ...state] -> ` +
                      '[probabilities, ...next state])');
    }
    const nState = plan.inputs.length - 1;
    if (!initial || !Array.isArray(initial.data) || initial.data.length !== nState) {
      throw new Error(`the initial state has ${initial && initial.data ? initial.data.length : 'no'} ` +
                      `arrays; the plan has ${nState} state inputs`);
    }
    this.plan = plan;
    this.call = call;
    this.frameSamples = size(shapes[0]);
    this.stateShapes = shapes.slice(1).map((s) => [1, ...s]);
    this.initial = initial.data.map((d, i) => {
      if (d.length !== size(shapes[i + 1])) {
        throw new Error(`initial state ${i} has ${d.length} values; input ` +
                        `${plan.inputs[i + 1]} takes [${shapes[i + 1]}]`);
      }
      return Float32Array.from(d);
    });
    this.frame = {data: new Float32Array(this.frameSamples), shape: [1, this.frameSamples]};
    this.inputs = [this.frame];
    this.reset();
  }

  /** Back to the initial state (silence). */
  reset() {
    this.inputs.length = 1;
    this.initial.forEach((d, i) => {
      const buf = new Float32Array(d.length);
      buf.set(d);
      this.inputs.push({data: buf, shape: this.stateShapes[i]});
    });
    this.frames = 0;
  }

  /** Probabilities (Float32Array) after one frame of `frameSamples` samples. */
  async step(x) {
    if (x.length !== this.frameSamples) {
      throw new Error(`a frame has ${this.frameSamples} samples; got ${x.length}`);
    }
    this.frame.data.set(x);
    const outs = await runPlan(this.plan, this.call, this.inputs);
    for (let i = 1; i < outs.length; i++) {
      const o = outs[i];
      if (!o || o.data.length !== this.inputs[i].data.length) {
        throw new Error(`output ${this.plan.outputs[i]} has ${o ? o.data.length : 'no'} values; ` +
                        `state input ${this.plan.inputs[i]} takes ${this.inputs[i].data.length}`);
      }
      // copied into our own buffer (allocated once), not kept as LiteRT.js's array
      this.inputs[i].data.set(o.data);
    }
    this.frames += 1;
    return Float32Array.from(outs[0].data);
  }
}

// ------------------------------------------------------- decision logic

/** The accelerator to run `mode` on: `requested`, unless the file was measured wrong
 * on WebGPU (manifest.webgpu[mode].status "FAIL", from web_demo/gpu_check.py): then
 * wasm, with the reason to show. Returns {accelerator, refused: reason or null}. */
export function chooseAccelerator(manifest, mode, requested) {
  const measured = ((manifest || {}).webgpu || {})[mode];
  if (requested === 'webgpu' && measured && measured.status === 'FAIL') {
    return {accelerator: 'wasm',
            refused: `the ${mode} file was measured wrong on LiteRT.js WebGPU ` +
                     `(${measured.reason || 'no reason recorded'}): running on wasm`};
  }
  return {accelerator: requested, refused: null};
}

export function formatTime(seconds) {
  const x = Math.max(0, seconds) * 1000;
  let ms = Math.round(x);
  if (ms - x === 0.5 && ms % 2 === 1) ms -= 1;  // half to even, as Python's round()
  const pad = (v, n) => String(v).padStart(n, '0');
  return `${pad(Math.floor(ms / 60000), 2)}:${pad(Math.floor((ms % 60000) / 1000), 2)}.${pad(ms % 1000, 3)}`;
}

const round6 = (t) => Math.round(t * 1e6) / 1e6;

/** Port of zoo/demo/scoring.py Smoother: moving average of the last `k`
 * posterior vectors and of their times. */
export class Smoother {
  constructor(k) {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`smoothing must be at least 1 window; got ${k}`);
    this.k = k;
    this.values = [];
    this.times = [];
  }

  /** [time, smoothed Float32Array] after adding posteriors `p` at time `t`. */
  push(t, p) {
    this.values.push(p); this.times.push(t);
    if (this.values.length > this.k) { this.values.shift(); this.times.shift(); }
    const out = new Float32Array(p.length);
    for (const q of this.values) for (let i = 0; i < q.length; i++) out[i] += q[i];
    for (let i = 0; i < out.length; i++) out[i] /= this.values.length;
    return [round6(this.times.reduce((a, b) => a + b, 0) / this.times.length), out];
  }
}

/** Per-label thresholds from a number or {label: number} (labels missing from the
 * dict are never reported), as scoring.py _thresholds. */
export function thresholds(threshold, labels) {
  let values;
  if (threshold !== null && typeof threshold === 'object') {
    const unknown = Object.keys(threshold).filter((l) => !labels.includes(l)).sort();
    if (unknown.length) throw new Error(`thresholds for unknown labels ${unknown}; the labels are ${labels}`);
    values = labels.map((l) => (l in threshold ? threshold[l] : Infinity));
    if (values.every((v) => v === Infinity)) throw new Error('the threshold dict names no label');
  } else {
    values = labels.map(() => threshold);
  }
  for (const v of values) {
    if (typeof v !== 'number' || !(v > 0 && (v <= 1 || v === Infinity))) {
      throw new Error(`thresholds must be in (0, 1]; got ${JSON.stringify(threshold)}`);
    }
  }
  return values;
}

/** Port of zoo/demo/scoring.py Decision: runs of "on" steps of one keyword (arg-max
 * of the smoothed posteriors, at least its threshold), at most `maxRunS` long,
 * give one detection at the run's middle with its peak; a detection within
 * `refractoryS` of the previous reported one is dropped. */
export class Decision {
  constructor(labels, {threshold, refractoryS = 0, maxRunS = Infinity, ignoreLabels = []}) {
    this.labels = labels;
    this.thresholds = thresholds(threshold, labels);
    this.keyword = labels.map((l) => !ignoreLabels.includes(l));
    this.refractoryS = refractoryS;
    this.maxRunS = maxRunS;
    this.run = null;  // [label index, start t, end t, peak prob]
    this.lastTime = null;
  }

  /** Detections completed by the smoothed posteriors at time `t`. */
  step(t, smoothed) {
    let best = 0;
    for (let i = 1; i < smoothed.length; i++) if (smoothed[i] > smoothed[best]) best = i;
    return this.stepBest(t, best, smoothed[best]);
  }

  stepBest(t, best, prob) {
    const on = this.keyword[best] && prob >= this.thresholds[best];
    let out = [];
    const run = this.run;
    if (run && (!on || best !== run[0] || t - run[1] >= this.maxRunS)) out = this.close();
    if (on) {
      if (!this.run) this.run = [best, t, t, prob];
      else { this.run[2] = t; this.run[3] = Math.max(this.run[3], prob); }
    }
    return out;
  }

  /** End of stream (or of a run): the open run as a detection, if any. */
  close() {
    if (!this.run) return [];
    const [label, start, end, prob] = this.run;
    this.run = null;
    const t = round6((start + end) / 2);
    if (this.lastTime !== null && t - this.lastTime < this.refractoryS) return [];
    this.lastTime = t;
    return [{time_s: t, label: this.labels[label], prob}];
  }
}

/** The decision options of detector settings (settings.json, or the model's
 * section merged in by web_demo/prepare.py). */
export function decisionOptions(settings) {
  return {threshold: settings.threshold, refractoryS: settings.refractory_ms / 1000,
          maxRunS: (settings.max_run_ms != null ? settings.max_run_ms : settings.window_ms) / 1000,
          ignoreLabels: settings.ignore_labels};
}

/** Port of scoring.py detect: detections from posteriors `probs` (arrays) at `times`. */
export function detect(times, probs, labels, {smoothing = 1, ...options}) {
  const sm = new Smoother(smoothing);
  const dec = new Decision(labels, options);
  const out = [];
  times.forEach((t, i) => {
    const [ts, p] = sm.push(t, Float32Array.from(probs[i]));
    out.push(...dec.step(ts, p));
  });
  return out.concat(dec.close());
}

/** Port of zoo/demo/detector.py Detector (batch 1). feed() is synchronous and
 * queues windows; the model runs in order in the background (onWindow /
 * onDetection callbacks); flush() resolves once everything is classified.
 * window_ms == hop_ms (a streaming model): consecutive frames aligned to the
 * stream start, each timed at its centre; otherwise windows centred at k * hop. */
export class Detector {
  constructor(predict, labels, settings, {onWindow, onDetection, onError} = {}) {
    this.predict = predict;
    this.labels = labels;
    this.rate = settings.sample_rate;
    this.window = Math.round(this.rate * settings.window_ms / 1000);
    this.hop = Math.round(this.rate * settings.hop_ms / 1000);
    this.frames = this.window === this.hop;
    this.options = decisionOptions(settings);
    this.thresholds = thresholds(settings.threshold, labels);
    this.keyword = labels.map((l) => !settings.ignore_labels.includes(l));
    this.smoother = new Smoother(settings.smoothing_windows);
    this.decision = new Decision(labels, this.options);
    // silence flush() adds: half a window, or for frames the smoothing span (a word that
    // ends the audio is averaged to its end, as in a live stream)
    this.tail = this.frames
      ? Math.max(Math.floor(this.window / 2), settings.smoothing_windows * this.hop)
      : Math.floor(this.window / 2);
    this.buf = new Float32Array(this.window);
    this.untilNext = this.frames ? this.window : Math.floor(this.window / 2);
    this.nextIndex = 0;
    this.samples = 0;
    this.windows = 0;
    this.computeS = 0;
    this.detections = [];
    this.onWindow = onWindow || (() => {});
    this.onDetection = onDetection || (() => {});
    this.onError = onError || ((e) => { throw e; });
    this.queue = Promise.resolve();
    this.backlog = 0;
  }

  feed(x) {
    this.samples += x.length;
    this.push(x);
  }

  push(x) {
    while (x.length) {
      const m = Math.min(x.length, this.untilNext);
      if (m >= this.window) {
        this.buf.set(x.subarray(m - this.window, m));
      } else {
        this.buf.copyWithin(0, m);
        this.buf.set(x.subarray(0, m), this.window - m);
      }
      x = x.subarray(m);
      this.untilNext -= m;
      if (this.untilNext === 0) {
        const w = this.buf.slice();
        const t = round6((this.nextIndex + (this.frames ? 0.5 : 0)) * this.hop / this.rate);
        this.nextIndex += 1;
        this.untilNext = this.hop;
        this.backlog += 1;
        this.queue = this.queue.then(() => this.evaluate(w, t)).catch(this.onError);
      }
    }
  }

  async flush() {
    this.push(new Float32Array(this.tail));
    await this.queue;
    this.report(this.decision.close());
    return this.detections;
  }

  async evaluate(w, t) {
    const start = performance.now();
    const p = await this.predict(w);
    this.computeS += (performance.now() - start) / 1000;
    this.backlog -= 1;
    this.windows += 1;
    if (p.length !== this.labels.length) {
      throw new Error(`the model returned ${p.length} probabilities for ${this.labels.length} labels`);
    }
    const [ts, smoothed] = this.smoother.push(t, p);
    this.report(this.decision.step(ts, smoothed));
    this.onWindow(ts, smoothed, this);
  }

  report(found) {
    for (const d of found) {
      this.detections.push(d);
      this.onDetection(d);
    }
  }
}

// ---------------------------------------------------------------- resampling

export function makeResampler(from, to) {  // streaming linear interpolation
  const ratio = from / to;
  // positions are relative: 0 = the last sample of the previous block, k = x[k - 1]
  let pos = 1, prev = 0;
  return (x) => {
    const out = [];
    for (; pos < x.length; pos += ratio) {
      const i = Math.floor(pos), f = pos - i;
      const a = i === 0 ? prev : x[i - 1];
      out.push(a + (x[i] - a) * f);
    }
    if (x.length) { pos -= x.length; prev = x[x.length - 1]; }
    return Float32Array.from(out);
  };
}
