// Data loaders: the real files load unchanged; every kind of bad input gets a clear error.
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { loadCifar10 } from '../../src/data/cifar10.ts';
import { CIFAR10_RECORD_BYTES } from '../../src/data/cifar10-batch.ts';
import { FASHION_MNIST_DIRECTORY, loadFashionMnist, parseIdx } from '../../src/data/fashion-mnist.ts';
import { loadPngFolder } from '../../src/data/png-folder.ts';
import { notebookSplit } from '../../src/data/split.ts';
import { epochOrder, batchesOf } from '../../src/nn/batches.ts';
import { DataError, toFloat, type ImageSet } from '../../src/data/image-set.ts';
import { loadDataSource } from '../../src/experiments/data-source.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

const CIFAR = CIFAR10_DIRECTORY;
const scratch = () => mkdtempSync(join(tmpdir(), 'aelab-data-'));

/** A copy of the shared CIFAR-10 directory that a test may damage. */
function cifarCopy(): string {
  const directory = scratch();
  for (const name of ['data_batch_1.bin', 'data_batch_2.bin', 'test_batch.bin', 'batches.meta.txt'])
    copyFileSync(join(CIFAR, name), join(directory, name));
  return directory;
}

describe('CIFAR-10', () => {
  it('reads the shared files unchanged: labels, planes and class names', () => {
    const { train, test } = loadCifar10(CIFAR);
    expect(train.count).toBe(4 * 932);
    expect(test.count).toBe(932);
    expect(train.classNames).toEqual([
      'airplane',
      'automobile',
      'bird',
      'cat',
      'deer',
      'dog',
      'frog',
      'horse',
      'ship',
      'truck',
    ]);
    const raw = readFileSync(join(CIFAR, 'data_batch_2.bin'));
    const record = 5;
    const index = 932 + record; // batch 2 follows batch 1
    expect(train.labels[index]).toBe(raw[record * CIFAR10_RECORD_BYTES]);
    expect(
      Buffer.from(train.pixels.subarray(index * 3072, (index + 1) * 3072)).equals(
        raw.subarray(record * CIFAR10_RECORD_BYTES + 1, (record + 1) * CIFAR10_RECORD_BYTES),
      ),
    ).toBe(true);
    const floats = toFloat(train, [index]);
    expect(floats[0]).toBeCloseTo(raw[record * CIFAR10_RECORD_BYTES + 1]! / 255, 6);
  });

  it('refuses a truncated batch, naming the file and its size', () => {
    const directory = cifarCopy();
    const path = join(directory, 'data_batch_2.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 932 * CIFAR10_RECORD_BYTES - 100));
    expect(() => loadCifar10(directory)).toThrow(DataError);
    expect(() => loadCifar10(directory)).toThrow(
      /data_batch_2\.bin: 2863936 bytes is not a whole number of CIFAR-10 records of 3073 bytes \(931 records and 2973 bytes left over\)/,
    );
  });

  it('refuses an empty batch', () => {
    const directory = cifarCopy();
    writeFileSync(join(directory, 'test_batch.bin'), new Uint8Array(0));
    expect(() => loadCifar10(directory)).toThrow(/test_batch\.bin: 0 bytes is not a whole number/);
  });

  it('refuses a label outside 0-9, naming the record', () => {
    const directory = cifarCopy();
    const path = join(directory, 'data_batch_1.bin');
    const bytes = readFileSync(path);
    bytes[7 * CIFAR10_RECORD_BYTES] = 10;
    writeFileSync(path, bytes);
    expect(() => loadCifar10(directory)).toThrow(
      /data_batch_1\.bin: record 7 \(byte offset 21511\) has label 10; CIFAR-10 labels are 0-9/,
    );
  });

  it('names what is missing from a directory', () => {
    expect(() => loadCifar10('/nonexistent/cifar')).toThrow(/CIFAR-10 directory '\/nonexistent\/cifar' does not exist/);
    const empty = scratch();
    expect(() => loadCifar10(empty)).toThrow(/no data_batch_\*\.bin files/);
    const noTest = cifarCopy();
    rmSync(join(noTest, 'test_batch.bin'));
    expect(() => loadCifar10(noTest)).toThrow(/no test_batch\.bin/);
    const badMeta = cifarCopy();
    writeFileSync(join(badMeta, 'batches.meta.txt'), 'cat\ndog\n');
    expect(() => loadCifar10(badMeta)).toThrow(/expected 10 class names, found 2/);
  });
});

describe('Fashion-MNIST', () => {
  it('reads the full Debian data set: 60,000 + 10,000 1-channel 28x28 images', () => {
    const { train, test } = loadFashionMnist(FASHION_MNIST_DIRECTORY);
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect([train.channels, train.height, train.width]).toEqual([1, 28, 28]);
    expect(Math.max(...train.labels.subarray(0, 1000))).toBe(9);
  });

  it('refuses an IDX file whose data does not match its header, and a file that is not gzip', () => {
    const header = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
    const truncated = new Uint8Array(16 + 28 * 28 + 5);
    truncated.set(header);
    expect(() => parseIdx(truncated, 'x.idx')).toThrow(
      /x\.idx: IDX header promises 2x28x28 = 1568 bytes of data, the file holds 789/,
    );
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]), 'y.idx')).toThrow(/not an IDX file/);
    const directory = scratch();
    writeFileSync(join(directory, 'train-images-idx3-ubyte.gz'), 'not gzip');
    writeFileSync(join(directory, 'train-labels-idx1-ubyte.gz'), gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 0])));
    expect(() => loadFashionMnist(directory)).toThrow(/train-images-idx3-ubyte\.gz: not a valid gzip file/);
  });
});

