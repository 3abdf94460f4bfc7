// Files on the user's machine (Node and Deno, never the browser): atomic writes and the
// per-user cache folder.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes a temporary file beside the target, flushes it to disk, then renames it over the
 * target: a reader (or a resumed run) sees the old file or the new one, never a half-written one.
 */
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

/** The per-user cache of downloaded data sets and kernel tunings: $XDG_CACHE_HOME/aelab, else ~/.cache/aelab. */
export function defaultCacheDirectory(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'aelab');
}
