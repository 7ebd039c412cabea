/**
 * Model summary: run one forward pass on zeros (eval mode, no gradients) while recording
 * what each module returns, then tabulate name, type, output shape, parameters and
 * convolution cost. Modules are listed in call order, nested modules indented.
 */
import { noGrad } from '../core/autograd.js';
import { shapeStr } from '../core/shape.js';
import { Tensor, zeros } from '../core/tensor.js';
import { Conv2d } from './conv.js';
import type { Module } from './module.js';

/** One module's row of a model summary. */
export interface LayerRow {
  /** Dotted path ('' for the model itself). */
  name: string;
  type: string;
  depth: number;
  /** Output shape(s), e.g. "[1,16,32,32]" or "maps [..], scores [..]". */
  output: string;
  /** Parameters of this module including its descendants. */
  params: number;
  /** Multiply-accumulates per image (convolutions only, including descendants). */
  macs: number;
}

/** A model summary: rows in call order, total parameters, FLOPs per image and the printable table. */
export interface ModelSummary {
  rows: LayerRow[];
  totalParams: number;
  /** Forward cost per image: 2 FLOP per convolution multiply-accumulate. */
  flopsPerImage: number;
  table: string;
}

type Forward = (x: Tensor) => unknown;

function describeOutput(out: unknown): string {
  if (out instanceof Tensor) return shapeStr(out.shape);
  if (out !== null && typeof out === 'object') {
    return Object.entries(out).map(([k, v]) => `${k} ${v instanceof Tensor ? shapeStr(v.shape) : '?'}`).join(', ');
  }
  return '?';
}

/**
 * Tabulate a model by one eval-mode, no-grad forward pass on zeros of `inputShape` (e.g. [1,3,64,64]):
 * each module's output shape, parameters and convolution cost. The model's modes are restored after.
 */
export function summarize(model: Module<unknown>, inputShape: readonly number[]): ModelSummary {
  const modules = model.namedModules();
  const called: Array<{ name: string; m: Module<unknown>; output: string; ownMacs: number }> = [];
  const wasTraining = modules.map(([, m]) => m.training);
  const ownForward = modules.map(([, m]) => Object.getOwnPropertyDescriptor(m, 'forward'));
  model.eval(); // no running-statistics updates from the probe
  try {
    for (const [name, m] of modules) {
      const original = m.forward.bind(m) as Forward;
      const record: Forward = (x) => {
        const entry = { name, m, output: '', ownMacs: 0 };
        called.push(entry); // pushed before the call: parents precede their children
        const out = original(x);
        entry.output = describeOutput(out);
        if (m instanceof Conv2d && out instanceof Tensor) entry.ownMacs = m.macsPerImage(out.shape);
        return out;
      };
      Object.defineProperty(m, 'forward', { value: record, configurable: true, writable: true });
    }
    noGrad(() => model.forward(zeros(inputShape)));
  } finally {
    modules.forEach(([, m], i) => {
      const own = ownForward[i];
      if (own) Object.defineProperty(m, 'forward', own);
      else delete (m as { forward?: unknown }).forward;
      m.training = wasTraining[i]!;
    });
  }
  const subtreeMacs = (prefix: string): number =>
    called.filter((c) => prefix === '' || c.name === prefix || c.name.startsWith(`${prefix}.`)).reduce((s, c) => s + c.ownMacs, 0);
  const rows = called.map(({ name, m, output }) => ({
    name, type: m.constructor.name, depth: name === '' ? 0 : name.split('.').length, output, params: m.numParameters(), macs: subtreeMacs(name),
  }));
  const totalParams = model.numParameters();
  const flopsPerImage = 2 * subtreeMacs('');
  return { rows, totalParams, flopsPerImage, table: formatTable(rows, totalParams, flopsPerImage) };
}

function formatTable(rows: LayerRow[], totalParams: number, flops: number): string {
  const body = rows.map((r) => [`${'  '.repeat(r.depth)}${r.name || '(model)'}`, r.type, r.output, r.params.toLocaleString('en-US'), r.macs ? (2 * r.macs / 1e6).toFixed(2) : '']);
  const head = ['layer', 'type', 'output', 'params', 'MFLOP'];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    `total parameters: ${totalParams.toLocaleString('en-US')}; forward ${(flops / 1e6).toFixed(1)} MFLOP per image (convolutions)`,
  ].join('\n');
}
