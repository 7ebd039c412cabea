/**
 * gpu.js instances and the compiled-kernel cache. Kernels are keyed by backend, source and
 * output size; the source carries every size as a literal, so a training loop with fixed
 * shapes compiles each kernel once. Least-recently-used kernels are destroyed past a limit.
 */
import { GPU, type IKernelRunShortcut } from 'gpu.js';
import type { KernelBackend } from '../../lib/core/backend.js';
import { glSource } from './gl-source.js';
import type { Launch } from './program.js';
import { MAX_COMPONENTS, wideWasmKernel } from './wasm-codegen/wide-loads.js';

/** A gpu.js backend (every KernelBackend but the TypeScript reference). */
export type GpuMode = Exclude<KernelBackend, 'reference'>;

const gpus = new Map<string, GPU>();

function gpuFor(mode: GpuMode): GPU {
  let gpu = gpus.get(mode);
  if (gpu === undefined) {
    // 'webgl' is the browser's context: WebGL2 where it exists (float textures without extensions), else WebGL1
    gpu = new GPU({ mode: mode === 'webgl' && GPU.isWebGL2Supported ? 'webgl2' : mode });
    // webasm kernels get wide loads (wasm-codegen/wide-loads.ts) unless EPSX_WASM_CODEGEN=stock
    const wide = mode === 'webasm' && process.env.EPSX_WASM_CODEGEN !== 'stock' ? wideWasmKernel() : null;
    if (wide !== null) (gpu as unknown as { Kernel: unknown }).Kernel = wide;
    gpus.set(mode, gpu);
  }
  return gpu;
}

/** The most floats one thread of a `mode` kernel may return: 4 in stock gpu.js, more where
 * the webasm code generator extension is installed (it stores wider returns). */
export function maxComponents(mode: GpuMode): number {
  return mode === 'webasm' && (gpuFor(mode) as unknown as { Kernel: unknown }).Kernel === wideWasmKernel() ? MAX_COMPONENTS : 4;
}

const LIMIT = 96;
const cache = new Map<string, IKernelRunShortcut>();

/** The compiled kernel for a launch (async kernels return Promises and may use threads). */
export function kernelFor(mode: GpuMode, launch: Launch, asyncMode = false): IKernelRunShortcut {
  const key = `${mode}|${asyncMode}|${launch.output.join('x')}|${launch.args.map((a) => a.length).join(',')}|${launch.source}`;
  let k = cache.get(key);
  if (k !== undefined) {
    cache.delete(key); // refresh LRU position
  } else {
    k = gpuFor(mode).createKernel(mode === 'webgl' || mode === 'headlessgl' ? glSource(launch.source) : launch.source, {
      output: launch.output,
      precision: 'single',
      tactic: 'precision',
      loopMaxIterations: 1 << 24,
      ...(asyncMode ? { asyncMode: true } : {}),
    } as Parameters<GPU['createKernel']>[1]);
    while (cache.size >= LIMIT) {
      const [oldKey, old] = cache.entries().next().value as [string, IKernelRunShortcut];
      cache.delete(oldKey);
      old.destroy();
    }
  }
  cache.set(key, k);
  return k;
}

/** Copy a (possibly nested) gpu.js result into one flat Float32Array. */
export function flatten(result: unknown, length: number): Float32Array {
  if (result instanceof Float32Array && result.length === length) return result;
  const out = new Float32Array(length);
  let o = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'number') out[o++] = v;
    else if (ArrayBuffer.isView(v)) {
      out.set(v as Float32Array, o);
      o += (v as Float32Array).length;
    } else for (const e of v as unknown[]) walk(e);
  };
  walk(result);
  if (o !== length) throw new Error(`gpu.js returned ${o} values, expected ${length}`);
  return out;
}

export const launchSize = (l: Launch): number => l.output.reduce((a, b) => a * b, 1) * l.components;
