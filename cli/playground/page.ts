/**
 * The playground page (bundled as playground.js): picks the kernel backend (WebGL where the
 * browser has it), checks every kernel family against its TypeScript reference, then trains the
 * chosen methods one step at a time between animation frames, redrawing curves and panels.
 *
 * URL parameters (for tests and for links a teacher shares): method=cam,eps,eps%2B%2B (default
 * all three), steps=N (train N steps on load, then stop), backend=webgl|webasm|cpu|reference,
 * seed=N, errors=systematic|random. State for scripts: #state's data-step, data-loss,
 * data-backend, data-agree ("ok" or "fail"), data-done, and for the first method data-curve (its
 * losses, JSON) and data-steps-per-second.
 */
import { setBackend, type BackendName } from '../../lib/core/backend.js';
import { VOC_PALETTE } from '../../lib/data/palette.js';
import type { Sample } from '../../lib/data/sample.js';
import { METHODS, type Method } from '../../lib/train/classifier.js';
import { ramp } from '../../lib/viz/ramp.js';
import { checkAgreement, type Agreement } from './agreement.js';
import { Session, playgroundDefaults, type MethodRun, type Panels, type PlaygroundSettings } from './session.js';

const COLORS: Record<Method, string> = { cam: '#7a7a7a', eps: '#1f77b4', 'eps++': '#d62728' };
/** Images shown in the panels (indices into the training set). */
const SHOWN = [0, 1];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const state = $('state');
const params = new URLSearchParams(location.search);

function intParam(name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`URL parameter ${name}=${raw}: expected an integer in [${min}, ${max}]`);
  return v;
}

function methodsParam(): Method[] {
  const raw = params.get('method');
  if (raw === null) return [...METHODS];
  const list = raw.split(',').map((m) => m.trim());
  const bad = list.find((m) => !(METHODS as readonly string[]).includes(m));
  if (bad !== undefined) throw new Error(`URL parameter method=${raw}: ${JSON.stringify(bad)} is not one of ${METHODS.join(', ')}`);
  return list as Method[];
}

// --- settings and controls ------------------------------------------------------------------

interface Slider {
  key: string;
  label: string;
  min: number;
  max: number;
  step: number;
  /** What changing it does: 'live' (takes effect at the next step or redraw) or 'restart' (new data / new training). */
  effect: 'live' | 'restart';
  get(s: PlaygroundSettings): number;
  set(s: PlaygroundSettings, v: number): void;
}

const dataSlider = (key: keyof PlaygroundSettings['data'], label: string, fallback: number): Slider => ({
  key, label, min: 0, max: 1, step: 0.05, effect: 'restart',
  get: (s) => (s.data[key] as number | undefined) ?? fallback,
  set: (s, v) => void ((s.data as Record<string, unknown>)[key] = v),
});

const SLIDERS: Slider[] = [
  { key: 'tau', label: 'tau (EPS overlap)', min: 0, max: 1, step: 0.05, effect: 'live', get: (s) => s.tau, set: (s, v) => void (s.tau = v) },
  { key: 'lambda', label: 'lambda (EPS mix)', min: 0, max: 1, step: 0.05, effect: 'live', get: (s) => s.lambda, set: (s, v) => void (s.lambda = v) },
  { key: 'threshold', label: 'background threshold', min: 0.05, max: 0.95, step: 0.05, effect: 'live', get: (s) => s.threshold, set: (s, v) => void (s.threshold = v) },
  { key: 'pamr', label: 'PAMR iterations', min: 0, max: 20, step: 1, effect: 'live', get: (s) => s.pamrIterations, set: (s, v) => void (s.pamrIterations = v) },
  { key: 'steps', label: 'steps', min: 10, max: 1000, step: 10, effect: 'restart', get: (s) => s.steps, set: (s, v) => void (s.steps = v) },
  dataSlider('partMiss', 'part missed', 0.3),
  dataSlider('contactMiss', 'contact side missed', 0.6),
  dataSlider('contextSalient', 'context salient', 0.8),
  dataSlider('distractorSalient', 'distractor salient', 0.2),
  dataSlider('missingClass', 'random: class missed', 0.2),
  dataSlider('missingObject', 'random: part missed', 0.3),
  dataSlider('falseCoverage', 'random: false coverage', 0.3),
];

