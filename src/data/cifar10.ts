// CIFAR-10 in its official binary layout: each record is 1 label byte (0-9) followed by
// 3072 pixel bytes, the red, green and blue 32x32 planes in row-major order. Training
// images are in data_batch_*.bin, test images in test_batch.bin, class names in
// batches.meta.txt. Any whole number of records is accepted (the full files hold 10,000).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { concatenate, DataError, type ImageSet } from './image-set.ts';

export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export function parseCifar10Batch(bytes: Uint8Array, fileName: string, classNames: readonly string[] = CIFAR10_CLASS_NAMES): ImageSet {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new DataError(
      `${fileName}: ${bytes.length} bytes is not a whole number of CIFAR-10 records of ${CIFAR10_RECORD_BYTES} bytes ` +
        `(${whole} records and ${bytes.length - whole * CIFAR10_RECORD_BYTES} bytes left over): truncated or not a CIFAR-10 binary batch`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * (CIFAR10_RECORD_BYTES - 1));
  for (let i = 0; i < count; i++) {
    const record = i * CIFAR10_RECORD_BYTES;
    const label = bytes[record]!;
    if (label >= classNames.length) {
      throw new DataError(`${fileName}: record ${i} (byte offset ${record}) has label ${label}; CIFAR-10 labels are 0-${classNames.length - 1}`);
    }
    labels[i] = label;
    pixels.set(bytes.subarray(record + 1, record + CIFAR10_RECORD_BYTES), i * (CIFAR10_RECORD_BYTES - 1));
  }
  return { pixels, labels, count, channels: 3, height: 32, width: 32, classNames };
}

export interface Cifar10 {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

/** Loads a directory holding data_batch_*.bin, test_batch.bin and (optionally) batches.meta.txt. */
export function loadCifar10(directory: string): Cifar10 {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new DataError(`CIFAR-10 directory '${directory}' does not exist`);
  }
  const trainFiles = readdirSync(directory).filter((name) => /^data_batch_\d+\.bin$/.test(name)).sort();
  if (trainFiles.length === 0) throw new DataError(`${directory}: no data_batch_*.bin files (expected CIFAR-10's binary version)`);
  if (!existsSync(join(directory, 'test_batch.bin'))) throw new DataError(`${directory}: no test_batch.bin`);
  const metaFile = join(directory, 'batches.meta.txt');
  const classNames = existsSync(metaFile)
    ? readFileSync(metaFile, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line.length > 0)
    : CIFAR10_CLASS_NAMES;
  if (classNames.length !== 10) throw new DataError(`${metaFile}: expected 10 class names, found ${classNames.length}`);
  const read = (name: string) => parseCifar10Batch(new Uint8Array(readFileSync(join(directory, name))), join(directory, name), classNames);
  return { train: concatenate(trainFiles.map(read)), test: read('test_batch.bin') };
}
