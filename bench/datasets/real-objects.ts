/**
 * A VOC-layout dataset of real photographed objects, for measuring the recipe on images nobody
 * here designed. Objects are Tux Paint's photo stamps (Debian `tuxpaint-stamps-default`: real
 * photographs cut out with an alpha channel, so the alpha gives the true mask); backgrounds are
 * random crops of Tux Paint's photographic templates (`tuxpaint-data`: bark, rock, sea, forest).
 * Each image gets 1-3 objects of 6 classes, tinted, at random scale and position, plus real
 * objects of other kinds (insects, tools, nuts, cars, ...) that are background in the truth.
 * Object instances (stamps) are split between train and val, so val shows unseen objects.
 *
 * Saliency carries a real detector's systematic errors, each pixel recorded with its type:
 * per-class miss rates (some classes are seldom salient), the lower part of objects missed
 * (legs, stems, the side resting on the ground), distractor objects salient most of the time.
 *
 *   apt-get install tuxpaint-stamps-default tuxpaint-data
 *   node --import tsx bench/datasets/real-objects.ts --out data/real
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { UserError } from '../../lib/core/errors.js';
import { gaussianBlur } from '../../lib/data/blur.js';
import { readImageFile } from '../../lib/data/image-file.js';
import { chance, intIn, mixSeed, pick } from '../../lib/data/sampling.js';
import { SaliencyErrorType, labelsOfMask, type Dataset, type InjectedErrors, type Sample, type Split } from '../../lib/data/sample.js';
import { writeVocDataset } from '../../lib/data/voc-writer.js';
import { Rng } from '../../lib/core/random.js';

/** An object cut-out: premultiplied RGB and alpha, [H,W] planes in [0,1]. */
export interface Cutout {
  name: string;
  height: number;
  width: number;
  rgb: Float32Array; // [3,H,W], premultiplied by alpha
  alpha: Float32Array; // [H,W]
}

/** A background photo, RGB [3,H,W] in [0,1]. */
export interface Photo {
  name: string;
  height: number;
  width: number;
  rgb: Float32Array;
}

/** Everything a scene is drawn from: per class the train and val cut-outs, distractors, backgrounds. */
export interface Sources {
  classes: string[];
  objects: Record<Split, Cutout[][]>; // [class index 0..C-1] -> cut-outs
  distractors: Cutout[];
  backgrounds: Photo[];
}

/** The error model's rates (see the file comment). */
export interface ErrorRates {
  /** Per class (same order as Sources.classes): chance that the class is absent from the saliency map. */
  missingClass: number[];
  /** Per object: chance that its lower part is absent. */
  missingPart: number;
  /** Per distractor: chance that it is salient. */
  salientDistractor: number;
}

/** Class name -> stamp folders (relative to the stamps root). */
export const CLASS_FOLDERS: Record<string, string[]> = {
  bird: ['animals/birds'],
  mammal: ['animals/mammals', 'animals/marsupials'],
  'sea animal': ['animals/fish', 'animals/shellfish'],
  fruit: ['food/fruit'],
  vegetable: ['food/vegetables'],
  flower: ['plants/flowers'],
};

/** Real objects of other kinds: background in the truth, often salient. */
export const DISTRACTOR_FOLDERS = ['animals/insects', 'household/tools', 'food/nuts', 'plants/mushrooms', 'plants/trees', 'vehicles/auto', 'military/vehicles', 'household/dishes'];

/** Templates that show an object of a class (a sheep, jellyfish) are not background. */
const EXCLUDED_BACKGROUNDS = new Set(['sheep', 'jellyfish']);

/**
 * Systematic, like a detector trained elsewhere: sea animals and vegetables are seldom salient
 * (low contrast to water and foliage), the others now and then.
 */
export const defaultErrorRates: ErrorRates = {
  missingClass: [0.1, 0.05, 0.35, 0.05, 0.3, 0.1],
  missingPart: 0.3,
  salientDistractor: 0.6,
};

// ---------------------------------------------------------------- reading the package's files

/** Largest side a cut-out is kept at: objects are drawn at most ~0.8 x 64 px, so 96 leaves headroom. */
const CUTOUT_SIDE = 96;
/** Backgrounds are kept with this shorter side; crops of 0.4-1x of it are resized to the image. */
const BACKGROUND_SIDE = 160;

