// The CIFAR-10 download, against a server on 127.0.0.1 that serves archives the test
// builds: a good one, one cut off mid-transfer, and one whose checksum is wrong. Only the
// good one may leave anything in the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureCifar10 } from '../../src/data/download.ts';
import { loadCifar10 } from '../../src/data/cifar10.ts';
import { CIFAR10_RECORD_BYTES } from '../../src/data/cifar10-batch.ts';
import { writeTar } from '../support/tar-writer.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

const CIFAR = CIFAR10_DIRECTORY;
const records = (name: string, count: number) =>
  new Uint8Array(readFileSync(join(CIFAR, name)).subarray(0, count * CIFAR10_RECORD_BYTES));

const archive = gzipSync(
  writeTar([
    { path: 'cifar-10-batches-bin/data_batch_1.bin', data: records('data_batch_1.bin', 20) },
    { path: 'cifar-10-batches-bin/data_batch_2.bin', data: records('data_batch_2.bin', 20) },
    { path: 'cifar-10-batches-bin/test_batch.bin', data: records('test_batch.bin', 10) },
    { path: 'cifar-10-batches-bin/batches.meta.txt', data: readFileSync(join(CIFAR, 'batches.meta.txt')) },
  ]),
);
const md5 = createHash('md5').update(archive).digest('hex');
const corrupt = Buffer.from('this is not gzip at all');

let server: Server;
let base = '';
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests += 1;
    if (request.url === '/good.tar.gz') {
      response.writeHead(200, { 'content-length': archive.length });
      response.end(archive);
    } else if (request.url === '/truncated.tar.gz') {
      // Promise the whole archive, send a third of it, then drop the connection.
      response.writeHead(200, { 'content-length': archive.length });
      response.write(archive.subarray(0, Math.floor(archive.length / 3)), () => response.destroy());
    } else if (request.url === '/corrupt.tar.gz') {
      response.writeHead(200, { 'content-length': corrupt.length });
      response.end(corrupt);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const cache = () => mkdtempSync(join(tmpdir(), 'aelab-cache-'));

describe('CIFAR-10 download', () => {
  it('downloads, verifies, extracts and reuses the good archive', async () => {
    const directory = cache();
    const path = await ensureCifar10({ url: `${base}/good.tar.gz`, md5, cacheDirectory: directory });
    expect(path).toBe(join(directory, 'cifar-10-batches-bin'));
    const { train, test } = loadCifar10(path);
    expect([train.count, test.count]).toEqual([40, 10]);
    expect(readdirSync(directory)).toEqual(['cifar-10-batches-bin']);
    const before = requests;
    expect(await ensureCifar10({ url: `${base}/good.tar.gz`, md5, cacheDirectory: directory })).toBe(path);
    expect(requests).toBe(before); // cached: no second download
  });

  it('refuses a download cut off mid-transfer and leaves nothing behind', async () => {
    const directory = cache();
    await expect(ensureCifar10({ url: `${base}/truncated.tar.gz`, md5, cacheDirectory: directory })).rejects.toThrow(
      /CIFAR-10 download (interrupted|truncated)/,
    );
    expect(readdirSync(directory)).toEqual([]);
  });

  it('refuses an archive whose MD5 is wrong and leaves nothing behind', async () => {
    const directory = cache();
    await expect(
      ensureCifar10({ url: `${base}/good.tar.gz`, md5: '0'.repeat(32), cacheDirectory: directory }),
    ).rejects.toThrow(new RegExp(`MD5 ${md5} does not match the expected 0{32}`));
    expect(readdirSync(directory)).toEqual([]);
  });

  it('refuses an archive that does not decompress, even with a matching checksum', async () => {
    const directory = cache();
    const corruptMd5 = createHash('md5').update(corrupt).digest('hex');
    await expect(
      ensureCifar10({ url: `${base}/corrupt.tar.gz`, md5: corruptMd5, cacheDirectory: directory }),
    ).rejects.toThrow(/does not decompress/);
    expect(existsSync(join(directory, 'cifar-10-batches-bin'))).toBe(false);
  });

  it('reports an unreachable server and an HTTP error clearly', async () => {
    await expect(ensureCifar10({ url: `${base}/missing.tar.gz`, md5, cacheDirectory: cache() })).rejects.toThrow(
      /HTTP 404/,
    );
    await expect(ensureCifar10({ url: 'http://127.0.0.1:1/x.tar.gz', md5, cacheDirectory: cache() })).rejects.toThrow(
      /use --data DIR/,
    );
  });
});
