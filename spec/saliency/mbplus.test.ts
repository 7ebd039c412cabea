import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../lib/core/random.js';
import { backgroundness, fastMbd, mbPlusSaliency, medianFilter, rgbToLab } from '../../lib/saliency/mbplus.js';
import { dilate, erode, reconstruct } from '../../lib/saliency/morphology.js';

const grid = fc.record({ height: fc.integer({ min: 1, max: 9 }), width: fc.integer({ min: 1, max: 9 }), seed: fc.nat() });
const randomMap = (n: number, seed: number, levels = 0) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(rng.next() * levels) : rng.next()));
};
const neighbours8 = (p: number, height: number, width: number) => {
  const x = p % width, y = (p - x) / width, out: number[] = [];
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    if ((dx || dy) && x + dx >= 0 && y + dy >= 0 && x + dx < width && y + dy < height) out.push((y + dy) * width + x + dx);
  }
  return out;
};

/** An image of `background` with a `fill` rectangle [x0,x1) x [y0,y1), CHW in [0,1]. */
function squareImage(height: number, width: number, background: number[], fill: number[], [x0, x1, y0, y1]: number[]): Float32Array {
  const plane = height * width, image = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    const x = p % width, y = (p - x) / width, inside = x >= x0 && x < x1 && y >= y0 && y < y1;
    for (let c = 0; c < 3; c++) image[c * plane + p] = inside ? fill[c] : background[c];
  }
  return image;
}

test('a bright square on a uniform background is salient, the border is not', () => {
  const [H, W] = [40, 50], box = [18, 34, 12, 26];
  for (const [background, fill] of [[[0.3, 0.3, 0.3], [0.9, 0.9, 0.9]], [[0.8, 0.75, 0.7], [0.1, 0.2, 0.6]]]) {
    const map = mbPlusSaliency(squareImage(H, W, background, fill, box), H, W);
    assert.is(map.length, H * W);
    let inside = 0, n = 0;
    for (let p = 0; p < map.length; p++) {
      const x = p % W, y = (p - x) / W;
      assert.ok(map[p] >= 0 && map[p] <= 1);
      if (x >= box[0] + 1 && x < box[1] - 1 && y >= box[2] + 1 && y < box[3] - 1) { inside += map[p]; n++; }
      if (x === 0 || y === 0 || x === W - 1 || y === H - 1) assert.ok(map[p] < 0.05, `border (${x},${y}) = ${map[p]}`);
    }
    assert.ok(inside / n > 0.9, `square mean ${inside / n}`);
  }
  // Nothing to find: a uniform image gives an empty map, not noise stretched to [0,1].
  assert.ok(mbPlusSaliency(new Float32Array(3 * 20 * 30).fill(0.5), 20, 30).every((v) => v === 0));
});

/** Exact minimum barrier distance to the border by brute force: min over a lower level l of (min over paths through values >= l of the path maximum) - l. */
function exactMbd(values: Float32Array, height: number, width: number): Float64Array {
  const out = new Float64Array(values.length).fill(Infinity);
  for (const l of new Set(values)) {
    // Minimax path cost from the border through pixels >= l (Bellman-Ford style relaxation; tiny grids).
    const cost = Float64Array.from(values, (v, p) => {
      const x = p % width, y = (p - x) / width;
      return v >= l && (x === 0 || y === 0 || x === width - 1 || y === height - 1) ? v : Infinity;
    });
    for (let changed = true; changed; ) {
      changed = false;
      for (let p = 0; p < values.length; p++) {
        if (values[p] < l) continue;
        const x = p % width;
        for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width]) {
          if (q < 0 || q >= values.length) continue;
          const c = Math.max(cost[q], values[p]);
          if (c < cost[p]) { cost[p] = c; changed = true; }
        }
      }
    }
    for (let p = 0; p < values.length; p++) if (values[p] >= l) out[p] = Math.min(out[p], cost[p] - l);
  }
  return out;
}

