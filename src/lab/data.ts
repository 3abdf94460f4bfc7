// The lab page's images: CIFAR-10 batches served by `aelab lab`, or files a user drops on the
// page (CIFAR-10 .bin batches, or PNG / JPEG pictures of one size, decoded by the browser).
// A file that is neither gets a message naming it and what is wrong.
import { parseCifar10Batch } from '../data/cifar10-batch.ts';
import { concatenate, DataError, planarRgb, type ImageSet } from '../data/image-set.ts';

export interface LabImages {
  /** Where the images came from, in words. */
  readonly source: string;
  readonly sets: readonly ImageSet[];
}

/** The CIFAR-10 batches the server offers (none when it was started without data). */
export async function fetchServedBatches(onProgress: (line: string) => void): Promise<LabImages | null> {
  const response = await fetch('data/index.json').catch(() => null);
  if (!response?.ok) return null; // a static host: no server-side data
  const { files } = (await response.json()) as { files: string[] };
  if (files.length === 0) return null;
  const sets: ImageSet[] = [];
  for (const name of files) {
    onProgress(`loading ${name}`);
    const batch = await fetch(`data/${encodeURIComponent(name)}`);
    if (!batch.ok) throw new DataError(`${name}: the server answered ${batch.status}`);
    sets.push(parseCifar10Batch(new Uint8Array(await batch.arrayBuffer()), name));
  }
  return { source: `${files.length} CIFAR-10 batch files from the server`, sets };
}

const IMAGE_TYPES = /\.(png|jpe?g)$/i;

/**
 * A picture decoded by the browser into RGB planes (alpha dropped; turned upright as its EXIF
 * orientation says), scaled down to at most `maxSide` pixels on its longer side.
 */
export async function decodePicture(
  file: File,
  maxSide = Infinity,
): Promise<{ pixels: Uint8Array; height: number; width: number; original: { height: number; width: number } }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new DataError(`${file.name}: the browser cannot decode it as an image (damaged, or not PNG / JPEG)`);
  }
  const original = { height: bitmap.height, width: bitmap.width };
  const scale = Math.min(1, maxSide / Math.max(original.height, original.width));
  const [width, height] = [
    Math.max(1, Math.round(original.width * scale)),
    Math.max(1, Math.round(original.height * scale)),
  ];
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return { pixels: planarRgb(context.getImageData(0, 0, width, height).data, height, width), height, width, original };
}

/**
 * Dropped files: all CIFAR-10 batches, or all pictures of one size. Mixed kinds, another kind
 * of file, pictures of different sizes or sides the model cannot halve twice are refused.
 */
export async function readDroppedFiles(files: readonly File[]): Promise<LabImages> {
  if (files.length === 0) throw new DataError('no files were dropped');
  const batches = files.filter((file) => file.name.endsWith('.bin'));
  const pictures = files.filter((file) => IMAGE_TYPES.test(file.name));
  const other = files.find((file) => !file.name.endsWith('.bin') && !IMAGE_TYPES.test(file.name));
  if (other) throw new DataError(`${other.name}: not a CIFAR-10 batch (.bin) or a PNG / JPEG picture`);
  if (batches.length > 0 && pictures.length > 0)
    throw new DataError(`${batches[0]!.name} and ${pictures[0]!.name}: drop CIFAR-10 batches or pictures, not both`);
  if (batches.length > 0) {
    const sets = await Promise.all(
      batches.map(async (file) => parseCifar10Batch(new Uint8Array(await file.arrayBuffer()), file.name)),
    );
    return { source: `${batches.length} dropped CIFAR-10 batch file${batches.length > 1 ? 's' : ''}`, sets };
  }
  const decoded = await Promise.all(pictures.map(async (file) => ({ file, ...(await decodePicture(file)) })));
  const [first] = decoded;
  for (const picture of decoded) {
    if (picture.height !== first!.height || picture.width !== first!.width) {
      throw new DataError(
        `${picture.file.name}: ${picture.width}x${picture.height}, but ${first!.file.name} is ${first!.width}x${first!.height}; the pictures must be of one size`,
      );
    }
  }
  if (first!.height % 4 !== 0 || first!.width % 4 !== 0) {
    throw new DataError(
      `${first!.file.name}: ${first!.width}x${first!.height}; the model pools twice by 2, so both sides must be multiples of 4`,
    );
  }
  const set = concatenate(
    decoded.map(({ pixels, height, width }) => ({
      pixels,
      labels: new Uint8Array(1),
      count: 1,
      channels: 3,
      height,
      width,
      classNames: ['picture'],
    })),
  );
  return { source: `${decoded.length} dropped pictures of ${first!.width}x${first!.height}`, sets: [set] };
}
