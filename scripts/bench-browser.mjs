// The notebook autoencoder's training speed in headless Chromium (Debian's /usr/bin/chromium,
// --enable-unsafe-webgpu: SwiftShader here, the GPU elsewhere): the lab page's engine against
// TensorFlow.js's WebGPU backend and the plain direct conv in the same page, alternating.
// Writes bench/results/browser.json (browser-tuned.json with --tune).
//   npm run bench:browser [-- --batches 32,256] [--tune]   (--tune: the conv variants tuned first)
//   npm run bench:browser -- --compare unroll|waits        (the engine's default setting against
//     the other: its own loop unrolling, or its wait policy; browser-compare-unroll.json ...)
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { launchChromium } from './chromium.mjs';

import { CIFAR10_DIRECTORY as DATA } from './data-location.mjs';
const batchesArgument = process.argv.indexOf('--batches');
const batches = batchesArgument > 0 ? process.argv[batchesArgument + 1] : '32';
const tune = process.argv.includes('--tune') ? '&tune=1' : '';
const compareArgument = process.argv.indexOf('--compare');
const comparison = compareArgument > 0 ? process.argv[compareArgument + 1] : null;
if (comparison !== null && comparison !== 'unroll' && comparison !== 'waits') {
  console.error(`bench:browser: --compare takes unroll or waits, not ${comparison}`);
  process.exit(2);
}
execFileSync(process.execPath, ['scripts/embed-wgsl.mjs']);
const bundle = await build({
  entryPoints: ['bench/browser-page.ts'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  write: false,
  logLevel: 'warning',
  external: ['webgpu'],
});
const script = bundle.outputFiles[0].text;
const batchFile = readFileSync(join(DATA, 'data_batch_1.bin'));
const server = createServer((request, response) => {
  const path = request.url.split('?')[0];
  if (path === '/bench.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
  else if (path === '/data/data_batch_1.bin')
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(batchFile);
  else if (path === '/')
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/bench.js"></script>',
      );
  else response.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await launchChromium();
const { context } = browser;
let exitCode = 1;
try {
  const tab = await context.newPage();
  tab.on('console', (message) => console.error(`[bench:browser] ${message.text()}`));
  await tab.goto(
    `http://127.0.0.1:${server.address().port}/?batches=${batches}${tune}${comparison ? `&compare=${comparison}` : ''}`,
  );
  await tab.waitForFunction(() => globalThis.benchResult !== undefined, null, { timeout: 30 * 60_000, polling: 1000 });
  const result = await tab.evaluate(() => globalThis.benchResult);
  if (result.error) throw new Error(result.error);
  const browser = (await context.browser()?.version()) ?? 'chromium';
  const records = result.records.map((record) => ({ ...record, browser, date: new Date().toISOString().slice(0, 10) }));
  if (comparison) {
    for (const r of records)
      console.log(
        `${r.what.padEnd(45)} ${Object.entries(r.settings)
          .map(([setting, value]) => `${setting} ${value.toFixed(2)}`)
          .join('   ')}`,
      );
  } else {
    console.log(
      'batch   aelab img/s   TF.js img/s   ratio   share of the limit the plain conv sets   engine matmul / plain   variants',
    );
    for (const r of records) {
      console.log(
        `${String(r.batchSize).padStart(5)}   ${r.imagesPerSecond.toFixed(0).padStart(11)}   ${r.tensorflowImagesPerSecond.toFixed(0).padStart(11)}   ${r.ratio.toFixed(1).padStart(4)}x   ` +
          `${(100 * r.shareOfLimit).toFixed(1).padStart(5)}% (plain conv ${r.plainConvGflops.toFixed(2)} GFLOP/s)   ` +
          `${((100 * r.engineMatmulGflops) / r.plainMatmulGflops).toFixed(1)}% (${r.engineMatmulGflops.toFixed(2)} / ${r.plainMatmulGflops.toFixed(2)})   ${r.tuningSeconds === null ? 'heuristic' : `tuned (${r.tuningSeconds.toFixed(0)} s)`}`,
      );
    }
  }
  console.log(`adapter: ${records[0].adapter}`);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/browser${comparison ? `-compare-${comparison}` : tune ? '-tuned' : ''}.json`;
  writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
  console.log(`wrote ${file}`);
  exitCode = 0;
} finally {
  await browser.close();
  server.close();
}
process.exit(exitCode);
