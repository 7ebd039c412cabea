/**
 * Backend selection for the heavy kernels (conv2d, pooling, resize, PAMR).
 *
 * Decision (sync vs async): the autograd engine is synchronous, so engine ops run on a
 * backend whose kernels can be called synchronously: gpu.js `webasm` (SIMD; gpu.js only
 * threads async calls, so ops/kernels/threads.ts splits sync launches over cores itself),
 * gpu.js `cpu`, `headlessgl`, or the plain TypeScript `reference` loops. gpu.js `webgpu`
 * only returns Promises; it serves the async kernel entry points (`ops/async.ts`, used by
 * the benchmark and agreement specs) and is never the engine-op backend: choosing it keeps
 * engine ops on the best sync backend and says so in the returned message. In float64
 * mode (gradient checks) every op uses the reference path whatever the backend.
 */
import { GPU } from 'gpu.js';
import { loadDawn } from './dawn.js';
import { UserError } from './errors.js';
import { getPrecision } from './precision.js';

/**
 * Every name setBackend accepts, the one list the CLI's --backend and run configs offer:
 * 'auto' (the first sync backend that works: headlessgl, webgl, webasm, cpu, reference), then
 * the concrete backends.
 */
export const BACKEND_NAMES = ['auto', 'webasm', 'cpu', 'reference', 'headlessgl', 'webgl', 'webgpu'] as const;
/** What setBackend accepts: a KernelBackend, or 'auto'. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/**
 * A concrete kernel backend: gpu.js webasm, cpu, headlessgl, webgl (a browser's WebGL2, else WebGL1) or
 * webgpu (async kernels only), or the plain TypeScript reference loops.
 */
export type KernelBackend = Exclude<BackendName, 'auto'>;

/** The result of a backend choice (setBackend/getBackend): what was asked for, what runs, and why. */
export interface BackendInfo {
  requested: BackendName;
  /** Backend of the synchronous engine ops. */
  backend: Exclude<KernelBackend, 'webgpu'>;
  /** Backend of the async kernel entry points (webgpu when chosen, else = backend). */
  asyncBackend: KernelBackend;
  /** One line saying what was picked and why. */
  message: string;
}

/** Best first; `auto` takes the first sync backend that works. */
const SYNC_ORDER = ['headlessgl', 'webgl', 'webasm', 'cpu', 'reference'] as const;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

/** Why a backend cannot run here (synchronous checks only), or null when it can. */
export function unavailableReason(name: KernelBackend): string | null {
  switch (name) {
    case 'reference':
    case 'cpu':
      return null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? null : 'WebAssembly (with SIMD) is not supported by this runtime';
    case 'webgl':
      return GPU.isWebGL2Supported || GPU.isWebGLSupported ? null : 'WebGL needs a browser with a WebGL context';
    case 'headlessgl':
      return GPU.isHeadlessGLSupported ? null : 'the optional `gl` package (headless-gl) is not installed or did not build';
    case 'webgpu':
      return loadDawn();
  }
}

/** Resolves to null when a WebGPU adapter answers, else the reason (never throws). */
export async function webgpuUnavailableReason(): Promise<string | null> {
  const sync = unavailableReason('webgpu');
  if (sync !== null) return sync;
  try {
    return (await GPU.isWebGPUAvailable()) ? null : 'WebGPU loaded but no adapter answered';
  } catch (e) {
    return `WebGPU adapter request failed: ${firstLine(e)}`;
  }
}

function bestSync(): BackendInfo['backend'] {
  return SYNC_ORDER.find((b) => unavailableReason(b) === null) ?? 'reference';
}

let current: BackendInfo | null = null;

/** Choose the kernel backend; throws a one-line UserError when the named one cannot run here. */
export function setBackend(name: BackendName): BackendInfo {
  if (!BACKEND_NAMES.includes(name)) throw new UserError(`unknown backend ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(', ')}`);
  let info: BackendInfo;
  if (name === 'auto') {
    const b = bestSync();
    const skipped = SYNC_ORDER.slice(0, SYNC_ORDER.indexOf(b)).map((s) => `${s}: ${unavailableReason(s)}`);
    info = { requested: name, backend: b, asyncBackend: b, message: `backend auto -> ${b}${skipped.length ? ` (${skipped.join('; ')})` : ''}` };
  } else {
    const why = unavailableReason(name);
    if (why !== null) throw new UserError(`backend ${name} is unavailable: ${why}`);
    if (name === 'webgpu') {
      const b = bestSync();
      info = { requested: name, backend: b, asyncBackend: 'webgpu', message: `backend webgpu for async kernels; engine ops are synchronous and run on ${b}` };
    } else {
      info = { requested: name, backend: name, asyncBackend: name, message: `backend ${name}` };
    }
  }
  current = info;
  return info;
}

/** The current choice (auto is resolved on first use). */
export function getBackend(): BackendInfo {
  return current ?? setBackend('auto');
}

/** Where an engine op runs now: the reference path in float64 mode, else the sync backend. */
export function opBackend(): BackendInfo['backend'] {
  return getPrecision() === 'float64' ? 'reference' : getBackend().backend;
}
