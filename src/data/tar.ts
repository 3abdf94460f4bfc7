// A minimal reader for (ustar / GNU / pax) tar archives, enough for the CIFAR-10 archive:
// regular files and directories; pax and GNU long-name records are honoured, other entries skipped.
import { DataError } from './image-set.ts';

export interface TarEntry {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly data: Uint8Array;
}

const BLOCK = 512;

function text(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? field.subarray(0, end) : field);
}

function octal(bytes: Uint8Array, start: number, length: number, what: string): number {
  const value = text(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(value)) throw new DataError(`tar: bad ${what} field '${value}'`);
  return value === '' ? 0 : parseInt(value, 8);
}

export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return entries; // end-of-archive marker
    const size = octal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156]!);
    const prefix = text(header, 257, 6) === 'ustar' ? text(header, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    longName = null;
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) {
      throw new DataError(
        `tar: entry '${name}' needs ${size} bytes but the archive ends after ${archive.length - dataStart}: truncated archive`,
      );
    }
    const data = archive.subarray(dataStart, dataStart + size);
    if (type === 'L') longName = text(data, 0, data.length);
    else if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data));
      if (path) longName = path[1]!;
    } else if (type === '0' || type === '\0') entries.push({ path: name, type: 'file', data });
    else if (type === '5') entries.push({ path: name, type: 'directory', data });
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new DataError('tar: the archive ends without its end-of-archive marker: truncated archive');
}
