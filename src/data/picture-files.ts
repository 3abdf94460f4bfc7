// Pictures people have, from their files: PNG (pngjs) or JPEG (jpeg-js), of any size, turned
// upright as their EXIF orientation says (exifr reads it), as RGB planes. A file of another
// kind, a damaged one or one too small is refused by name.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import exifr from 'exifr';
import { DataError, planarRgb } from './image-set.ts';

/** One RGB picture: planar bytes [3, height, width]. */
export interface Picture {
  readonly pixels: Uint8Array;
  readonly height: number;
  readonly width: number;
}

/** Sides shorter than this are refused: there is nothing to colourise. */
export const SMALLEST_SIDE = 8;
/** JPEGs larger than this many megapixels are refused rather than decoded into several GB. */
const LARGEST_MEGAPIXELS = 100;

const isPng = (bytes: Uint8Array) => bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
const isJpeg = (bytes: Uint8Array) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/**
 * `picture` as EXIF orientation `orientation` (1 to 8) says to show it: 2 mirrored, 3 turned
 * 180 degrees, 4 flipped, 5 transposed, 6 turned 90 degrees clockwise, 7 transversed, 8 turned
 * 90 degrees anticlockwise; 5 to 8 swap height and width. Anything else leaves it as it is.
 */
export function orient(picture: Picture, orientation: number): Picture {
  if (!Number.isInteger(orientation) || orientation < 2 || orientation > 8) return picture;
  const { height: H, width: W } = picture;
  const swapped = orientation >= 5;
  const [height, width] = swapped ? [W, H] : [H, W];
  // Where output pixel (x, y) is read from in the stored picture.
  const source: (x: number, y: number) => [number, number] = {
    2: (x: number, y: number): [number, number] => [W - 1 - x, y],
    3: (x: number, y: number): [number, number] => [W - 1 - x, H - 1 - y],
    4: (x: number, y: number): [number, number] => [x, H - 1 - y],
    5: (x: number, y: number): [number, number] => [y, x],
    6: (x: number, y: number): [number, number] => [y, H - 1 - x],
    7: (x: number, y: number): [number, number] => [W - 1 - y, H - 1 - x],
    8: (x: number, y: number): [number, number] => [W - 1 - y, x],
  }[orientation]!;
  const pixels = new Uint8Array(picture.pixels.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      for (let c = 0; c < 3; c++) pixels[(c * height + y) * width + x] = picture.pixels[(c * H + sy) * W + sx]!;
    }
  return { pixels, height, width };
}

/** A PNG or JPEG file's picture, upright; `name` names it in errors. */
export async function decodePictureFile(bytes: Uint8Array, name: string): Promise<Picture> {
  let picture: Picture;
  if (isPng(bytes)) {
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new DataError(`${name}: a damaged PNG (${(error as Error).message})`);
    }
    picture = { pixels: planarRgb(png.data, png.height, png.width), height: png.height, width: png.width };
  } else if (isJpeg(bytes)) {
    let decoded: { width: number; height: number; data: Uint8Array };
    try {
      decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        // A truncated or corrupt file is refused, not decoded into a gray band.
        tolerantDecoding: false,
        maxResolutionInMP: LARGEST_MEGAPIXELS,
        maxMemoryUsageInMB: 4 * LARGEST_MEGAPIXELS + 512,
      });
    } catch (error) {
      throw new DataError(`${name}: a damaged JPEG (${(error as Error).message})`);
    }
    const orientation = await exifr.orientation(bytes).catch(() => undefined);
    picture = orient(
      { pixels: planarRgb(decoded.data, decoded.height, decoded.width), height: decoded.height, width: decoded.width },
      orientation ?? 1,
    );
  } else throw new DataError(`${name}: not a PNG or JPEG picture`);
  if (picture.height < SMALLEST_SIDE || picture.width < SMALLEST_SIDE)
    throw new DataError(
      `${name}: ${picture.width}x${picture.height} is too small to colourise (sides of ${SMALLEST_SIDE} pixels at least)`,
    );
  return picture;
}