/** Box-filter downscale of [channels,H,W] planes to [channels,h,w] (area average: no aliasing). */
export function downscale(planes: Float32Array, channels: number, H: number, W: number, h: number, w: number): Float32Array {
  const out = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) {
      const y0 = Math.floor((y * H) / h), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / h));
      for (let x = 0; x < w; x++) {
        const x0 = Math.floor((x * W) / w), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / w));
        let s = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += planes[c * H * W + yy * W + xx]!;
        out[c * h * w + y * w + x] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}

/** A cut-out from RGBA bytes: cropped to its alpha's bounding box, premultiplied, longest side <= CUTOUT_SIDE. */
export function cutoutFromRgba(name: string, width: number, height: number, rgba: ArrayLike<number>): Cutout | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (rgba[4 * (y * width + x) + 3]! < 128) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (x1 < 0) return null;
  const W = x1 - x0 + 1, H = y1 - y0 + 1;
  const planes = new Float32Array(4 * H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = 4 * ((y + y0) * width + x + x0), a = rgba[i + 3]! / 255, p = y * W + x;
    for (let c = 0; c < 3; c++) planes[c * H * W + p] = (rgba[i + c]! / 255) * a;
    planes[3 * H * W + p] = a;
  }
  const s = Math.min(1, CUTOUT_SIDE / Math.max(H, W));
  const h = Math.max(1, Math.round(H * s)), w = Math.max(1, Math.round(W * s));
  const small = s < 1 ? downscale(planes, 4, H, W, h, w) : planes;
  return { name, height: h, width: w, rgb: small.slice(0, 3 * h * w), alpha: small.slice(3 * h * w) };
}

function listPngs(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (e) {
    throw new UserError(`stamps folder ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (install Debian's tuxpaint-stamps-default, or pass --stamps)`);
  }
  // Mirrored and flipped variants are the same photo.
  return names.filter((n) => n.endsWith('.png') && !/_(mirror|flip)\b/.test(n)).sort().map((n) => join(folder, n));
}

function readCutouts(root: string, folders: readonly string[]): Cutout[] {
  const out: Cutout[] = [];
  for (const folder of folders) {
    for (const file of listPngs(join(root, folder))) {
      let png: PNG;
      try {
        png = PNG.sync.read(readFileSync(file));
      } catch (e) {
        throw new UserError(`${file}: unreadable PNG (${(e as Error).message})`);
      }
      const cut = cutoutFromRgba(`${folder}/${file.slice(file.lastIndexOf('/') + 1, -4)}`, png.width, png.height, png.data);
      if (cut) out.push(cut);
    }
  }
  return out;
}

function readBackgrounds(folder: string): Photo[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  } catch (e) {
    throw new UserError(`templates folder ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (install Debian's tuxpaint-data, or pass --templates)`);
  }
  const photos = names.filter((n) => !EXCLUDED_BACKGROUNDS.has(n.replace(/\.[^.]+$/, ''))).map((n) => {
    const r = readImageFile(join(folder, n));
    const plane = r.width * r.height;
    const chw = new Float32Array(3 * plane);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) chw[c * plane + p] = r.data[3 * p + c]! / 255;
    const s = BACKGROUND_SIDE / Math.min(r.width, r.height);
    const h = Math.round(r.height * s), w = Math.round(r.width * s);
    return { name: n, height: h, width: w, rgb: s < 1 ? downscale(chw, 3, r.height, r.width, h, w) : chw };
  });
  if (photos.length === 0) throw new UserError(`templates folder ${folder}: no JPEG or PNG photographs`);
  return photos;
}

/**
 * Read the stamps and templates and split each class's cut-outs (seeded) into train and val:
 * about a quarter of the instances, at least one, are seen only in val.
 */
export function readSources(stampsRoot: string, templatesFolder: string, seed: number): Sources {
  const classes = Object.keys(CLASS_FOLDERS);
  const objects: Record<Split, Cutout[][]> = { train: [], val: [] };
  classes.forEach((name, c) => {
    const all = new Rng(mixSeed(seed, 0x5717, c)).shuffle(readCutouts(stampsRoot, CLASS_FOLDERS[name]!));
    if (all.length < 2) throw new UserError(`stamps folder ${stampsRoot}: class '${name}' needs at least 2 stamps in ${CLASS_FOLDERS[name]!.join(', ')}, found ${all.length}`);
    const nVal = Math.max(1, Math.round(all.length / 4));
    objects.val.push(all.slice(0, nVal));
    objects.train.push(all.slice(nVal));
  });
  return { classes, objects, distractors: readCutouts(stampsRoot, DISTRACTOR_FOLDERS), backgrounds: readBackgrounds(templatesFolder) };
}

