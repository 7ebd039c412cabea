/** Browser stand-in for lib/core/dawn.ts: Dawn is a Node binary; a page's WebGPU is not used by the engine ops. */
export function loadDawn(): string | null {
  return 'the webgpu package (Dawn) is Node-only';
}