test('FastMBD: zero on the border, never below the exact barrier distance, never above the value range; more passes never raise it', () => {
  fc.assert(
    fc.property(grid, fc.integer({ min: 2, max: 6 }), ({ height, width, seed }, levels) => {
      const values = randomMap(height * width, seed, levels);
      const fast = fastMbd(values, height, width, 3);
      const converged = fastMbd(values, height, width, 40);
      const exact = exactMbd(values, height, width);
      const range = Math.max(...values) - Math.min(...values);
      for (let p = 0; p < values.length; p++) {
        const x = p % width, y = (p - x) / width;
        if (x === 0 || y === 0 || x === width - 1 || y === height - 1) assert.is(fast[p], 0);
        assert.ok(fast[p] >= exact[p] - 1e-9 && fast[p] <= range + 1e-9, `pixel ${p}: fast ${fast[p]}, exact ${exact[p]}`);
        assert.ok(converged[p] <= fast[p]);
      }
    }),
    { numRuns: 150, seed: 3 },
  );
});

test('median filter equals the sorted middle of each clipped window', () => {
  fc.assert(
    fc.property(grid, fc.constantFrom(1, 3, 5, 7), ({ height, width, seed }, size) => {
      const values = randomMap(height * width, seed, 256);
      const got = medianFilter(values, height, width, size);
      const r = Math.floor(size / 2);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
        const window: number[] = [];
        for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) window.push(values[yy * width + xx]);
        window.sort((a, b) => a - b);
        assert.is(got[y * width + x], window[window.length >> 1], `(${x},${y})`);
      }
    }),
    { numRuns: 150, seed: 4 },
  );
});

test('reconstruction by dilation equals iterated geodesic dilation; erosion is the window minimum, dilation its dual', () => {
  fc.assert(
    fc.property(grid, fc.integer({ min: 1, max: 12 }), ({ height, width, seed }, size) => {
      const n = height * width, mask = randomMap(n, seed), marker = randomMap(n, seed + 1).map((v, p) => v * mask[p]);
      let want = Float32Array.from(marker);
      for (let changed = true; changed; ) {
        changed = false;
        want = want.map((v, p) => {
          const next = Math.min(mask[p], Math.max(v, ...neighbours8(p, height, width).map((q) => want[q])));
          if (next !== v) changed = true;
          return next;
        });
      }
      assert.equal(Array.from(reconstruct(marker, mask, height, width)), Array.from(want));
      const lo = erode(mask, height, width, size), hi = dilate(mask, height, width, size);
      const before = Math.floor((size - 1) / 2), after = size - 1 - before;
      for (let p = 0; p < n; p++) {
        const x = p % width, y = (p - x) / width;
        let min = Infinity;
        for (let yy = Math.max(0, y - before); yy <= Math.min(height - 1, y + after); yy++) for (let xx = Math.max(0, x - before); xx <= Math.min(width - 1, x + after); xx++) min = Math.min(min, mask[yy * width + xx]);
        assert.is(lo[p], min, `erosion at (${x},${y})`);
        assert.ok(lo[p] <= mask[p] && mask[p] <= hi[p]);
      }
      assert.equal(Array.from(dilate(mask.map((v) => -v), height, width, size)), Array.from(lo).map((v) => -v));
    }),
    { numRuns: 150, seed: 5 },
  );
});

test('Lab on the 8-bit scale: white, black and grey are achromatic; backgroundness is low on the border colour', () => {
  const lab = rgbToLab(Float32Array.from([1, 0, 0.5, 1, 0, 0.5, 1, 0, 0.5]), 3);
  assert.ok(Math.abs(lab[0] - 255) < 0.5 && Math.abs(lab[1]) < 0.5, `white L ${lab[0]}, black L ${lab[1]}`);
  for (let p = 0; p < 3; p++) assert.ok(Math.abs(lab[3 + p] - 128) < 0.5 && Math.abs(lab[6 + p] - 128) < 0.5);
  const [H, W] = [30, 30], image = squareImage(H, W, [0.2, 0.4, 0.2], [0.9, 0.1, 0.1], [10, 20, 10, 20]).map((v) => 255 * v);
  const b = backgroundness(image, H, W, 0.1, 50);
  assert.ok(b[15 * W + 15] > 0.9 && b[0] < 0.05 && b[5 * W + 5] < 0.05);
});

test.run();
