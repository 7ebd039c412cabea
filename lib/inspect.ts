/**
 * One image's whole EPS++ step as labelled tiles, for panels (`epsx inspect`, run reports):
 * image | saliency | P_c of each present class | M_fg | PAMR-refined M_r | inconsistent region N |
 * pseudo-mask | ground truth. The maps live at the classifier's map resolution; they are
 * upscaled (nearest) to the image size so every tile lines up pixel for pixel.
 */
import { noGrad } from './core/autograd.js';
import type { Sample } from './data/sample.js';
import { DropScore, type DropSummary } from './metrics.js';
import { irdMaps, type IrdOptions } from './losses/ird.js';
import { resizeToMap } from './losses/maps.js';
import { pseudoMask, type PseudoMaskOptions } from './pseudo.js';
import { Tensor } from './core/tensor.js';
import { classifierTrainDefaults } from './train/classifier.js';
import { binaryTile, imageTile, mapTile, maskTile, type LabelledTile } from './viz/tiles.js';
import { softmax } from '../ops/activation.js';
import { resizeNearest } from '../ops/resize.js';
import { slice } from '../ops/movement.js';
import type { Classifier } from '../models/classifier.js';

/** Options of inspectSample (all optional). */
export interface InspectOptions {
  /** How the classifier was trained: `cam` scores pseudo-mask classes with relu(Z). Default 'eps++'. */
  method?: 'cam' | 'eps' | 'eps++';
  /**
   * PAMR of M_r, as in the IRD loss. Defaults: the classifier training defaults (dilations [1,2,3,6] at
   * the map resolution, 10 iterations), so the N shown is the N training dropped.
   */
  pamrDilations?: number[];
  pamrIterations?: number;
  /** Pseudo-mask settings (scales, flip, threshold, pamr); `method` above wins. */
  pseudo?: PseudoMaskOptions;
}

/** One sample's EPS++ step as labelled tiles at image size (image, saliency, P_c, M_fg, M_r, N, pseudo-mask, truth). */
export interface Inspection {
  tiles: LabelledTile[];
  /** The image's pseudo-mask [H,W]. */
  pseudo: Uint8Array;
  /** Share of map pixels IRD drops from the saliency loss (mean of N). */
  dropped: number;
}

/** [n,K,h,w] -> [n,K,H,W] by nearest neighbour (keeps the map's blocks: each map pixel covers its image pixels). */
function toImageSize(x: Tensor, H: number, W: number): Float32Array {
  const up = x.shape[2] === H && x.shape[3] === W ? x : resizeNearest(x, [H, W]);
  return Float32Array.from(up.data);
}

/** Compute the tiles of one sample; `classes[c-1]` names class c. The model is left in its mode. */
export function inspectSample(model: Classifier, sample: Sample, classes: readonly string[], opts: InspectOptions = {}): Inspection {
  const { height: H, width: W } = sample;
  const C = model.config.numClasses;
  // Not PAMR's own defaults: those are image-pixel dilations, and M_r lives at the map resolution.
  const ird: IrdOptions = {
    dilations: opts.pamrDilations ?? classifierTrainDefaults.pamrDilations,
    iterations: opts.pamrIterations ?? classifierTrainDefaults.pamrIterations,
  };
  const y = new Float32Array(C);
  for (const c of sample.labels) y[c - 1] = 1;

  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const image = new Tensor(sample.image, [1, 3, H, W]);
      const z = model.forward(image).maps;
      const size: [number, number] = [z.shape[2]!, z.shape[3]!];
      const saliency = new Tensor(sample.saliency, [1, 1, H, W]);
      const maps = irdMaps(z, new Tensor(y, [1, C]), resizeToMap(saliency, size), resizeToMap(image, size), ird);
      const P = softmax(z, 1);
      const pseudo = pseudoMask((x) => model.forward(x).maps, image, y, { ...opts.pseudo, method: opts.method ?? 'eps++' }).mask;

      const tiles: LabelledTile[] = [
        { label: 'image', tile: imageTile(sample.image, H, W) },
        { label: 'saliency', tile: mapTile(sample.saliency, H, W) },
        ...sample.labels.map((c) => ({ label: `P ${classes[c - 1] ?? `class${c}`}`, tile: mapTile(toImageSize(slice(P, 1, c, c + 1), H, W), H, W) })),
        { label: 'M_fg', tile: mapTile(toImageSize(maps.mFg, H, W), H, W) },
        { label: 'M_r (PAMR)', tile: mapTile(toImageSize(maps.mR, H, W), H, W) },
        { label: 'N (dropped)', tile: binaryTile(toImageSize(maps.inconsistent, H, W), H, W) },
        { label: 'pseudo-mask', tile: maskTile(pseudo, H, W) },
      ];
      if (sample.mask) tiles.push({ label: 'ground truth', tile: maskTile(sample.mask, H, W) });
      const N = maps.inconsistent.data;
      let dropped = 0;
      for (let i = 0; i < N.length; i++) dropped += N[i]!;
      return { tiles, pseudo, dropped: dropped / N.length };
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * What the IRD would drop with this classifier's maps (eval mode), scored against the injected
 * saliency errors of synthetic samples: N at the map resolution, brought to the image size by
 * nearest neighbour (each map pixel stands for the image pixels it covers). Samples without an
 * error record are skipped; null when none has one.
 */
export function irdDropScore(model: Classifier, samples: readonly Sample[], opts: Pick<InspectOptions, 'pamrDilations' | 'pamrIterations'> = {}): DropSummary | null {
  const ird: IrdOptions = {
    dilations: opts.pamrDilations ?? classifierTrainDefaults.pamrDilations,
    iterations: opts.pamrIterations ?? classifierTrainDefaults.pamrIterations,
  };
  const C = model.config.numClasses;
  const score = new DropScore();
  const withErrors = samples.filter((s) => s.errors?.pixels);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      // Runs of up to 8 same-size images go through the model together (eval mode: the same maps as one by one).
      for (let i = 0; i < withErrors.length; ) {
        const { height: H, width: W } = withErrors[i]!;
        let j = i;
        while (j < withErrors.length && j - i < 8 && withErrors[j]!.height === H && withErrors[j]!.width === W) j++;
        const group = withErrors.slice(i, j);
        i = j;
        const n = group.length;
        const stack = (k: number, get: (s: Sample) => ArrayLike<number>) => {
          const out = new Float32Array(n * k * H * W);
          group.forEach((s, g) => out.set(get(s), g * k * H * W));
          return new Tensor(out, [n, k, H, W]);
        };
        const image = stack(3, (s) => s.image);
        const z = model.forward(image).maps;
        const size: [number, number] = [z.shape[2]!, z.shape[3]!];
        const y = new Float32Array(n * C);
        group.forEach((s, g) => s.labels.forEach((c) => (y[g * C + c - 1] = 1)));
        const { inconsistent } = irdMaps(z, new Tensor(y, [n, C]), resizeToMap(stack(1, (s) => s.saliency), size), resizeToMap(image, size), ird);
        const dropped = toImageSize(inconsistent, H, W);
        group.forEach((s, g) => score.add(dropped.subarray(g * H * W, (g + 1) * H * W), s.errors!.pixels!, s.mask));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return withErrors.length > 0 ? score.summary() : null;
}
