// A folder of PNG images (a user's own pictures) as an image set: every image must have
// the same size. A folder of gray pictures (R = G = B everywhere) becomes 1 channel, any colour
// picture makes it 3; alpha is dropped. Both are said in the set's notes, for the log.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { DataError, type ImageSet } from './image-set.ts';

/** Every PNG in `directory` as one image set, all of one size; `channels` 'auto' takes gray when every picture is gray. */
export function loadPngFolder(directory: string, channels: 1 | 3 | 'auto' = 'auto'): ImageSet {
  if (!existsSync(directory)) throw new DataError(`PNG folder '${directory}' does not exist`);
  const files = readdirSync(directory)
    .filter((name) => name.toLowerCase().endsWith('.png'))
    .sort();
  if (files.length === 0) throw new DataError(`${directory}: no .png files`);
  return loadPngFiles(
    files.map((file) => join(directory, file)),
    channels,
  );
}

/** PNG files of one size as an image set, in the order given ('auto': 1 channel if every picture is gray, else 3). */
export function loadPngFiles(paths: readonly string[], requested: 1 | 3 | 'auto' = 'auto'): ImageSet {
  let width = 0;
  let height = 0;
  const decoded: PNG[] = [];
  for (const path of paths) {
    let png: PNG;
    try {
      png = PNG.sync.read(readFileSync(path));
    } catch (error) {
      throw new DataError(`${path}: not a readable PNG (${(error as Error).message})`);
    }
    if (decoded.length === 0) [width, height] = [png.width, png.height];
    else if (png.width !== width || png.height !== height) {
      throw new DataError(
        `${path} is ${png.width}x${png.height}, but ${basename(paths[0]!)} is ${width}x${height}: all images must share one size`,
      );
    }
    decoded.push(png);
  }
  const gray = (png: PNG) => {
    for (let i = 0; i < png.data.length; i += 4)
      if (png.data[i] !== png.data[i + 1] || png.data[i] !== png.data[i + 2]) return false;
    return true;
  };
  const coloured = decoded.filter((png) => !gray(png)).length;
  const allGray = coloured === 0;
  const channels = requested === 'auto' ? (allGray ? 1 : 3) : requested;
  const notes: string[] = [];
  if (requested === 'auto' && allGray) notes.push(`every picture is gray (R = G = B): loaded as 1 channel`);
  else if (requested === 'auto') {
    notes.push(
      `${coloured} of ${decoded.length} pictures have colour: loaded as 3 channels${coloured < decoded.length ? ' (the gray ones as three equal channels)' : ''}`,
    );
  }
  const transparent = decoded.filter((png) => png.data.some((value, i) => i % 4 === 3 && value !== 255)).length;
  if (transparent > 0)
    notes.push(
      `${transparent} of ${decoded.length} pictures have transparent pixels: alpha is dropped, their colour values used as they are`,
    );
  const pixels = new Uint8Array(decoded.length * channels * width * height);
  decoded.forEach((png, image) => {
    const base = image * channels * width * height;
    for (let p = 0; p < width * height; p++) {
      const [r, g, b] = [png.data[4 * p]!, png.data[4 * p + 1]!, png.data[4 * p + 2]!];
      if (channels === 3) {
        pixels[base + p] = r;
        pixels[base + width * height + p] = g;
        pixels[base + 2 * width * height + p] = b;
      } else {
        pixels[base + p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      }
    }
  });
  return {
    pixels,
    labels: new Uint8Array(decoded.length),
    count: decoded.length,
    channels,
    height,
    width,
    classNames: ['image'],
    notes,
  };
}
