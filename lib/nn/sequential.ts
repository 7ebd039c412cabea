/** Sequential: children applied in order; named by index or by the keys of a record. */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Applies its layers in order; children are named '0', '1', ... or by the keys of a record. */
export class Sequential extends Module {
  readonly layers: Array<Module<Tensor>>;

  constructor(layers: Array<Module<Tensor>> | Record<string, Module<Tensor>>) {
    super();
    const named = Array.isArray(layers) ? layers.map((m, i): [string, Module<Tensor>] => [String(i), m]) : Object.entries(layers);
    this.layers = named.map(([name, m]) => this.addModule(name, m));
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
