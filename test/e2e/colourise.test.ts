// aelab colourise as a user runs it: every method trained briefly to a report, the refusals
// (a taken --out, a changed setting on --resume, an unknown method, a model folder of another
// kind), colourising a user's pictures (PNG and JPEG of any size, EXIF orientation, a damaged
// one named while the rest are done); and the lab-classes decoding
// on the GPU against the colours it encodes.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import * as ort from 'onnxruntime-web';
import { quadrantJpeg } from '../support/pictures.ts';
import { runCli } from '../support/cli.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';
import { testEngine } from '../support/engine.ts';
import { findBins } from '../../src/experiments/colourise/ab-bins.ts';
import { halfResolutionAb, labClassesMethod, PART1_SHAPE } from '../../src/experiments/colourise/methods.ts';
import { Random } from '../../src/random.ts';

function writePng(path: string, width: number, height: number, seed: number): void {
  const random = new Random(seed);
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : Math.floor(256 * random.next());
  writeFileSync(path, PNG.sync.write(png));
}

describe('aelab colourise', () => {
  const out = mkdtempSync(join(tmpdir(), 'aelab-colourise-'));
  const runs = join(out, 'runs');
  const base = [
    'colourise',
    '--data',
    CIFAR10_DIRECTORY,
    '--sample',
    '0.05',
    '--epochs',
    '1',
    '--no-tune',
    '--out',
    runs,
  ];

  it('trains all five runs to a report with the metrics of each and of the gray baseline', () => {
    const result = runCli([...base, '--method', 'all']);
    expect(result.stderr).toMatch(/gray baseline \(neutral chroma\): PSNR \d+\.\d+ dB pooled/);
    expect(result.status).toBe(0);
    const metrics = JSON.parse(readFileSync(join(runs, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.runs)).toEqual([
      'ycbcr',
      'difference',
      'lab-classes',
      'notebook-ycbcr',
      'notebook-difference',
    ]);
    expect(metrics.binCount).toBeGreaterThan(50);
    // Each method against the gray of its own input.
    expect(Object.keys(metrics.grays).sort()).toEqual(['BT.601 luma', 'L*', 'channel mean', "the notebook's luma"]);
    expect(metrics.runs['difference'].ownGray).toBe('channel mean');
    expect(metrics.runs['lab-classes'].ownGray).toBe('L*');
    type Run = { pooledPsnr: number; abAccuracy: number[]; ownGray: string; gainOverOwnGray: number };
    for (const run of Object.values(metrics.runs) as Run[]) {
      expect(Number.isFinite(run.pooledPsnr)).toBe(true);
      expect(run.abAccuracy).toHaveLength(151);
      expect(run.gainOverOwnGray).toBeCloseTo(run.pooledPsnr - metrics.grays[run.ownGray].pooledPsnr, 10);
    }
    const report = readFileSync(join(runs, 'report.html'), 'utf8');
    expect(report).toMatch(/the notebook&#39;s YCbCr|the notebook's YCbCr/);
    expect(report).toMatch(/data:image\/png;base64/);
    for (const name of ['ycbcr', 'lab-classes', 'notebook-difference'])
      expect(existsSync(join(runs, name, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(runs, 'lab-classes', 'bins.json'))).toBe(true);
  }, 300_000); // five trainings in one child process: its own limit, runCli's, not the suite's 120 s

  it('trains with and without U-Net skip connections (--compare-skips), reports both, and colourises with the skip folder', () => {
    const skipRuns = join(out, 'skip-runs');
    const trained = runCli([...base.slice(0, -1), skipRuns, '--method', 'ycbcr', '--compare-skips']);
    expect(trained.status).toBe(0);
    const architecture = (name: string) =>
      JSON.parse(readFileSync(join(skipRuns, name, 'config.json'), 'utf8')).architecture;
    expect(architecture('ycbcr').skip).toBe(false);
    expect(architecture('ycbcr-skip').skip).toBe(true);
    const metrics = JSON.parse(readFileSync(join(skipRuns, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.runs)).toEqual(['ycbcr', 'ycbcr-skip']);
    expect([metrics.runs.ycbcr.skip, metrics.runs['ycbcr-skip'].skip]).toEqual([false, true]);
    expect(Number.isFinite(metrics.runs['ycbcr-skip'].gainOverOwnGray)).toBe(true);
    // Each variant has its own target line: +0.50 without skips, +1.00 with.
    expect(metrics.targets).toEqual([
      expect.stringMatching(/^ycbcr: .* \(target \+0\.50\): (met|not met)$/),
      expect.stringMatching(/^ycbcr-skip: .* \(target \+1\.00\): (met|not met)$/),
    ]);
    const report = readFileSync(join(skipRuns, 'report.html'), 'utf8');
    expect(report).toMatch(/<th style="text-align:left">ycbcr-skip<br><small>[^<]*U-Net skip connections/);
    expect(report).toMatch(/Columns: gray, ycbcr, ycbcr-skip, truth/);
    // 13 x 9, padded to 16 x 12: the skips join maps of 16 x 12 and 8 x 6.
    const picture = join(out, 'skip.png');
    writePng(picture, 13, 9, 4);
    const coloured = runCli([
      'colourise',
      '--model',
      join(skipRuns, 'ycbcr-skip'),
      '--input',
      picture,
      '--out',
      join(out, 'skip-out.png'),
    ]);
    expect(coloured.status).toBe(0);
    const png = PNG.sync.read(readFileSync(join(out, 'skip-out.png')));
    expect([png.width, png.height]).toEqual([13, 9]);
  });

  it('refuses to train over a finished run without --resume, and a changed seed with it', () => {
    const again = runCli([...base, '--method', 'ycbcr']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds trained ycbcr: pass --resume/);
    const changed = runCli([...base, '--method', 'ycbcr', '--resume', '--seed', '2']);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/seed 2 \(the run has 1\)/);
  });

  it('resumes to more epochs from the last checkpoint', () => {
    const result = runCli([
      ...base.map((value) => (value === '1' ? '2' : value)),
      '--method',
      'difference',
      '--resume',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/difference: resuming after epoch 1 of 2/);
  });

  it.each([
    [['colourise', '--method', 'sepia'], /--method sepia: no such colour method/],
    [['colourise', '--method', 'lab-classes', '--notebook'], /the notebook had no lab-classes method/],
    [['colourise'], /--method is required/],
    [['colourise', '--model', 'x', '--out', 'y'], /--input is required/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const result = runCli(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exports a trained colouriser as ONNX that ONNX Runtime runs: gray in, its chroma out', async () => {
    const file = join(out, 'ycbcr.onnx');
    const result = runCli(['export', '--model', join(runs, 'ycbcr'), '--out', file, '--image-size', '16x24']);
    expect(result.stderr).toMatch(/input 'image' \[batch, 1, 16, 24\]/);
    expect(result.status).toBe(0);
    const session = await ort.InferenceSession.create(readFileSync(file));
    const gray = Float32Array.from({ length: 2 * 16 * 24 }, (_, i) => (i % 7) / 7);
    const output = (await session.run({ image: new ort.Tensor('float32', gray, [2, 1, 16, 24]) }))['output']!;
    expect(output.dims).toEqual([2, 2, 16, 24]);
    expect([...(output.data as Float32Array)].every(Number.isFinite)).toBe(true);
  });

  it("colourises a user's pictures of any size at full resolution, naming a damaged one, and refuses a model folder of another kind", () => {
    const pictures = join(out, 'pictures');
    mkdirSync(pictures);
    writePng(join(pictures, 'a.png'), 16, 8, 1);
    writePng(join(pictures, 'b.png'), 16, 8, 2);
    const coloured = join(out, 'coloured');
    const result = runCli(['colourise', '--model', join(runs, 'lab-classes'), '--input', pictures, '--out', coloured]);
    expect(result.stderr).toMatch(/wrote 2 colourised pictures/);
    const png = PNG.sync.read(readFileSync(join(coloured, 'a.png')));
    expect([png.width, png.height]).toEqual([16, 8]);

    // Pictures people have: other sizes, a JPEG of odd size stored sideways (EXIF 6), a damaged one.
    writePng(join(pictures, 'c.png'), 13, 9, 3);
    writeFileSync(join(pictures, 'd.jpg'), quadrantJpeg(45, 31, 6));
    writeFileSync(join(pictures, 'e.jpg'), quadrantJpeg(45, 31).subarray(0, 300));
    const photos = join(out, 'photos');
    const mixed = runCli(['colourise', '--model', join(runs, 'ycbcr'), '--input', pictures, '--out', photos]);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/e\.jpg: a damaged JPEG/);
    expect(mixed.stderr).toMatch(/wrote 4 colourised pictures by ycbcr/);
    expect(mixed.stderr).toMatch(/1 of 5 pictures could not be read \(named above\)/);
    const c = PNG.sync.read(readFileSync(join(photos, 'c.png')));
    expect([c.width, c.height]).toEqual([13, 9]);
    const d = jpeg.decode(readFileSync(join(photos, 'd.jpg')), { useTArray: true });
    expect([d.width, d.height]).toEqual([31, 45]);
    expect(existsSync(join(photos, 'e.jpg'))).toBe(false);
    // One picture to one file, of the type its name says.
    const one = join(out, 'one.jpg');
    const single = runCli([
      'colourise',
      '--model',
      join(runs, 'ycbcr'),
      '--input',
      join(pictures, 'c.png'),
      '--out',
      one,
    ]);
    expect(single.status).toBe(0);
    expect([...readFileSync(one).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

    const another = runCli([
      'colourise',
      '--model',
      join(runs, 'lab-classes'),
      '--method',
      'ycbcr',
      '--input',
      pictures,
      '--out',
      coloured,
    ]);
    expect(another.status).toBe(1);
    expect(another.stderr).toMatch(/holds a 'lab-classes' colouriser, not 'ycbcr'/);

    const other = join(out, 'autoencoder');
    mkdirSync(other);
    writeFileSync(join(other, 'config.json'), JSON.stringify({ data: null, epochs: 1 }));
    const wrong = runCli(['colourise', '--model', other, '--input', join(pictures, 'a.png'), '--out', coloured]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/a run folder of another kind \(an autoencoder's, not a colouriser's\)/);
  });
});

describe('lab-classes decoding on the GPU', async () => {
  const engine = await testEngine();

  it.skipIf(!engine)(
    'the annealed mean of a soft-encoded target lies within half the diagonal of a bin (5 sqrt 2 ab units) of the colour it encodes: annealing pulls it towards the nearest bin centre',
    async () => {
      const random = new Random(4);
      const rgb = {
        data: Float32Array.from({ length: 2 * 3 * 8 * 8 }, () => random.next()),
        count: 2,
        height: 8,
        width: 8,
      };
      const ab = halfResolutionAb(rgb);
      const pairs = new Float64Array(ab.length);
      for (let n = 0; n < 2; n++)
        for (let p = 0; p < 16; p++)
          [pairs[2 * (n * 16 + p)], pairs[2 * (n * 16 + p) + 1]] = [ab[2 * n * 16 + p]!, ab[(2 * n + 1) * 16 + p]!];
      const bins = findBins(pairs);
      const method = labClassesMethod(engine!, bins, PART1_SHAPE);
      const targets = method.targets(rgb);
      // Logits log(t) (the empty bins far below): softmax gives back t's distribution.
      const logits = targets.map((value) => Math.log(Math.max(value, 1e-30)));
      const decoded = await engine!.scopeAsync(async () =>
        method.decode!(engine!.tensor(logits, [2, bins.count, 4, 4])).read(),
      );
      const errors = Array.from({ length: 32 }, (_, i) => {
        const [n, p] = [Math.floor(i / 16), i % 16];
        return Math.hypot(
          decoded[2 * n * 16 + p]! - ab[2 * n * 16 + p]!,
          decoded[(2 * n + 1) * 16 + p]! - ab[(2 * n + 1) * 16 + p]!,
        );
      });
      expect(Math.max(...errors)).toBeLessThan(5 * Math.SQRT2);
      expect(Math.max(...errors)).toBeGreaterThan(0); // decoded, not copied
    },
  );
});
