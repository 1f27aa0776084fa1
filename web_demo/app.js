// Browser keyword spotting with LiteRT.js: microphone -> Detector (kws.js,
// the twin of zoo/demo/detector.py) -> runPlan (kws.js, the twin of
// export/plan.py) over the file's signatures on LiteRT.js -> the page.
// model/manifest.json (web_demo/prepare.py) says which kind of model:
// "window" (kws-att-bilstm: a 1-s window every hop) or "frames" (a streaming
// model such as kws-stream-att-gru: one 20 ms frame per call, its state
// carried by FrameStreamRunner; window_ms == hop_ms in its settings).
//
// Query parameters (all optional):
//   mode=int8|float32   which shipped file to run (default int8)
//   accel=wasm|webgpu   LiteRT.js accelerator (default wasm)
//   autostart=1         open the microphone without a click
//   listen=SECONDS      stop after this much audio, flush, report (tests)
//   selftest=1          run the model on model/testvec.json and report
//                       max |JS - Python export.runtime| (a streaming model:
//                       every frame of the vector vs Python FrameStream)
//   report=1            POST the results to /report (web_demo/serve.py)
//   view=last           show the last reported run (no model, no microphone)
import {loadLiteRt, loadAndCompile, Tensor} from '@litertjs/core';
import {checkSignatures, chooseAccelerator, Detector, FrameStreamRunner, formatTime, litertCaller,
        makeResampler, runPlan, thresholds} from './kws.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const MODEL_DIR = 'model/';
const errors = [];
let report_jspi = false;
let stage = 'start';  // reported with errors
Error.stackTraceLimit = 60;

function setStatus(text) { $('status').textContent = text; }

// ------------------------------------------------------------ LiteRT.js model

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (run python -m web_demo.prepare)`);
  return r.json();
}

/** Loads a .tflite + plan; returns predict(Float32Array window or frame) -> probs.
 * A streaming model ("frames"): predict carries the state from call to call;
 * reset() goes back to silence. */
async function loadModel(manifest, mode, accelerator) {
  const base = `${MODEL_DIR}${(manifest.files || {})[mode] || `${manifest.model}.${mode}`}`;
  const plan = await fetchJson(`${base}.plan.json`);
  const aliases = await fetchJson(`${base}.aliases.json`);
  const passthrough = await fetchJson(`${base}.passthrough.json`);
  const model = await loadAndCompile(`${base}.tflite`, {accelerator});
  checkSignatures(plan, model);
  const call = litertCaller(model, Tensor, aliases, passthrough);
  if (manifest.kind === 'frames') {
    const initial = await fetchJson(`${MODEL_DIR}${manifest.state}`);
    const runner = new FrameStreamRunner(plan, call, initial);
    return {predict: (x) => runner.step(x), reset: () => runner.reset(), runner, plan, model,
            frames: true, signatures: Object.keys(model.signatures)};
  }
  const inputLen = plan.input_shapes[0].slice(1).reduce((a, b) => a * b, 1);
  async function predict(x) {
    if (x.length !== inputLen) throw new Error(`window has ${x.length} samples, expected ${inputLen}`);
    const [probs] = await runPlan(plan, call, [{data: x, shape: [1, inputLen]}]);
    return probs.data;
  }
  return {predict, reset: () => {}, plan, model, frames: false,
          signatures: Object.keys(model.signatures)};
}

// ---------------------------------------------------------------- microphone

/** Opens the microphone; calls onAudio(Float32Array at `rate` Hz). Uses an
 * AudioContext at `rate` when the browser allows it, else resamples. */
async function openMicrophone(rate, onAudio) {
  const stream = await navigator.mediaDevices.getUserMedia(
    {audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false,
             autoGainControl: false}});
  let ctx, source;
  try {
    ctx = new AudioContext({sampleRate: rate});
    source = ctx.createMediaStreamSource(stream);
  } catch (e) {  // e.g. Firefox: no resampling between a mic and a context
    if (ctx) ctx.close();
    ctx = new AudioContext();
    source = ctx.createMediaStreamSource(stream);
  }
  await ctx.audioWorklet.addModule('recorder-worklet.js');
  const node = new AudioWorkletNode(ctx, 'recorder');
  const resample = ctx.sampleRate === rate ? (x) => x : makeResampler(ctx.sampleRate, rate);
  node.port.onmessage = (e) => { const y = resample(e.data); if (y.length) onAudio(y); };
  source.connect(node);
  if (ctx.state !== 'running') await ctx.resume();
  const track = stream.getAudioTracks()[0];
  return {
    label: track ? track.label : '?', contextRate: ctx.sampleRate,
    stop() {
      node.port.onmessage = null;
      source.disconnect();
      stream.getTracks().forEach((t) => t.stop());
      return ctx.close();
    },
  };
}


// ------------------------------------------------------------------------ UI

function makeBars(labels, thr) {
  const root = $('bars');
  root.innerHTML = '';
  return labels.map((label) => {
    const row = document.createElement('div');
    row.className = 'bar';
    row.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span>` +
      `<span class="thr" style="left:${Math.min(1, thr[labels.indexOf(label)]) * 100}%"></span></span>` +
      '<span class="val">0.00</span>';
    row.querySelector('.name').textContent = label;
    root.appendChild(row);
    return row;
  });
}

