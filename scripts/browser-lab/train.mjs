// The lab's Train view in Chromium: training (the diagram, the weight histograms, no long task),
// saving and loading, the learning rate and optimiser changed mid-run, rewind, a lost device.
import { join } from 'node:path';

/** `lab`: the page, the browser and the helpers scripts/browser-lab.mjs shares with its check groups. */
export default async function (lab) {
  const { tab, context, profile, site, check, expect, labState, noProblems, problems, record, SHOTS, MINUTE, DATA } =
    lab;
  const histogramCounts = () =>
    tab.$$eval('#weight-histograms figure', (figures) => figures.map((figure) => figure.dataset.counts));
  await check(
    'Train: 2 epochs on the shared CIFAR-10 sample, the loss shown falls, the model drawn and its weights live, no task over 50 ms',
    async () => {
      await tab.waitForSelector('#weight-histograms figure', { timeout: MINUTE });
      const initialCounts = await histogramCounts();
      // Long tasks (over 50 ms) on the page's main thread while training runs.
      await labState(() => {
        globalThis.longTasks = [];
        new PerformanceObserver((list) =>
          globalThis.longTasks.push(...list.getEntries().map((entry) => Math.round(entry.duration))),
        ).observe({ type: 'longtask' });
      });
      await tab.click('#play');
      await tab.waitForSelector('#train-status[data-state="finished"]', { timeout: 10 * MINUTE });
      record.longTasks = await labState(() => globalThis.longTasks);
      expect(record.longTasks.length === 0, `tasks over 50 ms while training: ${record.longTasks.join(', ')} ms`);
      const diagram = await labState(() => {
        const session = globalThis.aelabLab.session();
        const blocks = [...document.querySelectorAll('#model-diagram .block')];
        return {
          layers: session.model.encoder.layers.length + session.model.decoder.layers.length,
          blocks: blocks.length,
          latent: document.querySelector('#model-diagram .latent-size')?.textContent,
          latentSize: document.getElementById('model-summary').dataset.latentSize,
          blank: blocks.map((block) => {
            const canvas = block.querySelector('canvas');
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            return data.every((value, i) => value === data[i % 4]);
          }),
          weights: session.model
            .namedParameters()
            .filter(([, tensor]) => tensor.shape.length === 4)
            .map(([, tensor]) => tensor.size),
        };
      });
      expect(
        diagram.blocks === diagram.layers + 1 && diagram.latent === `latent ${diagram.latentSize}`,
        `diagram: ${JSON.stringify(diagram)}`,
      );
      expect(diagram.blank.filter((blank) => blank).length <= 1, `blank blocks in the diagram: ${diagram.blank}`);
      const trainedCounts = await histogramCounts();
      expect(
        trainedCounts.length === diagram.weights.length &&
          trainedCounts.every(
            (counts, i) => counts.split(',').reduce((total, count) => total + Number(count), 0) === diagram.weights[i],
          ),
        `histograms ${trainedCounts.length} for ${diagram.weights.length} conv weights`,
      );
      expect(
        trainedCounts.some((counts, i) => counts !== initialCounts[i]),
        'the weight histograms did not change while training',
      );
      const { losses, epochs } = await labState(() => {
        const session = globalThis.aelabLab.session();
        return {
          losses: session.losses.map((point) => point.loss),
          epochs: session.epochs.map((log) => log.train.loss),
        };
      });
      expect(epochs.length === 2 && epochs[1] < epochs[0], `epoch losses ${epochs}`);
      expect(losses.length >= 2 && losses.at(-1) < losses[0], `chart losses ${losses}`);
      const status = await tab.textContent('#train-status');
      expect(/images\/s/.test(status) && /validation loss/.test(status), `status: ${status}`);
      expect(new URL(tab.url()).search.includes('epochs=2'), `the URL keeps the settings: ${tab.url()}`);
      await tab.screenshot({ path: `${SHOTS}/lab-train.png`, fullPage: true });
      await tab.click('#theme');
      await tab.screenshot({ path: `${SHOTS}/lab-train-dark.png`, fullPage: true });
      await tab.click('#theme');
      noProblems();
    },
  );

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
    'Train: the learning rate and the optimiser changed while training runs (marked on the chart), exact values on hover, and a rewind to the same initial weights',
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
      // The optimiser too: Adam from here on, its state at zero, the weights kept.
      await tab.selectOption('#train select[name="optimiser"]', 'adam');
      await tab.waitForFunction(() => globalThis.aelabLab.session().markers.length === 2, null, { timeout: MINUTE });
      const changed = await labState(() => {
        const session = globalThis.aelabLab.session();
        return { optimiser: session.optimiserName, rate: session.learningRate, label: session.markers[1].label };
      });
      expect(
        changed.optimiser === 'adam' && changed.rate === 0.0005 && changed.label === 'adam',
        `after choosing Adam: ${JSON.stringify(changed)}`,
      );
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
        optimiser: globalThis.aelabLab.session().optimiserName,
        losses: globalThis.aelabLab.session().losses.length,
      }));
      const field = await tab.inputValue('#train input[name="learningRate"]');
      const optimiserField = await tab.inputValue('#train select[name="optimiser"]');
      expect(
        after.rate === initialRate &&
          after.markers === 0 &&
          after.optimiser === 'rmsprop' &&
          optimiserField === 'rmsprop' &&
          Number(field) === initialRate,
        JSON.stringify({ ...after, field, optimiserField }),
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
}