// ---------------------------------------------------------------- drawing a scene

/** Bilinear sample of one plane at (y, x) in pixel-centre coordinates, 0 outside. */
function sample(plane: Float32Array, offset: number, H: number, W: number, y: number, x: number): number {
  const fy = Math.floor(y), fx = Math.floor(x), ty = y - fy, tx = x - fx;
  let s = 0;
  for (const [yy, wy] of [[fy, 1 - ty], [fy + 1, ty]] as const) {
    if (yy < 0 || yy >= H || wy === 0) continue;
    for (const [xx, wx] of [[fx, 1 - tx], [fx + 1, tx]] as const) if (xx >= 0 && xx < W && wx !== 0) s += wy * wx * plane[offset + yy * W + xx]!;
  }
  return s;
}

/** Where an object lands: its top-left corner, size in image pixels, and mirror flag. */
interface Placement { top: number; left: number; height: number; width: number; flip: boolean }

function place(cut: Cutout, size: number, longest: number, rng: Rng): Placement {
  const s = longest / Math.max(cut.height, cut.width);
  const height = Math.max(2, Math.round(cut.height * s)), width = Math.max(2, Math.round(cut.width * s));
  // Centre anywhere that keeps at least ~60% of the object inside the image.
  const top = Math.round(rng.uniform(-0.2 * height, size - 0.8 * height));
  const left = Math.round(rng.uniform(-0.2 * width, size - 0.8 * width));
  return { top, left, height, width, flip: rng.next() < 0.5 };
}

/**
 * Alpha-composite a tinted cut-out onto `image` [3,size,size]; returns its coverage [size*size]
 * (alpha at each image pixel, 0 outside).
 */
function composite(image: Float32Array, size: number, cut: Cutout, at: Placement, tint: number[]): Float32Array {
  const plane = size * size;
  const cover = new Float32Array(plane);
  const sy = cut.height / at.height, sx = cut.width / at.width;
  for (let y = Math.max(0, at.top); y < Math.min(size, at.top + at.height); y++) {
    for (let x = Math.max(0, at.left); x < Math.min(size, at.left + at.width); x++) {
      const v = (y - at.top + 0.5) * sy - 0.5;
      const u0 = (x - at.left + 0.5) * sx - 0.5;
      const u = at.flip ? cut.width - 1 - u0 : u0;
      const a = Math.min(1, sample(cut.alpha, 0, cut.height, cut.width, v, u));
      if (a <= 0) continue;
      const p = y * size + x;
      cover[p] = a;
      for (let c = 0; c < 3; c++) {
        const fg = Math.min(1, sample(cut.rgb, c * cut.height * cut.width, cut.height, cut.width, v, u) * tint[c]!);
        image[c * plane + p] = fg + (1 - a) * image[c * plane + p]!;
      }
    }
  }
  return cover;
}

/** A random crop of a random background photo, bilinearly resized to size x size. */
function background(photos: readonly Photo[], size: number, rng: Rng): Float32Array {
  const photo = pick(rng, photos);
  const crop = Math.round(Math.min(photo.height, photo.width) * rng.uniform(0.4, 1));
  const top = rng.int(photo.height - crop + 1), left = rng.int(photo.width - crop + 1);
  const flip = rng.next() < 0.5;
  const out = new Float32Array(3 * size * size);
  const s = crop / size;
  for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const u = (flip ? size - 1 - x : x) + 0.5;
    out[c * size * size + y * size + x] = sample(photo.rgb, c * photo.height * photo.width, photo.height, photo.width, top + (y + 0.5) * s - 0.5, left + u * s - 0.5);
  }
  return out;
}

/** Per-channel gains around `brightness`: the "tint" that moves colours off the photo's. */
function tintOf(rng: Rng, spread: number): number[] {
  const brightness = rng.uniform(0.75, 1.2);
  return [0, 1, 2].map(() => brightness * Math.exp(spread * rng.normal()));
}

/** What one drawn scene is: image, true mask, saliency with its error record. */
export interface Scene {
  image: Float32Array;
  mask: Uint8Array;
  saliency: Float32Array;
  errors: InjectedErrors;
}

