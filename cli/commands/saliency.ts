/**
 * `epsx saliency`: saliency maps for a dataset that has none, made by MB+ (minimum barrier
 * salient object detection, a classical unsupervised detector), as grey Saliency/<id>.png.
 */
import type { CAC } from 'cac';
import { SaliencyInterrupted, writeSaliencyMaps } from '../../lib/saliency/dataset.js';
import { formatSaliencyQuality } from '../../lib/saliency/quality.js';
import { catchingInterrupts, reportStopped, Stopped } from '../interrupt.js';
import { requireOption, stringOption } from '../options.js';
import { terminalProgress } from '../progress.js';

export function register(cli: CAC): void {
  cli
    .command('saliency', 'Make saliency maps for a dataset that has none (MB+, Zhang et al., ICCV 2015), as grey Saliency/<id>.png')
    .usage('saliency --data DIR [--out DIR]')
    .option('--data <dir>', 'Dataset folder in the VOC layout; every image in JPEGImages/ gets a map')
    .option('--out <dir>', 'Folder to write the maps to, absent or empty (default: DIR/Saliency, which must not hold maps yet)')
    .example('  epsx saliency --data data/photos')
    .example('  epsx saliency --data data/shapes --out data/shapes-mbplus   # beside the maps a dataset already has')
    .action(async (flags: Record<string, unknown>) => {
      const data = requireOption('--data DIR', stringOption('--data', flags.data), 'saliency');
      const out = stringOption('--out', flags.out);
      const started = performance.now();
      const result = await catchingInterrupts((stopRequested) => writeSaliencyMaps(data, { out, progress: terminalProgress(), stopRequested })).catch((e) =>
        reportStopped(e instanceof SaliencyInterrupted ? new Stopped(`saliency interrupted: nothing written to ${out ?? data}`) : e),
      );
      if (result === undefined) return;
      const seconds = (performance.now() - started) / 1000;
      console.log(`wrote ${result.images} saliency map(s) (MB+) to ${result.out} in ${seconds.toFixed(1)} s`);
      if (result.quality) for (const line of formatSaliencyQuality(result.quality)) console.log(line);
    });
}
