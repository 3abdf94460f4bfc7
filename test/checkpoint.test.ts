// The weights format: a round trip is exact; a truncated or altered file is refused.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, CheckpointError } from '../src/nn/safetensors.ts';

const tensors = new Map([
  ['encoder.0.weight', { shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)) }],
  ['encoder.0.bias', { shape: [2], data: Float32Array.of(0.5, -0.25) }],
]);

describe('safetensors checkpoints', () => {
  const file = encodeSafetensors(tensors, { epoch: '3' });

  it('round-trips names, shapes, values and metadata exactly, with 8-byte aligned data', () => {
    const decoded = decodeSafetensors(file, 'model.safetensors');
    expect([...decoded.tensors.keys()]).toEqual(['encoder.0.weight', 'encoder.0.bias']);
    expect(Array.from(decoded.tensors.get('encoder.0.weight')!.data)).toEqual(Array.from(tensors.get('encoder.0.weight')!.data));
    expect(decoded.tensors.get('encoder.0.bias')!.shape).toEqual([2]);
    expect(decoded.metadata['epoch']).toBe('3');
    const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    expect(file.length).toBe(8 + headerLength + 20 * 4);
  });

  it('refuses a truncated file', () => {
    expect(() => decodeSafetensors(file.subarray(0, file.length - 4), 'model.safetensors')).toThrow(CheckpointError);
    expect(() => decodeSafetensors(file.subarray(0, file.length - 4), 'model.safetensors')).toThrow(/model\.safetensors: tensor '.*' ends at byte \d+ of the data, which has only \d+ bytes \(truncated\); refusing to load it/);
    expect(() => decodeSafetensors(file.subarray(0, 20), 'model.safetensors')).toThrow(/truncated\?/);
    expect(() => decodeSafetensors(file.subarray(0, 4), 'model.safetensors')).toThrow(/too short/);
  });

  it('refuses an altered value, an altered header and trailing garbage', () => {
    const altered = file.slice();
    altered[altered.length - 3] ^= 0x40;
    expect(() => decodeSafetensors(altered, 'model.safetensors')).toThrow(/does not match its SHA-256 \(altered or corrupt\)/);
    const badHeader = file.slice();
    badHeader[9] = '!'.charCodeAt(0);
    expect(() => decodeSafetensors(badHeader, 'model.safetensors')).toThrow(/header is not valid JSON/);
    const longer = new Uint8Array(file.length + 4);
    longer.set(file);
    expect(() => decodeSafetensors(longer, 'model.safetensors')).toThrow(/4 bytes follow the last tensor/);
  });
});