/**
 * Draw one scene from `sources` (cut-outs of `split`): background, distractors behind, 1-3
 * objects, sometimes a distractor in front; then the saliency map with systematic errors.
 */
export function drawScene(sources: Sources, split: Split, size: number, rates: ErrorRates, rng: Rng): Scene {
  const plane = size * size;
  const image = background(sources.backgrounds, size, rng);
  for (let c = 0; c < 3; c++) {
    const gain = Math.exp(0.1 * rng.normal()); // the whole photo's white balance
    for (let p = 0; p < plane; p++) image[c * plane + p] = Math.min(1, image[c * plane + p]! * gain);
  }
  const mask = new Uint8Array(plane);
  const owner = new Int16Array(plane).fill(-1); // index into layers
  const layers: Array<{ cls: number; at: Placement }> = []; // cls 0: distractor

  const draw = (cut: Cutout, cls: number, longest: number) => {
    const at = place(cut, size, longest, rng);
    const cover = composite(image, size, cut, at, tintOf(rng, cls === 0 ? 0.1 : 0.12));
    const k = layers.push({ cls, at }) - 1;
    for (let p = 0; p < plane; p++) if (cover[p]! >= 0.5) { mask[p] = cls; owner[p] = k; }
  };

  const nDistractors = intIn(rng, 0, 2);
  const inFront = nDistractors > 0 && chance(rng, 0.3) ? 1 : 0;
  for (let i = 0; i < nDistractors - inFront; i++) draw(pick(rng, sources.distractors), 0, size * rng.uniform(0.25, 0.55));
  const nObjects = chance(rng, 0.45) ? 1 : chance(rng, 0.7) ? 2 : 3;
  const C = sources.classes.length;
  const drawn: number[] = [];
  for (let i = 0; i < nObjects; i++) {
    const cls = drawn.length > 0 && chance(rng, 0.4) ? pick(rng, drawn) : 1 + rng.int(C);
    drawn.push(cls);
    const longest = size * (nObjects === 1 ? rng.uniform(0.45, 0.85) : rng.uniform(0.35, 0.65));
    draw(pick(rng, sources.objects[split][cls - 1]!), cls, longest);
  }
  for (let i = 0; i < inFront; i++) draw(pick(rng, sources.distractors), 0, size * rng.uniform(0.2, 0.4));

  const { saliency, errors } = corruptSaliency(mask, owner, layers, size, rates, rng);
  return { image, mask, saliency, errors };
}

/**
 * The saliency map: the true foreground with the systematic errors of `rates`, every
 * corrupted pixel recorded with its type, then soft edges and mild noise.
 */
function corruptSaliency(mask: Uint8Array, owner: Int16Array, layers: ReadonlyArray<{ cls: number; at: Placement }>, size: number, rates: ErrorRates, rng: Rng): { saliency: Float32Array; errors: InjectedErrors } {
  const plane = size * size;
  const salient = Uint8Array.from(mask, (m) => (m > 0 ? 1 : 0));
  const pixels = new Uint8Array(plane);
  const objects = layers.map((l, k) => ({ ...l, k })).filter((l) => l.cls > 0);
  const errors: InjectedErrors = { objectClasses: objects.map((o) => o.cls), missingClasses: [], partialObjects: [], falsePatches: 0, pixels };

  for (const cls of labelsOfMask(mask)) {
    if (!chance(rng, rates.missingClass[cls - 1] ?? 0)) continue;
    errors.missingClasses.push(cls);
    for (let p = 0; p < plane; p++) if (mask[p] === cls) { salient[p] = 0; pixels[p] = SaliencyErrorType.missingClass; }
  }
  objects.forEach((o, i) => {
    if (errors.missingClasses.includes(o.cls) || !chance(rng, rates.missingPart)) return;
    // The lower part of the object (legs, stem, the side on the ground) is missed.
    const cut = o.at.top + o.at.height * rng.uniform(0.5, 0.75);
    let removed = 0;
    for (let p = 0; p < plane; p++) {
      if (owner[p] !== o.k || mask[p] !== o.cls || Math.floor(p / size) + 0.5 < cut) continue;
      salient[p] = 0; pixels[p] = SaliencyErrorType.missingPart; removed++;
    }
    if (removed > 0) errors.partialObjects.push(i);
  });
  layers.forEach((l, k) => {
    if (l.cls !== 0 || !chance(rng, rates.salientDistractor)) return;
    let added = 0;
    for (let p = 0; p < plane; p++) if (owner[p] === k && mask[p] === 0) { salient[p] = 1; pixels[p] = SaliencyErrorType.falseCoverage; added++; }
    if (added > 0) errors.falsePatches++;
  });

  const soft = gaussianBlur(Float32Array.from(salient), size, size, size / 64);
  for (let p = 0; p < plane; p++) soft[p] = Math.min(1, Math.max(0, soft[p]! + 0.04 * rng.normal()));
  return { saliency: soft, errors };
}

