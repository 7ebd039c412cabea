import jpeg from 'jpeg-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeJpegRgb, readJpegHeader } from '../../lib/data/index.js';
import { throwsUserError } from './helpers.js';

/** A 24x16 JPEG of a smooth colour ramp (smooth, so quality-95 decoding is close). */
function rampJpeg(): { bytes: Uint8Array; rgba: Uint8Array } {
  const width = 24, height = 16;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([x * 10, y * 15, 128, 255], 4 * (y * width + x));
  return { bytes: jpeg.encode({ width, height, data: rgba }, 95).data, rgba };
}

/** Offset of the SOF0 segment's height field. */
function sofSizeOffset(bytes: Uint8Array): number {
  for (let i = 2; i < bytes.length - 1; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) return i + 5;
  throw new Error('no SOF0');
}

test('JPEG decodes to RGB close to the source', () => {
  const { bytes, rgba } = rampJpeg();
  assert.equal(readJpegHeader(bytes, 'a.jpg'), { width: 24, height: 16 });
  const { width, height, data } = decodeJpegRgb(bytes, 'a.jpg');
  assert.equal([width, height, data.length], [24, 16, 24 * 16 * 3]);
  let worst = 0;
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[3 * p + c] - rgba[4 * p + c]));
  assert.ok(worst <= 12, `max error ${worst}`);
});

test('truncated or corrupt JPEGs give one-line UserErrors naming the file', () => {
  const { bytes } = rampJpeg();
  throwsUserError(() => decodeJpegRgb(Uint8Array.from([0x89, 0x50]), 'a.jpg'), 'a.jpg', 'not a JPEG');
  for (const cut of [3, 30, 150, bytes.length - 40, bytes.length - 2]) throwsUserError(() => decodeJpegRgb(bytes.subarray(0, cut), 'a.jpg'), 'a.jpg', 'truncated');
  const garbled = bytes.slice();
  garbled.fill(0x00, 20, 200); // headers and tables destroyed, end marker intact
  throwsUserError(() => decodeJpegRgb(garbled, 'a.jpg'), 'a.jpg', 'corrupt');
});

test('oversized JPEG frame header is refused before decoding', () => {
  const huge = rampJpeg().bytes.slice();
  const at = sofSizeOffset(huge);
  huge.set([0xea, 0x60, 0xea, 0x60], at); // 60000 x 60000
  throwsUserError(() => decodeJpegRgb(huge, 'big.jpg'), 'big.jpg', '60000x60000', 'exceeds');
});

test.run();