function showPosteriors(bars, t, p, keyword, thr) {
  $('postime').textContent = `@ ${formatTime(t)}`;
  bars.forEach((row, i) => {
    row.querySelector('.fill').style.width = `${(100 * p[i]).toFixed(1)}%`;
    row.querySelector('.val').textContent = p[i].toFixed(2);
    row.classList.toggle('kw-on', keyword[i] && p[i] >= thr[i]);
  });
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
                '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];

/** Smoothed keyword posteriors over the last `span` s, detections marked. */
function drawTimeline(history, detections, labels, keyword, thr, span = 10) {
  const cv = $('timeline'), g = cv.getContext('2d');
  const W = cv.width, H = cv.height, top = 14, h = H - top - 14;
  g.clearRect(0, 0, W, H);
  if (!history.length) return;
  const tEnd = Math.max(span, history[history.length - 1][0]), t0 = tEnd - span;
  const x = (t) => ((t - t0) / span) * W, y = (p) => top + (1 - p) * h;
  const finite = thr.filter((v, i) => keyword[i] && v <= 1);
  const lowest = finite.length ? Math.min(...finite) : 1;  // per-word thresholds: the lowest
  g.strokeStyle = '#c33'; g.setLineDash([4, 4]); g.beginPath();
  g.moveTo(0, y(lowest)); g.lineTo(W, y(lowest)); g.stroke(); g.setLineDash([]);
  g.font = '10px monospace'; g.fillStyle = '#888';
  for (let s = Math.ceil(t0); s <= tEnd; s++) g.fillText(`${s}s`, x(s) + 2, H - 2);
  labels.forEach((label, i) => {
    if (!keyword[i]) return;
    g.strokeStyle = COLORS[i % COLORS.length]; g.lineWidth = 1.5; g.beginPath();
    let started = false;
    for (const [t, p] of history) {
      if (t < t0) continue;
      if (started) g.lineTo(x(t), y(p[i])); else { g.moveTo(x(t), y(p[i])); started = true; }
    }
    g.stroke();
  });
  g.font = 'bold 12px sans-serif';
  for (const d of detections) {
    if (d.time_s < t0) continue;
    const i = labels.indexOf(d.label);
    g.fillStyle = COLORS[i % COLORS.length];
    g.fillText(d.label, Math.min(W - 30, x(d.time_s) - 8), 11);
  }
}

function detectionLine(d) { return `${formatTime(d.time_s)}  ${d.label.padEnd(6)}  ${d.prob.toFixed(2)}`; }

function reportError(e) {
  const msg = `[${stage}] ` + (e && e.stack ? `${e.message}\n${e.stack}` : String(e && e.message || e));
  errors.push(msg);
  setStatus(`error: ${e && e.message || e}`);
  console.error(e);
  if (params.get('report') === '1') postReport({errors});
}

async function postReport(body) {
  try {
    await fetch('report', {method: 'POST', headers: {'Content-Type': 'application/json'},
                           body: JSON.stringify(body)});
  } catch (e) { console.error(e); }
}

function showLastReport(r) {
  if (!r) { setStatus('no report yet'); return; }
  $('mode').innerHTML = `<option>${r.mode}</option>`;
  $('accel').innerHTML = `<option>${r.accelerator}</option>`;
  $('detections').textContent = (r.detections || []).map(detectionLine).join('\n');
  const thr = thresholds(r.settings.threshold, r.labels);
  const bars = makeBars(r.labels, thr);
  const keyword = r.labels.map((l) => !r.settings.ignore_labels.includes(l));
  if (r.model) $('model-name').textContent = r.model;
  if (r.peak) showPosteriors(bars, r.peak.time_s, r.peak.probs, keyword, thr);
  drawTimeline(r.history || [], r.detections || [], r.labels, keyword, thr);
  setStatus(`replay of a run: ${r.audio_s.toFixed(2)} s of audio (${r.mic}), ${r.windows} windows, ` +
            `${(1000 * r.compute_s / Math.max(1, r.windows)).toFixed(1)} ms per window`);
  if (r.selftest) $('selftest').textContent = selftestLine(r.selftest);
}

function selftestLine(s) {
  if (s.frames != null) {
    return `self-test (${s.mode}, ${s.frames} frames, state carried): max |LiteRT.js − Python FrameStream| = ` +
           `${s.max_abs_diff.toExponential(2)}, same top-1 on ${s.top1_agree}/${s.frames} frames`;
  }
  return `self-test (${s.mode}): max |LiteRT.js − Python export.runtime| = ${s.max_abs_diff.toExponential(2)} ` +
         `(top-1 ${s.top1_js} vs ${s.top1_py})`;
}

const argmax = (a) => Array.from(a).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);

