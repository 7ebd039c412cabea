/**
 * Globals the engine uses under Node that a page lacks, injected into the bundle: the training
 * loop yields with setImmediate between steps; gpu.ts reads process.env for a Node-only switch.
 */
const channel = new MessageChannel();
const queue: Array<() => void> = [];
channel.port1.onmessage = () => queue.shift()?.();

/** A macrotask without setTimeout's 4 ms clamp, so the page can repaint between steps. */
export function setImmediate(fn: () => void): void {
  queue.push(fn);
  channel.port2.postMessage(null);
}

export const process = { env: {} as Record<string, string | undefined> };
