// The weights format: a round trip is exact; a truncated or altered file is refused.
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../src/sha256.ts';
import { Random } from '../../src/random.ts';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, CheckpointError } from '../../src/nn/safetensors.ts';

const tensors = new Map([
  ['encoder.0.weight', { shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i)) }],
  ['encoder.0.bias', { shape: [2], data: Float32Array.of(0.5, -0.25) }],
]);

describe('safetensors checkpoints', () => {
  const file = encodeSafetensors(tensors, { epoch: '3' });

  it('round-trips names, shapes, values and metadata exactly, with 8-byte aligned data', () => {
    const decoded = decodeSafetensors(file, 'model.safetensors');
    expect([...decoded.tensors.keys()]).toEqual(['encoder.0.weight', 'encoder.0.bias']);
    expect(Array.from(decoded.tensors.get('encoder.0.weight')!.data)).toEqual(
      Array.from(tensors.get('encoder.0.weight')!.data),
    );
    expect(decoded.tensors.get('encoder.0.bias')!.shape).toEqual([2]);
    expect(decoded.metadata['epoch']).toBe('3');
    const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    expect(file.length).toBe(8 + headerLength + 20 * 4);
  });

  it('refuses a truncated file', () => {
    expect(() => decodeSafetensors(file.subarray(0, file.length - 4), 'model.safetensors')).toThrow(CheckpointError);
    expect(() => decodeSafetensors(file.subarray(0, file.length - 4), 'model.safetensors')).toThrow(
      /model\.safetensors: tensor '.*' ends at byte \d+ of the data, which has only \d+ bytes \(truncated\); refusing to load it/,
    );
    expect(() => decodeSafetensors(file.subarray(0, 20), 'model.safetensors')).toThrow(/truncated\?/);
    expect(() => decodeSafetensors(file.subarray(0, 4), 'model.safetensors')).toThrow(/too short/);
  });

  it('refuses an altered value, an altered header and trailing garbage', () => {
    const altered = file.slice();
    altered[altered.length - 3] ^= 0x40;
    expect(() => decodeSafetensors(altered, 'model.safetensors')).toThrow(
      /does not match its SHA-256 \(altered or corrupt\)/,
    );
    const badHeader = file.slice();
    badHeader[9] = '!'.charCodeAt(0);
    expect(() => decodeSafetensors(badHeader, 'model.safetensors')).toThrow(/header is not valid JSON/);
    const longer = new Uint8Array(file.length + 4);
    longer.set(file);
    expect(() => decodeSafetensors(longer, 'model.safetensors')).toThrow(/4 bytes follow the last tensor/);
  });
});

describe('sha256Hex (the safetensors digest, the same in a browser page)', () => {
  it('matches the FIPS 180-4 examples and node:crypto at every padding boundary', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const random = new Random(5);
    for (const length of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100_003]) {
      const bytes = Uint8Array.from({ length }, () => random.integer(0, 255));
      expect(sha256Hex(bytes), `${length} bytes`).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
