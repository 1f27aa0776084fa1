// Browser keyword spotting with LiteRT.js: microphone -> Detector (kws.js,
// the twin of zoo/demo/detector.py) -> runPlan (kws.js, the twin of
// export/plan.py) over the file's signatures on LiteRT.js -> the page.
//
// Query parameters (all optional):
//   mode=int8|float32   which shipped file to run (default int8)
//   accel=wasm|webgpu   LiteRT.js accelerator (default wasm)
//   autostart=1         open the microphone without a click
//   listen=SECONDS      stop after this much audio, flush, report (tests)
//   selftest=1          run the model once on model/testvec.json and report
//                       max |JS - Python export.runtime|
//   report=1            POST the results to /report (web_demo/serve.py)
//   view=last           show the last reported run (no model, no microphone)
import {loadLiteRt, loadAndCompile, Tensor} from '@litertjs/core';
import {checkSignatures, Detector, formatTime, litertCaller, makeResampler, runPlan} from './kws.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const MODEL_DIR = 'model/';
const errors = [];
let report_jspi = false;
let stage = 'start';  // reported with errors
Error.stackTraceLimit = 60;

function setStatus(text) { $('status').textContent = text; }

// ------------------------------------------------------------ LiteRT.js model

/** Loads a .tflite + plan; returns predict(Float32Array window) -> probs. */
async function loadModel(mode, accelerator) {
  const base = `${MODEL_DIR}kws-att-bilstm.${mode}`;
  const plan = await (await fetch(`${base}.plan.json`)).json();
  const aliases = await (await fetch(`${base}.aliases.json`)).json();
  const model = await loadAndCompile(`${base}.tflite`, {accelerator});
  checkSignatures(plan, model);
  const call = litertCaller(model, Tensor, aliases);
  const inputLen = plan.input_shapes[0].slice(1).reduce((a, b) => a * b, 1);
  async function predict(x) {
    if (x.length !== inputLen) throw new Error(`window has ${x.length} samples, expected ${inputLen}`);
    const [probs] = await runPlan(plan, call, [{data: x, shape: [1, inputLen]}]);
    return probs.data;
  }
  return {predict, plan, model, signatures: Object.keys(model.signatures)};
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

function makeBars(labels, threshold) {
  const root = $('bars');
  root.innerHTML = '';
  return labels.map((label) => {
    const row = document.createElement('div');
    row.className = 'bar';
    row.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span>` +
      `<span class="thr" style="left:${threshold * 100}%"></span></span><span class="val">0.00</span>`;
    row.querySelector('.name').textContent = label;
    root.appendChild(row);
    return row;
  });
}

function showPosteriors(bars, t, p, keyword, threshold) {
  $('postime').textContent = `@ ${formatTime(t)}`;
  bars.forEach((row, i) => {
    row.querySelector('.fill').style.width = `${(100 * p[i]).toFixed(1)}%`;
    row.querySelector('.val').textContent = p[i].toFixed(2);
    row.classList.toggle('kw-on', keyword[i] && p[i] >= threshold);
  });
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
                '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];

/** Smoothed keyword posteriors over the last `span` s, detections marked. */
function drawTimeline(history, detections, labels, keyword, threshold, span = 10) {
  const cv = $('timeline'), g = cv.getContext('2d');
  const W = cv.width, H = cv.height, top = 14, h = H - top - 14;
  g.clearRect(0, 0, W, H);
  if (!history.length) return;
  const tEnd = Math.max(span, history[history.length - 1][0]), t0 = tEnd - span;
  const x = (t) => ((t - t0) / span) * W, y = (p) => top + (1 - p) * h;
  g.strokeStyle = '#c33'; g.setLineDash([4, 4]); g.beginPath();
  g.moveTo(0, y(threshold)); g.lineTo(W, y(threshold)); g.stroke(); g.setLineDash([]);
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
  const bars = makeBars(r.labels, r.settings.threshold);
  const keyword = r.labels.map((l) => !r.settings.ignore_labels.includes(l));
  if (r.peak) showPosteriors(bars, r.peak.time_s, r.peak.probs, keyword, r.settings.threshold);
  drawTimeline(r.history || [], r.detections || [], r.labels, keyword, r.settings.threshold);
  setStatus(`replay of a run: ${r.audio_s.toFixed(2)} s of audio (${r.mic}), ${r.windows} windows, ` +
            `${(1000 * r.compute_s / Math.max(1, r.windows)).toFixed(1)} ms per window`);
  if (r.selftest) $('selftest').textContent = selftestLine(r.selftest);
}

function selftestLine(s) {
  return `self-test (${s.mode}): max |LiteRT.js − Python export.runtime| = ${s.max_abs_diff.toExponential(2)} ` +
         `(top-1 ${s.top1_js} vs ${s.top1_py})`;
}

async function selftest(model, mode, labels) {
  const tv = await (await fetch(`${MODEL_DIR}testvec.json`)).json();
  const got = await model.predict(Float32Array.from(tv.input));
  const want = tv.expected[mode];
  let maxAbs = 0;
  want.forEach((v, i) => { maxAbs = Math.max(maxAbs, Math.abs(v - got[i])); });
  const argmax = (a) => Array.from(a).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);
  return {mode, max_abs_diff: maxAbs, js: Array.from(got), python: want,
          top1_js: labels[argmax(got)], top1_py: labels[argmax(want)]};
}

async function main() {
  if (params.get('view') === 'last') { showLastReport(window.LAST_REPORT); return; }
  const manifest = await (await fetch(`${MODEL_DIR}manifest.json`)).json();
  const labels = await (await fetch(`${MODEL_DIR}labels.json`)).json();
  const settings = await (await fetch(`${MODEL_DIR}settings.json`)).json();
  const mode = params.get('mode') || (manifest.modes.includes('int8') ? 'int8' : manifest.modes[0]);
  const accelerator = params.get('accel') || 'wasm';
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
  const model = await loadModel(mode, accelerator);
  const loadS = (performance.now() - t0) / 1000;
  const keyword = labels.map((l) => !settings.ignore_labels.includes(l));
  const bars = makeBars(labels, settings.threshold);
  const report = {mode, accelerator, jspi: report_jspi, labels, settings, signatures: model.signatures,
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
      showPosteriors(bars, t, p, keyword, settings.threshold);
      let best = 0;
      p.forEach((v, i) => { if (keyword[i] && v > (keyword[best] ? p[best] : -1)) best = i; });
      if (!peak || p[best] > peak.value) peak = {time_s: t, value: p[best], probs: Array.from(p)};
      history.push([t, Array.from(p, (v) => Math.round(v * 1e4) / 1e4)]);
      while (history.length && history[0][0] < t - 10) history.shift();
      drawTimeline(history, det.detections, labels, keyword, settings.threshold);
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
  setStatus(`ready: ${mode} model on ${accelerator} (loaded in ${loadS.toFixed(2)} s)`);
  if (params.get('autostart') === '1') await start();
  else if (params.get('report') === '1') await postReport(report);
}

window.addEventListener('error', (e) => reportError(e.error || e.message));
window.addEventListener('unhandledrejection', (e) => reportError(e.reason));
main().catch(reportError);
