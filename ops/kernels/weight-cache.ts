/**
 * Packed weights computed once per weight change, not once per call. Optimisers and
 * loadStateDict write parameters in place, so a cache keyed on the array's identity alone
 * would go stale; each entry keeps a bitwise snapshot of the weights it was packed from
 * and is reused only while the weights are unchanged. The check is one sequential pass
 * (cheaper than the strided repack), and needs no hook in the code that writes weights.
 * Packed arrays are frozen (program.ts), so kernels keep them loaded across calls.
 */
import type { DataArray } from '../../lib/core/precision.js';
import { freeze } from './program.js';

interface Entry { snap: Int32Array; packed: Float32Array[] }

const cache = new WeakMap<DataArray, Map<string, Entry>>();

/** Weight packs built so far (lets specs check reuse and invalidation). */
export let weightPacks = 0;

function same(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `pack(w)` for weights `w`, reused while w's contents are bit-identical; `kind` names the layout. */
export function packedWeights(w: DataArray, kind: string, pack: () => Float32Array[]): Float32Array[] {
  weightPacks++;
  if (!(w instanceof Float32Array)) return pack();
  const bits = new Int32Array(w.buffer, w.byteOffset, w.length);
  let byKind = cache.get(w);
  const hit = byKind?.get(kind);
  if (hit !== undefined && same(hit.snap, bits)) {
    weightPacks--;
    return hit.packed;
  }
  const packed = pack();
  packed.forEach(freeze); // never written again: kernel modules holding them skip the copy
  if (hit !== undefined && hit.snap.length === bits.length) {
    // weights changed in place (an optimiser step): refresh the snapshot, no new array
    hit.snap.set(bits);
    hit.packed = packed;
    return packed;
  }
  if (byKind === undefined) cache.set(w, (byKind = new Map()));
  byKind.set(kind, { snap: bits.slice(), packed });
  return packed;
}
