/** Parameter-free activation layers. */
import { relu } from '../../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
