/**
 * Start a worker thread running one of our modules. Built code (.js) starts directly; under
 * tsx (sources run as .ts) the worker registers tsx first, since Node 20 workers do not
 * inherit `--import` loaders.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `module` is the URL of the module as it runs here (import.meta.url-relative). */
export function startModuleWorker(module: URL, options: WorkerOptions = {}): Worker {
  if (!module.href.endsWith('.ts')) return new Worker(module, options);
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(module.href);
  return new Worker(`import(${api}).then((tsx) => { tsx.register(); return import(${entry}); });`, { ...options, eval: true });
}