// --- drawing -------------------------------------------------------------------------------

type RGB = readonly [number, number, number];

function draw(canvas: HTMLCanvasElement, w: number, h: number, colour: (p: number) => RGB): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    const c = colour(p);
    img.data.set([c[0], c[1], c[2], 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
}

const palette = (l: number): RGB => [VOC_PALETTE[l * 3]!, VOC_PALETTE[l * 3 + 1]!, VOC_PALETTE[l * 3 + 2]!];
const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));

/** The panel columns: what each shows, in the notation of docs/method.md. */
const COLUMNS: Array<{ title: string; note: string; draw(c: HTMLCanvasElement, s: Sample, p: Panels): void }> = [
  { title: 'image', note: 'I, the input', draw: (c, s) => draw(c, s.width, s.height, (p) => [0, 1, 2].map((k) => byte(s.image[k * s.width * s.height + p]!)) as unknown as RGB) },
  { title: 'saliency', note: 'S, with the injected errors', draw: (c, s) => draw(c, s.width, s.height, (p) => ramp(s.saliency[p]!)) },
  {
    title: 'class maps', note: 'P_c of present classes / its max, in class colours',
    draw: (c, s, m) => {
      const [h, w] = m.mapSize;
      // each map scaled to its peak, as pseudo-masks do: early in training P_c is small everywhere
      const peak = s.labels.map((cls) => Math.max(1e-6, ...Array.from({ length: h * w }, (_, p) => m.P[cls * h * w + p]!)));
      draw(c, w, h, (p) => {
        const rgb = [0, 0, 0];
        s.labels.forEach((cls, i) => {
          for (let k = 0; k < 3; k++) rgb[k]! += (m.P[cls * h * w + p]! / peak[i]!) * palette(cls)[k]!;
        });
        return rgb.map((v) => Math.min(255, Math.round(v))) as unknown as RGB;
      });
    },
  },
  { title: 'M_fg', note: 'sum of y_c P_c: foreground the maps claim', draw: (c, _s, m) => draw(c, m.mapSize[1], m.mapSize[0], (p) => ramp(m.mFg[p]!)) },
  { title: 'M_r', note: 'M_fg refined by PAMR on the image', draw: (c, _s, m) => draw(c, m.mapSize[1], m.mapSize[0], (p) => ramp(m.mR[p]!)) },
  { title: 'N', note: 'B(M_r) XOR B(S): pixels IRD drops (white)', draw: (c, _s, m) => draw(c, m.mapSize[1], m.mapSize[0], (p) => (m.N[p]! > 0.5 ? [255, 255, 255] : [0, 0, 0])) },
  { title: 'pseudo-mask', note: 'argmax with the background threshold', draw: (c, s, m) => draw(c, s.width, s.height, (p) => palette(m.pseudo[p]!)) },
  { title: 'truth', note: 'the true mask (never trained on)', draw: (c, s) => draw(c, s.width, s.height, (p) => palette(s.mask![p]!)) },
];