/** The dataset as a lazy `Dataset`: image i of a split is drawn from its own seed stream. */
export function realObjectsDataset(sources: Sources, o: { train: number; val: number; size: number; seed: number; rates?: ErrorRates }): Dataset {
  const rates = o.rates ?? defaultErrorRates;
  const ids = { train: Array.from({ length: o.train }, (_, i) => `train_${String(i).padStart(4, '0')}`), val: Array.from({ length: o.val }, (_, i) => `val_${String(i).padStart(4, '0')}`) };
  return {
    classes: sources.classes,
    ids: (split) => ids[split].slice(),
    load(id: string): Sample {
      const m = /^(train|val)_(\d{4})$/.exec(id);
      const split = m?.[1] as Split | undefined;
      if (!m || !split || Number(m[2]) >= o[split]) throw new UserError(`unknown image id "${id}"`);
      const scene = drawScene(sources, split, o.size, rates, new Rng(mixSeed(o.seed, split === 'train' ? 1 : 2, Number(m[2]))));
      return { id, height: o.size, width: o.size, image: scene.image, saliency: scene.saliency, mask: scene.mask, labels: labelsOfMask(scene.mask), errors: scene.errors };
    },
  };
}

// ---------------------------------------------------------------- command line

const USAGE = 'usage: node --import tsx bench/datasets/real-objects.ts --out DIR [--train 600] [--val 150] [--size 64] [--seed 0] [--stamps DIR] [--templates DIR]';

function intOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new UserError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return v;
}

function main(argv: string[]): void {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, stamps: { type: 'string' }, templates: { type: 'string' } } }));
  } catch (e) {
    throw new UserError(`${(e as Error).message} (${USAGE})`);
  }
  if (!values.out) throw new UserError(`--out DIR is required (${USAGE})`);
  const o = { train: intOption(values, 'train', 600, 1), val: intOption(values, 'val', 150, 1), size: intOption(values, 'size', 64, 16), seed: intOption(values, 'seed', 0, 0) };
  const stamps = values.stamps ?? '/usr/share/tuxpaint/stamps';
  const templates = values.templates ?? '/usr/share/tuxpaint/templates';
  try {
    if (statSync(values.out).isFile()) throw new UserError(`--out ${values.out}: is a file, not a folder`);
  } catch (e) {
    if (e instanceof UserError) throw e; // a missing folder is created by the writer
  }
  const sources = readSources(stamps, templates, o.seed);
  const data = realObjectsDataset(sources, o);
  const pixels = new Float64Array(sources.classes.length + 1);
  const types = new Float64Array(4);
  writeVocDataset(values.out, data, {
    generator: { ...o, missingPart: defaultErrorRates.missingPart, salientDistractor: defaultErrorRates.salientDistractor },
    onSample: (s) => {
      for (const m of s.mask!) pixels[m]!++;
      for (const t of s.errors!.pixels!) types[t]!++;
    },
  });
  const total = pixels.reduce((a, b) => a + b, 0);
  const counts = sources.classes.map((c, i) => `${c} ${sources.objects.train[i]!.length}/${sources.objects.val[i]!.length}`).join(', ');
  console.log(`wrote ${o.train} train + ${o.val} val images (${o.size}x${o.size}) to ${values.out}`);
  console.log(`cut-outs train/val: ${counts}; ${sources.distractors.length} distractors; ${sources.backgrounds.length} backgrounds`);
  console.log(`pixel share: background ${(pixels[0]! / total).toFixed(3)}, ${sources.classes.map((c, i) => `${c} ${(pixels[i + 1]! / total).toFixed(3)}`).join(', ')}`);
  console.log(`saliency errors (share of pixels): missing class ${(types[1]! / total).toFixed(3)}, missing part ${(types[2]! / total).toFixed(3)}, false coverage ${(types[3]! / total).toFixed(3)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    console.error(`error: ${e.message}`);
    process.exitCode = 2;
  }
}
