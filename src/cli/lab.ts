// aelab lab: serves the lab page (src/lab/, bundled by `npm run build` into dist/lab/) on
// localhost, with the CIFAR-10 batches of --data for it to train on. It serves exactly those
// files: every other path, `../` ones included, is a 404.
import process from 'node:process';
import { createServer, type Server } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, UsageError } from './arguments.ts';
import { AelabError } from '../errors.ts';
import { cachedCifar10 } from '../data/download.ts';

export const LAB_USAGE = `aelab lab [--data DIR] [--port 8080] [--host 127.0.0.1] | --export DIR [--data DIR]
  serves the lab page: train an autoencoder on WebGPU in the browser, look inside its layers,
  run the gradient checks and the kernel benchmarks on the browser's GPU; prints its URL
  --export DIR      instead, write the page and the --data batches into DIR, a static site any
                    file host serves (upload the folder; without data, the page takes dropped files)
  --data DIR        CIFAR-10 binary batches for the page (default: the download cache, if any;
                    the page also takes files dropped on it)
  --port N          the port (default 8080; 0 picks a free one)
  --host H          the address to listen on (default 127.0.0.1, this machine only)
`;

/** The page's own files, as `npm run build` writes them. */
const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/lab.js': 'lab.js',
  '/lab.css': 'lab.css',
  '/lab.js.map': 'lab.js.map',
};

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  map: 'application/json',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  bin: 'application/octet-stream',
};

/** The folder holding the built page: dist/lab beside dist/cli.js, or the checkout's dist/lab. */
export function labPageFolder(): string {
  const candidates = [new URL('./lab/', import.meta.url), new URL('../../dist/lab/', import.meta.url)].map((url) =>
    fileURLToPath(url),
  );
  const found = candidates.find((folder) => existsSync(join(folder, 'lab.js')));
  if (!found)
    throw new AelabError(`the lab page is not built (no lab.js in ${candidates.join(' or ')}): run npm run build`);
  return found;
}

/** The CIFAR-10 batch files of `directory` the page may fetch: name -> path. */
export function servedBatches(directory: string | null): Map<string, string> {
  if (directory === null) return new Map();
  if (!existsSync(directory) || !statSync(directory).isDirectory())
    throw new AelabError(`--data ${directory}: no such directory`);
  const names = readdirSync(directory)
    .filter((name) => /^(data_batch_\d+|test_batch)\.bin$/.test(name))
    .sort();
  if (names.length === 0)
    throw new AelabError(`--data ${directory}: no CIFAR-10 binary batches (data_batch_N.bin, test_batch.bin) in it`);
  return new Map(names.map((name) => [name, join(directory, name)]));
}

/** data/index.json: the batch files the page fetches (lab/data.ts reads it), served or exported. */
function dataIndex(batches: ReadonlyMap<string, string>): string {
  return JSON.stringify({ files: [...batches.keys()] });
}

/**
 * Writes the page and the batches it may fetch into `directory` (new or empty), as `aelab lab`
 * serves them: index.html, lab.js, lab.css, its source map, data/index.json and data/*.bin. The
 * page fetches only relative paths, so any static host serves the folder, at any path.
 */
export function exportLab(
  pageFolder: string,
  batches: ReadonlyMap<string, string>,
  directory: string,
): { files: number; bytes: number } {
  if (existsSync(directory) && (!statSync(directory).isDirectory() || readdirSync(directory).length > 0))
    throw new AelabError(`--export ${directory}: not a new or empty folder (the export never overwrites)`);
  mkdirSync(join(directory, 'data'), { recursive: true });
  const copies: [string, string][] = [
    ...[...new Set(Object.values(PAGE_FILES))].map((name): [string, string] => [join(pageFolder, name), name]),
    ...[...batches].map(([name, path]): [string, string] => [path, join('data', name)]),
  ];
  let bytes = 0;
  for (const [from, to] of copies) {
    copyFileSync(from, join(directory, to));
    bytes += statSync(from).size;
  }
  const index = dataIndex(batches);
  writeFileSync(join(directory, 'data', 'index.json'), index);
  return { files: copies.length + 1, bytes: bytes + index.length };
}

export function createLabServer(pageFolder: string, batches: ReadonlyMap<string, string>): Server {
  return createServer((request, response) => {
    const send = (status: number, type: string, body: string | Uint8Array) => {
      response.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain', 'only GET and HEAD\n');
    const path = (request.url ?? '/').split('?')[0]!;
    const page = PAGE_FILES[path];
    if (page) return send(200, CONTENT_TYPES[page.split('.').pop()!]!, readFileSync(join(pageFolder, page)));
    if (path === '/data/index.json') return send(200, CONTENT_TYPES['json']!, dataIndex(batches));
    const batch = path.startsWith('/data/') ? batches.get(decodeURIComponent(path.slice('/data/'.length))) : undefined;
    if (batch) return send(200, CONTENT_TYPES['bin']!, readFileSync(batch));
    send(404, 'text/plain', `not found: ${path}\n`);
  });
}

export async function lab(argv: string[]): Promise<void> {
  const options = parseOptions(argv, {
    data: { type: 'string' },
    port: { type: 'integer', default: 8080 },
    host: { type: 'string', default: '127.0.0.1' },
    export: { type: 'string' },
  });
  if (options.export !== null) {
    const { files, bytes } = exportLab(labPageFolder(), servedBatches(options.data), options.export);
    process.stderr.write(
      `wrote the lab to ${options.export}: ${files} files, ${(bytes / 1e6).toFixed(1)} MB; any static file host serves it (open its index.html over http or https)\n`,
    );
    return;
  }
  if (options.port < 0 || options.port > 65535) throw new UsageError(`--port must be 0-65535, got ${options.port}`);
  const folder = labPageFolder();
  const data = options.data ?? cachedCifar10();
  const batches = servedBatches(data);
  const server = createLabServer(folder, batches);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new AelabError(
              `port ${options.port} on ${options.host} is in use: choose another with --port (0 picks a free one)`,
            )
          : error,
      ),
    );
    server.listen(options.port, options.host!, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host!.includes(':') ? `[${options.host}]` : options.host;
  process.stderr.write(
    data === null
      ? 'no data served: drop CIFAR-10 batches or images on the page, or pass --data DIR\n'
      : `serving ${batches.size} CIFAR-10 batch files from ${data}\n`,
  );
  process.stdout.write(`aelab lab: http://${host}:${port}/  (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    const close = () => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', close);
    process.once('SIGTERM', close);
  });
}