function plot(canvas: HTMLCanvasElement, runs: readonly MethodRun[], value: (p: MethodRun['curve'][number]) => number | undefined, yMax: number, label: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const pad = 28;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(label, pad, 12);
  ctx.fillText(yMax.toFixed(2), 0, pad - 4);
  ctx.fillText('0', 8, H - pad + 4);
  ctx.strokeStyle = '#bbb';
  ctx.strokeRect(pad, pad - 10, W - pad - 6, H - 2 * pad + 10);
  const done = Math.max(0, ...runs.map((r) => r.step));
  const steps = Math.max(2, done); // x scale: at least two points' worth
  ctx.fillText(`step ${done}`, W - 60, H - 8);
  for (const r of runs) {
    ctx.strokeStyle = COLORS[r.method];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let started = false;
    for (const point of r.curve) {
      const v = value(point);
      if (v === undefined) continue;
      const x = pad + ((W - pad - 6) * point.step) / (steps - 1);
      const y = H - pad - ((H - 2 * pad) * Math.min(v, yMax)) / yMax;
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
    }
    ctx.stroke();
  }
}

// --- the app ---------------------------------------------------------------------------------

const settings: PlaygroundSettings = structuredClone(playgroundDefaults);
let session: Session;
let running = false;
let target = Infinity;
let agreement: Agreement | null = null;
let panelCanvases: HTMLCanvasElement[][][] = [];

function buildUi(): void {
  const app = $('app');
  app.innerHTML = `
    <div class="controls">
      <button id="start">start</button><button id="pause">pause</button><button id="step">step</button>
      <span id="methods"></span>
      <label>saliency errors <select id="errors"><option>systematic</option><option>random</option></select></label>
      <label>seed <input id="seed" type="number" min="0" value="${settings.seed}" style="width:5em"></label>
      <span id="speed" class="muted"></span>
    </div>
    <fieldset><legend>hyper-parameters (live) and generator (regenerates the data and restarts)</legend><div class="controls" id="sliders"></div></fieldset>
    <h2>kernels on <span id="backend"></span></h2>
    <div id="agreement" class="muted">checking...</div>
    <h2>training</h2>
    <div class="legend" id="legend"></div>
    <div class="charts"><canvas id="loss" width="460" height="200"></canvas><canvas id="dropped" width="460" height="200"></canvas></div>
    <div id="events" class="muted"></div>
    <h2>panels</h2>
    <div class="muted">Each row is one method on the same image, seed and batches. Maps are at the feature size (image / 4).</div>
    <div id="panels"></div>`;
  $('methods').innerHTML = METHODS.map((m) => `<label><input type="checkbox" value="${m}" ${settings.methods.includes(m) ? 'checked' : ''}> ${m}</label>`).join(' ');
  $('methods').addEventListener('change', () => {
    settings.methods = [...$('methods').querySelectorAll('input:checked')].map((e) => (e as HTMLInputElement).value as Method);
    restart();
  });
  ($('errors') as HTMLSelectElement).value = settings.data.errors ?? 'systematic';
  $('errors').addEventListener('change', (e) => {
    settings.data.errors = (e.target as HTMLSelectElement).value as 'systematic' | 'random';
    restart();
  });
  $('seed').addEventListener('change', (e) => {
    settings.seed = Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value)) || 0);
    restart();
  });
  $('sliders').innerHTML = SLIDERS.map((s) => `<label title="${s.effect === 'live' ? 'applies from the next step' : 'regenerates and restarts'}">${s.label}
    <input type="range" id="s-${s.key}" min="${s.min}" max="${s.max}" step="${s.step}" value="${s.get(settings)}"><output id="o-${s.key}">${s.get(settings)}</output></label>`).join('');
  for (const s of SLIDERS) {
    const input = $(`s-${s.key}`) as HTMLInputElement;
    input.addEventListener('input', () => ($(`o-${s.key}`).textContent = input.value));
    input.addEventListener('change', () => {
      s.set(settings, Number(input.value));
      if (s.effect === 'restart') restart();
      else applyLive();
    });
  }
  $('start').addEventListener('click', () => void start(Infinity));
  $('pause').addEventListener('click', () => (running = false));
  $('step').addEventListener('click', () => void start(Math.min(...session.runs.map((r) => r.step)) + 1));
}

