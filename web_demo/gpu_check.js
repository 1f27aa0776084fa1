// The browser half of `python -m web_demo.gpu_check`: for each model of the
// job (tflite + plan + aliases + fixed inputs, written by web_demo/gpu_check.py)
// compile it with LiteRT.js on one accelerator, run the plan (kws.js runPlan,
// the port of export/plan.py) and POST the raw outputs to /report after every
// model (so a timeout still returns the finished ones).
//
// Query: accel=webgpu|wasm, job=URL of the job JSON, repeat=N (time N more runs),
// trace=1 (each signature call also on a wasm copy with the same feed: per-signature
// max |accel - wasm|, kws.js comparingCaller).
import {loadLiteRt, loadAndCompile, Tensor} from '@litertjs/core';
import {checkSignatures, comparingCaller, floatOnCpuCaller, litertCaller, runPlan} from './kws.js';

const params = new URLSearchParams(location.search);
const accel = params.get('accel') || 'wasm';
const repeat = Math.max(0, parseInt(params.get('repeat') || '0', 10) || 0);
const trace = params.get('trace') === '1' && accel !== 'wasm';
const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
const errorText = (e) => (e && e.stack ? `${e.message || e}\n${e.stack}` : String(e)).slice(0, 4000);
const report = {accelerator: accel, userAgent: navigator.userAgent, adapter: null, jspi: false,
                results: [], done: false, fatal: null};

async function post() {
  await fetch('report', {method: 'POST', headers: {'Content-Type': 'application/json'},
                         body: JSON.stringify(report)});
}

async function adapterInfo() {
  if (!navigator.gpu) throw new Error('WebGPU unavailable: navigator.gpu is undefined');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU unavailable: requestAdapter() returned null');
  const info = adapter.info || {};
  return {vendor: info.vendor, architecture: info.architecture, device: info.device,
          description: info.description, isFallbackAdapter: adapter.isFallbackAdapter ?? info.isFallbackAdapter,
          features: [...adapter.features].sort()};
}

async function runOne(m) {
  const plan = await (await fetch(m.plan)).json();
  const aliases = await (await fetch(m.aliases)).json();
  const t0 = performance.now();
  const model = await loadAndCompile(m.tflite, {accelerator: accel});
  // float_on_cpu: the plan's float-only segments on a wasm copy of the same file;
  // trace: every call on that copy too
  const cpuModel = (m.float_on_cpu || trace) && accel !== 'wasm'
    ? await loadAndCompile(m.tflite, {accelerator: 'wasm'}) : null;
  const compileS = (performance.now() - t0) / 1000;
  try {
    checkSignatures(plan, model);
    let call = litertCaller(model, Tensor, aliases);
    const cpuCall = cpuModel ? litertCaller(cpuModel, Tensor, aliases) : null;
    if (m.float_on_cpu && cpuCall) call = floatOnCpuCaller(plan, call, cpuCall);
    if (trace) call = comparingCaller(call, cpuCall);
    const inputs = m.inputs.map((a) => ({data: Float32Array.from(a.data), shape: a.shape}));
    const t1 = performance.now();
    const outs = await runPlan(plan, call, inputs);
    const runMs = performance.now() - t1;
    // repeat=N: after up to 5 untimed warm-up runs, N more whole inferences on the same
    // inputs, each timed (the first run above is the cold one, kept apart): what
    // benchmarks/litertjs_cost.py reads
    const repeatMs = [];
    for (let i = 0; i < Math.min(repeat, 5); i++) await runPlan(plan, call, inputs);  // warm-up
    for (let i = 0; i < repeat; i++) {
      const t = performance.now();
      await runPlan(plan, call, inputs);
      repeatMs.push(performance.now() - t);
    }
    return {outputs: outs.map((o) => ({data: Array.from(o.data), shape: o.shape})),
            fully_accelerated: model.isFullyAccelerated, compile_s: compileS, run_ms: runMs,
            run_ms_repeat: repeatMs, cpu_signatures: call.cpuSignatures || [],
            signatures: call.signatures || null};
  } finally {
    if (model.delete) model.delete();
    if (cpuModel && cpuModel.delete) cpuModel.delete();
  }
}

async function main() {
  const job = await (await fetch(params.get('job'))).json();
  if (accel === 'webgpu') report.adapter = await adapterInfo();
  // A partially delegated model (our front ends stay on the CPU) needs the
  // JSPI build on WebGPU (see web_demo/README.md).
  report.jspi = accel !== 'wasm';
  const wasmDir = new URL('node_modules/@litertjs/core/wasm/', location.href).href;
  await loadLiteRt(wasmDir, report.jspi ? {jspi: true} : undefined);
  for (const m of job.models) {
    log(`${m.name} ${m.mode} ${accel}…`);
    let r;
    try {
      r = await runOne(m);
    } catch (e) {
      r = {error: errorText(e)};
    }
    report.results.push({name: m.name, mode: m.mode, ...r});
    log(r.error ? `  error: ${r.error.split('\n')[0]}` : `  done in ${r.run_ms.toFixed(0)} ms`);
    await post();
  }
  report.done = true;
  await post();
}

main().catch(async (e) => {
  report.fatal = errorText(e);
  report.done = true;
  log(`fatal: ${report.fatal}`);
  await post();
});
