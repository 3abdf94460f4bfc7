// The lab's Inside (opened from the diagram), Gradients, Kernels and Results views in Chromium.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** `lab`: the page, the browser and the helpers scripts/browser-lab.mjs shares with its check groups. */
export default async function (lab) {
  const { tab, context, profile, site, check, expect, labState, noProblems, problems, record, SHOTS, MINUTE, DATA } =
    lab;
  await check(
    'Inside, opened from the diagram: non-blank activation maps, a conv value worked out agrees with the float64 reference, a conv run with the plain kernel agrees',
    async () => {
      // A click on a layer of the model diagram opens the Inside view at that layer.
      await tab.click('#tab-train');
      await tab.click('#model-diagram .block[data-layer="3"]');
      await tab.waitForSelector('#layers .layer.focused[data-layer="3"] canvas', { timeout: MINUTE });
      expect(new URL(tab.url()).hash === '#inside', `the diagram's click went to ${tab.url()}`);
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
      await tab.screenshot({ path: `${SHOTS}/lab-inside.png`, fullPage: false });
      await tab.selectOption('#inside-mode', 'gradients');
      const signed = await tab.$$eval('#layers .layer[data-layer="2"] .maps canvas', (canvases) => canvases.length);
      expect(signed > 0, 'no gradient maps');
      await tab.screenshot({ path: `${SHOTS}/lab-inside-gradients.png`, fullPage: false });
      noProblems();
    },
  );

  await check("Gradients: the gradient-check suite passes on the browser's GPU", async () => {
    await tab.click('#tab-gradients');
    await tab.click('#run-checks');
    await tab.waitForSelector('#checks-status[data-failed]', { timeout: 20 * MINUTE });
    const failed = await tab.getAttribute('#checks-status', 'data-failed');
    const passed = Number(await tab.getAttribute('#checks-status', 'data-passed'));
    record.parity = { passed, failed: failed === 'error' ? 1 : Number(failed) };
    for (const row of await tab.$$eval('#checks-table tr.fail', (rows) =>
      rows.map((row) => `${row.textContent} ${row.title}`),
    ))
      console.log(`FAIL ${row}`);
    await tab.screenshot({ path: `${SHOTS}/lab-gradients.png` });
    expect(record.parity.failed === 0 && record.parity.passed > 0, await tab.textContent('#checks-status'));
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
      await tab.screenshot({ path: `${SHOTS}/lab-kernels.png` });
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
    await tab.screenshot({ path: `${SHOTS}/lab-results.png` });
    noProblems();
  });
}
