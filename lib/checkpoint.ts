/**
 * Checkpoints in the safetensors format, byte for byte what Python's `safetensors` reads:
 *   [u64 little-endian N][N bytes of JSON header, space-padded to a multiple of 8][data]
 * The header maps each tensor name to { dtype: "F32", shape, data_offsets: [begin, end) }
 * (offsets into the data section, which they cover exactly, without holes), plus
 * "__metadata__": a string -> string map; ours holds the model config as a JSON string
 * under "config" (with its `kind`, e.g. "classifier"). Parameters and buffers (BatchNorm
 * running statistics) are stored as raw little-endian float32.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { UserError } from './core/errors.js';
import type { Module, StateEntry } from './nn/module.js';
import { sizeOf } from './core/shape.js';

/** What a model must carry to be saved: its constructor config, tagged with a kind. */
export interface ModelConfig {
  kind: string;
}

/** A model that can be saved and loaded: a Module whose `config` (tagged with a kind) rebuilds it. */
export interface Checkpointable extends Module<unknown> {
  readonly config: ModelConfig;
}

/** A validated checkpoint as read from disk: config, metadata and the float32 tensors by dotted name. */
export interface CheckpointContents {
  /** The stored config: checked to have a kind, other fields are the model's to validate. */
  config: ModelConfig & Record<string, unknown>;
  /** Every other __metadata__ entry (e.g. training step), as stored. */
  metadata: Record<string, string>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Guard against absurd header lengths (safetensors itself caps the header at 100 MB). */
const MAX_HEADER = 100_000_000;

/** Serialise named float32 tensors and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, StateEntry>, metadata: Record<string, string>): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const chunks: Float32Array[] = [];
  for (const [name, t] of tensors) {
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
    chunks.push(data);
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded > json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  return out;
}

/** Parse safetensors bytes; `problem` messages are one line, without the file name. */
export function decodeSafetensors(bytes: Uint8Array): { metadata: Record<string, string>; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
  if (!LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
  const fail = (problem: string): never => {
    throw new UserError(problem);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(`not a safetensors file (header length ${n} is implausible)`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) fail(`truncated: header needs ${headerLen} bytes, only ${bytes.length - 8} present`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8');
  if (!text.startsWith('{')) fail(`not a safetensors file (header does not start with '{')`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Object.values(entry).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      Object.assign(metadata, entry);
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(`tensor '${name}': entry is not an object`);
    if (e.dtype !== 'F32') fail(`tensor '${name}': dtype ${JSON.stringify(e.dtype)} is not supported (only F32)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}': bad shape ${JSON.stringify(shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const want = 4 * sizeOf(shape as number[]);
    if (end < begin || end > dataLen) fail(`tensor '${name}': data_offsets [${begin},${end}) out of range (data section has ${dataLen} bytes)`);
    if (end - begin !== want) fail(`tensor '${name}': data_offsets span ${end - begin} bytes, shape ${JSON.stringify(shape)} needs ${want}`);
    spans.push([begin, end, name]);
    // Copy into a fresh buffer: the data need not be 4-byte aligned within the file bytes
    // (and a Node Buffer's slice() is a view, not a copy).
    const data = new Float32Array(new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)).buffer);
    tensors.set(name, { shape: shape as number[], data });
  }
  // The format requires the offsets to tile the data section exactly.
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) fail(`tensor '${name}': data_offsets [${begin},${end}) ${begin < covered ? 'overlap another tensor' : 'leave a hole'}`);
    covered = end;
  }
  if (covered !== dataLen) fail(`data section has ${dataLen} bytes but the tensors cover ${covered} (truncated or trailing bytes)`);
  return { metadata, tensors };
}

/** Save a model's parameters, buffers and config atomically. `extra` adds metadata entries. */
export function saveCheckpoint(path: string, model: Checkpointable, extra: Record<string, string> = {}): void {
  const metadata = { ...extra, config: JSON.stringify(model.config) };
  writeFileAtomic(path, encodeSafetensors(model.stateDict(), metadata));
}

/**
 * Read and validate a checkpoint file. With `expectKind`, a checkpoint of another kind is
 * refused. Every problem is a one-line UserError naming the file.
 */
export function readCheckpoint(path: string, expectKind?: string): CheckpointContents {
  const where = (problem: string) => new UserError(`checkpoint ${path}: ${problem}`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw where(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw e instanceof UserError ? where(e.message) : e;
  }
  const { config: raw, ...metadata } = decoded.metadata;
  if (raw === undefined) throw where('no model config in __metadata__ (not an epsx checkpoint?)');
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch {
    throw where('model config in __metadata__ is not valid JSON');
  }
  if (config === null || typeof config !== 'object' || typeof (config as ModelConfig).kind !== 'string') {
    throw where('model config in __metadata__ has no kind');
  }
  const kind = (config as ModelConfig).kind;
  if (expectKind !== undefined && kind !== expectKind) throw where(`is a ${kind} checkpoint, expected a ${expectKind}`);
  return { config: config as CheckpointContents['config'], metadata, tensors: decoded.tensors };
}

/**
 * Load a checkpoint into an existing model of the same kind and shapes. Everything is
 * checked before the first value is copied, so a bad file leaves the model untouched.
 */
export function loadCheckpoint(path: string, model: Checkpointable): CheckpointContents {
  const contents = readCheckpoint(path, model.config.kind);
  const problem = model.stateMismatch(contents.tensors);
  if (problem !== null) throw new UserError(`checkpoint ${path}: ${problem}`);
  model.loadStateDict(contents.tensors);
  return contents;
}