/** A streaming model on the test vector: every frame from silence, vs Python FrameStream. */
async function selftestFrames(model, mode, tv) {
  const want = tv.expected[mode];
  const n = model.runner.frameSamples;
  const x = Float32Array.from(tv.input);
  model.reset();
  let maxAbs = 0, agree = 0;
  const js = [];
  const start = performance.now();
  for (let k = 0; k < want.length; k++) {
    const got = await model.predict(x.subarray(k * n, (k + 1) * n));
    want[k].forEach((v, i) => { maxAbs = Math.max(maxAbs, Math.abs(v - got[i])); });
    if (argmax(got) === argmax(want[k])) agree += 1;
    js.push(Array.from(got));
  }
  const ms = (performance.now() - start) / want.length;
  model.reset();
  return {mode, frames: want.length, max_abs_diff: maxAbs, top1_agree: agree, ms_per_frame: ms,
          top1_js: js.map(argmax), top1_py: want.map(argmax), js_last: js[js.length - 1],
          python_last: want[want.length - 1]};
}

async function selftest(model, mode, labels) {
  const tv = await fetchJson(`${MODEL_DIR}testvec.json`);
  if (model.frames) return selftestFrames(model, mode, tv);
  const got = await model.predict(Float32Array.from(tv.input));
  const want = tv.expected[mode];
  let maxAbs = 0;
  want.forEach((v, i) => { maxAbs = Math.max(maxAbs, Math.abs(v - got[i])); });
  return {mode, max_abs_diff: maxAbs, js: Array.from(got), python: want,
          top1_js: labels[argmax(got)], top1_py: labels[argmax(want)]};
}

