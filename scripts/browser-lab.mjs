// The lab page in a real browser: builds the package, starts `aelab lab` on 127.0.0.1 with the
// shared CIFAR-10 (its 404s checked), exports the page with the data as a static site
// (`aelab lab --export`) served by a plain static file server, and drives headless Chromium
// (Debian's /usr/bin/chromium, playwright-core, --enable-unsafe-webgpu) through every view there. Any page error or console error fails it.
// Screenshots of each view go to .cache/lab/. Prints "browser parity: N passed, M failed"
// (the Gradients view's suite) and "lab: N passed, M failed" (the checks below).
//   node scripts/browser-lab.mjs
import { execFileSync, spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { launchChromium } from './chromium.mjs';

import { CIFAR10_DIRECTORY as DATA } from './data-location.mjs';
const SHOTS = '.cache/lab';
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
let parity = { passed: 0, failed: 1 };
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

  await check('Train: 2 epochs on the shared CIFAR-10 sample, the loss shown falls', async () => {
    await tab.click('#play');
    await tab.waitForSelector('#train-status[data-state="finished"]', { timeout: 10 * MINUTE });
    const { losses, epochs } = await labState(() => {
      const session = globalThis.aelabLab.session();
      return { losses: session.losses.map((point) => point.loss), epochs: session.epochs.map((log) => log.train.loss) };
    });
    expect(epochs.length === 2 && epochs[1] < epochs[0], `epoch losses ${epochs}`);
    expect(losses.length >= 2 && losses.at(-1) < losses[0], `chart losses ${losses}`);
    const status = await tab.textContent('#train-status');
    expect(/images\/s/.test(status) && /validation loss/.test(status), `status: ${status}`);
    expect(new URL(tab.url()).search.includes('epochs=2'), `the URL keeps the settings: ${tab.url()}`);
    await tab.screenshot({ path: `${SHOTS}/train.png`, fullPage: true });
    noProblems();
  });

  const reconstructions = () =>
    tab.$$eval('#reconstructions .strip:last-child canvas', (canvases) => canvases.map((canvas) => canvas.toDataURL()));
  await check('Train: a saved model loads back with the same reconstructions', async () => {
    const trained = await reconstructions();
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#save-model')]);
    const saved = join(profile, 'model.safetensors');
    await download.saveAs(saved);
    await tab.click('#reset');
    await tab.waitForSelector('#train-status[data-epochs="0"]');
    await tab.waitForFunction((before) => {
      const now = [...document.querySelectorAll('#reconstructions .strip:last-child canvas')].map((canvas) =>
        canvas.toDataURL(),
      );
      return now.length > 0 && now[0] !== before[0];
    }, trained);
    await tab.setInputFiles('#load-model', saved);
    await tab.waitForFunction(() => /^loaded model\.safetensors/.test(document.querySelector('#message').textContent));
    const loaded = await reconstructions();
    expect(
      loaded.length === trained.length && loaded.every((image, i) => image === trained[i]),
      "the reconstructions after loading differ from the saved model's",
    );
    noProblems();
  });

  await check(
    'Train: the learning rate changed while training runs (marked on the chart), exact values on hover, and a rewind to the same initial weights',
    async () => {
      const weightsDigest = () =>
        labState(async () => {
          const bytes = await globalThis.aelabLab.session().saveModel();
          return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))).join(',');
        });
      await tab.click('#reset');
      await tab.waitForSelector('#train-status[data-state="ready"]', { timeout: MINUTE });
      const initial = await weightsDigest();
      const initialRate = await labState(() => globalThis.aelabLab.session().learningRate);
      await tab.click('#play');
      await tab.waitForFunction(() => Number(document.getElementById('loss-chart').dataset.points) >= 2, null, {
        timeout: 5 * MINUTE,
      });
      await tab.fill('#train input[name="learningRate"]', '0.0005');
      await tab.dispatchEvent('#train input[name="learningRate"]', 'change');
      await tab.waitForSelector('#loss-chart .marker-label', { timeout: MINUTE });
      const { rate, markers } = await labState(() => {
        const session = globalThis.aelabLab.session();
        return { rate: session.learningRate, markers: session.markers };
      });
      expect(rate === 0.0005 && markers.length === 1 && markers[0].label === 'lr 0.0005', JSON.stringify(markers));
      expect((await tab.textContent('#loss-chart .marker-label')) === 'lr 0.0005', 'no marker label on the chart');
      const hover = await tab.textContent('#loss-chart circle.point title');
      expect(/^training loss: \d+\.\d{5} at epoch \d+\.\d{3}$/.test(hover), `hover text: ${hover}`);
      await tab.waitForSelector('#train-status[data-state="finished"]', { timeout: 10 * MINUTE });
      // Rewind: a new model from the same seed, the same initial weights and learning rate, no marks.
      await tab.click('#reset');
      await tab.waitForSelector('#train-status[data-state="ready"]', { timeout: MINUTE });
      expect((await weightsDigest()) === initial, 'the rewound weights differ from the initial ones');
      const after = await labState(() => ({
        rate: globalThis.aelabLab.session().learningRate,
        markers: globalThis.aelabLab.session().markers.length,
      }));
      const field = await tab.inputValue('#train input[name="learningRate"]');
      expect(
        after.rate === initialRate && after.markers === 0 && Number(field) === initialRate,
        JSON.stringify({ ...after, field }),
      );
      noProblems();
    },
  );

  await check(
    'a GPU device lost mid-training: the page gets a new one, and training goes on to the last epoch',
    async () => {
      await tab.goto(`${site.url}?epochs=3&sample=0.1#train`);
      await tab.waitForSelector('#data-status[data-ready="true"]', { timeout: MINUTE });
      await tab.click('#play');
      await tab.waitForSelector('#train-status[data-epochs="1"]', { timeout: 5 * MINUTE });
      await labState(() => globalThis.aelabLab.engine.device.destroy());
      await tab.waitForFunction(() => globalThis.aelabLab.devicesLost === 1, null, { timeout: MINUTE });
      await tab.waitForSelector('#train-status[data-state="finished"]', { timeout: 10 * MINUTE });
      const { epochs, text } = await labState(() => ({
        epochs: globalThis.aelabLab.session().epochs.map((log) => log.epoch),
        text: document.getElementById('message').textContent,
      }));
      expect(epochs.join() === '1,2,3', `epochs after the loss: ${epochs}`);
      expect(
        /a new GPU device is in use; training goes on from (epoch \d|the initial weights)/.test(text),
        `message: ${text}`,
      );
      noProblems();
    },
  );

  await check(
    'Inside: non-blank activation maps, a conv value worked out agrees with the float64 reference, a conv run with the plain kernel agrees',
    async () => {
      await tab.click('#tab-inside');
      await tab.waitForSelector('#layers .layer canvas', { timeout: MINUTE });
      const blank = await tab.$$eval('#layers .layer .maps', (strips) =>
        strips.map((strip) => {
          const canvas = strip.querySelector('canvas');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          return data.every((value, i) => value === data[i % 4]);
        }),
      );
      expect(
        blank.length >= 8 && blank.filter((isBlank) => !isBlank).length >= blank.length - 2,
        `blank maps: ${blank}`,
      );
      for (const layer of [0, 2, 5]) {
        const tile = tab.locator(`#layers .layer[data-layer="${layer}"] .maps canvas`).first();
        await tile.click({ position: { x: 20, y: 17 } });
        const result = tab.locator('#step-through .result');
        const agree = await result.getAttribute('data-agree');
        if (agree !== null) expect(agree === 'true', `layer ${layer}: ${await result.textContent()}`);
        else
          expect(
            /row-major|copy of input/.test(await result.textContent()),
            `layer ${layer}: ${await result.textContent()}`,
          );
      }
      // The first conv's value at the centre of each channel: all agree, and some are not a ReLU's 0.
      const values = [];
      for (const tile of await tab.locator('#layers .layer[data-layer="0"] .maps canvas').all()) {
        await tile.click({ position: { x: 36, y: 36 } });
        expect(
          (await tab.getAttribute('#step-through .result', 'data-agree')) === 'true',
          `the first conv disagrees: ${await tab.textContent('#step-through .result')}`,
        );
        values.push(Number(await tab.getAttribute('#step-through .result', 'data-gpu')));
      }
      expect(
        values.some((value) => value > 0),
        `every first-conv value at the centre is 0: ${values}`,
      );
      // The second conv run again with the plain kernel: the same output within float32 rounding.
      await tab.click('#layers .layer[data-layer="2"] button.plain-run');
      await tab.waitForSelector('#layers .layer[data-layer="2"] .plain-result[data-difference]', { timeout: MINUTE });
      const difference = Number(
        await tab.getAttribute('#layers .layer[data-layer="2"] .plain-result', 'data-difference'),
      );
      expect(difference >= 0 && difference < 1e-4, `the plain kernel's output differs by ${difference}`);
      await tab.screenshot({ path: `${SHOTS}/inside.png`, fullPage: false });
      await tab.selectOption('#inside-mode', 'gradients');
      const signed = await tab.$$eval('#layers .layer[data-layer="2"] .maps canvas', (canvases) => canvases.length);
      expect(signed > 0, 'no gradient maps');
      await tab.screenshot({ path: `${SHOTS}/inside-gradients.png`, fullPage: false });
      noProblems();
    },
  );

  await check("Gradients: the gradient-check suite passes on the browser's GPU", async () => {
    await tab.click('#tab-gradients');
    await tab.click('#run-checks');
    await tab.waitForSelector('#checks-status[data-failed]', { timeout: 20 * MINUTE });
    const failed = await tab.getAttribute('#checks-status', 'data-failed');
    const passed = Number(await tab.getAttribute('#checks-status', 'data-passed'));
    parity = { passed, failed: failed === 'error' ? 1 : Number(failed) };
    for (const row of await tab.$$eval('#checks-table tr.fail', (rows) =>
      rows.map((row) => `${row.textContent} ${row.title}`),
    ))
      console.log(`FAIL ${row}`);
    await tab.screenshot({ path: `${SHOTS}/gradients.png` });
    expect(parity.failed === 0 && parity.passed > 0, await tab.textContent('#checks-status'));
    noProblems();
  });

  await check(
    'Kernels: one row timed against plain kernels in the page, the results as JSON, and the WGSL that ran',
    async () => {
      await tab.click('#tab-kernels');
      await tab.click('#kernels-table button.run-row[data-row="0"]');
      await tab.waitForSelector('#kernels-status[data-rows]', { timeout: 10 * MINUTE });
      const timed = await tab.$$eval('#kernels-table td.timed', (cells) => cells.map((cell) => cell.textContent));
      expect(
        timed.length >= 5 && Number(timed[1]) > 0 && /GFLOP\/s/.test(timed[2]) && /^\d+\.\d%$/.test(timed[4]),
        `timed cells: ${timed}`,
      );
      const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#kernels-download')]);
      const file = join(profile, 'kernels.json');
      await download.saveAs(file);
      const records = JSON.parse(readFileSync(file, 'utf8'));
      const [plainMatmul, engineMatmul, copy, ...passes] = records;
      expect(
        plainMatmul.op === 'plain matmul' &&
          plainMatmul.pass === 'ceiling' &&
          engineMatmul.op === 'matmul' &&
          engineMatmul.pass === 'engine' &&
          copy.op === 'copy',
        "the plain matmul, the engine's matmul and the copy do not lead the records",
      );
      expect(engineMatmul.shareOfCeiling > 0 && engineMatmul.gflops > 0, JSON.stringify(engineMatmul));
      expect(
        passes.length >= 1 &&
          passes.every(
            (record) =>
              record.shape === 'conv 3->8 @32' &&
              record.milliseconds > 0 &&
              record.shareOfCeiling > 0 &&
              record.besidePlainConvGflops > 0 &&
              record.shareOfPlainConvBeside > 0,
          ),
        JSON.stringify(passes),
      );
      // The WGSL that ran: a conv pipeline's text as compiled, every code line marked with its file.
      const convOption = await tab.$eval(
        '#kernels-pipeline',
        (select) => [...select.options].find((option) => option.textContent.startsWith('conv2d.forward'))?.value,
      );
      expect(convOption !== undefined, 'no conv2d.forward pipeline offered under "The WGSL that ran"');
      await tab.selectOption('#kernels-pipeline', convOption);
      await tab.click('#kernels-show-wgsl');
      const wgslText = await tab.textContent('#kernels-wgsl');
      expect(
        /^\/\/ conv2d\.forward \(/.test(wgslText) &&
          / \/\/ @ src\/kernels\/conv2d\/prelude\.wgsl:\d+$/m.test(wgslText) &&
          /@compute/.test(wgslText),
        `the WGSL shown: ${wgslText.slice(0, 200)}`,
      );
      await tab.screenshot({ path: `${SHOTS}/kernels.png`, fullPage: true });
      noProblems();
    },
  );

  await check('Results: a Part 1 run folder and a sweep folder, with their charts', async () => {
    const runs = join(profile, 'runs');
    const aelab = (...args) =>
      execFileSync(process.execPath, ['dist/cli.js', ...args, '--data', DATA, '--epochs', '1', '--sample', '0.05'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    aelab('autoencoder', '--no-tune', '--out', join(runs, 'part1'));
    writeFileSync(
      join(profile, 'grid.json'),
      '{"fewer_layers": [true], "channel_factor": [2], "kernel_size": [3], "compression_factor": [1, 2, 4]}',
    );
    aelab('sweep', '--grid', join(profile, 'grid.json'), '--best-epochs', '0', '--out', join(runs, 'sweep'));
    await tab.click('#tab-results');
    await tab.setInputFiles('#results-folder', join(runs, 'part1'));
    await tab.waitForSelector('#results-output[data-kind="autoencoder"] svg');
    expect(
      (await tab.locator('#results-output img[alt="reconstructions.png"]').count()) === 1,
      'no reconstructions picture',
    );
    await tab.setInputFiles('#results-folder', join(runs, 'sweep'));
    await tab.waitForSelector('#results-output[data-kind="sweep"] svg');
    expect(
      (await tab.locator('#results-output svg').count()) === 2 &&
        /^3 trials; best /.test(await tab.textContent('#results-output .sweep-summary')),
      "the sweep's scatter plots or summary are missing",
    );
    await tab.screenshot({ path: `${SHOTS}/results.png`, fullPage: true });
    noProblems();
  });

  await check('a dropped file that is not CIFAR-10 or a picture gets a message naming it', async () => {
    const drop = (name, bytes) =>
      tab.evaluate(
        ([fileName, content]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(content)], fileName));
          document.body.dispatchEvent(
            new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
        },
        [name, bytes],
      );
    await drop('notes.txt', [104, 105]);
    await tab.waitForFunction(() =>
      document.querySelector('#message').textContent.startsWith('notes.txt: not a CIFAR-10 batch'),
    );
    await drop(
      'data_batch_9.bin',
      Array.from({ length: 3000 }, () => 1),
    );
    await tab.waitForFunction(() =>
      /^data_batch_9\.bin: 3000 bytes is not a whole number of CIFAR-10 records/.test(
        document.querySelector('#message').textContent,
      ),
    );
    await drop('photo.png', [1, 2, 3]);
    await tab.waitForFunction(() =>
      document.querySelector('#message').textContent.startsWith('photo.png: the browser cannot decode it'),
    );
    noProblems();
  });

  await check(
    'the kernels are tuned while the page is idle, and a second visit starts from that tuning (IndexedDB)',
    async () => {
      await tab.goto(`${site.url}?sample=0.1#train`);
      await tab.waitForSelector('#tuning-status[data-tuning="tuned"]', { timeout: 15 * MINUTE });
      const tuned = await labState(() => globalThis.aelabLab.engine.tuning.size);
      expect(tuned > 0, 'the tuning table is empty after tuning');
      await tab.reload();
      await tab.waitForSelector('#tuning-status[data-tuning="tuned"]', { timeout: MINUTE });
      const adopted = Number(await tab.getAttribute('#tuning-status', 'data-adopted'));
      const text = await tab.textContent('#tuning-status');
      expect(
        adopted === tuned && /^kernels tuned for this GPU: \d+ dispatches/.test(text),
        `after a reload: ${adopted} entries taken from the store of ${tuned}; status: ${text}`,
      );
      noProblems();
    },
  );
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
writeFileSync(`${SHOTS}/results.json`, JSON.stringify({ results, parity }, null, 2) + '\n');
console.log(`browser parity: ${parity.passed} passed, ${parity.failed} failed`);
console.log(`lab: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
