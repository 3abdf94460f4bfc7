// The lab in Chromium: the Colourise view, a batch too large for the GPU, dropped files that
// are not images, the kernels tuned while idle and kept for a second visit, and a Keras import
// loaded and saved again as ONNX.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** `lab`: the page, the browser and the helpers scripts/browser-lab.mjs shares with its check groups. */
export default async function (lab) {
  const { tab, context, profile, site, check, expect, labState, noProblems, problems, record, SHOTS, MINUTE, DATA } =
    lab;
  await check(
    "Colourise: a colouriser trained in the page colours a dropped picture of any size, and one of 'aelab colourise' loads",
    async () => {
      await tab.click('#tab-colourise');
      await tab.fill('#colourise-epochs', '1');
      await tab.click('#colourise-train');
      await tab.waitForSelector('#colourise-status[data-ready="true"]', { timeout: 10 * MINUTE });
      // A 45 x 30 picture (sides no pool divides), blue to orange, dropped on the view.
      await labState(async () => {
        const canvas = new OffscreenCanvas(45, 30);
        const context = canvas.getContext('2d');
        const gradient = context.createLinearGradient(0, 0, 45, 30);
        gradient.addColorStop(0, '#3080ff');
        gradient.addColorStop(1, '#ffa020');
        context.fillStyle = gradient;
        context.fillRect(0, 0, 45, 30);
        const transfer = new DataTransfer();
        transfer.items.add(new File([await canvas.convertToBlob({ type: 'image/png' })], 'sky.png'));
        document
          .getElementById('colourise-drop')
          .dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      });
      await tab.waitForSelector('#colourised[data-psnr-colours]', { timeout: 5 * MINUTE });
      const shown = await labState(() => {
        const output = document.getElementById('colourised');
        const [gray, colours] = [...output.querySelectorAll('canvas')].map((canvas) =>
          canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height),
        );
        const chroma = (image) =>
          Math.max(
            ...Array.from({ length: image.width * image.height }, (_, i) =>
              Math.abs(image.data[4 * i] - image.data[4 * i + 2]),
            ),
          );
        return {
          ...output.dataset,
          sizes: [...output.querySelectorAll('canvas')].map((canvas) => `${canvas.width}x${canvas.height}`),
          grayChroma: chroma(gray),
          colourChroma: chroma(colours),
        };
      });
      expect(
        shown.width === '45' && shown.height === '30' && shown.sizes.join() === '45x30,45x30,45x30',
        `the colourised picture: ${JSON.stringify(shown)}`,
      );
      expect(
        Number.isFinite(Number(shown.psnrColours)) && Number.isFinite(Number(shown.psnrGray)),
        `PSNRs: ${JSON.stringify(shown)}`,
      );
      expect(shown.grayChroma === 0 && shown.colourChroma > 0, `gray and colours: ${JSON.stringify(shown)}`);
      await tab.screenshot({ path: `${SHOTS}/lab-colourise.png` });
      // A method folder written by the command line.
      const folder = join(profile, 'colourise');
      execFileSync(
        process.execPath,
        [
          'dist/cli.js',
          'colourise',
          '--method',
          'difference',
          '--data',
          DATA,
          '--epochs',
          '1',
          '--sample',
          '0.05',
          '--no-tune',
          '--out',
          folder,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      await tab.setInputFiles('#colourise-folder', join(folder, 'difference'));
      await tab.waitForFunction(
        () =>
          /^colouriser: difference, from difference\./.test(document.getElementById('colourise-status').textContent),
        null,
        { timeout: MINUTE },
      );
      noProblems();
    },
  );

  await check(
    'a batch too large for the GPU gets a message naming its size, and a smaller one then trains',
    async () => {
      // A GPU whose largest storage buffer is 16 MB (the device reports it so; the engine checks against it).
      const small = await context.newPage();
      small.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      await small.addInitScript(() => {
        const limits = Object.getOwnPropertyDescriptor(GPUDevice.prototype, 'limits').get;
        Object.defineProperty(GPUDevice.prototype, 'limits', {
          get() {
            return new Proxy(limits.call(this), {
              get: (target, key) => (key === 'maxStorageBufferBindingSize' ? 16e6 : target[key]),
            });
          },
        });
      });
      await small.goto(`${site.url}?batchSize=1024&epochs=1&sample=0.5#train`);
      await small.waitForSelector('#data-status[data-ready="true"]', { timeout: MINUTE });
      await small.click('#play');
      await small.waitForFunction(
        () =>
          /^batch size 1024 does not fit this GPU \(tensor .* needs [\d.]+ MB, more than this GPU gives one buffer \(16\.0 MB\)\)/.test(
            document.getElementById('message').textContent,
          ),
        null,
        { timeout: 5 * MINUTE },
      );
      expect((await small.getAttribute('#train-status', 'data-state')) === 'stopped', 'the training did not stop');
      await small.fill('#train input[name="batchSize"]', '32');
      await small.click('#apply');
      await small.waitForSelector('#train-status[data-state="ready"]', { timeout: MINUTE });
      await small.click('#step');
      await small.waitForSelector('#train-status[data-state="paused"]', { timeout: 5 * MINUTE });
      const updates = await small.evaluate(() => globalThis.aelabLab.session().optimizer.step);
      expect(updates === 1, `${updates} updates after one step at batch size 32`);
      await small.close();
      noProblems();
    },
  );

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

  await check(
    "Train: a Keras model imported by 'aelab import-keras' loads, and Save as ONNX gives a graph ONNX Runtime runs as the page does",
    async () => {
      const imported = join(profile, 'keras');
      execFileSync(
        process.execPath,
        ['dist/cli.js', 'import-keras', 'test/fixtures/keras/small.keras', '--out', imported],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      await tab.setInputFiles('#load-model', join(imported, 'model.safetensors'));
      await tab.waitForFunction(() =>
        /^loaded model\.safetensors \(keras small/.test(document.querySelector('#message').textContent),
      );
      const summary = await tab.textContent('#model-summary');
      expect(/conv2d 5x5, 10/.test(summary), `the summary after loading is not the Keras model's: ${summary}`);
      const [download] = await Promise.all([tab.waitForEvent('download'), tab.click('#save-onnx')]);
      const file = join(profile, 'model.onnx');
      await download.saveAs(file);
      const { originals, reconstructions } = await labState(async () => {
        const shown = await globalThis.aelabLab.session().reconstruct([0, 1]);
        return { originals: [...shown.originals], reconstructions: [...shown.reconstructions] };
      });
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(readFileSync(file));
      const output = await session.run({
        image: new ort.Tensor('float32', Float32Array.from(originals), [2, 3, 32, 32]),
      });
      const theirs = output.output.data;
      const worst = reconstructions.reduce((most, value, i) => Math.max(most, Math.abs(value - theirs[i])), 0);
      expect(
        theirs.length === reconstructions.length && worst < 1e-5,
        `ONNX Runtime differs from the page by ${worst}`,
      );
      noProblems();
    },
  );
}
