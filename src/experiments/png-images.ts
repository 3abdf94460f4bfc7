// Pictures the runs write as PNG files: image grids (originals beside reconstructions) and
// single planar images, and a colourised picture as PNG or JPEG by its file name. Apart from
// report.ts, whose charts and HTML the lab page also uses.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/**
 * A grid of image rows: each row shows column 0 (originals), column 1 (reconstructions) ...
 * side by side, upscaled by `scale` with nearest neighbours. Images are NCHW floats in [0, 1]
 * with 1 or 3 channels.
 */
export function imageGridPng(
  columns: readonly Float32Array[],
  count: number,
  channels: number,
  height: number,
  width: number,
  scale = 4,
): Uint8Array {
  const gap = 4;
  const tileWidth = width * scale;
  const tileHeight = height * scale;
  const png = new PNG({ width: columns.length * (tileWidth + gap) + gap, height: count * (tileHeight + gap) + gap });
  png.data.fill(255);
  const plane = height * width;
  columns.forEach((images, column) => {
    for (let image = 0; image < count; image++) {
      for (let y = 0; y < tileHeight; y++) {
        for (let x = 0; x < tileWidth; x++) {
          const source = image * channels * plane + Math.floor(y / scale) * width + Math.floor(x / scale);
          const target =
            4 * ((gap + image * (tileHeight + gap) + y) * png.width + gap + column * (tileWidth + gap) + x);
          for (let c = 0; c < 3; c++) {
            const value = images[source + (channels === 3 ? c * plane : 0)]!;
            png.data[target + c] = Math.round(255 * Math.min(1, Math.max(0, value)));
          }
          png.data[target + 3] = 255;
        }
      }
    }
  });
  return new Uint8Array(PNG.sync.write(png));
}

/** A planar image (1 or 3 channels on [0, 1]) as RGBA bytes. */
function rgbaOf(pixels: ArrayLike<number>, channels: number, height: number, width: number): Uint8Array {
  const plane = height * width;
  const rgba = new Uint8Array(4 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++)
      rgba[4 * p + c] = Math.round(255 * Math.min(1, Math.max(0, pixels[p + (channels === 3 ? c * plane : 0)]!)));
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** One planar image (1 or 3 channels on [0, 1]) as a PNG of its own size. */
export function planarPng(pixels: ArrayLike<number>, channels: number, height: number, width: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(rgbaOf(pixels, channels, height, width));
  return new Uint8Array(PNG.sync.write(png));
}

/** JPEG quality of the colourised pictures written as .jpg: high, as a photo's own. */
const JPEG_QUALITY = 92;

/** A planar image as the file `name` says: JPEG for .jpg and .jpeg, PNG otherwise. */
export function pictureFile(
  pixels: ArrayLike<number>,
  channels: number,
  height: number,
  width: number,
  name: string,
): Uint8Array {
  if (!/\.jpe?g$/i.test(name)) return planarPng(pixels, channels, height, width);
  return new Uint8Array(
    jpeg.encode({ data: rgbaOf(pixels, channels, height, width), width, height }, JPEG_QUALITY).data,
  );
}
