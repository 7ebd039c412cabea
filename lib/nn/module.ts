/**
 * Module: a node of the model tree. It owns named parameters (trained), buffers (state that
 * is saved but not trained, e.g. BatchNorm running statistics) and child modules, all
 * registered explicitly so names are stable ("layer1.conv1.weight") and checkpoints can
 * be matched entry by entry.
 */
import { UserError } from '../core/errors.js';
import { shapeStr, sameShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Parameter } from './parameter.js';

/** A named tensor as stored in a checkpoint (shape + raw values). */
export interface StateEntry {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/**
 * Base of every layer and model: explicitly registered parameters, buffers and child modules
 * with stable dotted names, train()/eval() mode, and state dicts for checkpoints. `Out` is what
 * forward returns (a Tensor unless a model says otherwise).
 */
export abstract class Module<Out = Tensor> {
  /** Training mode (batch statistics in BatchNorm) vs evaluation mode (running statistics). */
  training = true;
  private readonly ownParams = new Map<string, Parameter>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly ownChildren = new Map<string, Module<unknown>>();

  abstract forward(x: Tensor): Out;

  protected addParameter(name: string, p: Parameter): Parameter {
    this.claim(name);
    this.ownParams.set(name, p);
    return p;
  }

  protected addBuffer(name: string, t: Tensor): Tensor {
    this.claim(name);
    this.ownBuffers.set(name, t);
    return t;
  }

  protected addModule<M extends Module<unknown>>(name: string, m: M): M {
    this.claim(name);
    this.ownChildren.set(name, m);
    return m;
  }

  private claim(name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`${this.constructor.name}: bad member name '${name}'`);
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.ownChildren.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    }
  }

  namedChildren(): Array<[string, Module<unknown>]> {
    return [...this.ownChildren];
  }

  children(): Array<Module<unknown>> {
    return [...this.ownChildren.values()];
  }

  /** This module and every descendant, pre-order; the root is named ''. */
  namedModules(prefix = ''): Array<[string, Module<unknown>]> {
    const out: Array<[string, Module<unknown>]> = [[prefix, this]];
    for (const [name, m] of this.ownChildren) out.push(...m.namedModules(join(prefix, name)));
    return out;
  }

  /** Every parameter with its dotted path (a shared parameter is listed once). */
  namedParameters(): Array<[string, Parameter]> {
    return uniqueValues(this.namedModules().flatMap(([path, m]) => [...m.ownParams].map(([n, p]): [string, Parameter] => [join(path, n), p])));
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): Array<[string, Tensor]> {
    return uniqueValues(this.namedModules().flatMap(([path, m]) => [...m.ownBuffers].map(([n, b]): [string, Tensor] => [join(path, n), b])));
  }

  /** Everything a checkpoint holds: parameters and buffers, by dotted name. */
  stateDict(): Map<string, Tensor> {
    return new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /**
   * Whether something replaced this instance's forward (a hook, as the model summary installs
   * to record each layer's output). Layers that fuse several modules into one op (BatchNorm
   * then ReLU) call each forward separately while a hook is there, so every call is seen.
   */
  hasForwardHook(): boolean {
    return Object.prototype.hasOwnProperty.call(this, 'forward');
  }

  /** Set training mode here and below. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Why `entries` cannot be loaded into this module (missing, unexpected or mis-shaped
   * names), or null when they match exactly.
   */
  stateMismatch(entries: ReadonlyMap<string, StateEntry>): string | null {
    const state = this.stateDict();
    for (const [name, t] of state) {
      const e = entries.get(name);
      if (e === undefined) return `tensor '${name}' is missing`;
      if (!sameShape(e.shape, t.shape)) return `tensor '${name}' has shape ${shapeStr(e.shape)}, the model expects ${shapeStr(t.shape)}`;
    }
    for (const name of entries.keys()) if (!state.has(name)) return `unexpected tensor '${name}' (not in the model)`;
    return null;
  }

  /** Copy values into parameters and buffers; all-or-nothing (checked before any write). */
  loadStateDict(entries: ReadonlyMap<string, StateEntry>): void {
    const problem = this.stateMismatch(entries);
    if (problem !== null) throw new UserError(`cannot load state into ${this.constructor.name}: ${problem}`);
    for (const [name, t] of this.stateDict()) t.data.set(entries.get(name)!.data);
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function uniqueValues<T>(pairs: Array<[string, T]>): Array<[string, T]> {
  const seen = new Set<T>();
  return pairs.filter(([, v]) => !seen.has(v) && (seen.add(v), true));
}