async function main() {
  if (params.get('view') === 'last') { showLastReport(window.LAST_REPORT); return; }
  const manifest = await fetchJson(`${MODEL_DIR}manifest.json`);
  const labels = await fetchJson(`${MODEL_DIR}labels.json`);
  const settings = await fetchJson(`${MODEL_DIR}settings.json`);
  const thr = thresholds(settings.threshold, labels);
  $('model-name').textContent = manifest.model;
  $('model-kind').textContent = manifest.kind === 'frames'
    ? `one ${Math.round(1000 * manifest.frame_samples / settings.sample_rate)} ms frame per call, ` +
      'state carried (streaming)'
    : 'a 1-s window every hop';
  const mode = params.get('mode') || (manifest.modes.includes('int8') ? 'int8' : manifest.modes[0]);
  const requested = params.get('accel') || 'wasm';
  const {accelerator, refused} = chooseAccelerator(manifest, mode, requested);
  if (refused) console.warn(refused);
  $('mode').innerHTML = manifest.modes.map((m) => `<option${m === mode ? ' selected' : ''}>${m}</option>`).join('');
  $('accel').value = accelerator;
  const reload = () => {
    const q = new URLSearchParams(location.search);
    q.set('mode', $('mode').value); q.set('accel', $('accel').value);
    location.search = q.toString();
  };
  $('mode').onchange = reload;
  $('accel').onchange = reload;

  setStatus('loading LiteRT.js…');
  stage = 'loadLiteRt';
  // WebGPU: our front end (RFFT) stays on the CPU, and a partially delegated
  // model needs the JSPI build of LiteRT.js (the default build then fails
  // with "Asyncify is not defined" when it reads a GPU buffer back).
  const wasmDir = new URL('node_modules/@litertjs/core/wasm/', location.href).href;
  const jspi = accelerator !== 'wasm' && params.get('jspi') !== '0';
  report_jspi = jspi;
  await loadLiteRt(wasmDir, jspi ? {jspi: true} : undefined);
  setStatus(`compiling ${mode} model (${accelerator})…`);
  const t0 = performance.now();
  stage = `loadAndCompile(${mode}, ${accelerator})`;
  const model = await loadModel(manifest, mode, accelerator);
  const loadS = (performance.now() - t0) / 1000;
  const keyword = labels.map((l) => !settings.ignore_labels.includes(l));
  const bars = makeBars(labels, thr);
  const report = {model: manifest.model, kind: manifest.kind || 'window', mode, accelerator,
                  requested_accelerator: requested, accelerator_refused: refused,
                  jspi: report_jspi, labels, settings, signatures: model.signatures,
                  fully_accelerated: model.model.isFullyAccelerated, load_s: loadS,
                  userAgent: navigator.userAgent};

  if (params.get('selftest') === '1') {
    stage = 'selftest';
    report.selftest = await selftest(model, mode, labels);
    $('selftest').textContent = selftestLine(report.selftest);
  }

  let peak = null;
  let history = [];  // [t, smoothed probs], the last 10 s
  const lines = [];
  const newDetector = () => new Detector(model.predict, labels, settings, {
    onError: reportError,
    onWindow: (t, p, det) => {
      showPosteriors(bars, t, p, keyword, thr);
      let best = 0;
      p.forEach((v, i) => { if (keyword[i] && v > (keyword[best] ? p[best] : -1)) best = i; });
      if (!peak || p[best] > peak.value) peak = {time_s: t, value: p[best], probs: Array.from(p)};
      history.push([t, Array.from(p, (v) => Math.round(v * 1e4) / 1e4)]);
      while (history.length && history[0][0] < t - 10) history.shift();
      if (!model.frames || det.windows % 5 === 0) drawTimeline(history, det.detections, labels, keyword, thr);
      if (det.backlog > 20) setStatus(`listening… (model ${det.backlog} hops behind)`);
    },
    onDetection: (d) => {
      lines.push(detectionLine(d));
      $('detections').textContent = lines.join('\n');
    },
  });

  let mic = null, det = null, captured = [];  // the first second, for the report
  const listen = params.get('listen') ? parseFloat(params.get('listen')) : null;
  async function start() {
    stage = 'microphone';
    model.reset();  // a streaming model starts each session from silence
    det = newDetector();
    lines.length = 0; $('detections').textContent = ''; peak = null; history = [];
    captured = [];
    let target = listen == null ? Infinity : Math.round(listen * settings.sample_rate);
    mic = await openMicrophone(settings.sample_rate, (x) => {
      if (!det || det.samples >= target) return;
      if (det.samples + x.length > target) x = x.subarray(0, target - det.samples);
      if (captured.length < 16000) captured.push(...x.subarray(0, 16000 - captured.length));
      det.feed(x);
      if (det.samples >= target) stop().catch(reportError);
    });
    report.mic = mic.label;
    report.context_rate = mic.contextRate;
    $('start').textContent = 'Stop';
    setStatus(`listening (${mic.label}, ${mic.contextRate} Hz) · ${mode} · ${accelerator}`);
  }
  async function stop() {
    const d = det, m = mic;
    det = null; mic = null;
    $('start').textContent = 'Start microphone';
    if (m) await m.stop();
    if (!d) return;
    setStatus('finishing…');
    await d.flush();
    Object.assign(report, {detections: d.detections, audio_s: d.samples / d.rate, windows: d.windows,
                           compute_s: d.computeS, peak, history, errors,
                           first_second: captured.map((v) => Math.round(v * 32768))});
    setStatus(`stopped: ${report.audio_s.toFixed(2)} s of audio, ${d.windows} windows, ` +
              `${(1000 * d.computeS / Math.max(1, d.windows)).toFixed(1)} ms per window`);
    if (params.get('report') === '1') await postReport(report);
  }
  $('start').disabled = false;
  $('start').onclick = () => (mic ? stop() : start()).catch(reportError);
  setStatus(`ready: ${mode} model on ${accelerator} (loaded in ${loadS.toFixed(2)} s)` +
            (refused ? ` · ${refused}` : ''));
  if (params.get('autostart') === '1') await start();
  else if (params.get('report') === '1') await postReport(report);
}

window.addEventListener('error', (e) => reportError(e.error || e.message));
window.addEventListener('unhandledrejection', (e) => reportError(e.reason));
main().catch(reportError);
