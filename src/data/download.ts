// Fetches CIFAR-10 for a real user into a per-user cache directory. The archive is
// streamed to a temporary file while its MD5 is computed, verified, extracted into a
// temporary folder, checked by the loader, and only then renamed into place: an
// interrupted or corrupt download never leaves anything a later run mistakes for data.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  writeSync,
  readFileSync,
  renameSync,
  rmSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readTar } from './tar.ts';
import { DataError } from './image-set.ts';
import { loadCifar10 } from './cifar10.ts';
import { defaultCacheDirectory } from '../files.ts';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
const FOLDER = 'cifar-10-batches-bin';

export interface DownloadOptions {
  readonly url?: string;
  readonly md5?: string;
  readonly cacheDirectory?: string;
  /** Called with bytes received and the total (0 when the server does not say). */
  readonly onProgress?: (received: number, total: number) => void;
}

/** The CIFAR-10 folder a finished download left in the cache, or null (nothing is downloaded). */
export function cachedCifar10(cacheDirectory = defaultCacheDirectory()): string | null {
  const folder = join(cacheDirectory, FOLDER);
  return existsSync(join(folder, '.complete')) ? folder : null;
}

/** Returns the directory holding the CIFAR-10 binary batches, downloading them first if needed. */
export async function ensureCifar10(options: DownloadOptions = {}): Promise<string> {
  const cache = options.cacheDirectory ?? defaultCacheDirectory();
  const final = join(cache, FOLDER);
  if (existsSync(join(final, '.complete'))) return final;
  mkdirSync(cache, { recursive: true });
  // Leftovers of interrupted runs are never data: remove them.
  for (const name of readdirSync(cache))
    if (name.startsWith('.partial-')) rmSync(join(cache, name), { recursive: true, force: true });

  const work = join(cache, `.partial-${process.pid}-${Date.now()}`);
  mkdirSync(work);
  try {
    const archivePath = join(work, 'archive.tar.gz');
    const digest = await fetchToFile(options.url ?? CIFAR10_URL, archivePath, options.onProgress);
    const expected = options.md5 ?? CIFAR10_MD5;
    if (digest !== expected)
      throw new DataError(
        `CIFAR-10 download: MD5 ${digest} does not match the expected ${expected}: corrupt or wrong file`,
      );
    let tar: Uint8Array;
    try {
      tar = gunzipSync(readFileSync(archivePath));
    } catch (error) {
      throw new DataError(`CIFAR-10 download: the archive does not decompress (${(error as Error).message})`);
    }
    const extracted = join(work, FOLDER);
    for (const entry of readTar(tar)) {
      if (entry.type !== 'file' || !entry.path.startsWith(`${FOLDER}/`) || entry.path.includes('..')) continue;
      const target = join(work, entry.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, entry.data);
    }
    loadCifar10(extracted); // throws a DataError naming the bad file
    writeFileSync(join(extracted, '.complete'), `${expected}\n`);
    rmSync(final, { recursive: true, force: true });
    renameSync(extracted, final);
    return final;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function fetchToFile(
  url: string,
  path: string,
  onProgress?: (received: number, total: number) => void,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError(
      `CIFAR-10 download from ${url} failed: ${(error as Error).message} (use --data DIR to train on a local copy)`,
    );
  }
  if (!response.ok || !response.body) throw new DataError(`CIFAR-10 download from ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const hash = createHash('md5');
  const file = openSync(path, 'w');
  let received = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new DataError(
          `CIFAR-10 download interrupted after ${received} of ${total || '?'} bytes: ${(error as Error).message}`,
        );
      }
      if (chunk.done) break;
      hash.update(chunk.value);
      writeSync(file, chunk.value);
      received += chunk.value.length;
      onProgress?.(received, total);
    }
  } finally {
    closeSync(file);
  }
  if (total > 0 && received !== total)
    throw new DataError(`CIFAR-10 download truncated: ${received} of ${total} bytes`);
  return hash.digest('hex');
}
