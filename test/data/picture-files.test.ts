// Pictures people have, read from their files: PNG and JPEG of any size, upright as their EXIF
// orientation says; damaged, unknown and too small files refused by name.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { decodePictureFile, orient, type Picture } from '../../src/data/picture-files.ts';
import { DataError } from '../../src/data/image-set.ts';
import { quadrantJpeg } from '../support/pictures.ts';

/** A 3 x 2 picture whose red values are 0..5 in reading order (green and blue 10 and 20 more). */
const small: Picture = {
  pixels: Uint8Array.from({ length: 18 }, (_, i) => (i % 6) + 10 * Math.floor(i / 6)),
  height: 2,
  width: 3,
};
const red = (picture: Picture) => Array.from(picture.pixels.subarray(0, picture.height * picture.width));

/** The colour at (x, y) of a decoded picture, each channel rounded to 0 or 255. */
function colourAt(picture: Picture, x: number, y: number): number[] {
  const plane = picture.height * picture.width;
  return [0, 1, 2].map((c) => (picture.pixels[c * plane + y * picture.width + x]! > 127 ? 255 : 0));
}

describe('EXIF orientation', () => {
  // The stored picture:  0 1 2
  //                      3 4 5
  it.each([
    [1, 2, 3, [0, 1, 2, 3, 4, 5]],
    [2, 2, 3, [2, 1, 0, 5, 4, 3]],
    [3, 2, 3, [5, 4, 3, 2, 1, 0]],
    [4, 2, 3, [3, 4, 5, 0, 1, 2]],
    [5, 3, 2, [0, 3, 1, 4, 2, 5]],
    [6, 3, 2, [3, 0, 4, 1, 5, 2]],
    [7, 3, 2, [5, 2, 4, 1, 3, 0]],
    [8, 3, 2, [2, 5, 1, 4, 0, 3]],
  ])('%i shows the picture %ix%i as its red plane %j says', (orientation, height, width, expected) => {
    const shown = orient(small, orientation);
    expect([shown.height, shown.width]).toEqual([height, width]);
    expect(red(shown)).toEqual(expected);
    // The other planes follow the same way.
    expect(Array.from(shown.pixels.subarray(12)).map((value) => value - 20)).toEqual(expected);
  });
});

describe('picture files', () => {
  it('decode a JPEG of odd size at its size, and turn one with EXIF orientation 6 upright', async () => {
    const plain = await decodePictureFile(quadrantJpeg(45, 31), 'plain.jpg');
    expect([plain.width, plain.height]).toEqual([45, 31]);
    expect(colourAt(plain, 2, 2)).toEqual([255, 0, 0]);
    expect(colourAt(plain, 42, 28)).toEqual([255, 255, 255]);
    // Stored 45 x 31, to be turned 90 degrees clockwise: shown 31 x 45, the bottom-left (blue) quadrant at the top left.
    const turned = await decodePictureFile(quadrantJpeg(45, 31, 6), 'turned.jpg');
    expect([turned.width, turned.height]).toEqual([31, 45]);
    expect(colourAt(turned, 2, 2)).toEqual([0, 0, 255]);
    expect(colourAt(turned, 28, 2)).toEqual([255, 0, 0]);
    expect(colourAt(turned, 28, 42)).toEqual([0, 255, 0]);
  });

  it('decode a PNG, alpha dropped', async () => {
    const png = new PNG({ width: 9, height: 8 });
    png.data.fill(200);
    const picture = await decodePictureFile(new Uint8Array(PNG.sync.write(png)), 'gray.png');
    expect([picture.width, picture.height, picture.pixels.length]).toEqual([9, 8, 3 * 72]);
    expect(picture.pixels.every((value) => value === 200)).toBe(true);
  });

  it('refuse a damaged JPEG, a file of another kind and a picture too small, each by name', async () => {
    const whole = quadrantJpeg(45, 31);
    await expect(decodePictureFile(whole.subarray(0, whole.length >> 1), 'cut.jpg')).rejects.toThrow(
      /^cut\.jpg: a damaged JPEG/,
    );
    await expect(decodePictureFile(new TextEncoder().encode('hello'), 'notes.jpg')).rejects.toThrow(
      'notes.jpg: not a PNG or JPEG picture',
    );
    await expect(decodePictureFile(quadrantJpeg(6, 20), 'tiny.jpg')).rejects.toThrow(
      'tiny.jpg: 6x20 is too small to colourise (sides of 8 pixels at least)',
    );
    await expect(decodePictureFile(new Uint8Array(0), 'empty.png')).rejects.toBeInstanceOf(DataError);
  });
});
