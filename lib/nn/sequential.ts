/** Sequential: children applied in order; named by index or by the keys of a record. */
import type { Tensor } from '../core/tensor.js';
import { ReLU } from './activation.js';
import { BatchNorm2d } from './batchnorm.js';
import { Module } from './module.js';

/** Applies its layers in order; children are named '0', '1', ... or by the keys of a record. */
export class Sequential extends Module {
  readonly layers: Array<Module<Tensor>>;

  constructor(layers: Array<Module<Tensor>> | Record<string, Module<Tensor>>) {
    super();
    const named = Array.isArray(layers) ? layers.map((m, i): [string, Module<Tensor>] => [String(i), m]) : Object.entries(layers);
    this.layers = named.map(([name, m]) => this.addModule(name, m));
  }

  /**
   * A BatchNorm2d directly followed by a ReLU runs as one fused op (one pass forward and
   * backward instead of two), unless a hook watches the ReLU's forward (the model summary).
   */
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i]!;
      const next = this.layers[i + 1];
      if (m instanceof BatchNorm2d && next instanceof ReLU && !next.hasForwardHook()) {
        h = m.forwardRelu(h);
        i++;
      } else h = m.forward(h);
    }
    return h;
  }
}
