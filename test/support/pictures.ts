// Picture files for the tests: a JPEG of a given size (jpeg-js), with an EXIF orientation
// inserted as a camera writes it (an APP1 segment right after the start of image).
import jpeg from 'jpeg-js';

/** A JPEG whose four quadrants are red, green, blue and white (top left, top right, bottom left, bottom right). */
export function quadrantJpeg(width: number, height: number, orientation: number | null = null): Uint8Array {
  const data = new Uint8Array(4 * width * height);
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 255],
  ];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const colour = colours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!;
      data.set([...colour, 255], 4 * (y * width + x));
    }
  const file = new Uint8Array(jpeg.encode({ data, width, height }, 95).data);
  if (orientation === null) return file;
  // EXIF: "Exif\0\0", a big-endian TIFF header, one IFD with one entry: Orientation (0x0112), SHORT, 1 value.
  const tiff = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return new Uint8Array([...file.subarray(0, 2), ...app1, ...file.subarray(2)]);
}
