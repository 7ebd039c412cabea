/**
 * The architecture of an epsx model as plain JSON, read off its module tree: one node per
 * module, with the module's type, its hyper-parameters (widths, strides, dilations, eps) and
 * its children under their registered names. The PyTorch module file rebuilds the network from
 * this description, so a change of widths, depth or heads in models/ needs no change here; a
 * module type this file does not know is refused instead of being exported wrong.
 */
import { ReLU } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { BasicBlock } from '../nn/block.js';
import { Conv2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Backbone } from '../../models/backbone.js';
import { Classifier } from '../../models/classifier.js';
import { ContextHead, Segmenter } from '../../models/segmenter.js';

/** Module types whose forward is their children's, composed as the PyTorch twin composes them. */
export const COMPOSITE_TYPES = ['Sequential', 'BasicBlock', 'Backbone', 'ContextHead', 'Classifier', 'Segmenter'] as const;
export type CompositeType = (typeof COMPOSITE_TYPES)[number];

/** One module: a leaf layer with its hyper-parameters, or a composite with its named children in order. */
export type ArchNode =
  | { type: 'Conv2d'; inChannels: number; outChannels: number; kernelSize: number; stride: number; padding: number; dilation: number; bias: boolean }
  | { type: 'BatchNorm2d'; channels: number; eps: number; momentum: number; affine: boolean }
  | { type: 'ReLU' }
  | { type: CompositeType; children: Array<[string, ArchNode]> };

// Exact classes only: a subclass may override forward, which the twin would not know about.
const COMPOSITES = new Map<unknown, CompositeType>([
  [Sequential, 'Sequential'],
  [BasicBlock, 'BasicBlock'],
  [Backbone, 'Backbone'],
  [ContextHead, 'ContextHead'],
  [Classifier, 'Classifier'],
  [Segmenter, 'Segmenter'],
]);

/** Describe `module` and everything below it; `path` names it in the error for an unknown type. */
export function describeModule(module: Module<unknown>, path = ''): ArchNode {
  const at = path === '' ? 'the model root' : `'${path}'`;
  if (module.constructor === Conv2d) {
    const c = module as Conv2d;
    return { type: 'Conv2d', inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, dilation: c.dilation, bias: c.bias !== null };
  }
  if (module.constructor === BatchNorm2d) {
    const b = module as BatchNorm2d;
    return { type: 'BatchNorm2d', channels: b.channels, eps: b.eps, momentum: b.momentum, affine: b.weight !== null };
  }
  if (module.constructor === ReLU) return { type: 'ReLU' };
  const type = COMPOSITES.get(module.constructor);
  if (type === undefined) throw new Error(`export: module ${module.constructor.name} at ${at} has no PyTorch counterpart in lib/export`);
  return { type, children: module.namedChildren().map(([name, child]) => [name, describeModule(child, path === '' ? name : `${path}.${name}`)]) };
}

/**
 * The state-dict names PyTorch gives the network built from `node` (parameters, then buffers,
 * per module, as nn.Conv2d and the twin's BatchNorm2d register them), sorted.
 */
export function torchStateNames(node: ArchNode, prefix = ''): string[] {
  const own = (names: string[]) => names.map((n) => prefix + n);
  switch (node.type) {
    case 'Conv2d':
      return own(node.bias ? ['weight', 'bias'] : ['weight']);
    case 'BatchNorm2d':
      return own([...(node.affine ? ['weight', 'bias'] : []), 'running_mean', 'running_var']);
    case 'ReLU':
      return [];
    default:
      return node.children.flatMap(([name, child]) => torchStateNames(child, `${prefix}${name}.`)).sort();
  }
}
