/**
 * The PyTorch twin's forward (lib/export/pytorch-module.ts), restated with epsx ops: it runs an
 * exported architecture on exported weights exactly as model.py composes them. Comparing it
 * with the epsx model checks, on every machine (torch or not), that model.py's composition of
 * each module type still matches epsx's forward after models/ change.
 */
import { add, relu } from '../../ops/elementwise.js';
import { conv2d } from '../../ops/conv.js';
import { gap } from '../../ops/pool.js';
import { resizeBilinear } from '../../ops/resize.js';
import { slice } from '../../ops/movement.js';
import { batchNorm2dEval } from '../../lib/nn/batchnorm.js';
import type { ArchNode } from '../../lib/export/index.js';
import type { Tensor } from '../../lib/core/tensor.js';

type Out = Tensor | [Tensor, Tensor];

/** Evaluate `node` (eval mode) on x with weights from `state`, named as the twin names them. */
export function runTwinInEpsx(node: ArchNode, state: ReadonlyMap<string, Tensor>, x: Tensor, prefix = ''): Out {
  const get = (name: string) => state.get(prefix + name) ?? null;
  const child = (name: string, input: Tensor) => {
    const found = 'children' in node ? node.children.find(([n]) => n === name) : undefined;
    return found ? (runTwinInEpsx(found[1], state, input, `${prefix}${name}.`) as Tensor) : null;
  };
  const all = () => ('children' in node ? node.children.map(([name]) => name) : []);
  switch (node.type) {
    case 'Conv2d':
      return conv2d(x, get('weight')!, get('bias'), { stride: node.stride, padding: node.padding, dilation: node.dilation });
    case 'BatchNorm2d':
      return batchNorm2dEval(x, get('weight'), get('bias'), get('running_mean')!, get('running_var')!, node.eps);
    case 'ReLU':
      return relu(x);
    case 'Sequential':
    case 'Backbone':
      return all().reduce((h, name) => child(name, h)!, x);
    case 'BasicBlock': {
      const h = relu(child('bn1', child('conv1', x)!)!);
      return relu(add(child('bn2', child('conv2', h)!)!, child('shortcut', x) ?? x));
    }
    case 'ContextHead':
      return all().map((name) => child(name, x)!).reduce((a, b) => add(a, b));
    case 'Classifier': {
      const maps = child('head', child('backbone', x)!)!;
      // GAP as the classifier computes it (mean over h,w): a generic mean reduces in another order, so bitwise equality needs the same kernel.
      return [maps, gap(slice(maps, 1, 1, maps.shape[1]!))];
    }
    case 'Segmenter':
      return resizeBilinear(child('head', child('backbone', x)!)!, [x.shape[2]!, x.shape[3]!], { alignCorners: false });
  }
}
