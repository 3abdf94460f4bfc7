// CIFAR-10 from a folder in its official binary layout: training images in data_batch_*.bin,
// test images in test_batch.bin, class names in batches.meta.txt (cifar10-batch.ts parses them).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { concatenate, DataError, type ImageSet } from './image-set.ts';
import { CIFAR10_CLASS_NAMES, parseCifar10Batch } from './cifar10-batch.ts';

export interface Cifar10 {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

/** Loads a directory holding data_batch_*.bin, test_batch.bin and (optionally) batches.meta.txt. */
export function loadCifar10(directory: string): Cifar10 {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new DataError(`CIFAR-10 directory '${directory}' does not exist`);
  }
  const trainFiles = readdirSync(directory)
    .filter((name) => /^data_batch_\d+\.bin$/.test(name))
    .sort();
  if (trainFiles.length === 0)
    throw new DataError(`${directory}: no data_batch_*.bin files (expected CIFAR-10's binary version)`);
  if (!existsSync(join(directory, 'test_batch.bin'))) throw new DataError(`${directory}: no test_batch.bin`);
  const metaFile = join(directory, 'batches.meta.txt');
  const classNames = existsSync(metaFile)
    ? readFileSync(metaFile, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0)
    : CIFAR10_CLASS_NAMES;
  if (classNames.length !== 10) throw new DataError(`${metaFile}: expected 10 class names, found ${classNames.length}`);
  const read = (name: string) =>
    parseCifar10Batch(new Uint8Array(readFileSync(join(directory, name))), join(directory, name), classNames);
  return { train: concatenate(trainFiles.map(read)), test: read('test_batch.bin') };
}
