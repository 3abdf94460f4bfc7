// Atomic file writes: write a temporary file beside the target, flush it to disk, then
// rename it over the target. A reader (or a resumed run) sees the old file or the new
// one, never a half-written one.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const file = openSync(temporary, 'w');
  try {
    writeSync(file, typeof contents === 'string' ? new TextEncoder().encode(contents) : contents);
    fsyncSync(file);
  } finally {
    closeSync(file);
  }
  renameSync(temporary, path);
}
