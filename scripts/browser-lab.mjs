// The lab page in a real browser: builds the package, starts `aelab lab` on 127.0.0.1 with the
// shared CIFAR-10 (its 404s checked), exports the page with the data as a static site
// (`aelab lab --export`) served by a plain static file server, and drives headless Chromium
// (Debian's /usr/bin/chromium, playwright-core, --enable-unsafe-webgpu) through every view there. Any page error or console error fails it.
// Screenshots of each view go to docs/images/lab-*.png (docs/lab.md shows them). Prints "browser parity: N passed, M failed"
// (the Gradients view's suite) and "lab: N passed, M failed" (the checks below).
//   node scripts/browser-lab.mjs
import { execFileSync, spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { launchChromium } from './chromium.mjs';
import trainChecks from './browser-lab/train.mjs';
import viewChecks from './browser-lab/views.mjs';
import moreChecks from './browser-lab/more.mjs';

import { CIFAR10_DIRECTORY as DATA } from './data-location.mjs';
const SHOTS = 'docs/images';
const CACHE = '.cache/lab';
mkdirSync(CACHE, { recursive: true });
const MINUTE = 60_000;
mkdirSync(SHOTS, { recursive: true });
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });

const results = [];
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, passed: true });
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    results.push({ name, passed: false });
    console.log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
  }
}
const expect = (condition, what) => {
  if (!condition) throw new Error(what);
};

// The server, as a user starts it.
const server = spawn(process.execPath, ['dist/cli.js', 'lab', '--data', DATA, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(output);
    if (match) resolve(match[0]);
  });
  server.on('exit', (code) => reject(new Error(`aelab lab exited with ${code}`)));
});
console.log(`lab served at ${url}`);

/** Status of a GET of `path` exactly as written (no normalisation of ../). */
const statusOf = (path) =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    request({ hostname, port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode);
    })
      .on('error', reject)
      .end();
  });

/** A plain static file server, as any host serves a folder: it knows nothing of the lab. */
const STATIC_TYPES = { html: 'text/html', js: 'text/javascript', css: 'text/css', json: 'application/json' };
function serveFolder(folder) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://host').pathname);
    const file = resolve(folder, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const type = STATIC_TYPES[file.split('.').pop()] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${server.address().port}/` })),
  );
}
const SITE = resolve('.cache/lab-site');
rmSync(SITE, { recursive: true, force: true });
execFileSync(process.execPath, ['dist/cli.js', 'lab', '--export', SITE, '--data', DATA], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const site = await serveFolder(SITE);
console.log(`the exported lab served statically at ${site.url}`);

const browser = await launchChromium({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
const { context, profile } = browser;
const problems = [];
const record = { parity: { passed: 0, failed: 1 }, longTasks: null };
try {
  await check('only the page and the data are served: anything else is a 404', async () => {
    expect(
      (await statusOf('/')) === 200 &&
        (await statusOf('/lab.js')) === 200 &&
        (await statusOf('/data/test_batch.bin')) === 200,
      'the page or the data is not served',
    );
    for (const path of [
      '/../package.json',
      '/data/../../package.json',
      '/data/%2e%2e%2fpackage.json',
      '/src/lab/main.ts',
      '/data/batches.meta.txt',
      '/etc/passwd',
    ]) {
      const status = await statusOf(path);
      expect(status === 404, `${path} answered ${status}`);
    }
  });

  const tab = await context.newPage();
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const noProblems = () => expect(problems.length === 0, problems.join('; '));
  const labState = (body) => tab.evaluate(body);

  await tab.goto(`${site.url}?epochs=2&sample=0.1#train`);
  await tab.waitForSelector('#data-status[data-ready="true"]', { timeout: MINUTE });
  await tab.waitForSelector('#reconstructions canvas', { timeout: MINUTE });

  // What the check groups (scripts/browser-lab/) share.
  const lab = {
    tab,
    context,
    profile,
    site,
    check,
    expect,
    labState,
    noProblems,
    problems,
    record,
    SHOTS,
    MINUTE,
    DATA,
  };
  await trainChecks(lab);
  await viewChecks(lab);
  await moreChecks(lab);
  await tab.close();

  await check('without WebGPU the page says so and names what to enable', async () => {
    const bare = await context.newPage();
    await bare.addInitScript(() => delete Object.getPrototypeOf(navigator).gpu);
    await bare.goto(site.url);
    await bare.waitForSelector('#no-webgpu');
    expect(/enable-unsafe-webgpu/.test(await bare.textContent('#no-webgpu')), 'no hint of what to enable');
    await bare.close();
  });
} finally {
  await browser.close();
  server.kill('SIGINT');
  site.server.close();
}
const failed = results.filter((result) => !result.passed).length;
writeFileSync(`${CACHE}/results.json`, JSON.stringify({ results, ...record }, null, 2) + '\n');
console.log(`browser parity: ${record.parity.passed} passed, ${record.parity.failed} failed`);
console.log(`lab: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