describe('PNG folders', () => {
  function writePng(path: string, width: number, height: number, colour: [number, number, number], alpha = 255): void {
    const png = new PNG({ width, height });
    for (let p = 0; p < width * height; p++) png.data.set([...colour, alpha], 4 * p);
    writeFileSync(path, PNG.sync.write(png));
  }

  it('loads a folder of gray pictures as 1 channel, says so, and says when alpha is dropped', () => {
    const directory = scratch();
    writePng(join(directory, 'a.png'), 4, 3, [90, 90, 90]);
    writePng(join(directory, 'b.png'), 4, 3, [200, 200, 200], 128);
    const gray = loadPngFolder(directory);
    expect([gray.count, gray.channels]).toEqual([2, 1]);
    expect([gray.pixels[0], gray.pixels[12]]).toEqual([90, 200]);
    expect(gray.notes).toEqual([
      'every picture is gray (R = G = B): loaded as 1 channel',
      '1 of 2 pictures have transparent pixels: alpha is dropped, their colour values used as they are',
    ]);
    writePng(join(directory, 'c.png'), 4, 3, [255, 0, 0]);
    const mixed = loadPngFolder(directory);
    expect(mixed.channels).toBe(3);
    expect(mixed.notes![0]).toBe(
      '1 of 3 pictures have colour: loaded as 3 channels (the gray ones as three equal channels)',
    );
  });

  it('loads colour planes in file-name order', () => {
    const directory = scratch();
    writePng(join(directory, 'b.png'), 4, 3, [0, 0, 255]);
    writePng(join(directory, 'a.png'), 4, 3, [255, 0, 0]);
    const set = loadPngFolder(directory);
    expect([set.count, set.channels, set.height, set.width]).toEqual([2, 3, 3, 4]);
    expect(set.pixels[0]).toBe(255); // a.png red plane
    expect(set.pixels[12 * 2]).toBe(0); // a.png blue plane
    expect(set.pixels[36 + 24]).toBe(255); // b.png blue plane
  });

  it('refuses images of different sizes and files that are not PNG', () => {
    const directory = scratch();
    writePng(join(directory, 'a.png'), 4, 3, [1, 2, 3]);
    writePng(join(directory, 'b.png'), 5, 3, [1, 2, 3]);
    expect(() => loadPngFolder(directory)).toThrow(/b\.png is 5x3, but a\.png is 4x3/);
    const corrupt = scratch();
    writeFileSync(join(corrupt, 'c.png'), 'not a png');
    expect(() => loadPngFolder(corrupt)).toThrow(/c\.png: not a readable PNG/);
  });

  it('is recognised as a --data source, and an unknown directory is refused', async () => {
    const directory = scratch();
    writePng(join(directory, 'a.png'), 8, 8, [9, 9, 9]);
    expect((await loadDataSource(directory)).name).toMatch(/PNG folder/);
    const other = scratch();
    mkdirSync(join(other, 'nested'));
    await expect(loadDataSource(other)).rejects.toThrow(/neither CIFAR-10 binary batches/);
  });
});

describe('the notebook split and the batches', () => {
  const tiny = (count: number): ImageSet => ({
    pixels: Uint8Array.from({ length: count }, (_, i) => i % 251),
    labels: new Uint8Array(count),
    count,
    channels: 1,
    height: 1,
    width: 1,
    classNames: ['x'],
  });

  it('takes 10% of 60,000 images as 4,800 / 600 / 600', () => {
    const split = notebookSplit([tiny(50000), tiny(10000)], 0.1, 7);
    expect([split.train.count, split.validation.count, split.test.count]).toEqual([4800, 600, 600]);
  });

  it('is the same for the same seed and different for another', () => {
    const a = notebookSplit([tiny(1000)], 0.5, 3);
    const b = notebookSplit([tiny(1000)], 0.5, 3);
    const c = notebookSplit([tiny(1000)], 0.5, 4);
    expect(Array.from(a.train.pixels)).toEqual(Array.from(b.train.pixels));
    expect(Array.from(a.train.pixels)).not.toEqual(Array.from(c.train.pixels));
  });

  it('refuses a sample too small to split, and one outside (0, 1]', () => {
    expect(() => notebookSplit([tiny(10)], 0.1, 1)).toThrow(/leaves 1\/0\/0/);
    expect(() => notebookSplit([tiny(10)], 1.5, 1)).toThrow(/--sample must be in \(0, 1\]/);
  });

  it('shuffles each epoch differently, reproducibly, covering every example once', () => {
    const first = epochOrder(100, 5, 1, true);
    expect(Array.from(epochOrder(100, 5, 1, true))).toEqual(Array.from(first));
    expect(Array.from(epochOrder(100, 5, 2, true))).not.toEqual(Array.from(first));
    expect([...first].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...batchesOf(first, 32)].map((batch) => batch.length)).toEqual([32, 32, 32, 4]);
  });
});