/** tau, lambda and PAMR iterations go straight into each run's training config. */
function applyLive(): void {
  for (const r of session.runs) Object.assign(r.cfg, { tau: settings.tau, lambda: settings.lambda, pamrIterations: settings.pamrIterations });
  render();
}

function restart(): void {
  running = false;
  session = new Session(structuredClone(settings));
  $('legend').innerHTML = session.runs.map((r) => `<span style="color:${COLORS[r.method]}">&#9632; ${r.method}</span>`).join('');
  const panels = $('panels');
  panels.innerHTML = '';
  panelCanvases = SHOWN.map((i) => {
    const sample = session.samples[i]!;
    const table = document.createElement('table');
    table.className = 'panels';
    table.innerHTML = `<caption style="text-align:left">image ${sample.id}: classes ${sample.labels.join(', ')}</caption>
      <tr><th></th>${COLUMNS.map((c) => `<th><b>${c.title}</b><small>${c.note}</small></th>`).join('')}</tr>`;
    const rows = session.runs.map((r) => {
      const tr = table.insertRow();
      tr.insertCell().outerHTML = `<td class="method" style="color:${COLORS[r.method]}">${r.method}</td>`;
      return COLUMNS.map(() => {
        const canvas = document.createElement('canvas');
        tr.insertCell().append(canvas);
        return canvas;
      });
    });
    panels.append(table);
    return rows;
  });
  render();
}

/** When the panels were last redrawn: they cost a forward pass, PAMR and pseudo-masks per image and method. */
let panelsAt = -Infinity;
const PANEL_INTERVAL_MS = 1500;

/** Redraw the curves and state; the panels too when `panels` is true or they are older than PANEL_INTERVAL_MS. */
function render(panels = true): void {
  const runs = session.runs;
  plot($('loss'), runs, (p) => p.loss, Math.max(0.1, ...runs.flatMap((r) => r.curve.slice(0, 3).map((p) => p.loss))) * 1.1, 'loss L per step');
  plot($('dropped'), runs, (p) => p.dropped, 1, 'share of map pixels IRD drops (N), eps++');
  $('events').textContent = runs.flatMap((r) => r.events.map((e) => `${r.method} ${e}`)).join('; ');
  $('speed').textContent = runs.map((r) => `${r.method}: step ${r.step}/${r.cfg.epochs * Math.max(1, Math.floor(r.samples.length / r.cfg.batchSize))}, ${r.stepsPerSecond.toFixed(2)} steps/s`).join(' | ');
  if (panels || performance.now() - panelsAt > PANEL_INTERVAL_MS) {
    SHOWN.forEach((i, k) => {
      const sample = session.samples[i]!;
      runs.forEach((r, j) => {
        const p = r.panels(sample, settings.threshold);
        COLUMNS.forEach((c, n) => c.draw(panelCanvases[k]![j]![n]!, sample, p));
      });
    });
    panelsAt = performance.now();
  }
  const lead = runs[0];
  const last = lead?.curve[lead.curve.length - 1];
  state.dataset.step = String(Math.min(...runs.map((r) => r.step)));
  state.dataset.loss = last ? last.loss.toFixed(6) : '';
  state.dataset.curve = JSON.stringify(lead?.curve.map((p) => +p.loss.toFixed(5)) ?? []);
  state.dataset.stepsPerSecond = lead ? lead.stepsPerSecond.toFixed(3) : '';
  state.textContent = `${runs.map((r) => `${r.method} step ${r.step} loss ${r.curve.at(-1)?.loss.toFixed(4) ?? '-'}`).join(' · ')}`;
}

/** What the GPU behind WebGL is, as the browser names it (SwiftShader is software rendering). */
function glRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (gl === null) return 'no WebGL context';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return `${gl instanceof WebGL2RenderingContext ? 'WebGL2' : 'WebGL1'}: ${String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER))}`;
}

