/**
 * conv2d (groups = 1) with bias, stride, padding and dilation. One primitive; its vjp calls
 * the backward-input and backward-weight kernels directly (gradients need not be twice
 * differentiable), and the bias gradient is a sum.
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { Tensor } from '../lib/core/tensor.js';
import { kernelsFor } from './kernel-choice.js';
import { convGeom, type Conv2dOptions, type ConvGeom } from './conv-geom.js';
import { convFits, convKernels } from './kernels/conv.js';
import { conv2dBackwardBiasRef, conv2dBackwardInputRef, conv2dBackwardWeightRef, conv2dRef } from './reference/conv.js';

export type { Conv2dOptions } from './conv-geom.js';

function geomOf([x, w, b]: Tensor[], attrs: Conv2dOptions): ConvGeom {
  return convGeom(x!.shape, w!.shape, b ? b.shape : null, attrs);
}

export const convRules = defineRules<'conv2d'>({
  conv2d: {
    forward: (inputs, attrs) => {
      const g = geomOf(inputs, attrs);
      const [x, w, b] = inputs;
      const k = kernelsFor(convFits(g), convKernels);
      const data = k ? k.forward(x!.data, w!.data, b?.data ?? null, g) : conv2dRef(x!.data, w!.data, b?.data ?? null, g);
      return { data, shape: [g.N, g.K, g.OH, g.OW] };
    },
    vjp: (gy, inputs, _out, attrs) => {
      const g = geomOf(inputs, attrs);
      const [x, w, b] = inputs;
      const k = kernelsFor(convFits(g), convKernels);
      const gx = x!.requiresGrad ? (k ? k.backwardInput(gy.data, w!.data, g) : conv2dBackwardInputRef(gy.data, w!.data, g)) : null;
      const gw = w!.requiresGrad ? (k ? k.backwardWeight(gy.data, x!.data, g) : conv2dBackwardWeightRef(gy.data, x!.data, g)) : null;
      const gb = b?.requiresGrad ? conv2dBackwardBiasRef(gy.data, g) : null;
      return [
        gx && new Tensor(gx, x!.shape),
        gw && new Tensor(gw, w!.shape),
        ...(b ? [gb && new Tensor(gb, b.shape)] : []),
      ];
    },
  },
});

/** 2-d convolution of x [N,C,H,W] with w [K,C,kh,kw] (+ bias [K]) -> [N,K,OH,OW]. */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const g = convGeom(x.shape, w.shape, b ? b.shape : null, opts);
  const attrs = { stride: [g.sh, g.sw] as [number, number], padding: [g.ph, g.pw] as [number, number], dilation: [g.dh, g.dw] as [number, number] };
  return apply(convRules.conv2d, b ? [x, w, b] : [x, w], attrs);
}
