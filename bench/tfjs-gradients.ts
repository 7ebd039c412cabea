/**
 * Registers tfjs-core's gradients, which the tfjs umbrella package does and tfjs-core alone
 * does not. The only module that does it, dist/register_all_gradients.js, is ES module source
 * written for bundlers (extensionless relative imports), so a resolve hook adds the `.js`
 * that Node needs for relative imports inside tfjs-core's dist/. The gradients land in the
 * global registry that the CommonJS build (what `import '@tensorflow/tfjs-core'` loads) reads.
 */
import { register } from 'node:module';

const hook = `
export async function resolve(specifier, context, next) {
  const inTfjs = context.parentURL !== undefined && context.parentURL.includes('/@tensorflow/tfjs-core/dist/');
  if (inTfjs && specifier.startsWith('.') && !specifier.endsWith('.js')) return next(specifier + '.js', context);
  return next(specifier, context);
}`;

register(`data:text/javascript,${encodeURIComponent(hook)}`);
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