const BACKEND_WORDS: Record<string, () => string> = {
  webgl: () => `webgl (gpu.js on ${glRenderer()})`,
  webasm: () => 'webasm (gpu.js WebAssembly with SIMD, one thread: the fallback without WebGL)',
  cpu: () => 'cpu (gpu.js JavaScript)',
  reference: () => 'reference (the plain TypeScript loops)',
};

const frame = (): Promise<void> => new Promise((ok) => requestAnimationFrame(() => ok()));

/** Train until every run has `until` steps (or has finished), rendering after each step. */
async function start(until: number): Promise<void> {
  if (running) return;
  running = true;
  target = until;
  state.dataset.done = '0';
  const current = session;
  try {
    while (running && current === session && Math.min(...current.runs.map((r) => r.step)) < target) {
      if (!(await current.step())) break;
      render(false);
      await frame(); // let the page paint and take clicks between steps
    }
  } finally {
    if (current === session) {
      render();
      running = false;
      state.dataset.done = '1';
    }
  }
}

function showAgreement(a: Agreement): void {
  $('agreement').innerHTML = `<span class="${a.ok ? 'ok' : 'bad'}">${a.ok ? 'every kernel agrees' : 'KERNELS DISAGREE'} with its TypeScript reference</span>
    (${a.kernels} distinct gpu.js kernels, forward and gradients, |a-b| &le; 1e-4 + 1e-4|b|)
    <table class="agree">${a.rows.map((r) => `<tr><td>${r.name}</td><td class="${r.ok ? 'ok' : 'bad'}">${r.ok ? 'agrees' : 'differs'}</td><td class="muted">${r.error ?? `worst ${r.worst.toFixed(3)} of the tolerance`}</td></tr>`).join('')}</table>`;
}

async function main(): Promise<void> {
  settings.methods = methodsParam();
  settings.seed = intParam('seed', settings.seed, 0, 2 ** 32 - 1);
  const errors = params.get('errors');
  if (errors !== null) {
    if (errors !== 'systematic' && errors !== 'random') throw new Error(`URL parameter errors=${errors}: expected systematic or random`);
    settings.data.errors = errors;
  }
  const steps = params.has('steps') ? intParam('steps', 0, 1, 100000) : null;
  if (steps !== null) settings.steps = steps;
  buildUi();
  const requested = params.get('backend') ?? 'auto';
  if (!['auto', 'webgl', 'webasm', 'cpu', 'reference'].includes(requested)) throw new Error(`URL parameter backend=${requested}: expected auto, webgl, webasm, cpu or reference`);
  const info = setBackend(requested as BackendName);
  $('backend').textContent = `${BACKEND_WORDS[info.backend]?.() ?? info.backend}${requested === 'auto' ? ' (picked: the first that works of WebGL, WebAssembly, JavaScript)' : ''}`;
  state.dataset.backend = info.backend;
  await frame();
  if (info.backend !== 'reference') {
    agreement = checkAgreement(info.backend);
    if (!agreement.ok && requested === 'auto' && info.backend === 'webgl') {
      // a GPU whose WebGL gets a kernel wrong: say so, and train on the WebAssembly path instead
      const failed = agreement.rows.filter((r) => !r.ok).map((r) => r.name).join(', ');
      agreement = checkAgreement('webasm');
      state.dataset.backend = 'webasm';
      $('backend').textContent = `${BACKEND_WORDS.webasm!()}, because on WebGL ${failed} did not agree with the reference`;
    }
    showAgreement(agreement);
  } else $('agreement').textContent = 'the reference backend is the TypeScript reference itself';
  state.dataset.agree = agreement === null || agreement.ok ? 'ok' : 'fail';
  restart();
  if (steps !== null) await start(steps);
}

main().catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  const div = document.createElement('div');
  div.className = 'bad';
  div.textContent = `error: ${msg}`;
  $('app').prepend(div);
  state.dataset.error = e instanceof Error && e.stack ? e.stack : msg;
  console.error(msg);
});
