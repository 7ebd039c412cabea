import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_IMAGE_PIXELS,
  VOC_PALETTE,
  decodePngGrey,
  decodePngLabels,
  decodePngRgb,
  encodePalettePng,
  encodePngGrey,
  encodePngRgb,
  readPngHeader,
} from '../../lib/data/index.js';
import { assemblePng, encodePngChunk, ihdrData } from '../../lib/data/png-chunks.js';
import { throwsUserError } from './helpers.js';

const size = fc.record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }) });
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

test('VOC palette: known entries and all 256 colours distinct', () => {
  assert.equal([...VOC_PALETTE.subarray(0, 9)], [0, 0, 0, 128, 0, 0, 0, 128, 0]);
  assert.equal([...VOC_PALETTE.subarray(15 * 3, 16 * 3)], [192, 128, 128]); // person
  assert.equal([...VOC_PALETTE.subarray(255 * 3)], [224, 224, 192]); // ignore
  const colours = new Set(Array.from({ length: 256 }, (_, i) => VOC_PALETTE.subarray(3 * i, 3 * i + 3).join(',')));
  assert.is(colours.size, 256);
});

test('palette PNG: indices round-trip exactly, header says colour type 3, colours are the VOC map', () => {
  fc.assert(
    fc.property(size.chain((s) => fc.tuple(fc.constant(s), bytesOf(s.width * s.height))), ([{ width, height }, indices]) => {
      const png = encodePalettePng(width, height, indices);
      const header = readPngHeader(png, 'x.png');
      assert.equal([header.colorType, header.bitDepth, header.width, header.height], [3, 8, width, height]);
      assert.equal(decodePngLabels(png, 'x.png').data, indices);
      const rgb = decodePngRgb(png, 'x.png').data; // pngjs reads it as a standard palette PNG
      for (let p = 0; p < indices.length; p++) assert.equal([...rgb.subarray(3 * p, 3 * p + 3)], [...VOC_PALETTE.subarray(3 * indices[p], 3 * indices[p] + 3)]);
    }),
    { numRuns: 60 },
  );
});

test('RGB and grey PNG round-trip', () => {
  fc.assert(
    fc.property(size.chain((s) => fc.tuple(fc.constant(s), bytesOf(3 * s.width * s.height))), ([{ width, height }, rgb]) => {
      assert.equal(decodePngRgb(encodePngRgb(width, height, rgb), 'x.png').data, rgb);
      const grey = rgb.subarray(0, width * height);
      assert.equal(decodePngGrey(encodePngGrey(width, height, grey), 'x.png').data, grey);
      assert.equal(decodePngLabels(encodePngGrey(width, height, grey), 'x.png').data, grey); // grey masks: levels are labels
    }),
    { numRuns: 60 },
  );
});

/** A hand-built non-interlaced single-sample PNG with filtered rows (exercises all five filters). */
function handMadePng(width: number, height: number, bitDepth: number, colorType: number, rows: number[][]): Uint8Array {
  const chunks = [encodePngChunk('IHDR', ihdrData(width, height, bitDepth, colorType))];
  if (colorType === 3) chunks.push(encodePngChunk('PLTE', VOC_PALETTE));
  chunks.push(encodePngChunk('IDAT', deflateSync(Uint8Array.from(rows.flat()))), encodePngChunk('IEND', new Uint8Array(0)));
  return assemblePng(chunks);
}

test('label PNG decoder: sub-byte depths and every filter type', () => {
  // 2-bit palette, width 5: row bytes = 2; pixels 0,1,2,3,1 -> 0b00011011, 0b01000000
  const twoBit = handMadePng(5, 1, 2, 3, [[0, 0b00011011, 0b01000000]]);
  assert.equal([...decodePngLabels(twoBit, 'x.png').data], [0, 1, 2, 3, 1]);
  // 8-bit grey, 3x5 rows with filters None, Sub, Up, Average, Paeth applied to known values
  const values = [
    [10, 20, 30],
    [11, 25, 255],
    [0, 7, 9],
    [100, 100, 100],
    [3, 2, 1],
  ];
  const rows: number[][] = [];
  values.forEach((row, y) => {
    const filter = y;
    const prev = y > 0 ? values[y - 1] : [0, 0, 0];
    rows.push([filter, ...row.map((v, x) => {
      const a = x > 0 ? row[x - 1] : 0, b = prev[x], c = x > 0 ? prev[x - 1] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      return (v - predictor) & 0xff;
    })]);
  });
  assert.equal([...decodePngLabels(handMadePng(3, 5, 8, 0, rows), 'x.png').data], values.flat());
});

test('interlaced palette PNGs give their indices too', () => {
  // 2x1 Adam7: pixel (0,0) is in pass 1, pixel (0,1) in pass 6; each pass row = filter byte + index
  const ihdr = ihdrData(2, 1, 8, 3);
  ihdr[12] = 1;
  const png = assemblePng([
    encodePngChunk('IHDR', ihdr),
    encodePngChunk('PLTE', VOC_PALETTE),
    encodePngChunk('IDAT', deflateSync(Uint8Array.from([0, 5, 0, 200]))),
    encodePngChunk('IEND', new Uint8Array(0)),
  ]);
  assert.equal([...decodePngLabels(png, 'x.png').data], [5, 200]);
});

test('label PNG: RGB masks are refused with the file name', () => {
  throwsUserError(() => decodePngLabels(encodePngRgb(2, 2, new Uint8Array(12)), 'SegmentationClass/a.png'), 'SegmentationClass/a.png', 'palette or grey', 'RGB');
});

test('bad PNGs: signature, truncation, CRC, inflate', () => {
  const good = encodePalettePng(8, 8, new Uint8Array(64).fill(3));
  const rgb = encodePngRgb(8, 8, Uint8Array.from({ length: 192 }, (_, i) => i));
  throwsUserError(() => decodePngLabels(Uint8Array.from([1, 2, 3]), 'm.png'), 'm.png', 'not a PNG');
  throwsUserError(() => decodePngLabels(good.subarray(0, 20), 'm.png'), 'm.png', 'truncated');
  for (const cut of [40, 60, -30, -5]) {
    throwsUserError(() => decodePngLabels(good.subarray(0, cut < 0 ? good.length + cut : cut), 'm.png'), 'm.png', 'truncated');
    throwsUserError(() => decodePngRgb(rgb.subarray(0, cut < 0 ? rgb.length + cut : cut), 'i.png'), 'i.png', 'truncated');
  }
  const flipped = good.slice();
  flipped[good.length - 20] ^= 0xff; // inside IDAT: CRC no longer matches
  throwsUserError(() => decodePngLabels(flipped, 'm.png'), 'm.png', 'CRC');
  throwsUserError(() => decodePngRgb(flipped, 'i.png'), 'i.png', 'corrupt');
});

test('oversized PNG header is refused before decoding', () => {
  const huge = assemblePng([encodePngChunk('IHDR', ihdrData(100_000, 100_000, 8, 2)), encodePngChunk('IEND', new Uint8Array(0))]);
  for (const decode of [decodePngRgb, decodePngGrey, decodePngLabels]) throwsUserError(() => decode(huge, 'big.png'), 'big.png', '100000x100000', String(MAX_IMAGE_PIXELS));
  const zero = assemblePng([encodePngChunk('IHDR', ihdrData(0, 5, 8, 0)), encodePngChunk('IEND', new Uint8Array(0))]);
  throwsUserError(() => decodePngGrey(zero, 'z.png'), 'z.png', 'invalid image size');
});

test.run();
