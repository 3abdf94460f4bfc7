// Fashion-MNIST as gzipped IDX files (Debian's dataset-fashion-mnist package installs them
// in /usr/share/datasets/fashion-mnist): 1-channel 28x28 images, labels 0-9.
// IDX: a 4-byte magic (0, 0, type 0x08 = unsigned byte, number of dimensions), then each
// dimension as a big-endian uint32, then the data.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError, type ImageSet } from './image-set.ts';

export const FASHION_MNIST_DIRECTORY = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export function parseIdx(bytes: Uint8Array, fileName: string): { dimensions: number[]; data: Uint8Array } {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new DataError(`${fileName}: not an IDX file (bad magic number)`);
  if (bytes[2] !== 0x08)
    throw new DataError(`${fileName}: IDX element type 0x${bytes[2]!.toString(16)} is not unsigned bytes (0x08)`);
  const rank = bytes[3]!;
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new DataError(`${fileName}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dimensions = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dimensions.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== expected) {
    throw new DataError(
      `${fileName}: IDX header promises ${dimensions.join('x')} = ${expected} bytes of data, the file holds ${bytes.length - header}`,
    );
  }
  return { dimensions, data: bytes.subarray(header) };
}

function readIdx(path: string): { dimensions: number[]; data: Uint8Array } {
  if (!existsSync(path)) throw new DataError(`${path} does not exist (install Debian's dataset-fashion-mnist package)`);
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(readFileSync(path));
  } catch (error) {
    throw new DataError(`${path}: not a valid gzip file (${(error as Error).message})`);
  }
  return parseIdx(bytes, path);
}

function loadSplit(directory: string, prefix: string): ImageSet {
  const images = readIdx(join(directory, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(join(directory, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, height, width] = images.dimensions as [number, number, number];
  if (images.dimensions.length !== 3)
    throw new DataError(`${prefix} images: expected 3 IDX dimensions, got ${images.dimensions.length}`);
  if (labels.dimensions.length !== 1 || labels.dimensions[0] !== count) {
    throw new DataError(`${prefix}: ${count} images but ${labels.dimensions.join('x')} labels`);
  }
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new DataError(`${prefix} labels: label ${labels.data[bad]} at index ${bad}; expected 0-9`);
  return {
    pixels: images.data,
    labels: labels.data,
    count,
    channels: 1,
    height,
    width,
    classNames: FASHION_MNIST_CLASS_NAMES,
  };
}

/** Fashion-MNIST's training and test images (gzipped IDX files) from `directory`, 1 x 28 x 28. */
export function loadFashionMnist(directory = FASHION_MNIST_DIRECTORY): { train: ImageSet; test: ImageSet } {
  return { train: loadSplit(directory, 'train'), test: loadSplit(directory, 't10k') };
}
