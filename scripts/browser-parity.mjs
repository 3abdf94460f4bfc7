// Runs the GPU parity suite in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) on its own WebGPU adapter: bundles test/browser/parity-page.ts, serves it
// on 127.0.0.1, and prints "browser parity: N passed, M failed".
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
execFileSync(process.execPath, ['scripts/embed-wgsl.mjs']);
const bundle = await build({
  entryPoints: ['test/browser/parity-page.ts'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const script = bundle.outputFiles[0].text;
const page = '<!doctype html><meta charset="utf-8"><title>aelab parity</title><script type="module" src="/parity.js"></script>';
const server = createServer((request, response) => {
  if (request.url === '/parity.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' });
    response.end(script);
  } else {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page);
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const profile = mkdtempSync(join(tmpdir(), 'aelab-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let exitCode = 1;
try {
  const tab = await context.newPage();
  tab.on('console', (message) => console.log(`page: ${message.text()}`));
  const pageError = new Promise((_, reject) => tab.on('pageerror', (error) => reject(new Error(`page error: ${error.message}`))));
  await tab.goto(url);
  await Promise.race([
    tab.waitForFunction(() => globalThis.parityResult !== undefined, null, { timeout: Number(process.env.BROWSER_PARITY_TIMEOUT_MS ?? 600_000) }),
    pageError,
  ]);
  const report = await tab.evaluate(() => globalThis.parityResult);
  console.log(`adapter: ${report.adapter} (chromium)`);
  if (report.error) console.log(`error: ${report.error}`);
  for (const failure of report.failures) console.log(`FAIL ${failure}`);
  console.log(`browser parity: ${report.passed} passed, ${report.failed} failed`);
  exitCode = report.failed === 0 && report.passed > 0 ? 0 : 1;
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
