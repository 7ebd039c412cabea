/** Parameter-free activation layers. */
import { relu } from '../../ops/elementwise.js';
import type { Tensor } from '../core/tensor.js';
import { Module } from './module.js';

/** max(x, 0) as a layer (no parameters); any shape. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
