// The weights format: safetensors (https://huggingface.co/docs/safetensors), float32
// little-endian. Layout: 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype: "F32", shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then
// the raw tensor data. We add "aelab.sha256" (of the data section) to the metadata so a
// truncated or altered file is refused instead of loaded as garbage.
import { sha256Hex } from '../sha256.ts';
import { AelabError } from '../errors.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { formatShape } from '../shapes.ts';

export class CheckpointError extends AelabError {
  override name = 'CheckpointError';
}

export interface StoredTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function encodeSafetensors(
  tensors: ReadonlyMap<string, StoredTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const [name, tensor] of tensors) {
    header[name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  const data = new Uint8Array(offset);
  let position = 0;
  for (const tensor of tensors.values()) {
    data.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), position);
    position += tensor.data.byteLength;
  }
  header['__metadata__'] = { ...metadata, 'aelab.sha256': sha256Hex(data) };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data starts 8-byte aligned
  const jsonBytes = new TextEncoder().encode(json);
  const file = new Uint8Array(8 + jsonBytes.length + data.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  file.set(jsonBytes, 8);
  file.set(data, 8 + jsonBytes.length);
  return file;
}

export interface DecodedSafetensors {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string>;
}

export function decodeSafetensors(file: Uint8Array, fileName: string): DecodedSafetensors {
  const fail = (why: string): never => {
    throw new CheckpointError(`${fileName}: ${why}; refusing to load it`);
  };
  if (file.length < 8) fail(`${file.length} bytes is too short for a safetensors file`);
  const headerLength = Number(new DataView(file.buffer, file.byteOffset, file.byteLength).getBigUint64(0, true));
  if (headerLength > file.length - 8)
    fail(
      `the header claims ${headerLength} bytes but the file has ${file.length - 8} after the length field (truncated?)`,
    );
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
  } catch {
    return fail('the header is not valid JSON (corrupt file)');
  }
  const data = file.subarray(8 + headerLength);
  const metadata: Record<string, string> = header['__metadata__'] ?? {};
  const tensors = new Map<string, StoredTensor>();
  let expectedEnd = 0;
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  for (const [name, entry] of entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])) {
    if (entry.dtype !== 'F32') fail(`tensor '${name}' has dtype ${entry.dtype}; only F32 is supported`);
    const [begin, end] = entry.data_offsets as [number, number];
    const elements = (entry.shape as number[]).reduce((a, b) => a * b, 1);
    if (begin !== expectedEnd || end - begin !== elements * 4)
      fail(`tensor '${name}' has inconsistent offsets [${begin}, ${end}] for shape [${entry.shape}]`);
    if (end > data.length)
      fail(`tensor '${name}' ends at byte ${end} of the data, which has only ${data.length} bytes (truncated)`);
    tensors.set(name, { shape: entry.shape, data: new Float32Array(data.slice(begin, end).buffer) });
    expectedEnd = end;
  }
  if (data.length !== expectedEnd) fail(`${data.length - expectedEnd} bytes follow the last tensor`);
  const digest = metadata['aelab.sha256'];
  if (digest && sha256Hex(data) !== digest) fail('the tensor data does not match its SHA-256 (altered or corrupt)');
  return { tensors, metadata };
}

/** Named tensors and their values (in the same order) as a safetensors file. */
export function encodeNamed(
  named: readonly (readonly [string, { readonly shape: readonly number[] }])[],
  values: readonly Float32Array[],
  metadata: Record<string, string>,
): Uint8Array {
  return encodeSafetensors(
    new Map(
      named.map(([name, tensor], i): [string, StoredTensor] => [name, { shape: tensor.shape, data: values[i]! }]),
    ),
    metadata,
  );
}

export async function tensorsToFile(
  engine: Engine,
  named: readonly [string, Tensor][],
  metadata: Record<string, string>,
): Promise<Uint8Array> {
  return encodeNamed(named, await engine.readAll(named.map(([, tensor]) => tensor)), metadata);
}

/**
 * Refuses decoded tensors that are not exactly `named`: each name present with its shape, and
 * nothing else. Checked before anything is written, so a refused file leaves the model as it was.
 */
export function requireSameTensors(
  named: readonly (readonly [string, { readonly shape: readonly number[] }])[],
  tensors: ReadonlyMap<string, StoredTensor>,
  path: string,
): void {
  for (const [name, tensor] of named) {
    const stored = tensors.get(name);
    if (!stored)
      throw new CheckpointError(
        `${path}: no tensor '${name}' (the file holds: ${[...tensors.keys()].join(', ') || 'none'})`,
      );
    if (formatShape(stored.shape) !== formatShape(tensor.shape)) {
      throw new CheckpointError(
        `${path}: '${name}' has shape ${formatShape(stored.shape)}, the model expects ${formatShape(tensor.shape)}`,
      );
    }
  }
  const extra = [...tensors.keys()].filter((name) => !named.some(([own]) => own === name));
  if (extra.length > 0)
    throw new CheckpointError(
      `${path}: the model has no parameter ${extra.map((name) => `'${name}'`).join(', ')} (its parameters: ${named.map(([name]) => name).join(', ')})`,
    );
}

/** Writes decoded tensors into existing ones by name; every name and shape must match. */
export function applyTensors(
  engine: Engine,
  named: readonly [string, Tensor][],
  { tensors, metadata }: DecodedSafetensors,
  path: string,
): Record<string, string> {
  requireSameTensors(named, tensors, path);
  for (const [name, tensor] of named) engine.write(tensor, tensors.get(name)!.data);
  return metadata;
}
