import type { CAC } from 'cac';
import { UserError } from '../../lib/errors.js';

export function register(cli: CAC): void {
  cli
    .command('run', 'Synthesise data, train the EPS++ classifier, make pseudo-masks, train the segmenter, evaluate and report')
    .action(() => {
      throw new UserError('`epsx run` is not built yet: the pipeline lands with the classifier, segmenter and run issues');
    });
}
