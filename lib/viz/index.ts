export { Canvas } from './canvas.js';
export { imageTile, mapTile, binaryTile, maskTile, composePanel } from './tiles.js';
export type { LabelledTile } from './tiles.js';
