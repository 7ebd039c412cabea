/** Matrix multiply: one batched primitive [B,M,K] x [B,K,N]; the public op broadcasts batch axes. */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { allocate } from '../lib/core/precision.js';
import { assertShape, broadcastShapes, shapeStr, sizeOf } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { broadcastTo } from './broadcast.js';
import { reshape, transpose } from './movement.js';

export const matmulRules = defineRules<'matmul'>({
  matmul: {
    forward: ([a, b]) => {
      const [B, M, K] = a!.shape as [number, number, number];
      const N = b!.shape[2]!;
      const out = allocate(B * M * N);
      const x = a!.data;
      const y = b!.data;
      // i-k-j order: the inner loop runs along contiguous rows of b and out.
      for (let bi = 0; bi < B; bi++)
        for (let i = 0; i < M; i++) {
          const o = (bi * M + i) * N;
          for (let k = 0; k < K; k++) {
            const v = x[(bi * M + i) * K + k]!;
            if (v === 0) continue;
            const r = (bi * K + k) * N;
            for (let j = 0; j < N; j++) out[o + j] += v * y[r + j]!;
          }
        }
      return { data: out, shape: [B, M, N] };
    },
    vjp: (g, [a, b]) => [matmul(g, transpose(b!)), matmul(transpose(a!), g)],
  },
});

/** `a[..., M, K] @ b[..., K, N]` with broadcast batch axes. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertShape(a.ndim >= 2 && b.ndim >= 2, 'matmul', `needs at least 2-d inputs, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const [M, K] = a.shape.slice(-2) as [number, number];
  const [K2, N] = b.shape.slice(-2) as [number, number];
  assertShape(K === K2, 'matmul', `inner sizes differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const B = sizeOf(batch);
  const a3 = reshape(broadcastTo(a, [...batch, M, K]), [B, M, K]);
  const b3 = reshape(broadcastTo(b, [...batch, K, N]), [B, K, N]);
  return reshape(apply(matmulRules.matmul, [a3, b3], {}), [...batch, M, N]);
}
