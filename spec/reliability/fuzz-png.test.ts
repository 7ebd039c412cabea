/**
 * Fuzzing the PNG readers (lib/data/png.ts, png-chunks.ts, png-palette.ts): random bytes and
 * mutated valid files - bit flips, truncation, chunk lengths and image sizes set huge, chunks
 * dropped or cut short, damaged image data behind valid CRCs - always give a one-line
 * UserError or a valid image, quickly and without allocating the forged size.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePngGrey, decodePngLabels, decodePngRgb } from '../../lib/data/index.js';
import { assertPeakMemory, clean, mutations, randomBytes, runs, seen } from './fuzz.js';
import { CHANNELS, chunkEdits, dataFlips, encodePng, headerEdits, lengthEdits, pngSpecArb, type PngSpec } from './png-files.js';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ramp = (n: number, max: number) => Array.from({ length: n }, (_, i) => (i * 37) % (max + 1));
const spec = (colorType: number, bitDepth: number, interlaced = false): PngSpec => {
  const width = 13, height = 9;
  return { width, height, colorType, bitDepth, interlaced, samples: ramp(width * height * CHANNELS[colorType]!, 2 ** bitDepth - 1) };
};

/** Valid files of the kinds datasets hold (RGB, grey, palette) and the rarer ones. */
const bases: Array<[string, Uint8Array]> = [
  ['rgb8', encodePng(spec(2, 8))],
  ['grey8', encodePng(spec(0, 8))],
  ['palette8', encodePng(spec(3, 8))],
  ['palette2-interlaced', encodePng(spec(3, 2, true))],
  ['grey1', encodePng(spec(0, 1))],
  ['grey16-interlaced', encodePng(spec(0, 16, true))],
  ['rgba8-interlaced', encodePng(spec(6, 8, true))],
];

/** Every PNG reader must fail cleanly on its own. */
const readAll = clean(
  (b: Uint8Array) => decodePngRgb(b, 'fuzz.png'),
  (b: Uint8Array) => decodePngGrey(b, 'fuzz.png'),
  (b: Uint8Array) => decodePngLabels(b, 'fuzz.png'),
);

test('valid PNGs of every colour type, depth and interlacing still decode exactly', () => {
  fc.assert(
    fc.property(pngSpecArb(), (s) => {
      const png = encodePng(s);
      const ch = CHANNELS[s.colorType]!;
      if (s.colorType === 0 || s.colorType === 3) {
        const fits = s.samples.every((v) => v <= 255);
        if (fits) assert.equal([...decodePngLabels(png, 'x.png').data], s.samples);
      }
      if (s.bitDepth === 8 && (s.colorType === 2 || s.colorType === 6)) {
        const rgb = decodePngRgb(png, 'x.png').data;
        for (let p = 0; p < s.width * s.height; p++) assert.equal([...rgb.subarray(3 * p, 3 * p + 3)], s.samples.slice(p * ch, p * ch + 3));
      }
      if (s.bitDepth === 8 && s.colorType === 4) assert.equal([...decodePngGrey(png, 'x.png').data], s.samples.filter((_, i) => i % 2 === 0));
      decodePngRgb(png, 'x.png'); // any valid file decodes
    }),
    runs(150),
  );
});

test('random bytes, with and without the PNG signature', () => {
  fc.assert(fc.property(randomBytes(SIGNATURE), readAll), runs(300));
});

test('bit flips, truncation, overwrites and splices of valid files', () => {
  for (const [, base] of bases) fc.assert(fc.property(mutations(base), readAll), runs(120));
});

test('IHDR sizes, depths and colour types forged (CRC fixed): refused before the image is allocated', () => {
  for (const [, base] of bases) fc.assert(fc.property(headerEdits(base), readAll), runs(80));
  assert.ok(seen(/truncated PNG \(image data holds # of # bytes\)/) > 0, 'forged sizes reach the image-data check');
});

test('chunk length fields set huge or small', () => {
  for (const [, base] of bases) fc.assert(fc.property(lengthEdits(base), readAll), runs(60));
});

test('damaged chunk data behind valid CRCs; chunks dropped, duplicated, moved or cut short', () => {
  for (const [, base] of bases) {
    fc.assert(fc.property(dataFlips(base), readAll), runs(80));
    fc.assert(fc.property(chunkEdits(base), readAll), runs(60));
  }
  assert.ok(seen(/inflate|unknown filter|image data/) > 0, 'damage reaches inflate and unfiltering');
  assert.ok(seen(/^ok$/) > 0, 'some damaged files are still valid images');
});

test('peak memory stayed bounded', assertPeakMemory);

test.run();
