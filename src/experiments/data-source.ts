// Where the images come from: a --data directory recognised by its contents (CIFAR-10's
// binary batches, Fashion-MNIST's IDX files, or a folder of PNGs), or, without --data,
// CIFAR-10 downloaded into the per-user cache.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { loadCifar10 } from '../data/cifar10.ts';
import { ensureCifar10 } from '../data/download.ts';
import { loadFashionMnist } from '../data/fashion-mnist.ts';
import { DataError, type ImageSet } from '../data/image-set.ts';
import { loadPngFolder } from '../data/png-folder.ts';

export interface DataSource {
  readonly name: string;
  /** All images of the source (training and test files pooled by the notebook split). */
  readonly sets: readonly ImageSet[];
}

export async function loadDataSource(
  directory: string | null,
  log: (line: string) => void = () => {},
): Promise<DataSource> {
  if (directory === null) {
    log('no --data given: using CIFAR-10 from the cache (downloading it on first use)');
    let lastPercent = -1;
    const path = await ensureCifar10({
      onProgress: (received, total) => {
        const percent = total ? Math.floor((100 * received) / total) : -1;
        if (percent >= 0 && percent % 10 === 0 && percent !== lastPercent)
          log(`downloading CIFAR-10: ${(lastPercent = percent)}%`);
      },
    });
    const { train, test } = loadCifar10(path);
    return { name: `CIFAR-10 (${path})`, sets: [train, test] };
  }
  if (!existsSync(directory)) throw new DataError(`--data ${directory}: no such directory`);
  if (!statSync(directory).isDirectory())
    throw new DataError(`--data ${directory} is a file: give the folder that holds the data set`);
  const files = readdirSync(directory);
  if (files.some((name) => /^data_batch_\d+\.bin$/.test(name))) {
    const { train, test } = loadCifar10(directory);
    return { name: `CIFAR-10 (${directory})`, sets: [train, test] };
  }
  if (files.includes('train-images-idx3-ubyte.gz')) {
    const { train, test } = loadFashionMnist(directory);
    return { name: `Fashion-MNIST (${directory})`, sets: [train, test] };
  }
  if (files.some((name) => name.toLowerCase().endsWith('.png'))) {
    const set = loadPngFolder(directory);
    for (const note of set.notes ?? []) log(`${directory}: ${note}`);
    return { name: `PNG folder (${directory})`, sets: [set] };
  }
  throw new DataError(
    `--data ${directory}: neither CIFAR-10 binary batches (data_batch_*.bin), Fashion-MNIST (train-images-idx3-ubyte.gz) nor PNG images`,
  );
}

/**
 * What identifies a data set wherever it lies: each set's image count and geometry, and a hash
 * of its first 64 images. A resumed run accepts data at a new path when this matches.
 */
export function dataFingerprint(source: DataSource): string {
  const hash = createHash('sha256');
  const parts = source.sets.map((set) => {
    const bytes = set.channels * set.height * set.width;
    hash.update(set.pixels.subarray(0, Math.min(set.count, 64) * bytes));
    return `${set.count}x${set.channels}x${set.height}x${set.width}`;
  });
  return `${parts.join('+')}:${hash.digest('hex').slice(0, 16)}`;
}
