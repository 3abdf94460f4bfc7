// A folder of PNG images (a user's own pictures) as an image set: every image must have
// the same size; colour images become 3 channels (alpha dropped), grey ones 1 channel.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { DataError, type ImageSet } from './image-set.ts';

export function loadPngFolder(directory: string, channels: 1 | 3 = 3): ImageSet {
  if (!existsSync(directory)) throw new DataError(`PNG folder '${directory}' does not exist`);
  const files = readdirSync(directory).filter((name) => name.toLowerCase().endsWith('.png')).sort();
  if (files.length === 0) throw new DataError(`${directory}: no .png files`);
  return loadPngFiles(files.map((file) => join(directory, file)), channels);
}

/** PNG files of one size as an image set, in the order given. */
export function loadPngFiles(paths: readonly string[], channels: 1 | 3 = 3): ImageSet {
  let width = 0;
  let height = 0;
  const images: Uint8Array[] = [];
  for (const path of paths) {
    let png: PNG;
    try {
      png = PNG.sync.read(readFileSync(path));
    } catch (error) {
      throw new DataError(`${path}: not a readable PNG (${(error as Error).message})`);
    }
    if (images.length === 0) [width, height] = [png.width, png.height];
    else if (png.width !== width || png.height !== height) {
      throw new DataError(`${path} is ${png.width}x${png.height}, but ${basename(paths[0]!)} is ${width}x${height}: all images must share one size`);
    }
    const planes = new Uint8Array(channels * width * height);
    for (let p = 0; p < width * height; p++) {
      const [r, g, b] = [png.data[4 * p]!, png.data[4 * p + 1]!, png.data[4 * p + 2]!];
      if (channels === 3) {
        planes[p] = r;
        planes[width * height + p] = g;
        planes[2 * width * height + p] = b;
      } else {
        planes[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      }
    }
    images.push(planes);
  }
  const pixels = new Uint8Array(images.length * channels * width * height);
  images.forEach((image, i) => pixels.set(image, i * image.length));
  return { pixels, labels: new Uint8Array(images.length), count: images.length, channels, height, width, classNames: ['image'] };
}
