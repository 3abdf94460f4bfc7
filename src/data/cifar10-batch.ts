// CIFAR-10's binary batch format, parsed from bytes (no file system: the lab page parses the
// batches it fetches or a user drops). Each record is 1 label byte (0-9) followed by 3072
// pixel bytes, the red, green and blue 32x32 planes in row-major order. Any whole number of
// records is accepted (the full files hold 10,000).
import { DataError, type ImageSet } from './image-set.ts';
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;
export const CIFAR10_CLASS_NAMES = [
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
];

export function parseCifar10Batch(
  bytes: Uint8Array,
  fileName: string,
  classNames: readonly string[] = CIFAR10_CLASS_NAMES,
): ImageSet {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new DataError(
      `${fileName}: ${bytes.length} bytes is not a whole number of CIFAR-10 records of ${CIFAR10_RECORD_BYTES} bytes ` +
        `(${whole} records and ${bytes.length - whole * CIFAR10_RECORD_BYTES} bytes left over): truncated or not a CIFAR-10 binary batch`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * (CIFAR10_RECORD_BYTES - 1));
  for (let i = 0; i < count; i++) {
    const record = i * CIFAR10_RECORD_BYTES;
    const label = bytes[record]!;
    if (label >= classNames.length) {
      throw new DataError(
        `${fileName}: record ${i} (byte offset ${record}) has label ${label}; CIFAR-10 labels are 0-${classNames.length - 1}`,
      );
    }
    labels[i] = label;
    pixels.set(bytes.subarray(record + 1, record + CIFAR10_RECORD_BYTES), i * (CIFAR10_RECORD_BYTES - 1));
  }
  return { pixels, labels, count, channels: 3, height: 32, width: 32, classNames };
}
